//! Record locking by approval processes, as a real org does it: a record submitted for
//! approval is locked while its request is pending, and stays locked after the final
//! approval or rejection when the process says so (`finalApprovalRecordLock`,
//! `finalRejectionRecordLock`); a recall unlocks it. A locked record may be updated or
//! deleted only by a user with "Modify All Data" or "Modify All" on its object
//! (`permissions`), and, while pending under `AdminOrCurrentApprover`, by the approver of its
//! work item. Anyone else is refused with `ENTITY_IS_LOCKED`. An Order's products (its
//! detail records) are locked with it. Reads are never refused. The lock is read from the
//! record's latest `ProcessInstance`, so an `allOrNone` rollback restores it with the data.

use super::fields::{field, text};
use super::{Org, Record};
use crate::approvals::{ApprovalProcessDef, RecordEditability};
use crate::error::SfError;
use crate::permissions;
use crate::schema::{self, ObjectDef};

/// The refusal a real org answers an edit of a locked record with.
pub(crate) fn entity_is_locked() -> SfError {
    SfError::new(
        400,
        "ENTITY_IS_LOCKED",
        "This record is locked. If you need to edit it, contact your admin.",
        &[],
    )
}

/// Why a record is locked and who else may edit it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Lock {
    /// The locked record's object ("Modify All" on it lets a user edit it).
    pub object: &'static str,
    /// The approver of the pending work item, when the process lets the current approver
    /// edit the record.
    pub approver: Option<String>,
}

fn def(name: &str) -> &'static ObjectDef {
    schema::object(name).expect("approval objects are emulated")
}

impl Org {
    /// The lock on a record (18-character id), if any: from its latest approval request.
    pub(crate) fn lock_of(&self, id: &str) -> Option<Lock> {
        let mut latest: Option<(&String, bool, &Record)> = None;
        for (instance_id, instance) in self.data.of(def("ProcessInstance")) {
            if text(field(instance, "TargetObjectId")).as_deref() != Some(id) {
                continue;
            }
            let pending = text(field(instance, "Status")).as_deref() == Some("Pending");
            // A record has at most one pending request; it wins over any decided one.
            if pending || latest.is_none_or(|(_, p, _)| !p) {
                latest = Some((instance_id, pending, instance));
            }
        }
        let (instance_id, _, instance) = latest?;
        self.lock_under(self.process_of(instance)?, instance_id, instance)
    }

    /// The lock a request (`instance`) of `process` leaves on its record.
    fn lock_under(
        &self,
        process: &ApprovalProcessDef,
        instance_id: &str,
        instance: &Record,
    ) -> Option<Lock> {
        let target = text(field(instance, "TargetObjectId"))?;
        let object = schema::object_for_id(&target)?.name;
        let status = text(field(instance, "Status")).unwrap_or_default();
        let locked = match status.as_str() {
            "Pending" => true,
            "Approved" => process.final_approval_record_lock,
            "Rejected" => process.final_rejection_record_lock,
            _ => false,
        };
        if !locked {
            return None;
        }
        let approver = (status == "Pending"
            && process.record_editability == RecordEditability::AdminOrCurrentApprover)
            .then(|| self.current_approver(instance_id))
            .flatten();
        Some(Lock { object, approver })
    }

    /// The session's user may edit a record under `lock`.
    fn may_edit(&self, lock: &Lock) -> bool {
        let user = self.acting_user();
        let username = self
            .data
            .get(def("User"), user)
            .and_then(|u| text(field(u, "Username")))
            .unwrap_or_default();
        permissions::modifies_all(&username, lock.object) || lock.approver.as_deref() == Some(user)
    }

    /// Refuses an update or delete of the record `id` of `def` (or of an Order's product,
    /// a new one included, through its Order `parent`) by the session's user when an
    /// approval request locks it and the user may not edit it.
    pub(super) fn check_lock(
        &self,
        def: &ObjectDef,
        id: Option<&str>,
        parent: Option<&str>,
    ) -> Result<(), SfError> {
        let locked = match def.name {
            "OrderItem" => parent,
            _ => id,
        };
        let Some(lock) = locked.and_then(|id| self.lock_of(id)) else {
            return Ok(());
        };
        if self.may_edit(&lock) {
            Ok(())
        } else {
            Err(entity_is_locked())
        }
    }

    /// The approver of an instance's open work item.
    fn current_approver(&self, instance_id: &str) -> Option<String> {
        self.data
            .of(def("ProcessInstanceWorkitem"))
            .find(|(_, w)| text(field(w, "ProcessInstanceId")).as_deref() == Some(instance_id))
            .and_then(|(_, w)| text(field(w, "ActorId")))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::approvals::DISCOUNT_APPROVAL;
    use crate::config::MANAGER_USERNAME;
    use crate::org::{ApprovalAction, Currencies, ProcessRequest, WriteOptions};

    fn org() -> Org {
        Org::new(Currencies {
            enabled: false,
            corporate: "USD".into(),
            active: vec!["USD".into()],
        })
    }

    /// A pending discount request on a new Opportunity: (org, instance id).
    fn pending() -> (Org, String) {
        let mut org = org();
        let body =
            json!({ "Name": "Order 1", "StageName": "Prospecting", "CloseDate": "2026-12-31" });
        let record = org
            .create(
                "Opportunity",
                body.as_object().cloned().unwrap(),
                WriteOptions::default(),
            )
            .unwrap();
        let submitter = org.integration_user_id.clone();
        let result = org
            .process_approval(
                &submitter,
                &ProcessRequest {
                    action: ApprovalAction::Submit,
                    context_id: record,
                    process: Some(DISCOUNT_APPROVAL.name.into()),
                    comments: None,
                },
            )
            .unwrap();
        (org, result["instanceId"].as_str().unwrap().to_string())
    }

    fn lock(org: &Org, process: &ApprovalProcessDef, instance_id: &str) -> Option<Lock> {
        let instance = org.data.get(def("ProcessInstance"), instance_id).unwrap();
        org.lock_under(process, instance_id, instance)
    }

    #[test]
    fn admin_or_current_approver_lets_the_approver_edit_and_no_one_else_without_modify_all() {
        let (mut org, instance) = pending();
        let manager = org.user_id(MANAGER_USERNAME).unwrap();
        let process = ApprovalProcessDef {
            record_editability: RecordEditability::AdminOrCurrentApprover,
            ..DISCOUNT_APPROVAL
        };
        let lock = lock(&org, &process, &instance).unwrap();
        assert_eq!(lock.approver.as_deref(), Some(manager.as_str()));
        org.begin(&manager, "");
        assert!(org.may_edit(&lock));

        let admin_only = self::lock(&org, &DISCOUNT_APPROVAL, &instance).unwrap();
        assert_eq!(admin_only.approver, None);
        assert!(!org.may_edit(&admin_only));
        let integration = org.integration_user_id.clone();
        org.begin(&integration, "");
        assert!(org.may_edit(&admin_only), "Modify All on Opportunity");
    }

    #[test]
    fn a_final_record_lock_keeps_a_decided_record_locked() {
        let (mut org, instance) = pending();
        let mut stored = org
            .data
            .get(def("ProcessInstance"), &instance)
            .cloned()
            .unwrap();
        stored.insert("Status".into(), json!("Approved"));
        org.data
            .put(def("ProcessInstance"), instance.clone(), stored);
        assert_eq!(lock(&org, &DISCOUNT_APPROVAL, &instance), None);
        let keeps = ApprovalProcessDef {
            final_approval_record_lock: true,
            record_editability: RecordEditability::AdminOrCurrentApprover,
            ..DISCOUNT_APPROVAL
        };
        let locked = lock(&org, &keeps, &instance).unwrap();
        assert_eq!(locked.object, "Opportunity");
        assert_eq!(locked.approver, None, "no current approver once decided");
    }
}
