//! A hello-world event function with the AWS SDK: what the SDK and its TLS stack cost at cold
//! start and in size, before any storesync code. It loads the AWS configuration as every
//! storesync function does (compiled-in roots); with `HELLO_SYSTEM_ROOTS=1` it uses the SDK's
//! stock loader instead, which reads the system's trust store, so one run measures both.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use serde_json::{Value, json};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let aws = if std::env::var_os("HELLO_SYSTEM_ROOTS").is_some() {
        aws_config::load_from_env().await
    } else {
        storesync_runtime::aws::config().await
    };
    let dynamodb = aws_sdk_dynamodb::Client::new(&aws);
    let dynamodb = &dynamodb;
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        let region = dynamodb.config().region().map(ToString::to_string);
        Ok::<_, Error>(json!({ "hello": event.context.request_id, "region": region }))
    }))
    .await
}
