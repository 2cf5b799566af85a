//! Payments: the record of each payment ([`record`]), the pure rules that apply a gateway's
//! report to it and its order ([`decide`]), and the use case that reads, decides and writes
//! ([`processor`]), and the reconciliation of orders left awaiting payment with the gateway
//! ([`reconcile`]); what the store asks of a gateway ([`gateway`]) and the capture of
//! authorised payments before fulfilment ([`capture`]).

pub mod capture;
pub mod decide;
pub mod gateway;
pub mod processor;
pub mod reconcile;
pub mod record;

pub use decide::{PaymentDecision, decide};
pub use processor::{PaymentOutcome, PaymentProcessor};
pub use record::{
    CardSummary, Payment, PaymentEvent, PaymentEventKind, PaymentHistoryEntry, PaymentRecordStatus,
    ReportKind,
};
