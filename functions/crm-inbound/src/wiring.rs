//! The use case put together, once, for the Lambda, the dev stack and the tests.

use std::sync::Arc;

use storesync_core::from_crm::apply::CrmInbound;
use storesync_core::from_crm::{CrmRecords, FieldOwnership};
use storesync_core::notifications::Notifications;
use storesync_core::ports::{Clock, Store};

/// Changes from Salesforce applied to `store`. Changes by `integration_user` are the store's
/// own; `records` reads records again after a gap; `mail` sends invitations.
pub fn inbound(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    integration_user: String,
    records: Option<Arc<dyn CrmRecords>>,
    mail: Option<Arc<dyn Notifications>>,
    ownership: FieldOwnership,
) -> CrmInbound {
    let mut inbound = CrmInbound::new(store, clock)
        .with_integration_user(integration_user)
        .with_ownership(ownership);
    if let Some(records) = records {
        inbound = inbound.with_records(records);
    }
    if let Some(mail) = mail {
        inbound = inbound.with_invitations(mail);
    }
    inbound
}
