//! In-process adapters with the semantics of their AWS counterparts: the embedded store
//! behaves like the DynamoDB store (conditional writes, all-or-nothing transactions), which the
//! shared contract suite checks.

mod from_crm;
mod notifications;
mod store;
mod sync;

pub use notifications::MailboxNotifications;
pub use store::EmbeddedStore;

mod queue;

pub use queue::LocalQueue;
