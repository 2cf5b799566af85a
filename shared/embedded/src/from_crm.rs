//! Salesforce's changes in the embedded store, with the DynamoDB store's conditions: one
//! write per change, all or nothing, once per event id.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use serde::Serialize;
use storesync_core::accounts::StoreAccount;
use storesync_core::customer::Customer;
use storesync_core::events::OutboxEvent;
use storesync_core::from_crm::{ContactLink, CrmInboundWrite, CustomerChange, CustomerWrite};
use storesync_core::ids::{CrmId, CustomerId, Email};
use storesync_core::ports::{CrmInboundStore, StoreError, SyncRecordError};

use crate::EmbeddedStore;
use crate::store::State;

#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct FromCrmState {
    applied: BTreeSet<String>,
    links: BTreeMap<CrmId, ContactLink>,
    accounts: BTreeMap<CrmId, StoreAccount>,
    pub(crate) history: Vec<CustomerChange>,
}

impl FromCrmState {
    /// Whether `link` may be written over the stored one.
    fn link_fits(&self, link: &ContactLink) -> bool {
        let stored = self.links.get(&link.contact_id).map(|l| l.version);
        fits(stored, link.version)
    }
}

/// Whether a record may be written at `version`: new at 1, else over the one before.
fn fits(stored: Option<u64>, version: u64) -> bool {
    match version {
        1 => stored.is_none(),
        v => stored == Some(v - 1),
    }
}

/// Checks a customer's write as the DynamoDB transaction's conditions do.
fn customer_fits(state: &State, write: &CustomerWrite) -> Result<(), SyncRecordError> {
    match write {
        CustomerWrite::New(c) => {
            if state.customers.contains_key(&c.id) {
                return Err(SyncRecordError::Conflict);
            }
            if state.emails.contains_key(&c.email.normalized()) {
                return Err(SyncRecordError::Store(StoreError::EmailTaken));
            }
        }
        CustomerWrite::Changed { previous, next } => {
            match state.customers.get(&previous.id) {
                Some(stored) if stored.version == previous.version => {}
                _ => return Err(SyncRecordError::Conflict),
            }
            let (old, new) = (previous.email.normalized(), next.email.normalized());
            if old != new && state.emails.contains_key(&new) {
                return Err(SyncRecordError::Store(StoreError::EmailTaken));
            }
        }
    }
    Ok(())
}

fn write_customer(state: &mut State, write: &CustomerWrite) {
    let (previous, next) = match write {
        CustomerWrite::New(c) => (None, c),
        CustomerWrite::Changed { previous, next } => (Some(previous), next),
    };
    if let Some(previous) = previous {
        state.emails.remove(&previous.email.normalized());
    }
    state
        .emails
        .insert(next.email.normalized(), next.id.clone());
    state.customers.insert(next.id.clone(), next.clone());
}

#[async_trait]
impl CrmInboundStore for EmbeddedStore {
    async fn crm_change_applied(&self, event_id: &str) -> Result<bool, StoreError> {
        Ok(self.state().from_crm.applied.contains(event_id))
    }

    async fn contact_link(&self, contact: &CrmId) -> Result<Option<ContactLink>, StoreError> {
        Ok(self.state().from_crm.links.get(contact).cloned())
    }

    async fn store_account(&self, id: &CrmId) -> Result<Option<StoreAccount>, StoreError> {
        Ok(self.state().from_crm.accounts.get(id).cloned())
    }

    async fn customer_by_email(&self, email: &Email) -> Result<Option<Customer>, StoreError> {
        let state = self.state();
        Ok(state
            .emails
            .get(&email.normalized())
            .and_then(|id| state.customers.get(id))
            .cloned())
    }

    async fn apply_crm_change(&self, write: &CrmInboundWrite) -> Result<(), SyncRecordError> {
        let mut state = self.state();
        if state.from_crm.applied.contains(&write.event_id) {
            return Err(SyncRecordError::AlreadyApplied);
        }
        if let Some(customer) = &write.customer {
            customer_fits(&state, customer)?;
        }
        if let Some(link) = &write.link
            && !state.from_crm.link_fits(link)
        {
            return Err(SyncRecordError::Conflict);
        }
        if let Some(account) = &write.account {
            let stored = state.from_crm.accounts.get(&account.id).map(|a| a.version);
            if !fits(stored, account.version) {
                return Err(SyncRecordError::Conflict);
            }
        }
        if let Some(customer) = &write.customer {
            write_customer(&mut state, customer);
        }
        if let Some(link) = &write.link {
            state
                .from_crm
                .links
                .insert(link.contact_id.clone(), link.clone());
        }
        if let Some(account) = &write.account {
            state
                .from_crm
                .accounts
                .insert(account.id.clone(), account.clone());
        }
        state.from_crm.history.extend(write.history.iter().cloned());
        if let Some(event) = &write.event {
            state.record_event(event);
        }
        state.from_crm.applied.insert(write.event_id.clone());
        Ok(())
    }

    async fn customer_history(
        &self,
        customer: &CustomerId,
        limit: usize,
    ) -> Result<Vec<CustomerChange>, StoreError> {
        let state = self.state();
        let mut changes: Vec<CustomerChange> = state
            .from_crm
            .history
            .iter()
            .filter(|c| &c.customer_id == customer)
            .cloned()
            .collect();
        changes.sort_by_key(|c| std::cmp::Reverse(c.position()));
        changes.truncate(limit);
        Ok(changes)
    }

    async fn claim_customer(
        &self,
        invited: &Customer,
        claimed: &Customer,
        link: &ContactLink,
        event: &OutboxEvent,
        history: &[CustomerChange],
    ) -> Result<(), StoreError> {
        let mut state = self.state();
        match state.customers.get(&invited.id) {
            Some(stored) if stored.version == invited.version => {}
            _ => return Err(StoreError::Conflict),
        }
        if state.customers.contains_key(&claimed.id) {
            return Err(StoreError::AlreadyExists);
        }
        if !state.from_crm.link_fits(link) {
            return Err(StoreError::Conflict);
        }
        state.customers.remove(&invited.id);
        state.emails.remove(&invited.email.normalized());
        state
            .emails
            .insert(claimed.email.normalized(), claimed.id.clone());
        state.customers.insert(claimed.id.clone(), claimed.clone());
        state
            .from_crm
            .links
            .insert(link.contact_id.clone(), link.clone());
        state.from_crm.history.extend(history.iter().cloned());
        state.record_event(event);
        Ok(())
    }
}
