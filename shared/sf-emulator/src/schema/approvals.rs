//! Approval processes and their requests: the process definitions deployed from
//! `salesforce/`, and the instances, steps and work items the org makes when a record is
//! submitted, approved, rejected or recalled through `process/approvals`. All are read-only
//! to the sObject API: only the approval engine writes them.

use super::field::{date_time, lookup, picklist, text, text_area};
use super::{CurrencyField, ObjectDef};

/// An active approval process (`ProcessDefinition`, Type `Approval`).
pub(super) const PROCESS_DEFINITION: ObjectDef = ObjectDef::new(
    "ProcessDefinition",
    "Process Definition",
    "04a",
    &[
        text("Name", 40).read_only().required(),
        text("DeveloperName", 80).read_only().required(),
        picklist("TableEnumOrId").read_only().required(),
        picklist("Type").read_only().required(),
        picklist("State").read_only().required(),
        text_area("Description", 4000).read_only(),
    ],
)
.with_currency(CurrencyField::None)
.read_only();

/// One record's run through an approval process.
pub(super) const PROCESS_INSTANCE: ObjectDef = ObjectDef::new(
    "ProcessInstance",
    "Approval Process Instance",
    "04g",
    &[
        lookup("ProcessDefinitionId", &["ProcessDefinition"])
            .read_only()
            .required(),
        lookup("TargetObjectId", &["Opportunity", "Order"])
            .read_only()
            .required(),
        picklist("Status").read_only().required(),
        lookup("SubmittedById", &["User"]).read_only().required(),
        lookup("LastActorId", &["User"]).read_only(),
        date_time("CompletedDate").read_only(),
    ],
)
.with_currency(CurrencyField::None)
.read_only();

/// A step of an instance's history: the submission, then each decision.
pub(super) const PROCESS_INSTANCE_STEP: ObjectDef = ObjectDef::new(
    "ProcessInstanceStep",
    "Approval Process Step",
    "04h",
    &[
        lookup("ProcessInstanceId", &["ProcessInstance"])
            .read_only()
            .required(),
        picklist("StepStatus").read_only().required(),
        lookup("ActorId", &["User"]).read_only().required(),
        lookup("OriginalActorId", &["User"]).read_only().required(),
        text_area("Comments", 4000).read_only(),
    ],
)
.with_currency(CurrencyField::None)
.read_only();

/// A pending request waiting for its approver; gone once decided or recalled.
pub(super) const PROCESS_INSTANCE_WORKITEM: ObjectDef = ObjectDef::new(
    "ProcessInstanceWorkitem",
    "Approval Request",
    "04i",
    &[
        lookup("ProcessInstanceId", &["ProcessInstance"])
            .read_only()
            .required(),
        lookup("ActorId", &["User"]).read_only().required(),
        lookup("OriginalActorId", &["User"]).read_only().required(),
    ],
)
.with_currency(CurrencyField::None)
.read_only();
