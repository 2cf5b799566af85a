//! A hello-world event function with the AWS SDK: what the SDK, its TLS stack and its root
//! certificates cost at cold start and in size, before any storesync code.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use serde_json::{Value, json};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let aws = aws_config::load_from_env().await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&aws);
    let dynamodb = &dynamodb;
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        let region = dynamodb.config().region().map(ToString::to_string);
        Ok::<_, Error>(json!({ "hello": event.context.request_id, "region": region }))
    }))
    .await
}
