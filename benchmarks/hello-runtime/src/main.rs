//! A hello-world event function: what `lambda_runtime` alone costs at cold start.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use serde_json::{Value, json};

async fn hello(event: LambdaEvent<Value>) -> Result<Value, Error> {
    Ok(json!({ "hello": event.context.request_id }))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(hello)).await
}
