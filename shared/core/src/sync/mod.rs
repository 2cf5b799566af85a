//! The sync to Salesforce: every customer and order change becomes the Leads, Contacts,
//! Accounts, Opportunities and Orders sales works from.
//!
//! - [`settings`]: what the store owner decides (policies, stages, owners);
//! - [`status`]: each record's sync status, which is also the ledger of what was applied;
//! - [`plan`]: the pure decisions: which records with which fields;
//! - [`crm`]: the port to Salesforce and the plan's types;
//! - the store keeps it through [`crate::ports::SyncLedger`];
//! - [`consumer`]: the use case that applies one event;
//! - [`resync`]: syncing again, in bulk, what is pending or failed;
//! - [`abandoned`]: carts left at checkout, as Opportunities and Leads;
//! - [`carts`]: a cart's records in Salesforce, for abandoned and big carts alike;
//! - [`in_force`]: the settings as the storefront reads them, briefly kept;
//! - [`approvals`]: the port to Salesforce's approval processes.

pub mod abandoned;
pub mod approvals;
pub mod carts;
pub mod consumer;
pub mod crm;
pub mod in_force;
pub mod plan;
pub mod resync;
pub mod settings;
pub mod status;

#[cfg(test)]
mod plan_tests;
