//! The Connect REST API's Order Management resource the sync uses:
//! `POST commerce/order-management/order-summaries` (`createOrderSummary`). A Connect
//! resource, not an sObject one: it is answered for a call of its own, never as a
//! Composite or Composite Graph subrequest.

use serde_json::{Value, json};

use super::routes::Reply;
use crate::error::SfError;
use crate::org::{OrderSummaryInput, Org};

/// The resource's path after `/services/data/vXX.X/`.
pub(super) const ORDER_SUMMARIES: &str = "commerce/order-management/order-summaries";
/// The methods the resource has.
pub(super) const ORDER_SUMMARIES_ALLOWED: &str = "POST";

/// The input's properties (`ConnectApi.OrderSummaryInputRepresentation`, API 62.0).
const INPUT_PROPERTIES: &[&str] = &[
    "businessModel",
    "externalReferenceIdentifier",
    "name",
    "orderId",
    "orderLifeCycleType",
    "sourceProcess",
    "status",
];

/// `POST commerce/order-management/order-summaries`: 201
/// `{"errors":[],"orderSummaryId":"1Os..","success":true}`, or an Error with Output.
pub(super) fn create(org: &mut Org, body: Option<&Value>) -> Reply {
    match input(body).and_then(|input| org.create_order_summary(&input)) {
        Ok(id) => Reply::json(
            201,
            json!({ "errors": [], "orderSummaryId": id, "success": true }),
        ),
        Err(e) => Reply::json(e.status, e.body),
    }
}

fn input(body: Option<&Value>) -> Result<OrderSummaryInput, SfError> {
    let parser_error = |message: String| SfError::connect(400, "JSON_PARSER_ERROR", message);
    let Some(Value::Object(body)) = body else {
        return Err(parser_error(
            "The request body must be a JSON object".into(),
        ));
    };
    if let Some(unknown) = body
        .keys()
        .find(|k| !INPUT_PROPERTIES.contains(&k.as_str()))
    {
        return Err(parser_error(format!(
            "Unrecognized field \"{unknown}\" in the order summary input"
        )));
    }
    let string = |name: &str| -> Result<Option<String>, SfError> {
        match body.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(parser_error(format!("{name} must be a string"))),
        }
    };
    let order_id = string("orderId")?.ok_or_else(|| {
        SfError::connect(
            400,
            "REQUIRED_FIELD_MISSING",
            "Missing required input parameter: orderId",
        )
    })?;
    Ok(OrderSummaryInput {
        order_id,
        life_cycle_type: string("orderLifeCycleType")?,
        name: string("name")?,
        status: string("status")?,
    })
}
