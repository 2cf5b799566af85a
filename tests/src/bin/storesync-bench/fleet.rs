//! The functions under measurement and their references, each with a realistic environment:
//! a table, a FIFO queue, an SSM parameter and a Secrets Manager secret in moto
//! (`AWS_ENDPOINT_URL`), and the Salesforce emulator, so first invocations do real work.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use reqwest::{Method, StatusCode};
use storesync_dynamodb::{DynamoStore, RequestCounter};
use storesync_tests::{Auth, Backend, TestApp};

use serde_json::json;
use storesync_devstack::DEV_STRIPE_SECRET;
use storesync_sf_emulator::Emulator;

use crate::runtime_api::Function;

/// A function and the hello-world it is compared with.
/// The SDK-only reference started with the SDK's stock loader, which reads the system's roots.
pub const STOCK_SDK: &str = "hello-dynamodb, stock SDK loader (system roots)";

pub struct Subject {
    pub function: Function,
    pub reference: &'static str,
    /// What the sample event asks, for the report.
    pub event_file: &'static str,
    /// A function run with a changed environment, to attribute part of its init.
    pub variant: bool,
}

fn event(file: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../events")
        .join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn release_binary(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../target/release")
        .join(name)
}

/// Calls a moto JSON API the SDK crates of this workspace do not link (SSM, Secrets Manager);
/// moto does not check signatures.
async fn moto_call(moto: &str, service: &str, target: &str, body: serde_json::Value) {
    let reply = reqwest::Client::new()
        .post(moto)
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", target)
        .header(
            "authorization",
            format!(
                "AWS4-HMAC-SHA256 Credential=test/20261201/us-east-1/{service}/aws4_request, \
                 SignedHeaders=host, Signature=0"
            ),
        )
        .body(body.to_string())
        .send()
        .await
        .expect("moto answers");
    assert!(
        reply.status().is_success(),
        "{target}: {}",
        reply.text().await.unwrap_or_default()
    );
}

/// Creates what the functions read at cold start and returns them with their events.
pub async fn fleet(moto: &str, emulator: &Emulator) -> Vec<Subject> {
    let config = storesync_tests::moto::aws_config().await;
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    let table = format!("storesync-bench-{suffix}");
    let dynamodb = storesync_dynamodb::client(&config, None);
    storesync_dynamodb::create_table(&dynamodb, &table)
        .await
        .expect("the table");
    // The demo catalog, and the customer whose order the sample SQS event carries.
    let app = TestApp::spawn(Backend::DynamoDb {
        store: Arc::new(DynamoStore::new(dynamodb, table.clone())),
        counter: RequestCounter::new(),
    })
    .await;
    let registered = app
        .call(
            Method::POST,
            "/v1/customers",
            &Auth::customer("cust-demo-0001"),
            Some(json!({"email": "Ada.Lovelace@Example.com", "first_name": "Jane", "last_name": "Doe"})),
        )
        .await;
    assert_eq!(
        registered.status,
        StatusCode::CREATED,
        "{:?}",
        registered.body
    );
    let queues = storesync_sqs::create_fifo_queue_with_dlq(
        &storesync_sqs::client(&config),
        &format!("storesync-bench-{suffix}"),
        5,
        180,
    )
    .await
    .expect("the queue");
    let parameter = format!("/storesync/bench-{suffix}/stripe-webhook-secrets");
    moto_call(
        moto,
        "ssm",
        "AmazonSSM.PutParameter",
        json!({"Name": parameter, "Value": DEV_STRIPE_SECRET, "Type": "SecureString"}),
    )
    .await;
    let secret = format!("storesync/bench-{suffix}/salesforce");
    moto_call(
        moto,
        "secretsmanager",
        "secretsmanager.CreateSecret",
        json!({"Name": secret, "SecretString": json!({
            "SF_LOGIN_URL": emulator.base_url(),
            "SF_CLIENT_ID": emulator.client_id(),
            "SF_CLIENT_SECRET": emulator.client_secret(),
        }).to_string()}),
    )
    .await;

    let common = |extra: &[(&str, String)]| -> Vec<(String, String)> {
        let mut env = vec![
            ("AWS_ENDPOINT_URL".to_owned(), moto.to_owned()),
            ("STORESYNC_TABLE".to_owned(), table.clone()),
            ("RUST_LOG".to_owned(), "info".to_owned()),
        ];
        env.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
        env
    };
    // The sample webhook is signed at t=1764000000.
    let tolerance = (chrono::Utc::now().timestamp() - 1_764_000_000 + 365 * 86_400).to_string();
    let subject = |name: &str, reference, event_file: &'static str, env| Subject {
        function: Function {
            name: name.to_owned(),
            binary: release_binary(name),
            env,
            event: event(event_file),
        },
        reference,
        event_file,
        variant: false,
    };
    let mut subjects = vec![
        subject(
            "checkout",
            "hello-http",
            "checkout-list-products.json",
            common(&[("STORESYNC_QUEUE_URL", queues.queue_url.clone())]),
        ),
        subject(
            "payment-webhook",
            "hello-http",
            "payment-webhook-stripe-succeeded.json",
            common(&[
                ("STORESYNC_QUEUE_URL", queues.queue_url.clone()),
                ("STRIPE_WEBHOOK_SECRETS_PARAMETER", parameter),
                ("STRIPE_WEBHOOK_TOLERANCE_SECS", tolerance),
            ]),
        ),
        subject(
            "scheduled-sync",
            "hello-runtime",
            "scheduled-sync-outbox-sweep.json",
            common(&[
                ("STORESYNC_QUEUE_URL", queues.queue_url.clone()),
                ("SF_CREDENTIALS_SECRET", secret.clone()),
            ]),
        ),
        subject(
            "order-events",
            "hello-runtime",
            "order-events-sqs-registered-and-placed.json",
            common(&[
                ("SF_CREDENTIALS_SECRET", secret),
                ("ORDER_EVENTS_MAX_RECEIVES", "5".to_owned()),
            ]),
        ),
    ];
    subjects.extend([
        subject(
            "hello-http",
            "hello-http",
            "checkout-list-products.json",
            Vec::new(),
        ),
        subject(
            "hello-runtime",
            "hello-runtime",
            "scheduled-sync-outbox-sweep.json",
            Vec::new(),
        ),
        subject(
            "hello-dynamodb",
            "hello-runtime",
            "scheduled-sync-outbox-sweep.json",
            vec![("AWS_ENDPOINT_URL".to_owned(), moto.to_owned())],
        ),
    ]);
    // The SDK's stock loader, which reads the system's trust store (on this machine one file
    // per root under /etc/ssl/certs), against the compiled-in roots the functions use.
    let mut stock = subject(
        "hello-dynamodb",
        "hello-runtime",
        "scheduled-sync-outbox-sweep.json",
        vec![
            ("AWS_ENDPOINT_URL".to_owned(), moto.to_owned()),
            ("HELLO_SYSTEM_ROOTS".to_owned(), "1".to_owned()),
        ],
    );
    stock.function.name = STOCK_SDK.to_owned();
    stock.variant = true;
    subjects.push(stock);
    subjects
}
