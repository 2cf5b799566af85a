use chrono::Utc;

use super::*;
use crate::money::{Currency, Money};
use crate::notifications::format_money;
use crate::order::CreditMemo;
use crate::order::tests::sample_order;

fn refunded_memo(id: &str, minor: i64, currency: Currency) -> CreditMemo {
    CreditMemo {
        id: id.into(),
        change_id: format!("chg-{id}"),
        amount: Money::new(minor, currency),
        refund: RefundState::Refunded {
            refund_id: format!("re_{id}"),
            refunded_at: Utc::now(),
        },
        created_at: Utc::now(),
    }
}

fn event(event_type: EventType, order: &Order) -> OutboxEvent {
    OutboxEvent::for_order(event_type, order, Utc::now())
}

#[test]
fn paid_shipped_and_refunded_orders_ask_for_one_mail_each_and_other_events_for_none() {
    let mut order = sample_order();
    let paid = mails_for(&event(EventType::OrderPaid, &order));
    assert_eq!(paid.len(), 1);
    assert_eq!(paid[0].content, Content::OrderConfirmation);
    assert_eq!(
        paid[0].id,
        format!("{}:order_confirmation", order.id.as_str())
    );
    let shipped = mails_for(&event(EventType::OrderShipped, &order));
    assert_eq!(shipped[0].content.template(), Template::Shipment);
    for other in [
        EventType::OrderPlaced,
        EventType::OrderDelivered,
        EventType::PaymentUpdated,
    ] {
        assert!(mails_for(&event(other, &order)).is_empty(), "{other:?}");
    }

    order.credit_memos.push(CreditMemo {
        refund: RefundState::Pending,
        ..refunded_memo("cm-1", 1200, Currency::USD)
    });
    assert!(mails_for(&event(EventType::OrderChanged, &order)).is_empty());
    order.credit_memos[0] = refunded_memo("cm-1", 1200, Currency::USD);
    order
        .credit_memos
        .push(refunded_memo("cm-2", 600, Currency::USD));
    let refunds = mails_for(&event(EventType::OrderChanged, &order));
    assert_eq!(refunds.len(), 2);
    assert!(refunds[1].id.ends_with(":refund:cm-2"), "{}", refunds[1].id);
    assert!(Notification::is_id(&refunds[1].id), "{}", refunds[1].id);
    assert!(Notification::is_id(&paid[0].id));
    assert!(!Notification::is_id("ord_1:shipment"));
    assert!(!Notification::is_id(&format!(
        "{}:refund",
        order.id.as_str()
    )));
    assert_eq!(
        refunds[1].content,
        Content::Refund {
            amount: Money::new(600, Currency::USD)
        }
    );
}

#[test]
fn the_confirmation_lists_the_lines_and_the_total_in_the_orders_currency() {
    let order = sample_order();
    let mail = render(&Content::OrderConfirmation, &order, Some("Ada"));
    assert_eq!(
        mail.subject,
        format!("Your order {} is confirmed", order.number)
    );
    assert!(mail.text.starts_with("Hello Ada,"), "{}", mail.text);
    assert!(mail.text.contains("2 x Mug: USD 24.00"), "{}", mail.text);
    assert!(
        mail.text
            .contains(&format!("Total: {}", format_money(order.totals.total))),
        "{}",
        mail.text
    );
    assert!(
        mail.html.contains("<li>2 x Mug: USD 24.00</li>"),
        "{}",
        mail.html
    );
}

#[test]
fn every_value_in_the_html_is_escaped() {
    let mut order = sample_order();
    order.lines[0].name = "<script>alert('x')</script> & \"mugs\"".into();
    let mail = render(&Content::OrderConfirmation, &order, Some("<b>Eve</b>"));
    assert!(!mail.html.contains("<script>"), "{}", mail.html);
    assert!(!mail.html.contains("<b>Eve"), "{}", mail.html);
    assert!(
        mail.html
            .contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;mugs&quot;"),
        "{}",
        mail.html
    );
    // The text part is plain text: shown as typed.
    assert!(mail.text.contains("<script>"), "{}", mail.text);
}

#[test]
fn shipment_mails_name_each_parcel_and_refund_mails_the_amount_localised() {
    let order = sample_order();
    let shipped = render(
        &Content::Shipment {
            parcels: vec![
                Parcel {
                    carrier: "UPS".into(),
                    tracking_number: "1Z999".into(),
                },
                Parcel {
                    carrier: "DHL".into(),
                    tracking_number: "JD0002".into(),
                },
            ],
        },
        &order,
        None,
    );
    assert!(shipped.text.starts_with("Hello,"), "{}", shipped.text);
    assert!(shipped.text.contains("UPS: tracking number 1Z999"));
    assert!(
        shipped
            .html
            .contains("<li>DHL: tracking number JD0002</li>")
    );

    for (amount, shown) in [
        (Money::new(123_450, Currency::USD), "USD 1,234.50"),
        (Money::new(123_450, Currency::EUR), "1.234,50 €"),
        (Money::new(12_345_000, Currency::INR), "1,23,450.00 ₹"),
        (Money::new(1_235, Currency::JPY), "¥1,235"),
    ] {
        let mail = render(&Content::Refund { amount }, &order, None);
        assert!(
            mail.text.contains(&format!("refunded {shown} ")),
            "{}",
            mail.text
        );
        assert!(mail.html.contains(shown), "{}", mail.html);
    }
}

#[test]
fn retries_wait_longer_each_time_up_to_an_hour() {
    assert_eq!(backoff(1), Duration::minutes(1));
    assert_eq!(backoff(2), Duration::minutes(2));
    assert_eq!(backoff(4), Duration::minutes(8));
    assert_eq!(backoff(30), Duration::minutes(60));
}
