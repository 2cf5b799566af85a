//! Users, record types and the platform event storesync publishes.

use super::field::{FieldDefault, boolean, double, email, lookup, picklist, text};
use super::{CurrencyField, ORDER_EVENT as ORDER_EVENT_NAME, ObjectDef};

pub(super) const USER: ObjectDef = ObjectDef::new(
    "User",
    "User",
    "005",
    &[
        text("Username", 80).required(),
        email("Email").required(),
        text("FirstName", 40),
        text("LastName", 80).required(),
        text("Name", 121).read_only().required(),
        text("Alias", 8).required(),
        lookup("ManagerId", &["User"]),
        boolean("IsActive").defaulted(FieldDefault::Bool(true)),
    ],
);

pub(super) const RECORD_TYPE: ObjectDef = ObjectDef::new(
    "RecordType",
    "Record Type",
    "012",
    &[
        text("Name", 80).required(),
        text("DeveloperName", 80).required(),
        picklist("SobjectType").required().create_only(),
        boolean("IsActive"),
    ],
)
.with_currency(CurrencyField::None);

pub(super) const ORDER_EVENT: ObjectDef = ObjectDef::new(
    ORDER_EVENT_NAME,
    "Storesync Order Event",
    "e00",
    &[
        text("Order_Id__c", 64).required(),
        text("Order_Number__c", 30),
        text("Event_Type__c", 40).required(),
        text("Account_Id__c", 18),
        text("Customer_Id__c", 64),
        double("Amount__c"),
        text("Currency__c", 3),
    ],
)
.platform_event();
