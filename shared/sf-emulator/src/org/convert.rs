//! Lead conversion as `Database.convertLead` does it: the lead becomes an account and a
//! contact (new ones, or merged into the given ones), optionally an opportunity, and is
//! closed to edits. A batch is all-or-nothing, as one Apex transaction is.

use serde_json::{Value, json};

use super::dates::today;
use super::fields::{field, is_blank, text};
use super::rules::converted_lead;
use super::{Org, Record, WriteOptions};
use crate::error::SfError;
use crate::schema::{self, CURRENCY_ISO_CODE};

/// Lead statuses whose `LeadStatus.IsConverted` is true in a new org.
pub const CONVERTED_STATUSES: &[&str] = &["Closed - Converted"];

/// One lead to convert: a `Database.LeadConvert`.
#[derive(Debug, Clone, Default)]
pub struct LeadConversion {
    /// The lead.
    pub lead_id: String,
    /// Merge into this account instead of creating one.
    pub account_id: Option<String>,
    /// Merge into this contact (of `account_id`) instead of creating one.
    pub contact_id: Option<String>,
    /// The converted status; the org's converted status when `None`.
    pub converted_status: Option<String>,
    /// Make no opportunity.
    pub do_not_create_opportunity: bool,
}

/// What a conversion made: a `Database.LeadConvertResult`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadConverted {
    /// The lead.
    pub lead_id: String,
    /// The account it was converted into.
    pub account_id: String,
    /// The contact it was converted into.
    pub contact_id: String,
    /// The opportunity made, if any.
    pub opportunity_id: Option<String>,
}

/// Lead field -> field of the account and of the contact made or filled from it.
const MAPPING: &[(&str, Option<&str>, Option<&str>)] = &[
    ("Company", Some("Name"), None),
    ("FirstName", None, Some("FirstName")),
    ("LastName", None, Some("LastName")),
    ("Email", None, Some("Email")),
    ("Phone", Some("Phone"), Some("Phone")),
    ("LeadSource", None, Some("LeadSource")),
    ("Description", None, Some("Description")),
    ("Street", Some("BillingStreet"), Some("MailingStreet")),
    ("City", Some("BillingCity"), Some("MailingCity")),
    ("State", Some("BillingState"), Some("MailingState")),
    (
        "PostalCode",
        Some("BillingPostalCode"),
        Some("MailingPostalCode"),
    ),
    ("Country", Some("BillingCountry"), Some("MailingCountry")),
    ("OwnerId", Some("OwnerId"), Some("OwnerId")),
    (
        CURRENCY_ISO_CODE,
        Some(CURRENCY_ISO_CODE),
        Some(CURRENCY_ISO_CODE),
    ),
];

impl Org {
    /// Converts every lead, or none: on the first failure the org is left as it was and
    /// the failure's index comes back with its error.
    pub fn convert_leads(
        &mut self,
        conversions: &[LeadConversion],
    ) -> Result<Vec<LeadConverted>, (usize, SfError)> {
        let snapshot = self.data.clone();
        let mut done = Vec::with_capacity(conversions.len());
        for (index, conversion) in conversions.iter().enumerate() {
            match self.convert_lead(conversion) {
                Ok(converted) => done.push(converted),
                Err(e) => {
                    self.data = snapshot;
                    return Err((index, e));
                }
            }
        }
        Ok(done)
    }

    fn convert_lead(&mut self, c: &LeadConversion) -> Result<LeadConverted, SfError> {
        let lead_id = self.check_reference("leadId", &c.lead_id, &["Lead"])?;
        let lead = self.record(&lead_id).cloned().unwrap_or_default();
        if field(&lead, "IsConverted") == Some(&json!(true)) {
            return Err(converted_lead());
        }
        let status = c
            .converted_status
            .clone()
            .unwrap_or_else(|| CONVERTED_STATUSES[0].to_string());
        if !CONVERTED_STATUSES.contains(&status.as_str()) {
            return Err(SfError::new(
                400,
                "INVALID_STATUS",
                format!("invalid convertedStatus: {status}"),
                &[],
            ));
        }
        let account_id = match &c.account_id {
            Some(raw) => self.check_reference("accountId", raw, &["Account"])?,
            None if c.contact_id.is_some() => {
                return Err(SfError::new(
                    400,
                    "REQUIRED_FIELD_MISSING",
                    "Required fields are missing: [accountId]",
                    &[],
                ));
            }
            None => self.create("Account", mapped(&lead, |m| m.1), WriteOptions::default())?,
        };
        let mut contact = mapped(&lead, |m| m.2);
        let contact_id = match &c.contact_id {
            Some(raw) => {
                let id = self.check_reference("contactId", raw, &["Contact"])?;
                let existing = self.record(&id).cloned().unwrap_or_default();
                if text(field(&existing, "AccountId")).as_deref() != Some(account_id.as_str()) {
                    return Err(SfError::new(
                        400,
                        "INVALID_CROSS_REFERENCE_KEY",
                        format!("The contact {id} is not associated with the account {account_id}"),
                        &[],
                    ));
                }
                contact.retain(|k, _| is_blank(field(&existing, k)) && k != "OwnerId");
                self.update("Contact", &id, contact, WriteOptions::default())?;
                id
            }
            None => {
                contact.insert("AccountId".into(), json!(account_id));
                self.create("Contact", contact, WriteOptions::default())?
            }
        };
        let opportunity_id = if c.do_not_create_opportunity {
            None
        } else {
            let mut opportunity = mapped(&lead, |m| m.1.filter(|f| *f == "OwnerId"));
            opportunity.insert(
                "Name".into(),
                field(&lead, "Company").cloned().unwrap_or_default(),
            );
            opportunity.insert("StageName".into(), json!("Prospecting"));
            opportunity.insert("CloseDate".into(), json!(today().to_string()));
            opportunity.insert("AccountId".into(), json!(account_id));
            Some(self.create("Opportunity", opportunity, WriteOptions::default())?)
        };
        let mut converted = lead;
        for (name, value) in [
            ("IsConverted", json!(true)),
            ("Status", json!(status)),
            ("ConvertedAccountId", json!(account_id)),
            ("ConvertedContactId", json!(contact_id)),
            ("ConvertedOpportunityId", json!(opportunity_id)),
            ("ConvertedDate", json!(today().to_string())),
        ] {
            converted.insert(name.into(), value);
        }
        let def = schema::object("Lead").expect("Lead is emulated");
        self.save_update(def, lead_id.clone(), converted);
        Ok(LeadConverted {
            lead_id,
            account_id,
            contact_id,
            opportunity_id,
        })
    }
}

/// The lead's non-blank values under the names `target` maps them to.
fn mapped(
    lead: &Record,
    target: impl Fn(&(&str, Option<&'static str>, Option<&'static str>)) -> Option<&'static str>,
) -> Record {
    MAPPING
        .iter()
        .filter_map(|m| {
            let value = field(lead, m.0).filter(|v| !is_blank(Some(v)))?;
            Some((target(m)?.to_string(), value.clone()))
        })
        .collect::<serde_json::Map<String, Value>>()
}
