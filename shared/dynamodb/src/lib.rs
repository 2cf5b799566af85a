//! The DynamoDB adapter of the storesync store ports: one table, items (de)serialised with
//! serde, every multi-item change one `TransactWriteItems`.

mod approvals;
mod counter;
mod customers;
mod exceptions;
mod from_crm;
mod fulfilment;
mod keys;
mod mail;
mod notifications;
mod payments;
mod store;
mod sync;
mod table;

pub use counter::RequestCounter;
pub use store::DynamoStore;
pub use table::create_table;

impl DynamoStore {
    /// The store on `table`, with a client from the shared AWS configuration.
    pub fn from_aws(config: &aws_config::SdkConfig, table: impl Into<String>) -> Self {
        DynamoStore::new(client(config, None), table)
    }
}

/// Builds a DynamoDB client from the shared AWS configuration, counting every request sent
/// when a counter is given.
pub fn client(
    config: &aws_config::SdkConfig,
    counter: Option<RequestCounter>,
) -> aws_sdk_dynamodb::Client {
    let mut builder = aws_sdk_dynamodb::config::Builder::from(config);
    if let Some(counter) = counter {
        builder = builder.interceptor(counter);
    }
    aws_sdk_dynamodb::Client::from_conf(builder.build())
}
