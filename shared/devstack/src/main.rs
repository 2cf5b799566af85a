//! `make run`: the whole stack on loopback.

use std::sync::Arc;

use storesync_core::ports::{Store, SystemClock};
use storesync_core::pricing::PricingPolicy;
use storesync_dynamodb::DynamoStore;
use storesync_embedded::EmbeddedStore;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    storesync_web::logging::init();
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let store: Arc<dyn Store> = match std::env::var("STORE").as_deref() {
        Ok("dynamodb") => {
            let endpoint = std::env::var("DYNAMODB_ENDPOINT")
                .or_else(|_| std::env::var("STORESYNC_MOTO_URL"))
                .unwrap_or_else(|_| "http://127.0.0.1:8000".into());
            let table = std::env::var("STORESYNC_TABLE").unwrap_or_else(|_| "storesync-dev".into());
            let aws = aws_config::defaults(aws_config::BehaviorVersion::latest())
                .endpoint_url(&endpoint)
                .region(aws_config::Region::new("us-east-1"))
                .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                    "test", "test", None, None, "dev",
                ))
                .load()
                .await;
            let client = storesync_dynamodb::client(&aws, None);
            storesync_dynamodb::create_table(&client, &table).await?;
            tracing::info!(%endpoint, %table, "store: DynamoDB");
            Arc::new(DynamoStore::new(client, table))
        }
        _ => {
            tracing::info!("store: embedded (in memory; STORE=dynamodb for a DynamoDB endpoint)");
            Arc::new(EmbeddedStore::new())
        }
    };
    storesync_devstack::seed_demo_catalog(store.as_ref()).await?;
    let app =
        storesync_devstack::checkout_app(store, Arc::new(SystemClock), PricingPolicy::default());
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let base = format!("http://{}", listener.local_addr()?);
    println!("{}", storesync_devstack::walkthrough(&base));
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
