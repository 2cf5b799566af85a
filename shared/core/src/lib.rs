//! The storesync domain: money, catalog, customers, carts, orders and their rules, the ports
//! to the outside world and the use cases over them. No I/O here.

pub mod accounts;
pub mod admin;
pub mod after_sales;
pub mod app_error;
pub mod approvals;
pub mod cart;
pub mod catalog;
pub mod customer;
pub mod error;
pub mod events;
pub mod exceptions;
pub mod from_crm;
pub mod fulfilment;
pub mod ids;
pub mod jobs;
pub mod listing;
pub mod money;
pub mod notifications;
pub mod order;
pub mod outbox;
pub mod payments;
pub mod ports;
pub mod pricing;
pub mod queue;
pub mod report;
pub mod retry;
pub mod storefront;
pub mod sync;

pub use app_error::AppError;
pub use error::DomainError;
