//! The customer's mails, in text and HTML: order confirmation, shipment, refund. Pure: the
//! same order renders the same mail, and every value shown in HTML is escaped.

use std::fmt::Write;

use serde::{Deserialize, Serialize};

use super::money_format::format_money;
use crate::money::Money;
use crate::order::Order;

/// Which mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Template {
    OrderConfirmation,
    Shipment,
    Refund,
}

impl Template {
    pub fn as_str(self) -> &'static str {
        match self {
            Template::OrderConfirmation => "order_confirmation",
            Template::Shipment => "shipment",
            Template::Refund => "refund",
        }
    }
}

/// A parcel on its way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parcel {
    pub carrier: String,
    pub tracking_number: String,
}

/// What a mail says besides the order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    OrderConfirmation,
    Shipment { parcels: Vec<Parcel> },
    Refund { amount: Money },
}

impl Content {
    pub fn template(&self) -> Template {
        match self {
            Content::OrderConfirmation => Template::OrderConfirmation,
            Content::Shipment { .. } => Template::Shipment,
            Content::Refund { .. } => Template::Refund,
        }
    }
}

/// A mail ready to send: its subject, text and HTML bodies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Text safe to place in HTML content and attribute values.
pub fn escape_html(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The mail for `order`, greeting `first_name` when the customer is known by name.
pub fn render(content: &Content, order: &Order, first_name: Option<&str>) -> Rendered {
    let number = &order.number;
    let greeting = match first_name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(name) => format!("Hello {name},"),
        None => "Hello,".to_owned(),
    };
    let (subject, lead, details) = match content {
        Content::OrderConfirmation => (
            format!("Your order {number} is confirmed"),
            format!(
                "thank you for your order {number}. We have your payment and are getting it ready."
            ),
            order_lines(order),
        ),
        Content::Shipment { parcels } => (
            format!("Your order {number} has shipped"),
            format!("your order {number} is on its way."),
            parcels
                .iter()
                .map(|p| format!("{}: tracking number {}", p.carrier, p.tracking_number))
                .collect(),
        ),
        Content::Refund { amount } => (
            format!("Your refund for order {number}"),
            format!(
                "we have refunded {} for your order {number}. It may take a few days to reach your account.",
                format_money(*amount)
            ),
            Vec::new(),
        ),
    };
    let mut text = format!("{greeting}\n\n{lead}\n");
    if !details.is_empty() {
        text.push('\n');
        for line in &details {
            let _ = writeln!(text, "  {line}");
        }
    }
    if matches!(content, Content::OrderConfirmation) {
        let _ = writeln!(text, "\nTotal: {}", format_money(order.totals.total));
    }
    text.push_str("\nThe store team\n");

    let mut html = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{}</title></head><body><p>{}</p><p>{}</p>",
        escape_html(&subject),
        escape_html(&greeting),
        escape_html(&lead)
    );
    if !details.is_empty() {
        html.push_str("<ul>");
        for line in &details {
            let _ = write!(html, "<li>{}</li>", escape_html(line));
        }
        html.push_str("</ul>");
    }
    if matches!(content, Content::OrderConfirmation) {
        let _ = write!(
            html,
            "<p><strong>Total: {}</strong></p>",
            escape_html(&format_money(order.totals.total))
        );
    }
    html.push_str("<p>The store team</p></body></html>");
    Rendered {
        subject,
        text,
        html,
    }
}

fn order_lines(order: &Order) -> Vec<String> {
    order
        .lines
        .iter()
        .map(|l| {
            format!(
                "{} x {}: {}",
                l.quantity.get(),
                l.name,
                format_money(l.line_total)
            )
        })
        .collect()
}
