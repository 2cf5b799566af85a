//! The fulfilment provider: the store sends it each fulfilment order ([`HttpProvider`], a
//! signed POST named by the fulfilment order's id) and it answers with signed shipment notices
//! ([`wire::NoticeBody`], taken by the webhook function). [`LocalProvider`] is a provider on
//! loopback that ships what it is sent, for the dev stack and tests.

mod http;
mod local;
pub mod wire;

pub use http::HttpProvider;
pub use local::{LocalProvider, NoticeTarget};

/// The header both directions are signed in (`t=<unix>,v1=<hex>`, see
/// [`storesync_web::signature`]).
pub const SIGNATURE_HEADER: &str = "x-storesync-signature";
