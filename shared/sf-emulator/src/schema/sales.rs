//! Accounts, the people on them (contacts and leads), opportunities with their contact
//! roles, and tasks.

use super::field::restricted_picklist;
use super::field::{
    FieldDefault, boolean, currency, date, email, external_key, lookup, percent, phone, picklist,
    text, text_area,
};
use super::{
    CART_VALUE, CUSTOMER_ID, DuplicateRule, EMAIL_KEY, ORDER_ID, ObjectDef, ROLE_KEY, TASK_KEY,
};
use super::{
    DISCOUNT_PERCENT, PAYMENT_TERMS, PAYMENT_TERMS_VALUES, SHIP_ON_ACCOUNT, SHIPPING_ACCOUNT,
    TAX_EXEMPT,
};

/// The standard contact and lead rules as emulated: the same last name and e-mail.
const fn person_rule(rule: &'static str, match_rule: &'static str) -> DuplicateRule {
    DuplicateRule {
        rule,
        match_rule,
        all_of: &["LastName", "Email"],
        any_of: &[],
    }
}

pub(super) const ACCOUNT: ObjectDef = ObjectDef::new(
    "Account",
    "Account",
    "001",
    &[
        text("Name", 255).required(),
        picklist("Type"),
        picklist("Industry"),
        phone("Phone"),
        text_area("Description", 32000),
        text_area("BillingStreet", 255),
        text("BillingCity", 40),
        text("BillingState", 80),
        text("BillingPostalCode", 20),
        text("BillingCountry", 80),
        external_key(CUSTOMER_ID, 64, false),
        external_key(EMAIL_KEY, 64, true),
        percent(DISCOUNT_PERCENT).tracked(),
        restricted_picklist(PAYMENT_TERMS, PAYMENT_TERMS_VALUES).tracked(),
        boolean(SHIP_ON_ACCOUNT).tracked(),
        text(SHIPPING_ACCOUNT, 40).tracked(),
        boolean(TAX_EXEMPT).tracked(),
    ],
)
.owned()
.matched_by(DuplicateRule {
    rule: "Standard_Account_Duplicate_Rule",
    match_rule: "Standard_Account_Match_Rule_v1_0",
    all_of: &["Name"],
    any_of: &["BillingCity", "BillingPostalCode"],
});

pub(super) const CONTACT: ObjectDef = ObjectDef::new(
    "Contact",
    "Contact",
    "003",
    &[
        text("FirstName", 40),
        text("LastName", 80).required(),
        text("Name", 121).read_only().required(),
        email("Email"),
        phone("Phone"),
        lookup("AccountId", &["Account"]),
        picklist("LeadSource"),
        text_area("Description", 32000),
        text_area("MailingStreet", 255),
        text("MailingCity", 40),
        text("MailingState", 80),
        text("MailingPostalCode", 20),
        text("MailingCountry", 80),
        external_key(CUSTOMER_ID, 64, false),
        external_key(EMAIL_KEY, 64, true),
    ],
)
.owned()
.matched_by(person_rule(
    "Standard_Contact_Duplicate_Rule",
    "Standard_Contact_Match_Rule_v1_1",
));

/// The status a lead gets when the create leaves it out.
pub const LEAD_DEFAULT_STATUS: &str = "Open - Not Contacted";

pub(super) const LEAD: ObjectDef = ObjectDef::new(
    "Lead",
    "Lead",
    "00Q",
    &[
        text("FirstName", 40),
        text("LastName", 80).required(),
        text("Name", 121).read_only().required(),
        text("Company", 255).required(),
        email("Email"),
        phone("Phone"),
        picklist("LeadSource"),
        picklist("Status")
            .required()
            .defaulted(FieldDefault::Text(LEAD_DEFAULT_STATUS)),
        text_area("Description", 32000),
        text_area("Street", 255),
        text("City", 40),
        text("State", 80),
        text("PostalCode", 20),
        text("Country", 80),
        boolean("IsConverted").read_only(),
        lookup("ConvertedAccountId", &["Account"]).read_only(),
        lookup("ConvertedContactId", &["Contact"]).read_only(),
        lookup("ConvertedOpportunityId", &["Opportunity"]).read_only(),
        date("ConvertedDate").read_only(),
        external_key(CUSTOMER_ID, 64, false),
        external_key(EMAIL_KEY, 64, true),
        currency(CART_VALUE),
    ],
)
.owned()
.matched_by(person_rule(
    "Standard_Lead_Duplicate_Rule",
    "Standard_Lead_Match_Rule_v1_0",
));

pub(super) const OPPORTUNITY: ObjectDef = ObjectDef::new(
    "Opportunity",
    "Opportunity",
    "006",
    &[
        text("Name", 120).required(),
        picklist("StageName").required(),
        date("CloseDate").required(),
        currency("Amount"),
        lookup("AccountId", &["Account"]),
        lookup("RecordTypeId", &["RecordType"]),
        lookup("Pricebook2Id", &["Pricebook2"]),
        picklist("Type"),
        picklist("LeadSource"),
        text_area("Description", 32000),
        percent("Probability"),
        boolean("IsClosed").read_only(),
        boolean("IsWon").read_only(),
        external_key(ORDER_ID, 64, false),
    ],
)
.owned();

pub(super) const OPPORTUNITY_CONTACT_ROLE: ObjectDef = ObjectDef::new(
    "OpportunityContactRole",
    "Opportunity Contact Role",
    "00K",
    &[
        lookup("OpportunityId", &["Opportunity"])
            .required()
            .create_only(),
        lookup("ContactId", &["Contact"]).required(),
        picklist("Role"),
        boolean("IsPrimary"),
        external_key(ROLE_KEY, 64, false),
    ],
);

pub(super) const TASK: ObjectDef = ObjectDef::new(
    "Task",
    "Task",
    "00T",
    &[
        text("Subject", 255),
        lookup("WhatId", &["Account", "Opportunity", "Order"]),
        lookup("WhoId", &["Contact", "Lead"]),
        date("ActivityDate"),
        picklist("Status")
            .required()
            .defaulted(FieldDefault::Text("Not Started")),
        picklist("Priority")
            .required()
            .defaulted(FieldDefault::Text("Normal")),
        text_area("Description", 32000),
        external_key(TASK_KEY, 64, false),
    ],
)
.owned();
