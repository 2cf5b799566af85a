//! The fulfilment provider over HTTP: each fulfilment order is POSTed as JSON, signed with the
//! shared secret, with its id as the `Idempotency-Key`, so a retried send ships nothing twice.

use std::time::Duration;

use async_trait::async_trait;
use storesync_core::fulfilment::FulfilmentOrder;
use storesync_core::fulfilment::process::{FulfilmentProvider, ProviderError};
use storesync_core::order::Order;

use crate::SIGNATURE_HEADER;
use crate::wire::FulfilmentRequest;

pub struct HttpProvider {
    http: reqwest::Client,
    url: String,
    secret: String,
}

impl std::fmt::Debug for HttpProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpProvider")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl HttpProvider {
    /// Sends to `url` (the provider's endpoint for new fulfilment orders), signing with
    /// `secret`.
    pub fn new(url: impl Into<String>, secret: impl Into<String>) -> Result<Self, ProviderError> {
        // The provider's certificates chain to public roots, compiled in as for the other
        // clients.
        let roots = webpki_root_certs::TLS_SERVER_ROOT_CERTS
            .iter()
            .map(|der| reqwest::Certificate::from_der(der))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ProviderError::Refused(e.to_string()))?;
        let http = reqwest::Client::builder()
            .tls_certs_only(roots)
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| ProviderError::Refused(e.to_string()))?;
        Ok(HttpProvider {
            http,
            url: url.into(),
            secret: secret.into(),
        })
    }
}

#[async_trait]
impl FulfilmentProvider for HttpProvider {
    async fn send(&self, fulfilment: &FulfilmentOrder, order: &Order) -> Result<(), ProviderError> {
        let body = serde_json::to_vec(&FulfilmentRequest::new(fulfilment, order))
            .map_err(|e| ProviderError::Refused(e.to_string()))?;
        let signature =
            storesync_web::signature::header(&self.secret, chrono::Utc::now().timestamp(), &body);
        let response = self
            .http
            .post(&self.url)
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", fulfilment.id.as_str())
            .header(SIGNATURE_HEADER, signature)
            .body(body)
            .send()
            .await
            .map_err(|e| ProviderError::Unavailable(e.to_string()))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let text = response.text().await.unwrap_or_default();
        let message = format!("{status}: {}", text.chars().take(300).collect::<String>());
        if status.is_server_error() || status.as_u16() == 429 || status.as_u16() == 408 {
            Err(ProviderError::Unavailable(message))
        } else {
            Err(ProviderError::Refused(message))
        }
    }
}
