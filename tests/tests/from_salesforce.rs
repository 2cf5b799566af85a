//! Changes from Salesforce end to end: sales adds a Contact to an Account the store synced,
//! in the emulator, as the sales manager; the org's change events reach the store as the
//! crm-inbound Lambda takes them from EventBridge; she is invited, claims her profile and
//! belongs to the account. The same event twice, or two out of order, make one change with
//! the newest state; the store's own changes coming back change nothing and start no loop.

use std::sync::Arc;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use storesync_core::accounts::PaymentTerms;
use storesync_core::customer::Customer;
use storesync_core::from_crm::apply::{Applied, CrmInbound};
use storesync_core::from_crm::{ChangeSide, FieldOwnership};
use storesync_core::ids::{CrmId, CustomerId, Email};
use storesync_core::outbox::OutboxRelay;
use storesync_devstack::{DEV_CHANGE_EVENTS_PATH, DEV_OUTBOUND_SECRET, LocalInbound, LocalStack};
use storesync_embedded::MailboxNotifications;
use storesync_sf_emulator::{EventRelay, OutboundMessage};
use storesync_tests::app::Auth;
use storesync_tests::crm::{SyncHarness, text};
use storesync_tests::{Backend, against_both_stores};

const ACCOUNT: &str = "Sefton Services";
const NITA: &str = "nita@sefton.example";

/// Eric of Sefton Services has ordered: his Account and Contact are in Salesforce, and the
/// store has heard of the Account (the store's own changes tell it the Account exists).
/// Returns the Account's id.
async fn synced_account(h: &SyncHarness) -> String {
    h.register("eric", "eric@sefton.example", Some(ACCOUNT))
        .await;
    h.order("eric", 1).await;
    h.sync().await;
    let applied = h.relay_changes(&h.inbound()).await;
    assert!(
        applied.iter().all(|a| *a == Applied::Echo),
        "the store's own changes are not applied back: {applied:?}"
    );
    text(&h.one("Account", "Name", ACCOUNT), "Id").to_owned()
}

/// The sales manager adds a Contact to the Account in Salesforce; returns its id.
async fn contact_added(h: &SyncHarness, account: &str, first: &str, email: &str) -> String {
    let (status, body) = h
        .as_manager(
            Method::POST,
            "sobjects/Contact/",
            Some(json!({
                "FirstName": first, "LastName": "Sefton", "Email": email, "AccountId": account,
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body:?}");
    body["id"].as_str().expect("the Contact's id").to_owned()
}

/// The invitation token in the mail the store sent `email`.
async fn invitation_token(h: &SyncHarness, email: &str) -> String {
    let mails = h.store.mails(50).await.unwrap();
    let mail = mails
        .iter()
        .find(|m| m.to.iter().any(|t| t.as_str() == email))
        .unwrap_or_else(|| panic!("no mail to {email}: {mails:?}"));
    mail.text
        .split_whitespace()
        .find(|w| w.len() > 70 && w.contains('.') && !w.contains('/'))
        .expect("a token in the mail")
        .to_owned()
}

/// Nita, added to Eric's synced Account by sales, invited and claimed as `nita-1`; returns
/// her Contact's id and her sign-in.
async fn nita_claimed(h: &SyncHarness, inbound: &CrmInbound) -> (String, Auth) {
    let account = synced_account(h).await;
    let contact = contact_added(h, &account, "Nita", NITA).await;
    h.relay_changes(inbound).await;
    let token = invitation_token(h, NITA).await;
    let nita = Auth::customer("nita-1");
    let claimed = h
        .app
        .call(
            Method::POST,
            "/v1/customers/claim",
            &nita,
            Some(json!({"token": token})),
        )
        .await;
    assert_eq!(claimed.status, StatusCode::OK, "{:?}", claimed.body);
    (contact, nita)
}

async fn a_contact_added_in_salesforce_is_invited_and_claims_her_profile(b: Backend) {
    let h = SyncHarness::start_on(b).await;
    let account = synced_account(&h).await;
    let inbound = h.inbound();
    let contact = contact_added(&h, &account, "Nita", NITA).await;

    let applied = h.relay_changes(&inbound).await;
    assert_eq!(
        applied,
        vec![Applied::Changed {
            customers: 0,
            invited: 1,
            accounts: 0
        }]
    );
    let invited = h
        .store
        .customer_by_email(&Email::parse("NITA@sefton.example").unwrap())
        .await
        .unwrap()
        .expect("an invited profile");
    assert!(invited.is_invited());
    assert_eq!(
        invited.id,
        Customer::invited_id(&CrmId::parse(&contact).unwrap())
    );
    assert_eq!(
        invited.account_id.as_ref().map(|a| a.as_str()),
        Some(account.as_str())
    );
    assert_eq!(invited.company.as_deref(), Some(ACCOUNT));

    // A token that claims nothing is 404; hers claims the profile, once.
    let token = invitation_token(&h, NITA).await;
    let nita = Auth::customer("nita-1");
    let wrong = format!("{contact}.{}", "0".repeat(64));
    let refused = h
        .app
        .call(
            Method::POST,
            "/v1/customers/claim",
            &nita,
            Some(json!({"token": wrong})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND, "{:?}", refused.body);
    let claimed = h
        .app
        .call(
            Method::POST,
            "/v1/customers/claim",
            &nita,
            Some(json!({"token": token})),
        )
        .await;
    assert_eq!(claimed.status, StatusCode::OK, "{:?}", claimed.body);
    assert_eq!(claimed.body["id"], "nita-1");
    assert_eq!(claimed.body["email"], NITA);
    assert_eq!(claimed.body["account_id"], account.as_str());
    let again = h
        .app
        .call(
            Method::POST,
            "/v1/customers/claim",
            &Auth::customer("someone-else"),
            Some(json!({"token": token})),
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND, "a token claims once");
    let profile = h
        .app
        .call(Method::GET, "/v1/customers/me", &nita, None)
        .await;
    assert_eq!(profile.status, StatusCode::OK);
    assert_eq!(profile.body["first_name"], "Nita");
    // Her Contact follows her new id: its later changes reach her profile.
    let link = h
        .store
        .contact_link(&CrmId::parse(&contact).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(link.customer_id.as_str(), "nita-1");
    let history = h
        .app
        .call(Method::GET, "/v1/customers/me/history", &nita, None)
        .await;
    assert_eq!(history.body["items"][0]["field"], "profile");
    assert_eq!(
        history.body["items"][0]["new"],
        format!("claimed the invitation of Contact {contact}")
    );
}

async fn registering_with_an_invited_email_claims_the_profile_when_the_address_is_verified(
    b: Backend,
) {
    let h = SyncHarness::start_on(b).await;
    let account = synced_account(&h).await;
    let inbound = h.inbound();
    contact_added(&h, &account, "Ola", "ola@sefton.example").await;
    h.relay_changes(&inbound).await;
    let body = json!({"email": "ola@sefton.example", "first_name": "Ola", "last_name": "Sefton"});

    let unverified = h
        .app
        .call(
            Method::POST,
            "/v1/customers",
            &Auth::customer("ola-1"),
            Some(body.clone()),
        )
        .await;
    assert_eq!(
        unverified.status,
        StatusCode::CONFLICT,
        "{:?}",
        unverified.body
    );
    let verified = h
        .app
        .call(
            Method::POST,
            "/v1/customers",
            &Auth::customer("ola-1::Ola@Sefton.example"),
            Some(body),
        )
        .await;
    assert_eq!(verified.status, StatusCode::CREATED, "{:?}", verified.body);
    assert_eq!(verified.body["account_id"], account.as_str());
    let invited = h
        .store
        .customer_by_email(&Email::parse("ola@sefton.example").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(invited.id.as_str(), "ola-1", "one profile, hers");
    assert!(!invited.is_invited());
}

async fn one_change_applies_once_and_a_late_older_one_does_not_undo_a_newer(b: Backend) {
    let h = SyncHarness::start_on(b).await;
    let inbound = h.inbound();
    let (contact, _) = nita_claimed(&h, &inbound).await;

    // Sales changes her phone twice; the events arrive newest first, then each again.
    for phone in ["+1 555 0101", "+1 555 0102"] {
        let (status, body) = h
            .as_manager(
                Method::PATCH,
                &format!("sobjects/Contact/{contact}"),
                Some(json!({ "Phone": phone })),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body:?}");
    }
    let events = h.emulator.change_events();
    let (older, newer) = (
        events[events.len() - 2].clone(),
        events[events.len() - 1].clone(),
    );
    let take = |event: Value| {
        let inbound = &inbound;
        async move { crm_inbound::take_event(inbound, event).await.unwrap() }
    };
    assert!(matches!(
        take(newer.clone()).await,
        Applied::Changed { customers: 1, .. }
    ));
    assert_eq!(
        take(older.clone()).await,
        Applied::Unchanged,
        "older than what she has"
    );
    assert_eq!(take(newer).await, Applied::AlreadyApplied);
    assert_eq!(take(older).await, Applied::AlreadyApplied);

    let id = CustomerId::parse("nita-1").unwrap();
    let profile = h.store.customer(&id).await.unwrap().unwrap();
    assert_eq!(profile.phone.as_deref(), Some("+1 555 0102"));
    let phone_changes: Vec<_> = h
        .store
        .customer_history(&id, 20)
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.field == "phone")
        .collect();
    assert_eq!(phone_changes.len(), 1, "{phone_changes:?}");
    let change = &phone_changes[0];
    assert_eq!(change.side, ChangeSide::Salesforce);
    assert_eq!(change.new.as_deref(), Some("+1 555 0102"));
    assert_eq!(
        change.by,
        h.emulator
            .user_id(storesync_sf_emulator::MANAGER_USERNAME)
            .unwrap()
    );
}

async fn the_stores_own_changes_come_back_and_change_nothing(b: Backend) {
    let h = SyncHarness::start_on(b).await;
    let inbound = h.inbound();
    let (_, nita) = nita_claimed(&h, &inbound).await;
    h.sync().await;
    h.relay_changes(&inbound).await;

    // She changes her phone in the store; the sync writes it to her Contact.
    let changed = h
        .app
        .call(
            Method::PATCH,
            "/v1/customers/me",
            &nita,
            Some(json!({"phone": "+1 555 0199"})),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.body);
    let history = h
        .app
        .call(Method::GET, "/v1/customers/me/history", &nita, None)
        .await;
    assert_eq!(history.status, StatusCode::OK);
    let latest = &history.body["items"][0];
    assert_eq!(
        (
            &latest["field"],
            &latest["side"],
            &latest["by"],
            &latest["new"]
        ),
        (
            &json!("phone"),
            &json!("store"),
            &json!("nita-1"),
            &json!("+1 555 0199")
        )
    );
    assert!(h.sync().await > 0);
    let id = CustomerId::parse("nita-1").unwrap();
    let before = h.store.customer(&id).await.unwrap().unwrap();
    let calls = h.emulator.api_calls();

    // The Contact's change comes back as the store's own: nothing changes, nothing is sent.
    let applied = h.relay_changes(&inbound).await;
    assert!(!applied.is_empty());
    assert!(applied.iter().all(|a| *a == Applied::Echo), "{applied:?}");
    assert_eq!(h.store.customer(&id).await.unwrap().unwrap(), before);
    assert_eq!(h.sync().await, 0, "no change goes back to Salesforce");
    assert_eq!(
        h.emulator.api_calls(),
        calls,
        "no loop: no further API call"
    );

    // A change sales makes is applied, and is not sent back either.
    let contact = h
        .store
        .contact_link(&CrmId::parse(text(&h.one("Contact", "Email", NITA), "Id")).unwrap())
        .await
        .unwrap()
        .expect("her Contact is linked");
    assert_eq!(contact.customer_id, id);
    let (status, _) = h
        .as_manager(
            Method::PATCH,
            &format!("sobjects/Contact/{}", contact.contact_id),
            Some(json!({"FirstName": "Anita"})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let calls = h.emulator.api_calls();
    let applied = h.relay_changes(&inbound).await;
    assert!(
        matches!(applied[..], [Applied::Changed { customers: 1, .. }]),
        "{applied:?}"
    );
    assert_eq!(
        h.store.customer(&id).await.unwrap().unwrap().first_name,
        "Anita"
    );
    let history = h
        .app
        .call(
            Method::GET,
            "/v1/admin/customers/nita-1/history",
            &Auth::customer("ops-1:admin"),
            None,
        )
        .await;
    assert_eq!(history.status, StatusCode::OK, "{:?}", history.body);
    let latest = &history.body["items"][0];
    assert_eq!(
        (
            &latest["field"],
            &latest["side"],
            &latest["old"],
            &latest["new"]
        ),
        (
            &json!("first_name"),
            &json!("salesforce"),
            &json!("Nita"),
            &json!("Anita")
        )
    );
    assert_eq!(h.sync().await, 0);
    assert_eq!(h.emulator.api_calls(), calls);
}

async fn a_store_owned_field_changed_in_salesforce_is_kept_and_sent_back(b: Backend) {
    let h = SyncHarness::start_on(b).await;
    let inbound = h.inbound();
    let (contact, _) = nita_claimed(&h, &inbound).await;
    h.sync().await;
    h.relay_changes(&inbound).await;

    // The e-mail is the store's by default: sales' change is not taken, and the sync puts
    // the store's value back on the Contact.
    let (status, _) = h
        .as_manager(
            Method::PATCH,
            &format!("sobjects/Contact/{contact}"),
            Some(json!({"Email": "nita.sefton@elsewhere.example"})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        h.relay_changes(&inbound).await,
        vec![Applied::Unchanged],
        "her profile keeps its e-mail"
    );
    let id = CustomerId::parse("nita-1").unwrap();
    assert_eq!(
        h.store.customer(&id).await.unwrap().unwrap().email.as_str(),
        NITA
    );
    // The change waits in the outbox: the sweep (every minute in AWS) sends it on.
    let swept = OutboxRelay::new(h.store.clone(), h.queue.clone())
        .sweep(100)
        .await
        .unwrap();
    assert_eq!(swept.sent, 1);
    assert!(h.sync().await > 0, "the store's value goes back");
    assert_eq!(text(&h.one("Contact", "Id", &contact), "Email"), NITA);
    // Putting it back is the store's own change: it comes back and changes nothing.
    let applied = h.relay_changes(&inbound).await;
    assert!(applied.iter().all(|a| *a == Applied::Echo), "{applied:?}");
    assert_eq!(h.sync().await, 0);
}

async fn a_gap_or_an_overflow_is_read_again_from_salesforce(b: Backend) {
    let h = SyncHarness::start_on(b).await;
    let account = synced_account(&h).await;
    let inbound = h.inbound();

    // Salesforce cannot describe the Contact's creation: a GAP_CREATE names it only.
    h.emulator.fail_change_events(1);
    let contact = contact_added(&h, &account, "Nita", NITA).await;
    let events = h.emulator.change_events();
    let header = &events.last().unwrap()["detail"]["payload"]["ChangeEventHeader"];
    assert_eq!(header["changeType"], "GAP_CREATE");
    let calls = h.emulator.api_calls();
    let applied = h.relay_changes(&inbound).await;
    assert_eq!(
        applied,
        vec![Applied::Changed {
            customers: 0,
            invited: 1,
            accounts: 0
        }]
    );
    assert_eq!(
        h.emulator.api_calls(),
        calls + 1,
        "one query reads her again"
    );
    let invited = h
        .store
        .customer(&Customer::invited_id(&CrmId::parse(&contact).unwrap()))
        .await
        .unwrap()
        .expect("invited from the record read again");
    assert_eq!(invited.first_name, "Nita");

    // Too many changes at once: an overflow names no record; the Account changed is found.
    h.emulator.set_change_event_overflow_threshold(0);
    let (status, _) = h
        .as_manager(
            Method::PATCH,
            &format!("sobjects/Account/{account}"),
            Some(json!({"Storesync_Tax_Exempt__c": true})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let applied = h.relay_changes(&inbound).await;
    assert!(
        matches!(applied[..], [Applied::Changed { accounts: 1, .. }]),
        "{applied:?}"
    );
    let terms = h
        .store
        .store_account(&CrmId::parse(&account).unwrap())
        .await
        .unwrap()
        .unwrap()
        .terms;
    assert!(terms.tax_exempt);
}

/// The stack takes changes as in AWS: the org's Event Relay posts to the stack's stand-in
/// for EventBridge, and its Outbound Messages to the store's endpoint.
async fn stack_taking_changes(b: Backend) -> SyncHarness {
    SyncHarness::start_with(b, |stack, emulator| {
        let inbound = |stack: &LocalStack| {
            crm_inbound::wiring::inbound(
                stack.store.clone(),
                stack.clock.clone(),
                emulator.integration_user_id(),
                None,
                Some(Arc::new(MailboxNotifications::new(
                    stack.store.clone(),
                    stack.clock.clone(),
                ))),
                FieldOwnership::default(),
            )
        };
        stack.inbound = Some(LocalInbound {
            change_events: Arc::new(inbound(stack)),
            outbound_messages: inbound(stack),
            org_id: emulator.org_id(),
        });
    })
    .await
}

async fn the_orgs_event_relay_and_outbound_messages_reach_the_store_over_http(b: Backend) {
    let h = stack_taking_changes(b).await;
    h.emulator.relay_to(Some(EventRelay::to(format!(
        "{}{DEV_CHANGE_EVENTS_PATH}",
        h.app.base
    ))));
    let account = {
        h.register("eric", "eric@sefton.example", Some(ACCOUNT))
            .await;
        h.order("eric", 1).await;
        h.sync().await;
        text(&h.one("Account", "Name", ACCOUNT), "Id").to_owned()
    };
    // Sales sets the account's terms; Event Relay brings them over.
    let (status, body) = h
        .as_manager(
            Method::PATCH,
            &format!("sobjects/Account/{account}"),
            Some(json!({
                "Storesync_Discount_Percent__c": 12.5,
                "Storesync_Payment_Terms__c": "Purchase Order",
                "Storesync_Tax_Exempt__c": true,
            })),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body:?}");
    assert_eq!(
        h.emulator.flush_deliveries().await,
        0,
        "every event delivered"
    );
    let terms = h
        .store
        .store_account(&CrmId::parse(&account).unwrap())
        .await
        .unwrap()
        .expect("the account is known")
        .terms;
    assert_eq!(terms.discount_bps, 1250);
    assert_eq!(terms.payment_terms, PaymentTerms::PurchaseOrder);
    assert!(terms.tax_exempt);

    // With Event Relay off, an Outbound Message brings the new Contact, acknowledged.
    h.emulator.relay_to(None);
    h.emulator
        .outbound_message(OutboundMessage::new(
            "Contact",
            &format!(
                "{}/v1/salesforce/outbound-messages/{DEV_OUTBOUND_SECRET}",
                h.app.base
            ),
            &[
                "FirstName",
                "LastName",
                "Email",
                "AccountId",
                "LastModifiedById",
                "LastModifiedDate",
            ],
        ))
        .unwrap();
    contact_added(&h, &account, "Nita", NITA).await;
    assert_eq!(h.emulator.flush_deliveries().await, 0, "acknowledged");
    let delivered = h.emulator.outbound_attempts();
    assert!(delivered.iter().all(|a| a.delivered), "{delivered:?}");
    let invited = h
        .store
        .customer_by_email(&Email::parse(NITA).unwrap())
        .await
        .unwrap()
        .expect("invited from the Outbound Message");
    assert_eq!(
        invited.account_id.as_ref().map(|a| a.as_str()),
        Some(account.as_str())
    );

    // A message with a wrong secret is not found; one from another org is refused.
    let message = h.emulator.outbound_messages().pop().expect("a message");
    let post = |path: String, body: String| {
        h.app.send(
            h.app
                .request(Method::POST, &path, &Auth::None)
                .header("Content-Type", "text/xml; charset=utf-8")
                .body(body),
        )
    };
    let wrong_secret = post(
        "/v1/salesforce/outbound-messages/not-the-secret".into(),
        message.clone(),
    )
    .await;
    assert_eq!(wrong_secret.status, StatusCode::NOT_FOUND);
    let other_org = post(
        format!("/v1/salesforce/outbound-messages/{DEV_OUTBOUND_SECRET}"),
        message.replace(&h.emulator.org_id()[..15], "00D0000000OTHER"),
    )
    .await;
    assert_eq!(
        other_org.status,
        StatusCode::FORBIDDEN,
        "{:?}",
        other_org.body
    );
    let replayed = post(
        format!("/v1/salesforce/outbound-messages/{DEV_OUTBOUND_SECRET}"),
        message,
    )
    .await;
    assert_eq!(replayed.status, StatusCode::OK);
    assert!(
        replayed
            .body
            .as_str()
            .unwrap_or_default()
            .contains("<Ack>true</Ack>")
    );
}

against_both_stores!(
    a_store_owned_field_changed_in_salesforce_is_kept_and_sent_back,
    a_gap_or_an_overflow_is_read_again_from_salesforce,
    the_orgs_event_relay_and_outbound_messages_reach_the_store_over_http,
    a_contact_added_in_salesforce_is_invited_and_claims_her_profile,
    registering_with_an_invited_email_claims_the_profile_when_the_address_is_verified,
    one_change_applies_once_and_a_late_older_one_does_not_undo_a_newer,
    the_stores_own_changes_come_back_and_change_nothing,
);
