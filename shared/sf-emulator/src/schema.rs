//! The emulated org's schema: the standard objects storesync writes, their key prefixes,
//! required fields, duplicate rules, and the custom fields deployed from `salesforce/`
//! (kept in step by `tests/sfdx_schema.rs`).

/// A matching rule that answers `DUPLICATES_DETECTED` when a new or changed record has the
/// same value (compared case-insensitively, trimmed) in `field` as an existing record.
#[derive(Debug, Clone, Copy)]
pub struct DuplicateRule {
    /// The field compared.
    pub field: &'static str,
    /// The duplicate rule's API name, as `duplicateResult.duplicateRule` reports it.
    pub rule: &'static str,
    /// The matching rule's API name, as `matchResults[].rule` reports it.
    pub match_rule: &'static str,
}

/// A custom field as deployed by the SFDX source folder.
#[derive(Debug, Clone, Copy)]
pub struct CustomField {
    /// The API name, `..__c`.
    pub name: &'static str,
    /// Marked External ID (and unique): usable in upsert URLs.
    pub external_id: bool,
}

/// One sObject type the emulator knows.
#[derive(Debug, Clone, Copy)]
pub struct ObjectDef {
    /// The API name.
    pub name: &'static str,
    /// The first three characters of its record ids.
    pub key_prefix: &'static str,
    /// Fields Salesforce requires at creation (`REQUIRED_FIELD_MISSING`).
    pub required: &'static [&'static str],
    /// The custom fields deployed on it.
    pub custom_fields: &'static [CustomField],
    /// The active duplicate rule, if any.
    pub duplicate_rule: Option<DuplicateRule>,
    /// Whether the object has an `OwnerId` (defaulted to the integration user).
    pub owned: bool,
    /// A platform event: publish-only (create), never stored for query.
    pub platform_event: bool,
}

impl ObjectDef {
    /// External id fields usable in upsert URLs.
    pub fn external_ids(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.custom_fields
            .iter()
            .filter(|f| f.external_id)
            .map(|f| f.name)
    }

    /// The custom field with this name, compared case-insensitively as Salesforce does.
    pub fn custom_field(&self, name: &str) -> Option<&CustomField> {
        self.custom_fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
    }
}

const fn ext(name: &'static str) -> CustomField {
    CustomField {
        name,
        external_id: true,
    }
}

const fn plain(name: &'static str) -> CustomField {
    CustomField {
        name,
        external_id: false,
    }
}

/// The external id on Account, Contact and Lead: the store's customer id.
pub const CUSTOMER_ID: &str = "Storesync_Customer_Id__c";
/// The external id on Opportunity and Order: the store's order id.
pub const ORDER_ID: &str = "Storesync_Order_Id__c";
/// The external id on OrderItem: the store's order line id.
pub const LINE_ID: &str = "Storesync_Line_Id__c";
/// The external id on Product2: the store's SKU.
pub const SKU: &str = "Storesync_Sku__c";
/// The platform event the sales team subscribes to.
pub const ORDER_EVENT: &str = "Storesync_Order_Event__e";

/// Every object of the emulated org.
pub static OBJECTS: &[ObjectDef] = &[
    ObjectDef {
        name: "Account",
        key_prefix: "001",
        required: &["Name"],
        custom_fields: &[ext(CUSTOMER_ID)],
        duplicate_rule: Some(DuplicateRule {
            field: "Name",
            rule: "Standard_Account_Duplicate_Rule",
            match_rule: "Standard_Account_Match_Rule_v1_0",
        }),
        owned: true,
        platform_event: false,
    },
    ObjectDef {
        name: "Contact",
        key_prefix: "003",
        required: &["LastName"],
        custom_fields: &[ext(CUSTOMER_ID)],
        duplicate_rule: Some(DuplicateRule {
            field: "Email",
            rule: "Standard_Contact_Duplicate_Rule",
            match_rule: "Standard_Contact_Match_Rule_v1_1",
        }),
        owned: true,
        platform_event: false,
    },
    ObjectDef {
        name: "Lead",
        key_prefix: "00Q",
        required: &["LastName", "Company"],
        custom_fields: &[ext(CUSTOMER_ID)],
        duplicate_rule: Some(DuplicateRule {
            field: "Email",
            rule: "Standard_Lead_Duplicate_Rule",
            match_rule: "Standard_Lead_Match_Rule_v1_0",
        }),
        owned: true,
        platform_event: false,
    },
    ObjectDef {
        name: "Opportunity",
        key_prefix: "006",
        required: &["Name", "StageName", "CloseDate"],
        custom_fields: &[ext(ORDER_ID)],
        duplicate_rule: None,
        owned: true,
        platform_event: false,
    },
    ObjectDef {
        name: "OpportunityContactRole",
        key_prefix: "00K",
        required: &["OpportunityId", "ContactId"],
        custom_fields: &[],
        duplicate_rule: None,
        owned: false,
        platform_event: false,
    },
    ObjectDef {
        name: "Order",
        key_prefix: "801",
        required: &["AccountId", "EffectiveDate", "Status"],
        custom_fields: &[ext(ORDER_ID)],
        duplicate_rule: None,
        owned: true,
        platform_event: false,
    },
    ObjectDef {
        name: "OrderItem",
        key_prefix: "802",
        required: &["OrderId", "PricebookEntryId", "Quantity", "UnitPrice"],
        custom_fields: &[ext(LINE_ID)],
        duplicate_rule: None,
        owned: false,
        platform_event: false,
    },
    ObjectDef {
        name: "Product2",
        key_prefix: "01t",
        required: &["Name"],
        custom_fields: &[ext(SKU)],
        duplicate_rule: None,
        owned: false,
        platform_event: false,
    },
    ObjectDef {
        name: "Pricebook2",
        key_prefix: "01s",
        required: &["Name"],
        custom_fields: &[],
        duplicate_rule: None,
        owned: false,
        platform_event: false,
    },
    ObjectDef {
        name: "PricebookEntry",
        key_prefix: "01u",
        required: &["Pricebook2Id", "Product2Id", "UnitPrice"],
        custom_fields: &[],
        duplicate_rule: None,
        owned: false,
        platform_event: false,
    },
    ObjectDef {
        name: "Task",
        key_prefix: "00T",
        required: &[],
        custom_fields: &[],
        duplicate_rule: None,
        owned: true,
        platform_event: false,
    },
    ObjectDef {
        name: "User",
        key_prefix: "005",
        required: &["LastName", "Username", "Email", "Alias"],
        custom_fields: &[],
        duplicate_rule: None,
        owned: false,
        platform_event: false,
    },
    ObjectDef {
        name: ORDER_EVENT,
        key_prefix: "e00",
        required: &["Order_Id__c", "Event_Type__c"],
        custom_fields: &[
            plain("Order_Id__c"),
            plain("Event_Type__c"),
            plain("Customer_Id__c"),
            plain("Amount__c"),
            plain("Currency__c"),
        ],
        duplicate_rule: None,
        owned: false,
        platform_event: true,
    },
];

/// Looks an object up by API name, case-insensitively.
pub fn object(name: &str) -> Option<&'static ObjectDef> {
    OBJECTS.iter().find(|o| o.name.eq_ignore_ascii_case(name))
}

/// Looks an object up by the key prefix of one of its ids.
pub fn object_for_id(id: &str) -> Option<&'static ObjectDef> {
    let prefix = id.get(..3)?;
    OBJECTS.iter().find(|o| o.key_prefix == prefix)
}

/// Lookup fields and the object their id must point at; `None` means any object (a Task's
/// polymorphic `WhoId` and `WhatId`). The same field names the same object on every object.
pub fn reference_target(field: &str) -> Option<Option<&'static str>> {
    let target = match field.to_ascii_lowercase().as_str() {
        "accountid" => Some("Account"),
        "contactid" => Some("Contact"),
        "opportunityid" => Some("Opportunity"),
        "orderid" => Some("Order"),
        "pricebookentryid" => Some("PricebookEntry"),
        "pricebook2id" => Some("Pricebook2"),
        "product2id" => Some("Product2"),
        "ownerid" | "createdbyid" | "lastmodifiedbyid" => Some("User"),
        "whoid" | "whatid" => None,
        "convertedaccountid" => Some("Account"),
        "convertedcontactid" => Some("Contact"),
        "convertedopportunityid" => Some("Opportunity"),
        _ => return None,
    };
    Some(target)
}

/// Fields the system maintains; writing them answers `INVALID_FIELD_FOR_INSERT_UPDATE`.
pub const SYSTEM_FIELDS: &[&str] = &[
    "CreatedDate",
    "LastModifiedDate",
    "SystemModstamp",
    "CreatedById",
    "LastModifiedById",
    "IsDeleted",
];
