//! Salesforce Order Management's order summaries: one per activated original Order, made
//! only by the Connect API's `createOrderSummary` action (never by an sObject insert). The
//! summary takes the Order's account, number, currency and total, and the time it was
//! activated as its ordered date.

use serde_json::{Value, json};

use super::fields::{field, text};
use super::{Org, Record};
use crate::error::SfError;
use crate::ids;
use crate::schema::{self, CURRENCY_ISO_CODE};

/// The Order lifecycle types an order summary may have.
pub const LIFE_CYCLE_TYPES: &[&str] = &["MANAGED", "UNMANAGED"];

/// The status a summary starts in when the input names none (a new org's first
/// `OrderSummary.Status` value).
const DEFAULT_STATUS: &str = "Created";

/// What `createOrderSummary` takes (`ConnectApi.OrderSummaryInputRepresentation`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderSummaryInput {
    /// The original Order.
    pub order_id: String,
    /// `MANAGED` (the default) or `UNMANAGED`.
    pub life_cycle_type: Option<String>,
    /// The summary's `OrderNumber`; the Order's number when `None`.
    pub name: Option<String>,
    /// The summary's `Status`.
    pub status: Option<String>,
}

impl Org {
    /// Creates the summary of an activated original Order and returns its id. Refused: an
    /// Order id that is malformed or names no Order, an Order that is not activated or is a
    /// reduction order, and an Order that has a summary already.
    pub fn create_order_summary(&mut self, input: &OrderSummaryInput) -> Result<String, SfError> {
        let life_cycle = input.life_cycle_type.as_deref().unwrap_or("MANAGED");
        if !LIFE_CYCLE_TYPES.contains(&life_cycle) {
            return Err(SfError::connect(
                400,
                "JSON_PARSER_ERROR",
                format!(
                    "Cannot deserialize value of orderLifeCycleType from \"{life_cycle}\": not one of MANAGED, UNMANAGED"
                ),
            ));
        }
        let order_def = schema::object("Order").expect("Order is emulated");
        let order_id = ids::normalise(&input.order_id)
            .filter(|id| id.starts_with(order_def.key_prefix))
            .ok_or_else(|| {
                SfError::connect(
                    400,
                    "MALFORMED_ID",
                    format!("Invalid order ID: {}", input.order_id),
                )
            })?;
        let order = self
            .data
            .get(order_def, &order_id)
            .cloned()
            .ok_or_else(|| {
                SfError::connect(
                    400,
                    "INVALID_CROSS_REFERENCE_KEY",
                    format!("No order exists with the ID {}", input.order_id),
                )
            })?;
        if field(&order, "IsReductionOrder") == Some(&json!(true)) {
            return Err(SfError::connect(
                400,
                "FIELD_INTEGRITY_EXCEPTION",
                "An order summary is created from an original order, not from a reduction order.",
            ));
        }
        let activated = text(field(&order, "Status")).is_some_and(|s| s == "Activated");
        if !activated {
            return Err(SfError::connect(
                400,
                "FIELD_INTEGRITY_EXCEPTION",
                "The order must be activated before an order summary is created from it.",
            ));
        }
        let def = schema::object("OrderSummary").expect("OrderSummary is emulated");
        if let Some((existing, _)) = self
            .data
            .of(def)
            .find(|(_, s)| text(field(s, "OriginalOrderId")).as_deref() == Some(&order_id))
        {
            return Err(SfError::connect(
                400,
                "DUPLICATE_VALUE",
                format!(
                    "duplicate value found: OriginalOrderId duplicates value on record with id: {existing}"
                ),
            ));
        }
        let copied = |name: &str| field(&order, name).cloned().unwrap_or(Value::Null);
        let mut summary = Record::new();
        summary.insert("OriginalOrderId".into(), json!(order_id));
        summary.insert("AccountId".into(), copied("AccountId"));
        summary.insert("OwnerId".into(), json!(self.integration_user_id));
        summary.insert(
            "OrderNumber".into(),
            input
                .name
                .clone()
                .map_or_else(|| copied("OrderNumber"), Value::from),
        );
        summary.insert("OrderLifeCycleType".into(), json!(life_cycle));
        summary.insert(
            "Status".into(),
            json!(input.status.as_deref().unwrap_or(DEFAULT_STATUS)),
        );
        summary.insert("GrandTotalAmount".into(), copied("TotalAmount"));
        summary.insert("OrderedDate".into(), copied("ActivatedDate"));
        if self.currencies.enabled {
            summary.insert(CURRENCY_ISO_CODE.into(), copied(CURRENCY_ISO_CODE));
        }
        Ok(self.insert_unchecked(def.name, summary))
    }
}
