//! The API's request and response bodies, and their conversion to and from the domain.
//! Requests refuse unknown fields and become domain values through `TryFrom`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use storesync_core::accounts::{PaymentTerms, StoreAccount};
use storesync_core::cart::{Cart, CartStatus};
use storesync_core::catalog::Product;
use storesync_core::customer::{
    Address, CountryCode, MAX_ADDRESSES, Origin, ProfileChange, Registration,
};
use storesync_core::fulfilment::{FulfilmentOrder, FulfilmentStatus};
use storesync_core::ids::{
    Email, GatewayName, InvalidValue, LocationId, PaymentRef, Quantity, Sku,
};
use storesync_core::money::{Currency, Money};
use storesync_core::order::changes::ChangeRecord;
use storesync_core::order::{
    CreditMemo, Order, OrderLine, OrderStatus, OrderType, PaymentStatus, ReturnLine, ReturnRequest,
};
use storesync_core::order::{OrderTerms, PaymentMethod, PurchaseOrderNumber};
use storesync_core::payments::{CardSummary, Payment, PaymentRecordStatus};
use storesync_core::pricing::{AppliedDiscount, Discount, PricingPolicy, Totals};
use storesync_core::storefront::CheckoutInput;
use storesync_web::ApiError;
use storesync_web::problem::FieldError;

/// Collects every field error of a request before answering, so a client can fix all at once.
#[derive(Default)]
pub(crate) struct Errors(Vec<FieldError>);

impl Errors {
    pub(crate) fn check<T>(&mut self, prefix: &str, r: Result<T, InvalidValue>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                let field = if prefix.is_empty() {
                    e.field
                } else if e.field.is_empty() {
                    prefix.to_owned()
                } else {
                    format!("{prefix}.{}", e.field)
                };
                self.0.push(FieldError {
                    field,
                    message: e.message,
                });
                None
            }
        }
    }

    pub(crate) fn finish<T>(self, value: impl FnOnce() -> T) -> Result<T, ApiError> {
        if self.0.is_empty() {
            Ok(value())
        } else {
            Err(ApiError::Invalid(self.0))
        }
    }
}

/// Characters refused in free text: control characters, and the bidirectional formatting
/// characters that make text display other than it reads (U+061C, U+200E, U+200F,
/// U+202A to U+202E, U+2066 to U+2069). openapi.yaml's text patterns say the same.
fn refused_in_text(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

/// Free text of at most `max` characters as sent, trimmed; blank is `None`.
fn optional_text(
    field: &str,
    raw: Option<&str>,
    max: usize,
) -> Result<Option<String>, InvalidValue> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    if raw.chars().count() > max {
        Err(InvalidValue::new(
            field,
            format!("must be at most {max} characters"),
        ))
    } else if raw.chars().any(refused_in_text) {
        Err(InvalidValue::new(
            field,
            "must not contain control or bidirectional formatting characters",
        ))
    } else {
        let t = raw.trim();
        Ok((!t.is_empty()).then(|| t.to_owned()))
    }
}

/// Free text that must not be blank.
pub(crate) fn text(field: &str, raw: &str, max: usize) -> Result<String, InvalidValue> {
    optional_text(field, Some(raw), max)?
        .ok_or_else(|| InvalidValue::new(field, "must not be empty"))
}

/// A field that may be absent but not `null`.
fn not_null<T>(field: &str, value: Option<Option<T>>) -> Result<Option<T>, InvalidValue> {
    match value {
        Some(None) => Err(InvalidValue::new(field, "must not be null")),
        Some(Some(v)) => Ok(Some(v)),
        None => Ok(None),
    }
}

/// Distinguishes an absent field (`None`) from an explicit `null` (`Some(None)`).
fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AddressBody {
    pub line1: String,
    #[serde(default)]
    pub line2: Option<String>,
    pub city: String,
    #[serde(default)]
    pub region: Option<String>,
    pub postal_code: String,
    pub country: String,
}

impl AddressBody {
    fn parse(&self, prefix: &str, errors: &mut Errors) -> Option<Address> {
        let line1 = errors.check(prefix, text("line1", &self.line1, 200));
        let line2 = errors.check(prefix, optional_text("line2", self.line2.as_deref(), 200));
        let city = errors.check(prefix, text("city", &self.city, 100));
        let region = errors.check(prefix, optional_text("region", self.region.as_deref(), 100));
        let postal_code = errors.check(prefix, text("postal_code", &self.postal_code, 20));
        let country = errors.check(prefix, CountryCode::parse(&self.country));
        Some(Address {
            line1: line1?,
            line2: line2?,
            city: city?,
            region: region?,
            postal_code: postal_code?,
            country: country?,
        })
    }
}

fn parse_addresses(list: &[AddressBody], errors: &mut Errors) -> Option<Vec<Address>> {
    if list.len() > MAX_ADDRESSES {
        errors.check::<()>(
            "",
            Err(InvalidValue::new(
                "addresses",
                format!("at most {MAX_ADDRESSES}"),
            )),
        );
        return None;
    }
    let parsed: Vec<Option<Address>> = list
        .iter()
        .enumerate()
        .map(|(i, a)| a.parse(&format!("addresses[{i}]"), errors))
        .collect();
    parsed.into_iter().collect()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterBody {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub company: Option<String>,
    #[serde(default)]
    pub origin: Option<Origin>,
    #[serde(default)]
    pub addresses: Vec<AddressBody>,
}

impl TryFrom<RegisterBody> for Registration {
    type Error = ApiError;

    fn try_from(b: RegisterBody) -> Result<Self, ApiError> {
        let mut e = Errors::default();
        let email = e.check("", Email::parse(&b.email));
        let first_name = e.check("", text("first_name", &b.first_name, 100));
        let last_name = e.check("", text("last_name", &b.last_name, 100));
        let phone = e.check("", optional_text("phone", b.phone.as_deref(), 40));
        let company = e.check("", optional_text("company", b.company.as_deref(), 200));
        let addresses = parse_addresses(&b.addresses, &mut e);
        e.finish(|| Registration {
            email: email.expect("checked"),
            first_name: first_name.expect("checked"),
            last_name: last_name.expect("checked"),
            phone: phone.expect("checked"),
            company: company.expect("checked"),
            origin: b.origin.unwrap_or_default(),
            addresses: addresses.expect("checked"),
        })
    }
}

/// A profile change: at least one field; `phone` and `company` may be `null` to clear them,
/// the others may not.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfilePatchBody {
    #[serde(default, deserialize_with = "double_option")]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub first_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub last_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub company: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub addresses: Option<Option<Vec<AddressBody>>>,
}

impl ProfilePatchBody {
    fn is_empty(&self) -> bool {
        self.email.is_none()
            && self.first_name.is_none()
            && self.last_name.is_none()
            && self.phone.is_none()
            && self.company.is_none()
            && self.addresses.is_none()
    }
}

impl TryFrom<ProfilePatchBody> for ProfileChange {
    type Error = ApiError;

    fn try_from(b: ProfilePatchBody) -> Result<Self, ApiError> {
        let mut e = Errors::default();
        if b.is_empty() {
            e.check::<()>(
                "",
                Err(InvalidValue::new("body", "must change at least one field")),
            );
        }
        let email = e.check("", not_null("email", b.email)).flatten();
        let first_name = e.check("", not_null("first_name", b.first_name)).flatten();
        let last_name = e.check("", not_null("last_name", b.last_name)).flatten();
        let addresses = e.check("", not_null("addresses", b.addresses)).flatten();
        let email = email.as_deref().map(|v| e.check("", Email::parse(v)));
        let first_name = first_name
            .as_deref()
            .map(|v| e.check("", text("first_name", v, 100)));
        let last_name = last_name
            .as_deref()
            .map(|v| e.check("", text("last_name", v, 100)));
        let phone = b
            .phone
            .as_ref()
            .map(|v| e.check("", optional_text("phone", v.as_deref(), 40)));
        let company = b
            .company
            .as_ref()
            .map(|v| e.check("", optional_text("company", v.as_deref(), 200)));
        let addresses = addresses.as_deref().map(|v| parse_addresses(v, &mut e));
        e.finish(|| ProfileChange {
            email: email.flatten(),
            first_name: first_name.flatten(),
            last_name: last_name.flatten(),
            phone: phone.flatten(),
            company: company.flatten(),
            addresses: addresses.flatten(),
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateCartBody {
    pub currency: String,
}

impl CreateCartBody {
    pub fn currency(&self) -> Result<Currency, ApiError> {
        self.currency
            .parse()
            .map_err(|e: storesync_core::money::MoneyError| {
                InvalidValue::new("currency", e.to_string()).into()
            })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetLineBody {
    #[serde(deserialize_with = "storesync_web::json::whole_number")]
    pub quantity: i64,
}

impl SetLineBody {
    pub fn quantity(&self) -> Result<Quantity, ApiError> {
        Ok(Quantity::parse(self.quantity)?)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscountBody {
    pub code: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckoutBody {
    pub shipping_address: AddressBody,
    #[serde(default)]
    pub email: Option<String>,
    /// `card` (the default) or `purchase_order`.
    #[serde(default)]
    pub payment_method: Option<String>,
    /// Required with `purchase_order`, refused otherwise.
    #[serde(default)]
    pub purchase_order_number: Option<String>,
}

/// The payment method a checkout names, with its purchase order number.
fn payment_method(
    method: Option<&str>,
    number: Option<&str>,
) -> Result<PaymentMethod, InvalidValue> {
    match (method.unwrap_or("card"), number) {
        ("card", None) => Ok(PaymentMethod::Card),
        ("card", Some(_)) => Err(InvalidValue::new(
            "purchase_order_number",
            "is only given with payment_method purchase_order",
        )),
        ("purchase_order", Some(number)) => Ok(PaymentMethod::PurchaseOrder {
            number: PurchaseOrderNumber::parse(number)?,
        }),
        ("purchase_order", None) => Err(InvalidValue::new(
            "purchase_order_number",
            "is required with payment_method purchase_order",
        )),
        _ => Err(InvalidValue::new(
            "payment_method",
            "must be card or purchase_order",
        )),
    }
}

impl TryFrom<CheckoutBody> for CheckoutInput {
    type Error = ApiError;

    fn try_from(b: CheckoutBody) -> Result<Self, ApiError> {
        let mut e = Errors::default();
        let address = b.shipping_address.parse("shipping_address", &mut e);
        let email = b.email.as_deref().map(|v| e.check("", Email::parse(v)));
        let method = e.check(
            "",
            payment_method(
                b.payment_method.as_deref(),
                b.purchase_order_number.as_deref(),
            ),
        );
        e.finish(|| CheckoutInput {
            shipping_address: address.expect("checked"),
            guest_email: email.flatten(),
            payment_method: method.expect("checked"),
        })
    }
}

/// The shopper reached the payment step.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BeginCheckoutBody {
    #[serde(default)]
    pub email: Option<String>,
}

impl BeginCheckoutBody {
    pub fn email(&self) -> Result<Option<Email>, ApiError> {
        let mut e = Errors::default();
        let email = self.email.as_deref().map(|v| e.check("", Email::parse(v)));
        e.finish(|| email.flatten())
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancelBody {
    #[serde(default)]
    pub reason: Option<String>,
}

impl CancelBody {
    pub fn reason(&self) -> Result<Option<String>, ApiError> {
        Ok(optional_text("reason", self.reason.as_deref(), 500)?)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReturnLineBody {
    pub sku: String,
    #[serde(deserialize_with = "storesync_web::json::whole_number")]
    pub quantity: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReturnBody {
    pub lines: Vec<ReturnLineBody>,
    pub reason: String,
}

impl ReturnBody {
    pub fn parse(&self) -> Result<(Vec<ReturnLine>, String), ApiError> {
        let mut e = Errors::default();
        let lines: Vec<Option<ReturnLine>> = self
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let prefix = format!("lines[{i}]");
                let sku = e.check(&prefix, Sku::parse(&l.sku));
                let quantity = e.check(&prefix, Quantity::parse(l.quantity));
                Some(ReturnLine {
                    sku: sku?,
                    quantity: quantity?,
                })
            })
            .collect();
        let reason = e.check("", text("reason", &self.reason, 500));
        e.finish(|| {
            (
                lines.into_iter().map(|l| l.expect("checked")).collect(),
                reason.expect("checked"),
            )
        })
    }
}

// --- responses ---

#[derive(Debug, Serialize)]
pub struct ProductView {
    pub sku: Sku,
    pub name: String,
    pub category: String,
    pub active: bool,
    pub prices: BTreeMap<Currency, Money>,
    pub available: i64,
}

impl From<Product> for ProductView {
    fn from(p: Product) -> Self {
        ProductView {
            available: p.available_anywhere(),
            prices: p
                .prices
                .iter()
                .map(|(c, m)| (*c, Money::new(*m, *c)))
                .collect(),
            sku: p.sku,
            name: p.name,
            category: p.category,
            active: p.active,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct CartLineView {
    pub sku: Sku,
    pub name: String,
    pub quantity: Quantity,
    pub unit_price: Money,
    pub line_total: Money,
}

#[derive(Debug, Serialize)]
pub struct CartView {
    pub id: String,
    pub currency: Currency,
    pub status: CartStatus,
    pub lines: Vec<CartLineView>,
    pub discount: Option<Discount>,
    pub totals: Totals,
    pub order_id: Option<String>,
    /// The e-mail a guest gave at checkout.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_email: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cart_token: Option<String>,
    /// The terms of the customer's account, which the totals apply; absent for a guest or a
    /// customer without an account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<AccountTermsView>,
}

/// An account's terms as its customers see them in the cart.
#[derive(Debug, Serialize)]
pub struct AccountTermsView {
    pub name: String,
    /// Off the goods, in percent with up to two decimals (12.5 is 12.5%).
    pub discount_percent: f64,
    /// The account's discount is the one the totals take: it is at least the discount
    /// code's (the two do not add up).
    pub discount_applied: bool,
    pub payment_terms: PaymentTerms,
    pub ship_on_account: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping_account: Option<String>,
    pub tax_exempt: bool,
}

impl AccountTermsView {
    fn new(account: &StoreAccount, applied: AppliedDiscount) -> Self {
        let t = &account.terms;
        AccountTermsView {
            name: account.name.clone(),
            discount_percent: f64::from(t.discount_bps) / 100.0,
            discount_applied: applied == AppliedDiscount::Account,
            payment_terms: t.payment_terms,
            ship_on_account: t.ship_on_account,
            shipping_account: t.shipping_account.clone(),
            tax_exempt: t.tax_exempt,
        }
    }
}

impl CartView {
    /// The cart with its totals, under the terms of its customer's `account` if any.
    pub fn new(
        cart: Cart,
        policy: &PricingPolicy,
        account: Option<&StoreAccount>,
    ) -> Result<Self, ApiError> {
        let priced = cart
            .priced(policy, account.map(|a| &a.terms))
            .map_err(storesync_core::AppError::from)?;
        let account = account.map(|a| AccountTermsView::new(a, priced.applied));
        let totals = priced.totals;
        let lines = cart
            .lines
            .into_iter()
            .map(|l| {
                Ok(CartLineView {
                    line_total: l.total().map_err(storesync_core::AppError::from)?,
                    sku: l.sku,
                    name: l.name,
                    quantity: l.quantity,
                    unit_price: l.unit_price,
                })
            })
            .collect::<Result<_, ApiError>>()?;
        Ok(CartView {
            id: cart.id.to_string(),
            currency: cart.currency,
            status: cart.status,
            lines,
            discount: cart.discount,
            totals,
            order_id: cart.order_id.map(|o| o.to_string()),
            contact_email: cart.contact_email.map(|e| e.to_string()),
            created_at: cart.created_at,
            updated_at: cart.updated_at,
            version: cart.version,
            cart_token: None,
            account,
        })
    }
}

/// One payment of an order as its customer sees it: no history, no internal versions.
#[derive(Debug, Serialize)]
pub struct PaymentView {
    pub payment_ref: PaymentRef,
    pub gateway: GatewayName,
    pub status: PaymentRecordStatus,
    pub amount: Money,
    pub refunded: Money,
    pub card: Option<CardSummary>,
    pub review_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Payment> for PaymentView {
    fn from(p: Payment) -> Self {
        PaymentView {
            payment_ref: p.payment_ref,
            gateway: p.gateway,
            status: p.status,
            amount: p.amount,
            refunded: p.refunded,
            card: p.card,
            review_reason: p.review_reason,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct OrderView {
    pub id: String,
    pub number: String,
    pub customer_id: Option<String>,
    pub status: OrderStatus,
    pub payment_status: PaymentStatus,
    pub order_type: OrderType,
    pub currency: Currency,
    pub lines: Vec<OrderLine>,
    pub totals: Totals,
    pub discount: Option<Discount>,
    /// The account terms the order was placed under; absent without an account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_terms: Option<OrderTerms>,
    /// `card` or `purchase_order`.
    pub payment_method: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purchase_order_number: Option<String>,
    /// Placed as a guest (with the customer's e-mail, listed in their history).
    pub placed_as_guest: bool,
    pub shipping_address: Address,
    /// Where checkout took the order's units.
    pub allocation: Vec<LocationUnitsView>,
    pub returns: Vec<ReturnRequest>,
    /// Items cancelled and returns received, with the money each gives back.
    pub changes: Vec<ChangeRecord>,
    pub credit_memos: Vec<CreditMemo>,
    pub needs_approval: bool,
    /// Every payment reported for the order; a list of orders leaves them out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payments: Option<Vec<PaymentView>>,
    /// A payment of the order waits for an operator (e.g. money taken for a cancelled order).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub needs_review: Option<bool>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: u64,
}

impl OrderView {
    /// The order with its payments, as one order is shown.
    pub fn with_payments(order: Order, payments: Vec<Payment>) -> Self {
        let needs_review = payments
            .iter()
            .any(|p| p.status == PaymentRecordStatus::NeedsReview);
        OrderView {
            payments: Some(payments.into_iter().map(PaymentView::from).collect()),
            needs_review: Some(needs_review),
            ..OrderView::from(order)
        }
    }
}

/// The units checkout took at one location.
#[derive(Debug, Serialize)]
pub struct LocationUnitsView {
    pub location: LocationId,
    pub lines: Vec<AllocatedLineView>,
}

#[derive(Debug, Serialize)]
pub struct AllocatedLineView {
    pub sku: Sku,
    pub quantity: u32,
}

/// The order as a list shows it, without its payments.
impl From<Order> for OrderView {
    fn from(o: Order) -> Self {
        let allocation = o
            .allocation()
            .locations()
            .iter()
            .map(|at| LocationUnitsView {
                location: at.location.clone(),
                lines: at
                    .lines
                    .iter()
                    .map(|(sku, quantity)| AllocatedLineView {
                        sku: sku.clone(),
                        quantity: *quantity,
                    })
                    .collect(),
            })
            .collect();
        OrderView {
            id: o.id.to_string(),
            number: o.number,
            placed_as_guest: o.customer.customer_id.is_none(),
            customer_id: o.customer.customer_id.map(|c| c.to_string()),
            status: o.status,
            payment_status: o.payment_status,
            order_type: o.order_type,
            currency: o.currency,
            lines: o.lines,
            totals: o.totals,
            discount: o.discount,
            account_terms: o.account_terms,
            payment_method: o.payment_method.as_str(),
            purchase_order_number: match o.payment_method {
                PaymentMethod::PurchaseOrder { number } => Some(number.to_string()),
                PaymentMethod::Card => None,
            },
            shipping_address: o.shipping_address,
            allocation,
            returns: o.returns,
            changes: o.changes,
            credit_memos: o.credit_memos,
            needs_approval: o.approvals.discount_waiting(),
            payments: None,
            needs_review: None,
            created_at: o.created_at,
            updated_at: o.updated_at,
            version: o.version,
        }
    }
}

/// What a customer sees of one location's shipment of their order.
#[derive(Debug, Serialize)]
pub struct TrackingView {
    pub status: FulfilmentStatus,
    pub lines: Vec<AllocatedLineView>,
    pub parcels: Vec<ParcelView>,
}

#[derive(Debug, Serialize)]
pub struct ParcelView {
    pub carrier: String,
    pub tracking_number: String,
    pub shipped_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

impl From<FulfilmentOrder> for TrackingView {
    fn from(fo: FulfilmentOrder) -> Self {
        TrackingView {
            status: fo.status,
            lines: fo
                .lines
                .into_iter()
                .map(|l| AllocatedLineView {
                    sku: l.sku,
                    quantity: l.quantity.get(),
                })
                .collect(),
            parcels: fo
                .shipments
                .into_iter()
                .map(|p| ParcelView {
                    carrier: p.carrier,
                    tracking_number: p.tracking_number,
                    shipped_at: p.shipped_at,
                    delivered_at: p.delivered_at,
                })
                .collect(),
        }
    }
}
