//! The order life cycle and checkout rules, tested over every status and event.

use std::collections::HashSet;

use super::*;
use crate::cart::CartLine;
use crate::customer::CountryCode;

pub(crate) fn sample_cart(quantity: i64) -> Cart {
    let mut cart = Cart::new(
        CartId::random(),
        CartOwner::Customer {
            customer_id: CustomerId::parse("cust-1").unwrap(),
        },
        Currency::USD,
        Utc::now(),
    );
    cart.lines.push(CartLine {
        sku: Sku::parse("MUG").unwrap(),
        name: "Mug".into(),
        quantity: Quantity::parse(quantity).unwrap(),
        unit_price: Money::new(1200, Currency::USD),
    });
    cart
}

fn details() -> CheckoutDetails {
    CheckoutDetails {
        order_id: OrderId::for_checkout("cust-1", "k"),
        shipping_address: Address {
            line1: "1 Main St".into(),
            line2: None,
            city: "Springfield".into(),
            region: None,
            postal_code: "12345".into(),
            country: CountryCode::parse("US").unwrap(),
        },
        guest_email: None,
        location: LocationId::default(),
        request: CheckoutRequestRecord {
            idempotency_key: "k".into(),
            fingerprint: "f".into(),
        },
    }
}

pub(crate) fn sample_order() -> Order {
    order()
}

pub(crate) fn order() -> Order {
    Order::from_cart(
        &sample_cart(2),
        details(),
        &PricingPolicy::default(),
        Utc::now(),
    )
    .unwrap()
}

fn account(terms: crate::accounts::AccountTerms) -> StoreAccount {
    let mut a = StoreAccount::new(
        crate::ids::CrmId::parse("001000000000001AAA").unwrap(),
        Utc::now(),
    );
    a.name = "Acme".into();
    a.terms = terms;
    a
}

fn po_terms() -> crate::accounts::AccountTerms {
    crate::accounts::AccountTerms {
        payment_terms: crate::accounts::PaymentTerms::PurchaseOrder,
        tax_exempt: true,
        ..Default::default()
    }
}

fn by_po() -> PaymentMethod {
    PaymentMethod::PurchaseOrder {
        number: PurchaseOrderNumber::parse("PO-42").unwrap(),
    }
}

/// An order a tax-exempt account on purchase-order terms placed by purchase order.
pub(crate) fn on_account_order() -> Order {
    Order::from_cart_on_terms(
        &sample_cart(2),
        details(),
        &PricingPolicy::default(),
        Some(&account(po_terms())),
        by_po(),
        Utc::now(),
    )
    .unwrap()
}

fn walk(order: &Order, events: &[OrderEvent]) -> Result<Order, DomainError> {
    events
        .iter()
        .try_fold(order.clone(), |o, e| o.apply(*e, Utc::now()))
}

#[test]
fn every_state_and_event_pair_is_either_in_the_table_or_refused_with_the_current_state() {
    for from in OrderStatus::ALL {
        for event in OrderEvent::ALL {
            let listed = TRANSITIONS
                .iter()
                .find(|(f, e, _)| *f == from && *e == event);
            match (listed, next_status(from, event)) {
                (Some((_, _, to)), Ok(got)) => assert_eq!(*to, got),
                (None, Err(DomainError::InvalidTransition { current, .. })) => {
                    assert_eq!(current, from)
                }
                other => panic!("{from:?} + {event:?}: {other:?}"),
            }
        }
    }
}

#[test]
fn the_table_has_no_duplicate_rows_and_every_state_is_reachable() {
    let mut keys = HashSet::new();
    for (f, e, _) in TRANSITIONS {
        assert!(keys.insert((*f, *e)), "duplicate row {f:?} {e:?}");
    }
    let reachable: HashSet<_> = TRANSITIONS.iter().map(|(_, _, t)| *t).collect();
    for s in OrderStatus::ALL {
        assert!(
            s == OrderStatus::PendingPayment || reachable.contains(&s),
            "{s:?} unreachable"
        );
    }
}

#[test]
fn a_new_order_awaits_payment_with_totals_from_the_policy() {
    let o = order();
    assert_eq!(o.status, OrderStatus::PendingPayment);
    assert_eq!(o.payment_status, PaymentStatus::Pending);
    assert_eq!(o.order_type, OrderType::Normal);
    assert_eq!(o.totals.subtotal, Money::new(2400, Currency::USD));
    assert_eq!(o.totals.shipping, Money::new(500, Currency::USD));
    assert_eq!(o.totals.total, Money::new(2900, Currency::USD));
    assert_eq!(o.version, 1);
}

#[test]
fn a_large_quantity_makes_a_bulk_order() {
    let o = Order::from_cart(
        &sample_cart(50),
        details(),
        &PricingPolicy::default(),
        Utc::now(),
    )
    .unwrap();
    assert_eq!(o.order_type, OrderType::Bulk);
}

#[test]
fn an_empty_cart_cannot_be_checked_out() {
    let mut cart = sample_cart(1);
    cart.lines.clear();
    assert_eq!(
        Order::from_cart(&cart, details(), &PricingPolicy::default(), Utc::now()).unwrap_err(),
        DomainError::EmptyCart
    );
}

#[test]
fn guests_must_give_an_email() {
    let mut cart = sample_cart(1);
    cart.owner = CartOwner::Guest {
        token_hash: "h".into(),
    };
    assert_eq!(
        Order::from_cart(&cart, details(), &PricingPolicy::default(), Utc::now()).unwrap_err(),
        DomainError::GuestEmailRequired
    );
}

#[test]
fn a_cancelled_order_puts_each_unit_back_where_checkout_took_it() {
    let mut o = order();
    let (main, east) = (LocationId::default(), LocationId::parse("east").unwrap());
    let mug = Sku::parse("MUG").unwrap();
    let stock = crate::fulfilment::StockByLocation::from([
        (main.clone(), [(mug.clone(), 1)].into()),
        (east.clone(), [(mug.clone(), 5)].into()),
    ]);
    o.allocation = Some(crate::fulfilment::allocate(&[(mug.clone(), 2)], &stock, &main).unwrap());

    let (_, restock) = o.cancel(None, Utc::now()).unwrap();

    assert_eq!(restock, vec![(east, mug, 2)]);
}

#[test]
fn an_order_stored_before_allocation_took_every_unit_at_its_location() {
    let o = order();
    let mut stored = serde_json::to_value(&o).unwrap();
    stored.as_object_mut().unwrap().remove("allocation");

    let read: Order = serde_json::from_value(stored).unwrap();

    assert_eq!(read.allocation, None);
    assert_eq!(
        read.allocation().stock_taken(),
        vec![(o.location.clone(), Sku::parse("MUG").unwrap(), 2)]
    );
}

#[test]
fn an_order_is_cancelled_before_fulfilment_and_returns_its_stock() {
    let o = order();
    let (cancelled, restock) = o.cancel(Some("changed mind".into()), Utc::now()).unwrap();
    assert_eq!(cancelled.status, OrderStatus::Cancelled);
    assert_eq!(
        restock,
        vec![(LocationId::default(), Sku::parse("MUG").unwrap(), 2)]
    );
    let fulfilling = walk(
        &o,
        &[OrderEvent::PaymentCaptured, OrderEvent::StartFulfilment],
    )
    .unwrap();
    assert_eq!(
        fulfilling.cancel(None, Utc::now()).unwrap_err(),
        DomainError::InvalidTransition {
            current: OrderStatus::Fulfilling,
            event: OrderEvent::Cancel
        }
    );
}

#[test]
fn an_order_cannot_close_unless_payment_is_captured() {
    let mut o = walk(
        &order(),
        &[
            OrderEvent::PaymentCaptured,
            OrderEvent::StartFulfilment,
            OrderEvent::Ship,
            OrderEvent::Deliver,
        ],
    )
    .unwrap();
    o.payment_status = PaymentStatus::Disputed;
    assert!(matches!(
        o.apply(OrderEvent::Close, Utc::now()),
        Err(DomainError::PaymentNotCaptured { .. })
    ));
    o.payment_status = PaymentStatus::Captured;
    assert_eq!(
        o.apply(OrderEvent::Close, Utc::now()).unwrap().status,
        OrderStatus::Closed
    );
}

#[test]
fn a_big_discount_holds_fulfilment_until_a_manager_approves() {
    let mut o = order();
    o.approvals.discount_required = true;
    let paid = o.apply(OrderEvent::PaymentCaptured, Utc::now()).unwrap();
    assert_eq!(
        paid.apply(OrderEvent::StartFulfilment, Utc::now())
            .unwrap_err(),
        DomainError::ApprovalRequired { what: "discount" }
    );
    let mut approved = paid.clone();
    approved.approvals.discount = Some(approved_by_manager());
    assert_eq!(
        approved
            .apply(OrderEvent::StartFulfilment, Utc::now())
            .unwrap()
            .status,
        OrderStatus::Fulfilling
    );
}

#[test]
fn partial_returns_are_limited_to_what_was_not_returned_yet() {
    let delivered = walk(
        &order(),
        &[
            OrderEvent::PaymentCaptured,
            OrderEvent::StartFulfilment,
            OrderEvent::Ship,
            OrderEvent::Deliver,
        ],
    )
    .unwrap();
    let mug = Sku::parse("MUG").unwrap();
    let one = vec![ReturnLine {
        sku: mug.clone(),
        quantity: Quantity::parse(1).unwrap(),
    }];
    let requested = delivered
        .request_return(one.clone(), "broken".into(), Utc::now())
        .unwrap();
    assert_eq!(requested.status, OrderStatus::ReturnRequested);
    assert_eq!(requested.returnable(&mug), 1);
    let mut received = requested
        .apply(OrderEvent::ReceiveReturn, Utc::now())
        .unwrap();
    received.credit_memos.push(CreditMemo {
        id: "cm_1".into(),
        change_id: "1".into(),
        amount: received.totals.subtotal,
        refund: RefundState::AwaitingApproval,
        created_at: Utc::now(),
    });
    assert_eq!(
        received.apply(OrderEvent::Refund, Utc::now()).unwrap_err(),
        DomainError::ApprovalRequired { what: "refund" }
    );
    let mut approved = received.clone();
    approved.credit_memos[0].refund = RefundState::Pending;
    let refunded = approved.apply(OrderEvent::Refund, Utc::now()).unwrap();
    assert_eq!(refunded.returns[0].status, ReturnStatus::Refunded);
    let two = vec![ReturnLine {
        sku: mug.clone(),
        quantity: Quantity::parse(2).unwrap(),
    }];
    assert_eq!(
        refunded
            .request_return(two, "more".into(), Utc::now())
            .unwrap_err(),
        DomainError::ReturnExceedsOrder {
            sku: mug.clone(),
            returnable: 1
        }
    );
    assert!(
        refunded
            .request_return(one, "last one".into(), Utc::now())
            .is_ok()
    );
}

#[test]
fn returns_need_a_delivered_order() {
    let one = vec![ReturnLine {
        sku: Sku::parse("MUG").unwrap(),
        quantity: Quantity::parse(1).unwrap(),
    }];
    assert_eq!(
        order()
            .request_return(one, "x".into(), Utc::now())
            .unwrap_err(),
        DomainError::InvalidTransition {
            current: OrderStatus::PendingPayment,
            event: OrderEvent::RequestReturn
        }
    );
}

pub(crate) fn approved_by_manager() -> Decision {
    Decision {
        approved: true,
        by: "manager-1".into(),
        via: DecisionSource::Store,
        at: Utc::now(),
        comment: None,
    }
}

#[test]
fn an_order_paid_by_purchase_order_is_accepted_on_account_and_goes_to_fulfilment() {
    let o = on_account_order();
    assert_eq!(o.status, OrderStatus::Paid);
    assert_eq!(o.payment_status, PaymentStatus::OnAccount);
    assert_eq!(o.version, 1);
    let terms = o.account_terms.as_ref().unwrap();
    assert!(terms.tax_exempt);
    assert_eq!(terms.account_name, "Acme");
    let fulfilling = o.apply(OrderEvent::StartFulfilment, Utc::now()).unwrap();
    assert_eq!(fulfilling.status, OrderStatus::Fulfilling);
}

#[test]
fn an_order_on_account_closes_only_once_its_invoice_is_paid() {
    let delivered = walk(
        &on_account_order(),
        &[
            OrderEvent::StartFulfilment,
            OrderEvent::Ship,
            OrderEvent::Deliver,
        ],
    )
    .unwrap();
    assert_eq!(
        delivered.apply(OrderEvent::Close, Utc::now()).unwrap_err(),
        DomainError::PaymentNotCaptured {
            payment_status: PaymentStatus::OnAccount
        }
    );
    let settled = delivered
        .apply(OrderEvent::InvoicePaid, Utc::now())
        .unwrap();
    assert_eq!(
        (settled.status, settled.payment_status),
        (OrderStatus::Delivered, PaymentStatus::Captured)
    );
    assert_eq!(
        settled.apply(OrderEvent::Close, Utc::now()).unwrap().status,
        OrderStatus::Closed
    );
    assert!(matches!(
        settled.apply(OrderEvent::InvoicePaid, Utc::now()),
        Err(DomainError::InvalidTransition { .. })
    ));
}

#[test]
fn a_card_order_is_never_accepted_on_account_nor_its_invoice_paid() {
    assert_eq!(
        order()
            .apply(OrderEvent::AcceptOnAccount, Utc::now())
            .unwrap_err(),
        DomainError::PaymentMethodNotAllowed { method: "card" }
    );
    let paid = order()
        .apply(OrderEvent::PaymentCaptured, Utc::now())
        .unwrap();
    assert!(matches!(
        paid.apply(OrderEvent::InvoicePaid, Utc::now()),
        Err(DomainError::InvalidTransition { .. })
    ));
}

#[test]
fn paying_by_purchase_order_needs_an_account_on_purchase_order_terms() {
    let card_terms = account(crate::accounts::AccountTerms::default());
    for account in [None, Some(&card_terms)] {
        assert_eq!(
            Order::from_cart_on_terms(
                &sample_cart(1),
                details(),
                &PricingPolicy::default(),
                account,
                by_po(),
                Utc::now(),
            )
            .unwrap_err(),
            DomainError::PaymentMethodNotAllowed {
                method: "purchase_order"
            }
        );
    }
}

#[test]
fn an_order_records_its_account_terms_and_the_better_discount_without_a_managers_approval() {
    let mut cart = sample_cart(10);
    cart.discount = PricingPolicy::default().discount("VIP25", Currency::USD);
    let generous = account(crate::accounts::AccountTerms {
        discount_bps: 3000,
        ship_on_account: true,
        shipping_account: Some("UPS-9".into()),
        ..Default::default()
    });
    let o = Order::from_cart_on_terms(
        &cart,
        details(),
        &PricingPolicy::default(),
        Some(&generous),
        PaymentMethod::Card,
        Utc::now(),
    )
    .unwrap();
    assert_eq!(o.status, OrderStatus::PendingPayment);
    assert_eq!(o.totals.discount, Money::new(3600, Currency::USD));
    assert_eq!(o.totals.shipping, Money::new(0, Currency::USD));
    assert_eq!(o.discount, None, "the code did not apply");
    assert!(!o.approvals.discount_required);
    let terms = o.account_terms.unwrap();
    assert!(terms.discount_applied && terms.ship_on_account);
    assert_eq!(terms.shipping_account.as_deref(), Some("UPS-9"));

    let modest = account(crate::accounts::AccountTerms {
        discount_bps: 500,
        ..Default::default()
    });
    let o = Order::from_cart_on_terms(
        &cart,
        details(),
        &PricingPolicy::default(),
        Some(&modest),
        PaymentMethod::Card,
        Utc::now(),
    )
    .unwrap();
    assert_eq!(o.totals.discount, Money::new(3000, Currency::USD));
    assert_eq!(o.discount.as_ref().map(|d| d.code.as_str()), Some("VIP25"));
    assert!(
        o.approvals.discount_required,
        "the code's 25% still needs a manager"
    );
    assert!(!o.account_terms.unwrap().discount_applied);
}
