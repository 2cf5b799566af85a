//! The approval engine behind `process/approvals`: a record submitted to an active process
//! gets a `ProcessInstance` (Pending), a `Started` step by its submitter and a work item for
//! the step's approver (the submitter's manager); the approver approves or rejects the work
//! item, the submitter recalls it (`Removed`). Each decision is a `ProcessInstanceStep`,
//! removes the work item and completes the instance. Refusals are the org's: an unknown or
//! inapplicable process or a submitter the process does not allow (`NO_APPLICABLE_PROCESS`),
//! a record already pending (`ALREADY_IN_PROCESS`), a submitter without a manager
//! (`MANAGER_NOT_DEFINED`), a work item that does not exist or was
//! decided (`INVALID_CROSS_REFERENCE_KEY`), an actor who is not its approver
//! (`INSUFFICIENT_ACCESS_OR_READONLY`), a recall by anyone but the submitter or of a process
//! that does not allow it (`INVALID_OPERATION`).

use serde_json::{Value, json};

use super::dates::now_datetime;
use super::fields::{field, text};
use super::{Org, Record};
use crate::approvals::{APPROVAL_PROCESSES, ApprovalProcessDef};
use crate::error::SfError;
use crate::ids;
use crate::schema::{self, ObjectDef};

/// What a process request asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApprovalAction {
    /// Submit the record `contextId` for approval.
    Submit,
    /// Approve the work item `contextId`.
    Approve,
    /// Reject the work item `contextId`.
    Reject,
    /// Recall the work item `contextId` (its submitter).
    Removed,
}

impl ApprovalAction {
    /// The action by its `actionType`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "Submit" => Some(Self::Submit),
            "Approve" => Some(Self::Approve),
            "Reject" => Some(Self::Reject),
            "Removed" => Some(Self::Removed),
            _ => None,
        }
    }

    /// The `StepStatus` and instance `Status` a decision leaves.
    fn status(self) -> &'static str {
        match self {
            Self::Submit => "Pending",
            Self::Approve => "Approved",
            Self::Reject => "Rejected",
            Self::Removed => "Removed",
        }
    }
}

/// One entry of a `process/approvals` request's `requests`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessRequest {
    /// `actionType`.
    pub action: ApprovalAction,
    /// The record (Submit) or the work item (the others).
    pub context_id: String,
    /// `processDefinitionNameOrId`: a developer name or a ProcessDefinition id.
    pub process: Option<String>,
    /// `comments`, kept on the step.
    pub comments: Option<String>,
}

const INSTANCE: &str = "ProcessInstance";
const STEP: &str = "ProcessInstanceStep";
const WORKITEM: &str = "ProcessInstanceWorkitem";
const DEFINITION: &str = "ProcessDefinition";

fn no_applicable_process() -> SfError {
    SfError::new(
        400,
        "NO_APPLICABLE_PROCESS",
        "No applicable approval process was found.",
        &[],
    )
}

fn invalid_cross_reference() -> SfError {
    SfError::new(
        400,
        "INVALID_CROSS_REFERENCE_KEY",
        "invalid cross reference id",
        &[],
    )
}

fn def(name: &str) -> &'static ObjectDef {
    schema::object(name).expect("approval objects are emulated")
}

impl Org {
    /// Seeds one `ProcessDefinition` per approval process deployed from `salesforce/`.
    pub(super) fn seed_approvals(&mut self) {
        for process in APPROVAL_PROCESSES {
            self.seed(
                DEFINITION,
                json!({
                    "Name": process.label,
                    "DeveloperName": process.name,
                    "TableEnumOrId": process.object,
                    "Type": "Approval",
                    "State": "Active",
                    "Description": process.description,
                }),
            );
        }
    }

    /// `GET process/approvals`: the org's processes by object.
    pub fn approval_processes(&self) -> Value {
        let mut by_object = serde_json::Map::new();
        for (order, (id, definition)) in self.data.of(def(DEFINITION)).enumerate() {
            let object = text(field(definition, "TableEnumOrId")).unwrap_or_default();
            let entry = by_object
                .entry(object.clone())
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(list) = entry {
                list.push(json!({
                    "description": field(definition, "Description").cloned().unwrap_or(Value::Null),
                    "id": &id[..15],
                    "name": field(definition, "Name").cloned().unwrap_or(Value::Null),
                    "object": object,
                    "sortOrder": order + 1,
                }));
            }
        }
        json!({ "approvals": by_object })
    }

    /// Carries out one process request as `actor`, answering its ProcessResult.
    pub fn process_approval(
        &mut self,
        actor: &str,
        request: &ProcessRequest,
    ) -> Result<Value, SfError> {
        match request.action {
            ApprovalAction::Submit => self.submit_for_approval(actor, request),
            decision => self.decide_workitem(actor, request, decision),
        }
    }

    fn submit_for_approval(
        &mut self,
        actor: &str,
        request: &ProcessRequest,
    ) -> Result<Value, SfError> {
        let target_id = ids::normalise(&request.context_id).ok_or_else(|| {
            SfError::new(
                400,
                "MALFORMED_ID",
                format!("invalid id: {}", request.context_id),
                &[],
            )
        })?;
        let target_def = schema::object_for_id(&target_id).ok_or_else(invalid_cross_reference)?;
        let target = self
            .data
            .get(target_def, &target_id)
            .cloned()
            .ok_or_else(invalid_cross_reference)?;
        let (definition_id, process) = self.applicable_process(target_def, request)?;
        // allowedSubmitters: the record's owner or its creator.
        let may_submit = ["OwnerId", "CreatedById"]
            .iter()
            .any(|f| text(field(&target, f)).as_deref() == Some(actor));
        if !may_submit {
            return Err(no_applicable_process());
        }
        if self.pending_instance(&target_id).is_some() {
            return Err(SfError::new(
                400,
                "ALREADY_IN_PROCESS",
                "Cannot submit object already in process.",
                &[],
            ));
        }
        let approver = self.approver_of(actor, process)?;
        let instance = self.insert_as(
            INSTANCE,
            actor,
            json!({
                "ProcessDefinitionId": definition_id,
                "TargetObjectId": target_id,
                "Status": "Pending",
                "SubmittedById": actor,
                "LastActorId": actor,
            }),
        );
        self.insert_as(
            STEP,
            actor,
            json!({
                "ProcessInstanceId": instance,
                "StepStatus": "Started",
                "ActorId": actor,
                "OriginalActorId": actor,
                "Comments": request.comments,
            }),
        );
        let workitem = self.insert_as(
            WORKITEM,
            actor,
            json!({ "ProcessInstanceId": instance, "ActorId": approver, "OriginalActorId": approver }),
        );
        Ok(process_result(
            vec![approver],
            &target_id,
            &instance,
            "Pending",
            vec![workitem],
        ))
    }

    /// The named process (by developer name or id) if it runs on the record's object; with
    /// none named, the first active process on that object.
    fn applicable_process(
        &self,
        target_def: &ObjectDef,
        request: &ProcessRequest,
    ) -> Result<(String, &'static ApprovalProcessDef), SfError> {
        let wanted = request.process.as_deref().map(str::trim);
        let named_id = wanted.and_then(ids::normalise);
        self.data
            .of(def(DEFINITION))
            .find(|(id, definition)| {
                let on_object =
                    text(field(definition, "TableEnumOrId")).as_deref() == Some(target_def.name);
                let named = match wanted {
                    None => true,
                    Some(name) => {
                        named_id.as_deref() == Some(id.as_str())
                            || text(field(definition, "DeveloperName"))
                                .is_some_and(|d| d.eq_ignore_ascii_case(name))
                    }
                };
                on_object && named
            })
            .and_then(|(id, definition)| {
                let name = text(field(definition, "DeveloperName"))?;
                Some((id.clone(), crate::approvals::approval_process(&name)?))
            })
            .ok_or_else(no_applicable_process)
    }

    fn decide_workitem(
        &mut self,
        actor: &str,
        request: &ProcessRequest,
        decision: ApprovalAction,
    ) -> Result<Value, SfError> {
        let workitem_id = ids::normalise(&request.context_id)
            .filter(|id| id.starts_with(def(WORKITEM).key_prefix))
            .ok_or_else(invalid_cross_reference)?;
        let workitem = self
            .data
            .get(def(WORKITEM), &workitem_id)
            .cloned()
            .ok_or_else(invalid_cross_reference)?;
        let instance_id = text(field(&workitem, "ProcessInstanceId")).unwrap_or_default();
        let mut instance = self
            .data
            .get(def(INSTANCE), &instance_id)
            .cloned()
            .ok_or_else(invalid_cross_reference)?;
        let approver = text(field(&workitem, "ActorId")).unwrap_or_default();
        if decision == ApprovalAction::Removed {
            let submitter = text(field(&instance, "SubmittedById"));
            let recallable = self.process_of(&instance).is_some_and(|p| p.allow_recall);
            if !recallable || submitter.as_deref() != Some(actor) {
                return Err(SfError::new(
                    400,
                    "INVALID_OPERATION",
                    "Illegal transition type",
                    &[],
                ));
            }
        } else if actor != approver {
            return Err(SfError::new(
                400,
                "INSUFFICIENT_ACCESS_OR_READONLY",
                "insufficient access rights on object id",
                &[],
            ));
        }
        let status = decision.status();
        self.insert_as(
            STEP,
            actor,
            json!({
                "ProcessInstanceId": instance_id,
                "StepStatus": status,
                "ActorId": actor,
                "OriginalActorId": field(&workitem, "OriginalActorId"),
                "Comments": request.comments,
            }),
        );
        self.data.remove(def(WORKITEM), workitem_id);
        let now = now_datetime();
        for (name, value) in [
            ("Status", json!(status)),
            ("CompletedDate", json!(now)),
            ("LastActorId", json!(actor)),
            ("LastModifiedById", json!(actor)),
            ("LastModifiedDate", json!(now)),
            ("SystemModstamp", json!(now)),
        ] {
            instance.insert(name.into(), value);
        }
        let target = text(field(&instance, "TargetObjectId")).unwrap_or_default();
        self.data.put(def(INSTANCE), instance_id.clone(), instance);
        Ok(process_result(
            Vec::new(),
            &target,
            &instance_id,
            status,
            Vec::new(),
        ))
    }

    /// The pending instance of a record, if any.
    fn pending_instance(&self, target_id: &str) -> Option<&String> {
        self.data
            .of(def(INSTANCE))
            .find(|(_, i)| {
                text(field(i, "TargetObjectId")).as_deref() == Some(target_id)
                    && text(field(i, "Status")).as_deref() == Some("Pending")
            })
            .map(|(id, _)| id)
    }

    pub(super) fn process_of(&self, instance: &Record) -> Option<&'static ApprovalProcessDef> {
        let definition_id = text(field(instance, "ProcessDefinitionId"))?;
        let definition = self.data.get(def(DEFINITION), &definition_id)?;
        crate::approvals::approval_process(&text(field(definition, "DeveloperName"))?)
    }

    /// The approver of a process's step for a submission by `submitter`: the user its
    /// hierarchy field names.
    fn approver_of(
        &self,
        submitter: &str,
        process: &ApprovalProcessDef,
    ) -> Result<String, SfError> {
        let field_name = format!("{}Id", process.approver_field);
        self.data
            .get(def("User"), submitter)
            .and_then(|user| text(field(user, &field_name)))
            .ok_or_else(|| SfError::new(400, "MANAGER_NOT_DEFINED", "Manager undefined.", &[]))
    }

    /// Stores a record the approval engine makes, credited to the user who acted.
    fn insert_as(&mut self, type_name: &str, actor: &str, fields: Value) -> String {
        let mut record = fields.as_object().cloned().unwrap_or_default();
        record.retain(|_, v| !v.is_null());
        let id = self.insert_unchecked(type_name, record);
        let def = def(type_name);
        if let Some(mut stored) = self.data.get(def, &id).cloned() {
            stored.insert("CreatedById".into(), json!(actor));
            stored.insert("LastModifiedById".into(), json!(actor));
            self.data.put(def, id.clone(), stored);
        }
        id
    }

    /// Makes `manager` the manager of `user` (`User.ManagerId`).
    pub(super) fn set_manager(&mut self, user: &str, manager: &str) {
        let users = def("User");
        if let Some(mut record) = self.data.get(users, user).cloned() {
            record.insert("ManagerId".into(), json!(manager));
            self.data.put(users, user.to_string(), record);
        }
    }

    /// The id of the user with this username (compared case-insensitively).
    pub fn user_id(&self, username: &str) -> Option<String> {
        self.data
            .of(def("User"))
            .find(|(_, u)| {
                text(field(u, "Username")).is_some_and(|n| n.eq_ignore_ascii_case(username))
            })
            .map(|(id, _)| id.clone())
    }
}

/// A ProcessResult as the REST API answers it.
fn process_result(
    actor_ids: Vec<String>,
    entity_id: &str,
    instance_id: &str,
    status: &str,
    workitems: Vec<String>,
) -> Value {
    json!({
        "actorIds": actor_ids,
        "entityId": entity_id,
        "errors": null,
        "instanceId": instance_id,
        "instanceStatus": status,
        "newWorkitemIds": workitems,
        "success": true,
    })
}
