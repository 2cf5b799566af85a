#![warn(missing_docs)]
//! storesync's Salesforce adapter: a REST client on reqwest (rustls) that owns OAuth,
//! retries with backoff, timeouts, API-budget tracking and call counting.
//!
//! - [`SalesforceClient`]: sObject get/create/update/upsert/delete, SOQL with paging,
//!   sObject Collections (chunked at 200), Composite and Composite Graph, `/limits`.
//! - [`soql`]: escaping and a typed query builder: every value is escaped.
//! - [`composite`]: Composite and Composite Graph builders with typed references.
//!
//! Tests run it against `storesync-sf-emulator` over real HTTP; see `docs/salesforce.md`.

mod auth;
pub mod budget;
mod client;
pub mod collections;
pub mod composite;
mod config;
pub mod crm;
mod error;
pub mod soql;

pub use budget::{ApiUsage, Priority};
pub use client::{
    ActionResult, OrderLifeCycle, OrderSummaryCreated, ProcessResult, QueryPage, SalesforceClient,
    UpsertResult,
};
pub use collections::{CollectionOptions, RecordResult, sobject};
pub use composite::{CompositeRequest, CompositeResponse, Graph, GraphResponse, Reference};
pub use config::{Auth, ConfigError, DEFAULT_API_VERSION, RetryPolicy, SalesforceConfig};
pub use crm::SalesforceCrm;
pub use error::{ApiError, SalesforceError};
