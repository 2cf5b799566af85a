//! Shared test harness: an emulator on a free loopback port and a client pointed at it.
#![allow(dead_code)]

use std::time::Duration;

use storesync_salesforce::{Auth, RetryPolicy, SalesforceClient, SalesforceConfig};
use storesync_sf_emulator::{Emulator, EmulatorConfig};

pub const TEST_PRIVATE_KEY: &str = include_str!("../fixtures/test_only_private_key.pem");
pub const TEST_PUBLIC_KEY: &str = include_str!("../fixtures/test_only_public_key.pem");

/// Retries in milliseconds so tests stay fast.
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
    }
}

pub async fn emulator() -> Emulator {
    Emulator::start().await.expect("emulator starts")
}

pub fn config_for(emulator: &Emulator) -> SalesforceConfig {
    let mut config = SalesforceConfig::new(
        emulator.base_url(),
        Auth::ClientCredentials {
            client_id: emulator.client_id().to_string(),
            client_secret: emulator.client_secret().to_string(),
        },
    );
    config.retry = fast_retries();
    config.request_timeout = Duration::from_secs(5);
    config
}

pub fn client_for(emulator: &Emulator) -> SalesforceClient {
    SalesforceClient::new(config_for(emulator)).expect("valid config")
}

/// An emulator that checks JWT assertions against the test public key.
pub async fn emulator_with_jwt_key() -> Emulator {
    let config = EmulatorConfig::default()
        .with_jwt_public_key_pem(TEST_PUBLIC_KEY)
        .expect("valid test key");
    Emulator::start_with(config).await.expect("emulator starts")
}

/// A product with a standard price, ready for OrderItems: (product id, pricebook entry id).
pub fn seed_product(emulator: &Emulator, sku: &str, price: f64) -> (String, String) {
    let product = emulator
        .insert(
            "Product2",
            serde_json::json!({ "Name": format!("Product {sku}"), "Storesync_Sku__c": sku, "IsActive": true }),
        )
        .expect("product");
    let entry = emulator
        .insert(
            "PricebookEntry",
            serde_json::json!({
                "Pricebook2Id": emulator.standard_pricebook_id(),
                "Product2Id": product,
                "UnitPrice": price,
                "IsActive": true,
            }),
        )
        .expect("pricebook entry");
    (product, entry)
}
