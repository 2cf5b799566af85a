//! Account terms in tests: a Salesforce Account the store knows, customers who belong to it
//! (as a change from Salesforce writes them), and requests from a customer whose e-mail the
//! identity provider verified.

use chrono::Utc;
use reqwest::Method;
use serde_json::Value;
use storesync_core::accounts::{AccountTerms, StoreAccount};
use storesync_core::customer::{Customer, Invitation, Origin};
use storesync_core::from_crm::{ContactLink, CrmInboundWrite, CustomerWrite};
use storesync_core::ids::{CrmId, CustomerId, Email};

use crate::app::{Reply, TestApp};

/// The Account `id` as Salesforce sent it, named and on `terms`.
pub fn account(id: &str, name: &str, terms: AccountTerms) -> StoreAccount {
    let mut account = StoreAccount::new(CrmId::parse(id).expect("an Account id"), Utc::now());
    account.name = name.into();
    account.terms = terms;
    account.version = 1;
    account
}

/// The registered `customer` joins `account` (written with it), as a change from Salesforce
/// that links her Contact to the Account writes it.
pub async fn join_account(app: &TestApp, customer: &str, account: &StoreAccount) {
    let store = app.backend.store();
    let id = CustomerId::parse(customer).expect("a customer id");
    let previous = store
        .customer(&id)
        .await
        .expect("read")
        .expect("the customer is registered");
    let mut next = previous.clone();
    next.account_id = Some(account.id.clone());
    next.version += 1;
    next.updated_at = Utc::now();
    store
        .apply_crm_change(&CrmInboundWrite {
            event_id: format!("evt-join-{customer}"),
            at: Utc::now(),
            customer: Some(CustomerWrite::Changed { previous, next }),
            link: None,
            account: Some(account.clone()),
            history: Vec::new(),
            event: None,
        })
        .await
        .expect("the change is written");
}

/// A Contact sales added to `account` in Salesforce, invited as a profile of the store that
/// the person at `email` claims by registering with it verified.
pub async fn invite_contact(app: &TestApp, contact: &str, email: &str, account: &StoreAccount) {
    let contact = CrmId::parse(contact).expect("a Contact id");
    let now = Utc::now();
    let invited = Customer {
        id: Customer::invited_id(&contact),
        email: Email::parse(email).expect("an e-mail"),
        first_name: "Nita".into(),
        last_name: "Sefton".into(),
        phone: None,
        company: Some(account.name.clone()),
        origin: Origin::Web,
        addresses: Vec::new(),
        account_id: Some(account.id.clone()),
        invitation: Some(Invitation {
            contact_id: contact.clone(),
            token_hash: "mailed-token-hash".into(),
            invited_at: now,
        }),
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let link = ContactLink {
        contact_id: contact.clone(),
        customer_id: invited.id.clone(),
        field_times: Default::default(),
        deleted: false,
        seen_version: 1,
        updated_at: now,
        version: 1,
    };
    app.backend
        .store()
        .apply_crm_change(&CrmInboundWrite {
            event_id: format!("evt-invite-{contact}"),
            at: now,
            customer: Some(CustomerWrite::New(invited)),
            link: Some(link),
            account: Some(account.clone()),
            history: Vec::new(),
            event: None,
        })
        .await
        .expect("the invitation is written");
}

/// A request from `customer` whose token says the identity provider verified she holds
/// `email` (the dev token's fourth part).
pub async fn call_verified(
    app: &TestApp,
    method: Method,
    path: &str,
    customer: &str,
    email: &str,
    body: Option<Value>,
) -> Reply {
    let mut request = app
        .http
        .request(method, format!("{}{}", app.base, path))
        .bearer_auth(format!("dev:{customer}::{email}"));
    if let Some(body) = body {
        request = request.json(&body);
    }
    app.send(request).await
}
