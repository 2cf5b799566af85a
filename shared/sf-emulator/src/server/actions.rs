//! `/actions/custom/apex`: the invocable Apex actions of the org, listed, described and
//! invoked with `{"inputs": [...]}`. Each input gets a result in order; the Apex method
//! runs all inputs in one transaction, so one failure fails them all.

use serde_json::{Map, Value, json};

use super::routes::{Reply, SubRequest};
use crate::actions::{APEX_ACTIONS, ApexAction, LEAD_CONVERT, Variable, apex_action};
use crate::error::SfError;
use crate::org::{LeadConversion, LeadConverted, Org};

/// `GET /actions/custom/apex`.
pub(super) fn list() -> Reply {
    let actions: Vec<Value> = APEX_ACTIONS
        .iter()
        .map(|a| json!({ "label": a.label, "name": a.name, "type": "APEX" }))
        .collect();
    Reply::json(200, json!({ "actions": actions }))
}

/// `GET /actions/custom/apex/{name}`: the action's inputs and outputs.
pub(super) fn describe(name: &str) -> Result<Reply, SfError> {
    let action = apex_action(name).ok_or_else(SfError::not_found)?;
    let params = |vars: &[Variable]| -> Vec<Value> {
        vars.iter()
            .map(|v| {
                json!({
                    "name": v.name,
                    "label": v.name,
                    "type": v.apex_type.to_ascii_uppercase(),
                    "required": v.required,
                })
            })
            .collect()
    };
    Ok(Reply::json(
        200,
        json!({
            "name": action.name,
            "label": action.label,
            "type": "APEX",
            "inputs": params(action.inputs),
            "outputs": params(action.outputs),
        }),
    ))
}

/// `POST /actions/custom/apex/{name}`.
pub(super) fn invoke(org: &mut Org, req: &SubRequest, name: &str) -> Result<Reply, SfError> {
    let action = apex_action(name).ok_or_else(SfError::not_found)?;
    let inputs = req
        .body
        .as_ref()
        .and_then(|b| b.get("inputs"))
        .and_then(Value::as_array)
        .filter(|inputs| !inputs.is_empty())
        .ok_or_else(|| {
            SfError::new(
                400,
                "JSON_PARSER_ERROR",
                "The request body must hold a non-empty inputs array",
                &[],
            )
        })?;
    // The only action the org has; a second one would be matched here by name.
    debug_assert_eq!(action.name, LEAD_CONVERT.name);
    let outcome = inputs
        .iter()
        .enumerate()
        .map(|(i, input)| lead_conversion(action, input).map_err(|e| (i, e)))
        .collect::<Result<Vec<_>, _>>()
        .and_then(|conversions| {
            org.convert_leads(&conversions)
                .map_err(|(i, e)| (i, apex_exception(&e)))
        });
    let results: Vec<Value> = match outcome {
        Ok(converted) => converted.iter().map(|c| success(action, c)).collect(),
        Err((_, error)) => inputs.iter().map(|_| failure(action, &error)).collect(),
    };
    let status = if results[0]["isSuccess"] == json!(true) {
        200
    } else {
        400
    };
    Ok(Reply::json(status, Value::Array(results)))
}

/// One input as the request class's variables: every key a variable of the right type,
/// the required ones present.
fn lead_conversion(action: &ApexAction, input: &Value) -> Result<LeadConversion, SfError> {
    let empty = Map::new();
    let input = input.as_object().unwrap_or(&empty);
    for (key, value) in input {
        let var = action
            .inputs
            .iter()
            .find(|v| v.name == key)
            .ok_or_else(|| {
                SfError::new(
                    400,
                    "INVALID_INPUT",
                    format!("Invalid parameter: {key}"),
                    &[],
                )
            })?;
        let fits = match var.apex_type {
            "Boolean" => value.is_boolean() || value.is_null(),
            _ => value.is_string() || value.is_null(),
        };
        if !fits {
            return Err(SfError::new(
                400,
                "INVALID_INPUT",
                format!(
                    "Invalid value for parameter {key}: expected {}",
                    var.apex_type
                ),
                &[],
            ));
        }
    }
    if let Some(missing) = action
        .inputs
        .iter()
        .find(|v| v.required && input.get(v.name).is_none_or(Value::is_null))
    {
        return Err(SfError::new(
            400,
            "REQUIRED_FIELD_MISSING",
            format!("Missing required input parameter: {}", missing.name),
            &[],
        ));
    }
    let text = |name: &str| input.get(name).and_then(Value::as_str).map(str::to_string);
    Ok(LeadConversion {
        lead_id: text("leadId").unwrap_or_default(),
        account_id: text("accountId"),
        contact_id: text("contactId"),
        converted_status: text("convertedStatus"),
        do_not_create_opportunity: input
            .get("doNotCreateOpportunity")
            .and_then(Value::as_bool)
            .unwrap_or(true),
    })
}

fn success(action: &ApexAction, converted: &LeadConverted) -> Value {
    json!({
        "actionName": action.name,
        "errors": null,
        "isSuccess": true,
        "outputValues": {
            "accountId": converted.account_id,
            "contactId": converted.contact_id,
            "leadId": converted.lead_id,
        },
        "version": 1,
    })
}

/// A failed conversion as the class throws it: `ConversionException` with the
/// conversion's status code and message.
fn apex_exception(error: &SfError) -> SfError {
    let message = error.body[0]["message"].as_str().unwrap_or_default();
    SfError::new(
        error.status,
        error.code(),
        format!("{}: {message}", error.code()),
        &[],
    )
}

/// An Apex exception names no fields.
fn failure(action: &ApexAction, error: &SfError) -> Value {
    let mut errors = error.as_record_errors();
    for e in errors.as_array_mut().into_iter().flatten() {
        e["fields"] = json!([]);
    }
    json!({
        "actionName": action.name,
        "errors": errors,
        "isSuccess": false,
        "outputValues": null,
        "version": 1,
    })
}
