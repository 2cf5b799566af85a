//! Fulfilment end to end: a paid order whose goods sit in two locations becomes exactly two
//! fulfilment orders, sent once each to the fulfilment provider (the project's local one);
//! the provider's signed shipment notices, replayed and out of order, record the parcels and
//! move the order to shipped, then delivered; a bad signature changes nothing, and a notice
//! for no known fulfilment order is kept for an operator.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use storesync_core::fulfilment::process::FulfilmentRun;
use storesync_core::fulfilment::{FulfilmentStatus, NoticeKind};
use storesync_core::ids::OrderId;
use storesync_core::order::lifecycle::OrderStatus;
use storesync_provider::LocalProvider;
use storesync_provider::wire::NoticeBody;
use storesync_tests::app::{Auth, shipping_body};
use storesync_tests::crm::SyncHarness;
use storesync_tests::fulfilment::{fulfilment, post_notice, provider, send_notice};
use storesync_tests::{Backend, against_both_stores};

fn always() -> bool {
    true
}

/// 3 caps (2 at `main`, 10 at `east`) and a sticker pack (only at `main`), under the free
/// shipping threshold, paid.
async fn paid_two_location_order(h: &SyncHarness) -> (String, i64) {
    h.register("ful-1", "ful@example.com", None).await;
    let auth = Auth::customer("ful-1");
    let cart = h.app.cart_with(&auth, "CAP-NVY", 3).await;
    let set = h
        .app
        .set_line_quantity(&auth, &cart, "STICKER-PACK", 1)
        .await;
    assert_eq!(set.status, StatusCode::OK, "{:?}", set.body);
    let placed = h
        .app
        .checkout(
            &auth,
            &format!("/v1/carts/{cart}"),
            "ful-key",
            &shipping_body(),
        )
        .await;
    assert_eq!(placed.status, StatusCode::CREATED, "{:?}", placed.body);
    let order = placed.body["id"].as_str().unwrap().to_owned();
    let total = placed.body["totals"]["total"]["minor_units"]
        .as_i64()
        .unwrap();
    h.pay(&order, total).await;
    (order, total)
}

async fn send(h: &SyncHarness, provider: &LocalProvider, notice: &NoticeBody) -> Value {
    let reply = send_notice(h, provider, notice).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    reply.body["outcome"].clone()
}

async fn order_status(h: &SyncHarness, order: &str) -> OrderStatus {
    h.store
        .order(&OrderId::parse(order).unwrap())
        .await
        .unwrap()
        .unwrap()
        .status
}

async fn a_paid_order_in_two_locations_ships_as_two_fulfilment_orders(b: Backend) {
    let h = SyncHarness::start_on(b).await;
    let provider = provider(&h).await;
    let (order, _) = paid_two_location_order(&h).await;
    let order_id = OrderId::parse(&order).unwrap();

    let run = fulfilment(&h, &provider);
    let first = run.run(&always).await.unwrap();
    assert_eq!(
        first,
        FulfilmentRun {
            started: 1,
            exported: 2,
            ..FulfilmentRun::default()
        }
    );
    assert_eq!(order_status(&h, &order).await, OrderStatus::Fulfilling);
    let mut split = h.store.fulfilment_orders(&order_id).await.unwrap();
    split.sort_by_key(|fo| fo.location.to_string());
    assert_eq!(split.len(), 2, "{split:?}");
    let (east, main) = (&split[0], &split[1]);
    assert_eq!(east.location.as_str(), "east");
    assert_eq!(
        east.lines
            .iter()
            .map(|l| (l.sku.as_str(), l.quantity.get()))
            .collect::<Vec<_>>(),
        [("CAP-NVY", 3)]
    );
    assert_eq!(
        main.lines
            .iter()
            .map(|l| (l.sku.as_str(), l.quantity.get()))
            .collect::<Vec<_>>(),
        [("STICKER-PACK", 1)]
    );
    // The delivery charge goes with one fulfilment order, whole.
    let placed = h.store.order(&order_id).await.unwrap().unwrap();
    assert!(placed.totals.shipping.minor_units() > 0);
    let charges: Vec<i64> = split
        .iter()
        .map(|fo| fo.delivery_charge.minor_units())
        .collect();
    assert_eq!(charges.iter().filter(|c| **c > 0).count(), 1, "{charges:?}");
    assert_eq!(
        charges.iter().sum::<i64>(),
        placed.totals.shipping.minor_units()
    );
    assert!(
        split
            .iter()
            .all(|fo| fo.status == FulfilmentStatus::Exported)
    );
    assert_eq!(provider.received().len(), 2);

    // Again: nothing new is started or sent.
    assert_eq!(run.run(&always).await.unwrap(), FulfilmentRun::default());
    assert_eq!(provider.received().len(), 2);

    // The caps' parcel is delivered before its shipment notice arrives; the mug ships.
    let caps = east.id.to_string();
    let mug = main.id.to_string();
    let caps_delivered = provider
        .notice(&caps, NoticeKind::Delivered, "1ZCAPS")
        .unwrap();
    let caps_shipped = provider
        .notice(&caps, NoticeKind::Shipped, "1ZCAPS")
        .unwrap();
    let mug_shipped = provider.notice(&mug, NoticeKind::Shipped, "1ZMUG").unwrap();
    let mug_delivered = provider
        .notice(&mug, NoticeKind::Delivered, "1ZMUG")
        .unwrap();
    assert_eq!(send(&h, &provider, &caps_delivered).await, "applied");
    assert_eq!(send(&h, &provider, &caps_delivered).await, "replayed");
    assert_eq!(order_status(&h, &order).await, OrderStatus::Fulfilling);
    assert_eq!(send(&h, &provider, &mug_shipped).await, "applied");
    assert_eq!(order_status(&h, &order).await, OrderStatus::Shipped);
    assert_eq!(send(&h, &provider, &caps_shipped).await, "applied");
    assert_eq!(send(&h, &provider, &mug_delivered).await, "applied");
    assert_eq!(send(&h, &provider, &mug_shipped).await, "replayed");
    assert_eq!(order_status(&h, &order).await, OrderStatus::Delivered);
    let parcels = h.store.fulfilment_orders(&order_id).await.unwrap();
    // One invoice per shipped fulfilment order, together the order's total to the cent.
    let invoiced: i64 = parcels
        .iter()
        .map(|fo| {
            fo.invoice
                .as_ref()
                .expect("invoiced once shipped")
                .amount
                .minor_units()
        })
        .sum();
    assert_eq!(invoiced, placed.totals.total.minor_units());
    assert!(
        parcels
            .iter()
            .all(|fo| fo.status == FulfilmentStatus::Delivered && fo.shipments.len() == 1)
    );

    // What the customer sees: each location's parcel, delivered.
    let tracking = h
        .app
        .get(
            &format!("/v1/orders/{order}/tracking"),
            &Auth::customer("ful-1"),
        )
        .await;
    assert_eq!(tracking.status, StatusCode::OK, "{:?}", tracking.body);
    let items = tracking.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|i| i["status"] == "delivered"
        && i["parcels"][0]["carrier"] == "Local Parcel"
        && !i["parcels"][0]["delivered_at"].is_null()));
    let stranger = h
        .app
        .get(
            &format!("/v1/orders/{order}/tracking"),
            &Auth::customer("someone-else"),
        )
        .await;
    assert_eq!(stranger.status, StatusCode::NOT_FOUND);

    // What sales hears: the order moved on, once per move.
    let types: Vec<String> = h
        .take_messages()
        .await
        .iter()
        .map(|m| {
            serde_json::from_str::<Value>(&m.body).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    for moved in ["order.fulfilling", "order.shipped", "order.delivered"] {
        assert_eq!(
            types.iter().filter(|t| *t == moved).count(),
            1,
            "{moved}: {types:?}"
        );
    }
}

async fn a_badly_signed_or_malformed_notice_changes_nothing_and_an_unknown_one_is_kept(b: Backend) {
    let h = SyncHarness::start_on(b).await;
    let provider = provider(&h).await;
    let (order, _) = paid_two_location_order(&h).await;
    fulfilment(&h, &provider).run(&always).await.unwrap();
    let fo = h
        .store
        .fulfilment_orders(&OrderId::parse(&order).unwrap())
        .await
        .unwrap()
        .remove(0);
    let notice = provider
        .notice(fo.id.as_str(), NoticeKind::Shipped, "1ZX")
        .unwrap();
    let body = serde_json::to_vec(&notice).unwrap();
    let before = h.app.backend.snapshot().await;
    let forged =
        storesync_web::signature::header("not-the-secret", chrono::Utc::now().timestamp(), &body);
    for (signature, problem) in [
        (forged.as_str(), "signature-mismatch"),
        ("t=1,v1=zz", "signature-malformed"),
    ] {
        let refused = post_notice(&h, &body, signature).await;
        assert_eq!(
            (refused.status, refused.problem()),
            (StatusCode::BAD_REQUEST, problem)
        );
    }
    let unsigned = h
        .app
        .send(
            h.app
                .request(Method::POST, "/v1/fulfilment/asn", &Auth::None)
                .header("Content-Type", "application/json")
                .body(body.clone()),
        )
        .await;
    assert_eq!(unsigned.problem(), "signature-missing");
    let mut zero = serde_json::to_value(&notice).unwrap();
    zero["lines"][0]["quantity"] = json!(0);
    let zero = serde_json::to_vec(&zero).unwrap();
    let invalid = post_notice(&h, &zero, &provider.sign(&zero)).await;
    assert_eq!(
        invalid.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        invalid.body
    );
    assert_eq!(invalid.body["errors"][0]["field"], "lines[0].quantity");
    assert_eq!(h.app.backend.snapshot().await, before, "nothing changed");

    let mut stray = notice.clone();
    stray.notice_id = "asn-stray".into();
    stray.fulfilment_order_id = "fo_00000000000000000000000000000000".into();
    assert_eq!(send(&h, &provider, &stray).await, "unmatched");
    assert_eq!(send(&h, &provider, &stray).await, "unmatched");
    let open = h
        .app
        .get("/v1/admin/exceptions", &Auth::customer("ops-1:admin"))
        .await;
    let items = open.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["category"], "shipment_unmatched");
}

against_both_stores!(
    a_paid_order_in_two_locations_ships_as_two_fulfilment_orders,
    a_badly_signed_or_malformed_notice_changes_nothing_and_an_unknown_one_is_kept,
);
