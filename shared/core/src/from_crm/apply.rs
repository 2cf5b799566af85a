//! Applying one change from Salesforce to the store.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::Duration;
use serde_json::Value;
use thiserror::Error;

use crate::accounts::{AccountTerms, PaymentTerms, StoreAccount};
use crate::customer::{Customer, Invitation, Origin};
use crate::events::{EventType, OutboxEvent};
use crate::from_crm::{
    ChangeKind, ChangeSide, ContactLink, CrmChange, CrmEntity, CrmInboundWrite, CrmRecords,
    CustomerChange, CustomerField, CustomerWrite, FieldOwner, FieldOwnership,
};
use crate::ids::{ClaimToken, CrmId, Email};
use crate::notifications::{EmailMessage, Notifications};
use crate::ports::{Clock, CrmInboundStore, StoreError, SyncRecordError};
use crate::sync::crm::CrmError;

/// How far back an overflow looks for the records it could not name.
const OVERFLOW_LOOKBACK: Duration = Duration::minutes(5);

/// How a change was handled; each is done with (the event can be let go).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// Written: the customers changed or invited, the accounts changed.
    Changed {
        customers: usize,
        invited: usize,
        accounts: usize,
    },
    /// Nothing to change: older than what the store holds, or equal to it.
    Unchanged,
    /// Applied before (a redelivery).
    AlreadyApplied,
    /// The store's own change coming back.
    Echo,
    /// Not for the store: a Contact with no e-mail, or on an Account the store does not know.
    Ignored(&'static str),
}

/// The change could not be applied now: let the event come again.
#[derive(Debug, Error)]
pub enum InboundError {
    #[error("the store failed")]
    Store(#[from] StoreError),
    #[error("Salesforce could not be read: {0}")]
    Crm(#[from] CrmError),
    #[error("a record changed concurrently")]
    Conflict,
    #[error("the invitation mail was not sent")]
    Mail,
}

pub struct CrmInbound {
    store: Arc<dyn CrmInboundStore>,
    clock: Arc<dyn Clock>,
    /// The Salesforce user id the store's own calls run as.
    integration_user: Option<String>,
    ownership: FieldOwnership,
    records: Option<Arc<dyn CrmRecords>>,
    invitations: Option<Arc<dyn Notifications>>,
}

impl CrmInbound {
    pub fn new(store: Arc<dyn CrmInboundStore>, clock: Arc<dyn Clock>) -> Self {
        CrmInbound {
            store,
            clock,
            integration_user: None,
            ownership: FieldOwnership::default(),
            records: None,
            invitations: None,
        }
    }

    /// Changes made by this Salesforce user are the store's own, coming back.
    pub fn with_integration_user(mut self, user_id: String) -> Self {
        self.integration_user = Some(user_id);
        self
    }

    pub fn with_ownership(mut self, ownership: FieldOwnership) -> Self {
        self.ownership = ownership;
        self
    }

    /// Reads records again for gap and overflow events, and for a Contact change that does
    /// not carry the e-mail.
    pub fn with_records(mut self, records: Arc<dyn CrmRecords>) -> Self {
        self.records = Some(records);
        self
    }

    /// Mails invited people their claim token.
    pub fn with_invitations(mut self, mail: Arc<dyn Notifications>) -> Self {
        self.invitations = Some(mail);
        self
    }

    /// Applies one change, once.
    pub async fn apply(&self, change: &CrmChange) -> Result<Applied, InboundError> {
        if self.store.crm_change_applied(&change.event_id).await? {
            return Ok(Applied::AlreadyApplied);
        }
        match change.kind {
            ChangeKind::Gap | ChangeKind::Overflow => return self.read_again(change).await,
            _ => {}
        }
        let echo = self.integration_user.is_some()
            && change.commit_user.as_deref() == self.integration_user.as_deref();
        let outcome = match change.entity {
            CrmEntity::Account => self.account(change, echo).await?,
            CrmEntity::Contact if echo => None,
            CrmEntity::Contact => self.contact(change).await?,
        };
        let (write, applied) = match outcome {
            Some(found) => found,
            None => (
                self.nothing(change),
                if echo {
                    Applied::Echo
                } else {
                    Applied::Unchanged
                },
            ),
        };
        self.write(&write).await?;
        tracing::info!(event_id = %change.event_id, entity = change.entity.as_str(), result = ?applied, "change from Salesforce applied");
        Ok(applied)
    }

    /// A gap or an overflow: the named records (or the entity's recently changed ones) are
    /// read again and applied as their current state, at the event's commit time.
    async fn read_again(&self, change: &CrmChange) -> Result<Applied, InboundError> {
        let Some(records) = &self.records else {
            tracing::warn!(event_id = %change.event_id, "a gap in Salesforce's changes, and no way to read them again");
            return Ok(Applied::Ignored("no Salesforce reader"));
        };
        let ids = match change.kind {
            ChangeKind::Overflow => {
                records
                    .changed_since(change.entity, change.committed_time() - OVERFLOW_LOOKBACK)
                    .await?
            }
            _ => change.record_ids.clone(),
        };
        let (mut customers, mut invited, mut accounts) = (0, 0, 0);
        for (id, fields) in records.records(change.entity, &ids).await? {
            let current = CrmChange {
                event_id: format!("{}:{id}", change.event_id),
                entity: change.entity,
                kind: ChangeKind::Update,
                record_ids: vec![id],
                committed_at: change.committed_at,
                commit_user: None,
                fields,
            };
            if let Applied::Changed {
                customers: c,
                invited: i,
                accounts: a,
            } = Box::pin(self.apply(&current)).await?
            {
                (customers, invited, accounts) = (customers + c, invited + i, accounts + a);
            }
        }
        self.write(&self.nothing(change)).await?;
        Ok(if customers + invited + accounts > 0 {
            Applied::Changed {
                customers,
                invited,
                accounts,
            }
        } else {
            Applied::Unchanged
        })
    }

    fn nothing(&self, change: &CrmChange) -> CrmInboundWrite {
        CrmInboundWrite {
            event_id: change.event_id.clone(),
            at: self.clock.now(),
            customer: None,
            link: None,
            account: None,
            history: Vec::new(),
            event: None,
        }
    }

    async fn write(&self, write: &CrmInboundWrite) -> Result<(), InboundError> {
        match self.store.apply_crm_change(write).await {
            Ok(()) | Err(SyncRecordError::AlreadyApplied) => Ok(()),
            Err(SyncRecordError::Conflict) => Err(InboundError::Conflict),
            Err(SyncRecordError::Store(e)) => Err(e.into()),
        }
    }

    /// An Account's name and terms, each field moving forward in commit time. The store's
    /// own changes coming back only tell it the Account exists.
    async fn account(
        &self,
        change: &CrmChange,
        echo: bool,
    ) -> Result<Option<(CrmInboundWrite, Applied)>, InboundError> {
        let Some(id) = change.record_ids.first() else {
            return Ok(None);
        };
        let known = self.store.store_account(id).await?;
        if echo && known.is_some() {
            return Ok(None);
        }
        let now = self.clock.now();
        let mut account = known
            .clone()
            .unwrap_or_else(|| StoreAccount::new(id.clone(), now));
        let before = account.clone();
        if change.kind == ChangeKind::Delete {
            // A deleted Account's terms no longer hold.
            account.terms = AccountTerms::default();
        } else {
            apply_account_fields(&mut account, change);
        }
        if known.is_some() && account == before {
            return Ok(None);
        }
        account.updated_at = now;
        account.version += 1;
        let applied = if echo {
            Applied::Echo
        } else {
            Applied::Changed {
                customers: 0,
                invited: 0,
                accounts: 1,
            }
        };
        Ok(Some((
            CrmInboundWrite {
                account: Some(account),
                ..self.nothing(change)
            },
            applied,
        )))
    }

    async fn contact(
        &self,
        change: &CrmChange,
    ) -> Result<Option<(CrmInboundWrite, Applied)>, InboundError> {
        let Some(contact_id) = change.record_ids.first() else {
            return Ok(None);
        };
        let link = self.store.contact_link(contact_id).await?;
        match (change.kind, link) {
            (_, Some(link)) if link.deleted && change.kind != ChangeKind::Undelete => Ok(None),
            (ChangeKind::Delete, Some(mut link)) => {
                link.deleted = true;
                link.updated_at = self.clock.now();
                link.version += 1;
                Ok(Some((
                    CrmInboundWrite {
                        link: Some(link),
                        ..self.nothing(change)
                    },
                    Applied::Unchanged,
                )))
            }
            (ChangeKind::Delete, None) => Ok(None),
            (_, Some(link)) => self.change_customer(change, link).await,
            (_, None) => self.link_or_invite(change, contact_id).await,
        }
    }

    /// A Contact the store has not linked: its customer, found by e-mail, or a new invited
    /// profile when it is on an Account the store knows.
    async fn link_or_invite(
        &self,
        change: &CrmChange,
        contact_id: &CrmId,
    ) -> Result<Option<(CrmInboundWrite, Applied)>, InboundError> {
        let mut change = change.clone();
        if !change.fields.contains_key("Email")
            && let Some(records) = &self.records
        {
            // A partial change of a Contact the store has not seen: read it whole.
            if let Some((_, fields)) = records
                .records(CrmEntity::Contact, std::slice::from_ref(contact_id))
                .await?
                .into_iter()
                .next()
            {
                change.fields = fields;
            }
        }
        let Some(Some(raw_email)) = change.text("Email") else {
            return Ok(Some((self.nothing(&change), Applied::Ignored("no e-mail"))));
        };
        let Ok(email) = Email::parse(&raw_email) else {
            return Ok(Some((
                self.nothing(&change),
                Applied::Ignored("no valid e-mail"),
            )));
        };
        let account_id = change
            .text("AccountId")
            .flatten()
            .and_then(|a| CrmId::parse(&a).ok());
        let now = self.clock.now();
        let link = ContactLink {
            contact_id: contact_id.clone(),
            customer_id: Customer::invited_id(contact_id),
            field_times: BTreeMap::new(),
            deleted: false,
            seen_version: 0,
            updated_at: now,
            version: 0,
        };
        if let Some(customer) = self.store.customer_by_email(&email).await? {
            let link = ContactLink {
                customer_id: customer.id.clone(),
                ..link
            };
            return self.change_customer(&change, link).await;
        }
        let Some(account_id) = account_id else {
            return Ok(Some((
                self.nothing(&change),
                Applied::Ignored("no Account"),
            )));
        };
        let Some(account) = self.store.store_account(&account_id).await? else {
            return Ok(Some((
                self.nothing(&change),
                Applied::Ignored("an Account the store does not know"),
            )));
        };
        let token = ClaimToken::random(contact_id.clone());
        let field = |f: CustomerField| change.text(f.contact_field()).flatten();
        let customer = Customer {
            id: Customer::invited_id(contact_id),
            email: email.clone(),
            first_name: field(CustomerField::FirstName).unwrap_or_default(),
            last_name: field(CustomerField::LastName).unwrap_or_default(),
            phone: field(CustomerField::Phone),
            company: Some(account.name.clone()).filter(|n| !n.is_empty()),
            origin: Origin::Web,
            addresses: Vec::new(),
            account_id: Some(account_id),
            invitation: Some(Invitation {
                contact_id: contact_id.clone(),
                token_hash: token.hash(),
                invited_at: now,
            }),
            created_at: now,
            updated_at: now,
            version: 1,
        };
        // Mailed before it is written: were the write lost, the next delivery invites again
        // with a new token, and the old one claims nothing.
        self.invite(&customer, &token).await?;
        let mut link = link;
        for f in CustomerField::ALL {
            if change.fields.contains_key(f.contact_field()) {
                link.field_times.insert(f, change.committed_at);
            }
        }
        link.version = 1;
        link.seen_version = customer.version;
        let history = vec![CustomerChange {
            customer_id: customer.id.clone(),
            field: "profile".into(),
            side: ChangeSide::Salesforce,
            by: change
                .commit_user
                .clone()
                .unwrap_or_else(|| "salesforce".into()),
            at: change.committed_time(),
            old: None,
            new: Some(format!("invited from Contact {contact_id}")),
        }];
        Ok(Some((
            CrmInboundWrite {
                customer: Some(CustomerWrite::New(customer)),
                link: Some(link),
                history,
                ..self.nothing(&change)
            },
            Applied::Changed {
                customers: 0,
                invited: 1,
                accounts: 0,
            },
        )))
    }

    async fn invite(&self, customer: &Customer, token: &ClaimToken) -> Result<(), InboundError> {
        let Some(mail) = &self.invitations else {
            return Ok(());
        };
        let token_hash = token.hash();
        let token = token.expose();
        let message = EmailMessage {
            // One mail per token: an invitation made again is a new mail.
            id: format!("invitation:{}:{}", customer.id, &token_hash[..16]),
            to: customer.email.clone(),
            subject: "Your account at the store is ready".into(),
            text: format!(
                "Hello {},\n\nYour company's account at our store is ready for you. Sign in and \
                 claim it with this code to see your account's prices and terms:\n\n{token}\n\n\
                 (POST /v1/customers/claim with {{\"token\": \"{token}\"}}, or register with this \
                 e-mail address.)\n",
                customer.first_name
            ),
            html: format!(
                "<p>Hello {},</p><p>Your company's account at our store is ready for you. Sign \
                 in and claim it with this code to see your account's prices and terms:</p>\
                 <p><code>{token}</code></p>",
                crate::notifications::templates::escape_html(&customer.first_name)
            ),
        };
        mail.send(&message).await.map_err(|error| {
            tracing::warn!(%error, customer_id = %customer.id, "invitation not mailed");
            InboundError::Mail
        })
    }

    /// A linked Contact changed: each field the change carries is applied as its owner says,
    /// if it is newer than the last one applied.
    async fn change_customer(
        &self,
        change: &CrmChange,
        mut link: ContactLink,
    ) -> Result<Option<(CrmInboundWrite, Applied)>, InboundError> {
        let Some(customer) = self.store.customer(&link.customer_id).await? else {
            return Ok(None);
        };
        let now = self.clock.now();
        let mut next = customer.clone();
        let mut history = Vec::new();
        let mut send_back = false;
        let by = change
            .commit_user
            .clone()
            .unwrap_or_else(|| "salesforce".into());
        for field in CustomerField::ALL {
            let Some(value) = change.text(field.contact_field()) else {
                continue;
            };
            let applied_before = link.field_times.get(&field).copied().unwrap_or(i64::MIN);
            if change.committed_at <= applied_before {
                continue;
            }
            let current = field_value(&next, field);
            if value == current {
                link.field_times.insert(field, change.committed_at);
                continue;
            }
            let take = match self.ownership.owner(field) {
                FieldOwner::Store => false,
                FieldOwner::Salesforce => true,
                // Unchanged in the store since Salesforce's last change, or changed there
                // before this commit: Salesforce's is the newer.
                FieldOwner::Newest => {
                    customer.version == link.seen_version
                        || change.committed_time() > customer.updated_at
                }
            };
            link.field_times.insert(field, change.committed_at);
            if !take {
                send_back |= self.ownership.owner(field) == FieldOwner::Store;
                continue;
            }
            let Some(set) = set_field(&mut next, field, value.clone()) else {
                continue;
            };
            history.push(CustomerChange {
                customer_id: customer.id.clone(),
                field: field.as_str().into(),
                side: ChangeSide::Salesforce,
                by: by.clone(),
                at: change.committed_time(),
                old: current,
                new: set,
            });
        }
        if let Some(account) = change.text("AccountId") {
            let account = account.and_then(|a| CrmId::parse(&a).ok());
            if account != next.account_id {
                history.push(CustomerChange {
                    customer_id: customer.id.clone(),
                    field: "account_id".into(),
                    side: ChangeSide::Salesforce,
                    by: by.clone(),
                    at: change.committed_time(),
                    old: next.account_id.as_ref().map(ToString::to_string),
                    new: account.as_ref().map(ToString::to_string),
                });
                next.account_id = account;
            }
        }
        let changed = next != customer;
        let customer_write = (changed || send_back).then(|| {
            next.updated_at = now;
            next.version += 1;
            CustomerWrite::Changed {
                previous: customer.clone(),
                next: next.clone(),
            }
        });
        // A store-owned field Salesforce changed: the store's value goes back.
        let event =
            send_back.then(|| OutboxEvent::for_customer(EventType::CustomerUpdated, &next, now));
        link.seen_version = next.version;
        link.updated_at = now;
        link.version += 1;
        let applied = if changed {
            Applied::Changed {
                customers: 1,
                invited: 0,
                accounts: 0,
            }
        } else {
            Applied::Unchanged
        };
        Ok(Some((
            CrmInboundWrite {
                customer: customer_write,
                link: Some(link),
                history,
                event,
                ..self.nothing(change)
            },
            applied,
        )))
    }
}

fn field_value(customer: &Customer, field: CustomerField) -> Option<String> {
    match field {
        CustomerField::FirstName => Some(customer.first_name.clone()),
        CustomerField::LastName => Some(customer.last_name.clone()),
        CustomerField::Email => Some(customer.email.to_string()),
        CustomerField::Phone => customer.phone.clone(),
    }
}

/// Sets `field`; `None` when Salesforce's value cannot be a store value (an invalid e-mail, no
/// last name), which is left out.
fn set_field(
    customer: &mut Customer,
    field: CustomerField,
    value: Option<String>,
) -> Option<Option<String>> {
    match field {
        CustomerField::FirstName => customer.first_name = value.clone().unwrap_or_default(),
        CustomerField::LastName => customer.last_name = value.clone()?,
        CustomerField::Email => customer.email = Email::parse(value.as_deref()?).ok()?,
        CustomerField::Phone => customer.phone = value.clone(),
    }
    Some(value)
}

/// The Account fields the store keeps, each only if newer than the last applied.
fn apply_account_fields(account: &mut StoreAccount, change: &CrmChange) {
    let at = change.committed_at;
    let newer = |field: &str, account: &mut StoreAccount| -> Option<Value> {
        let value = change.fields.get(field)?;
        if at <= account.field_times.get(field).copied().unwrap_or(i64::MIN) {
            return None;
        }
        account.field_times.insert(field.to_owned(), at);
        Some(value.clone())
    };
    if let Some(name) = newer("Name", account) {
        account.name = name.as_str().unwrap_or_default().to_owned();
    }
    if let Some(percent) = newer("Storesync_Discount_Percent__c", account) {
        account.terms.discount_bps = percent
            .as_f64()
            .and_then(|p| AccountTerms::discount_from_percent(p).ok())
            .unwrap_or(0);
    }
    if let Some(terms) = newer("Storesync_Payment_Terms__c", account) {
        account.terms.payment_terms = terms
            .as_str()
            .and_then(|t| PaymentTerms::parse_crm(t).ok())
            .unwrap_or_default();
    }
    if let Some(flag) = newer("Storesync_Ship_On_Account__c", account) {
        account.terms.ship_on_account = flag.as_bool().unwrap_or(false);
    }
    if let Some(number) = newer("Storesync_Shipping_Account__c", account) {
        account.terms.shipping_account = number
            .as_str()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned);
    }
    if let Some(flag) = newer("Storesync_Tax_Exempt__c", account) {
        account.terms.tax_exempt = flag.as_bool().unwrap_or(false);
    }
}
