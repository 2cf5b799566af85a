//! The stack served on a free loopback port, and a small client for it.

use std::sync::Arc;

use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::time::Duration;

use storesync_core::ids::LocationId;
use storesync_devstack::LocalStack;
use storesync_embedded::LocalQueue;

use crate::Backend;

/// How a request identifies itself.
#[derive(Debug, Clone)]
pub enum Auth {
    None,
    /// A registered customer, through the dev token.
    Customer(String),
    /// A guest, through the cart token.
    Guest(String),
}

impl Auth {
    pub fn customer(id: &str) -> Auth {
        Auth::Customer(id.to_owned())
    }
}

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn content_type(&self) -> &str {
        self.headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The problem type's slug, e.g. `out-of-stock`.
    pub fn problem(&self) -> &str {
        self.body["type"]
            .as_str()
            .and_then(|t| t.strip_prefix("/problems/"))
            .unwrap_or("")
    }
}

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub backend: Backend,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl TestApp {
    /// Serves the HTTP functions over `backend` and an in-process queue, seeded with the
    /// demo catalog.
    pub async fn spawn(backend: Backend) -> TestApp {
        let queue = Arc::new(LocalQueue::new(Duration::from_secs(30), 5));
        let stack = LocalStack::new(backend.store(), queue);
        Self::spawn_stack(backend, stack).await
    }

    /// Serves the HTTP functions as `stack` wires them; `backend` must be the stack's store.
    pub async fn spawn_stack(backend: Backend, mut stack: LocalStack) -> TestApp {
        storesync_devstack::seed_demo_catalog(backend.store().as_ref())
            .await
            .expect("the demo catalog is seeded");
        let app = stack.app();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let base = format!("http://{}", listener.local_addr().expect("bound"));
        let server = tokio::spawn(async move {
            axum::serve(listener, app)
                .await
                .expect("the test server runs");
        });
        if let Some(counter) = backend.request_counter() {
            counter.reset();
        }
        TestApp {
            base,
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(64)
                .build()
                .expect("client"),
            backend,
            server,
        }
    }

    pub fn request(&self, method: Method, path: &str, auth: &Auth) -> reqwest::RequestBuilder {
        let builder = self.http.request(method, format!("{}{}", self.base, path));
        match auth {
            Auth::None => builder,
            Auth::Customer(id) => builder.bearer_auth(format!("dev:{id}")),
            Auth::Guest(token) => builder.header("X-Cart-Token", token),
        }
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let response = request.send().await.expect("the stack answers");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("a body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        auth: &Auth,
        body: Option<Value>,
    ) -> Reply {
        let mut request = self.request(method, path, auth);
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.send(request).await
    }

    pub async fn get(&self, path: &str, auth: &Auth) -> Reply {
        self.call(Method::GET, path, auth, None).await
    }

    // --- steps that many tests share ---

    pub async fn register(&self, customer: &str) -> Reply {
        let body = serde_json::json!({
            "email": format!("{customer}@example.com"),
            "first_name": "Test",
            "last_name": customer,
        });
        self.call(
            Method::POST,
            "/v1/customers",
            &Auth::customer(customer),
            Some(body),
        )
        .await
    }

    /// A customer's new cart holding `quantity` of `sku`; returns the cart id.
    pub async fn cart_with(&self, auth: &Auth, sku: &str, quantity: i64) -> String {
        let created = self
            .call(
                Method::POST,
                "/v1/carts",
                auth,
                Some(serde_json::json!({"currency": "USD"})),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
        let id = created.body["id"].as_str().expect("cart id").to_owned();
        let set = self
            .call(
                Method::PUT,
                &format!("/v1/carts/{id}/lines/{sku}"),
                auth,
                Some(serde_json::json!({ "quantity": quantity })),
            )
            .await;
        assert_eq!(set.status, StatusCode::OK, "{:?}", set.body);
        id
    }

    pub async fn set_line_quantity(
        &self,
        auth: &Auth,
        cart: &str,
        sku: &str,
        quantity: i64,
    ) -> Reply {
        self.call(
            Method::PUT,
            &format!("/v1/carts/{cart}/lines/{sku}"),
            auth,
            Some(serde_json::json!({ "quantity": quantity })),
        )
        .await
    }

    pub async fn checkout(&self, auth: &Auth, cart_path: &str, key: &str, body: &Value) -> Reply {
        self.send(
            self.request(Method::POST, &format!("{cart_path}/checkout"), auth)
                .header("Idempotency-Key", key)
                .json(body),
        )
        .await
    }

    pub async fn available(&self, sku: &str) -> i64 {
        let reply = self.get(&format!("/v1/products/{sku}"), &Auth::None).await;
        reply.body["available"].as_i64().expect("available units")
    }

    /// Sets a product's stock to exactly `units`.
    pub async fn set_stock(&self, sku: &str, units: i64) {
        let store = self.backend.store();
        let sku = storesync_core::ids::Sku::parse(sku).expect("sku");
        let on_hand = store
            .product(&sku)
            .await
            .expect("read")
            .expect("product")
            .available(&LocationId::default());
        store
            .adjust_stock(&sku, &LocationId::default(), units - on_hand)
            .await
            .expect("stock set");
    }
}

/// A shipping address that passes validation.
pub fn shipping_body() -> Value {
    serde_json::json!({
        "shipping_address": {
            "line1": "1 Main St", "city": "Springfield", "postal_code": "12345", "country": "US"
        }
    })
}
