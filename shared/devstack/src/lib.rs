//! The local stack: the storesync functions on loopback, through the same routers the Lambda
//! binaries serve, over the embedded store or a DynamoDB-compatible endpoint.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use storesync_core::catalog::{DEFAULT_LOCATION, ProductDetails};
use storesync_core::ids::Sku;
use storesync_core::money::Currency;
use storesync_core::ports::{Clock, Store, StoreError};
use storesync_core::pricing::PricingPolicy;
use storesync_core::storefront::Storefront;

/// The checkout API as served locally: the Lambda router with the dev-token identity layer.
pub fn checkout_app(store: Arc<dyn Store>, clock: Arc<dyn Clock>, policy: PricingPolicy) -> Router {
    let storefront = Storefront::new(store, clock, policy, DEFAULT_LOCATION);
    checkout::router(Arc::new(storefront)).layer(axum::middleware::from_fn(
        storesync_web::identity::identity_from_dev_token,
    ))
}

/// A small catalog to try the store with: (sku, name, category, USD, EUR, INR, units).
const DEMO: &[(&str, &str, &str, i64, i64, i64, i64)] = &[
    (
        "TSHIRT-BLK-M",
        "T-shirt, black, M",
        "apparel",
        1999,
        1899,
        149900,
        100,
    ),
    (
        "HOODIE-GRY-L",
        "Hoodie, grey, L",
        "apparel",
        4999,
        4599,
        399900,
        40,
    ),
    ("MUG-WHT", "Mug, white", "home", 1200, 1100, 79900, 250),
    (
        "STICKER-PACK",
        "Sticker pack",
        "accessories",
        499,
        449,
        29900,
        1000,
    ),
];

/// Adds the demo catalog and its stock; running it again leaves one catalog, restocked.
pub async fn seed_demo_catalog(store: &dyn Store) -> Result<(), StoreError> {
    for (sku, name, category, usd, eur, inr, units) in DEMO {
        let sku = Sku::parse(sku).expect("demo skus are valid");
        store
            .upsert_product(&ProductDetails {
                sku: sku.clone(),
                name: (*name).to_owned(),
                category: (*category).to_owned(),
                active: true,
                prices: BTreeMap::from([
                    (Currency::USD, *usd),
                    (Currency::EUR, *eur),
                    (Currency::INR, *inr),
                ]),
            })
            .await?;
        let on_hand = store
            .product(&sku)
            .await?
            .map(|p| p.available(DEFAULT_LOCATION))
            .unwrap_or(0);
        store
            .adjust_stock(&sku, DEFAULT_LOCATION, units - on_hand)
            .await?;
    }
    Ok(())
}

/// Copy-paste commands that walk through the store against a running stack.
pub fn walkthrough(base: &str) -> String {
    format!(
        r#"storesync is running at {base}

  # 1. the catalog
  curl -s {base}/v1/products
  # 2. register (local dev token: "Bearer dev:<customer-id>")
  curl -s -X POST {base}/v1/customers -H 'Authorization: Bearer dev:alice' \
       -H 'Content-Type: application/json' \
       -d '{{"email":"alice@example.com","first_name":"Alice","last_name":"Ng"}}'
  # 3. a cart in USD; keep its id
  CART=$(curl -s -X POST {base}/v1/carts -H 'Authorization: Bearer dev:alice' \
       -H 'Content-Type: application/json' -d '{{"currency":"USD"}}' | sed -E 's/.*"id":"([^"]+)".*/\1/')
  # 4. two T-shirts and a discount code
  curl -s -X PUT {base}/v1/carts/$CART/lines/TSHIRT-BLK-M -H 'Authorization: Bearer dev:alice' \
       -H 'Content-Type: application/json' -d '{{"quantity":2}}'
  curl -s -X PUT {base}/v1/carts/$CART/discount -H 'Authorization: Bearer dev:alice' \
       -H 'Content-Type: application/json' -d '{{"code":"WELCOME10"}}'
  # 5. check out (safe to repeat with the same Idempotency-Key)
  curl -s -X POST {base}/v1/carts/$CART/checkout -H 'Authorization: Bearer dev:alice' \
       -H 'Idempotency-Key: demo-1' -H 'Content-Type: application/json' \
       -d '{{"shipping_address":{{"line1":"1 Main St","city":"Springfield","postal_code":"12345","country":"US"}}}}'
  # 6. the orders
  curl -s {base}/v1/orders -H 'Authorization: Bearer dev:alice'
"#
    )
}
