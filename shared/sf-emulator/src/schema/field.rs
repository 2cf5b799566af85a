//! One field of an object as `describe` reports it: its type, whether a create or an update
//! may write it, whether it may be blank, and what Salesforce fills in when a create leaves
//! it out.

/// A field's data type, named as `describe` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// The record id.
    Id,
    /// A lookup to a record of one of these objects.
    Reference(&'static [&'static str]),
    /// Single-line text.
    String,
    /// Multi-line text.
    TextArea,
    /// An e-mail address.
    Email,
    /// A phone number.
    Phone,
    /// A picklist: restricted when it lists its values (and `CurrencyIsoCode`).
    Picklist,
    /// `true` or `false`, never null.
    Boolean,
    /// A calendar date, `2026-11-22`.
    Date,
    /// An instant, `2026-11-22T10:00:00.000+0000`.
    DateTime,
    /// An amount in the record's currency.
    Currency,
    /// A number.
    Double,
    /// A percentage.
    Percent,
    /// A value of any type (a history row's old and new values).
    AnyType,
}

impl FieldType {
    /// The type as `describe` names it.
    pub fn wire_name(self) -> &'static str {
        match self {
            Self::Id => "id",
            Self::Reference(_) => "reference",
            Self::String => "string",
            Self::TextArea => "textarea",
            Self::Email => "email",
            Self::Phone => "phone",
            Self::Picklist => "picklist",
            Self::Boolean => "boolean",
            Self::Date => "date",
            Self::DateTime => "datetime",
            Self::Currency => "currency",
            Self::Double => "double",
            Self::Percent => "percent",
            Self::AnyType => "anyType",
        }
    }

    /// Text of some kind: written as a string and bounded by the field's length.
    pub fn is_text(self) -> bool {
        matches!(
            self,
            Self::String | Self::TextArea | Self::Email | Self::Phone | Self::Picklist
        )
    }

    /// A number of some kind.
    pub fn is_number(self) -> bool {
        matches!(self, Self::Currency | Self::Double | Self::Percent)
    }
}

/// Which writes may set a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Set by Salesforce only (`describe`: neither createable nor updateable).
    ReadOnly,
    /// Set on create only (createable, not updateable), such as an OrderItem's `OrderId`.
    CreateOnly,
    /// Set on create and update.
    ReadWrite,
}

/// What Salesforce fills in when a create leaves the field out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldDefault {
    /// Nothing: the field stays blank.
    None,
    /// A boolean.
    Bool(bool),
    /// A picklist value or text.
    Text(&'static str),
    /// A value of the org: the running user (`OwnerId`), the corporate currency
    /// (`CurrencyIsoCode`), or one derived by the object's rules.
    Org,
}

/// One field of an object.
#[derive(Debug, Clone, Copy)]
pub struct FieldDef {
    /// The API name.
    pub name: &'static str,
    /// The data type.
    pub kind: FieldType,
    /// Most characters a text field holds; 0 for other types.
    pub length: u32,
    /// Which writes may set it.
    pub access: Access,
    /// May be blank. A createable field that may not be blank and has no default is
    /// required (`REQUIRED_FIELD_MISSING`).
    pub nillable: bool,
    /// What a create fills in when the body leaves it out.
    pub default: FieldDefault,
    /// Marked External ID: usable in upsert URLs.
    pub external_id: bool,
    /// No two records may hold the same value (`DUPLICATE_VALUE`).
    pub unique: bool,
    /// Values compare case-sensitively (for unique and external id matching).
    pub case_sensitive: bool,
    /// The label when it is not the API name in words (see [`FieldDef::label`]).
    pub explicit_label: Option<&'static str>,
    /// A restricted picklist's values; empty for an unrestricted one and other types.
    pub picklist_values: &'static [&'static str],
    /// Field history tracking is on: updates write a row of the object's history.
    pub track_history: bool,
}

const fn base(name: &'static str, kind: FieldType, length: u32) -> FieldDef {
    FieldDef {
        name,
        kind,
        length,
        access: Access::ReadWrite,
        nillable: true,
        default: FieldDefault::None,
        external_id: false,
        unique: false,
        case_sensitive: false,
        explicit_label: None,
        picklist_values: &[],
        track_history: false,
    }
}

/// The record id.
pub const fn id() -> FieldDef {
    base("Id", FieldType::Id, 18)
        .read_only()
        .required()
        .defaulted(FieldDefault::Org)
}
/// Single-line text of at most `length` characters.
pub const fn text(name: &'static str, length: u32) -> FieldDef {
    base(name, FieldType::String, length)
}
/// Multi-line text of at most `length` characters.
pub const fn text_area(name: &'static str, length: u32) -> FieldDef {
    base(name, FieldType::TextArea, length)
}
/// An e-mail address (80 characters, as Contact and Lead `Email`).
pub const fn email(name: &'static str) -> FieldDef {
    base(name, FieldType::Email, 80)
}
/// A phone number (40 characters).
pub const fn phone(name: &'static str) -> FieldDef {
    base(name, FieldType::Phone, 40)
}
/// An unrestricted picklist (255 characters).
pub const fn picklist(name: &'static str) -> FieldDef {
    base(name, FieldType::Picklist, 255)
}
/// A restricted picklist: any value but `values` is refused.
pub const fn restricted_picklist(name: &'static str, values: &'static [&'static str]) -> FieldDef {
    let mut f = base(name, FieldType::Picklist, 255);
    f.picklist_values = values;
    f
}
/// A checkbox: never null, false unless the create sets it.
pub const fn boolean(name: &'static str) -> FieldDef {
    base(name, FieldType::Boolean, 0)
        .required()
        .defaulted(FieldDefault::Bool(false))
}
/// A date.
pub const fn date(name: &'static str) -> FieldDef {
    base(name, FieldType::Date, 0)
}
/// A date and time.
pub const fn date_time(name: &'static str) -> FieldDef {
    base(name, FieldType::DateTime, 0)
}
/// An amount.
pub const fn currency(name: &'static str) -> FieldDef {
    base(name, FieldType::Currency, 0)
}
/// A number.
pub const fn double(name: &'static str) -> FieldDef {
    base(name, FieldType::Double, 0)
}
/// A percentage.
pub const fn percent(name: &'static str) -> FieldDef {
    base(name, FieldType::Percent, 0)
}
/// A value of any type.
pub const fn any_type(name: &'static str) -> FieldDef {
    base(name, FieldType::AnyType, 0)
}
/// A lookup to a record of one of `targets`.
pub const fn lookup(name: &'static str, targets: &'static [&'static str]) -> FieldDef {
    base(name, FieldType::Reference(targets), 18)
}
/// An External ID, unique Text field of the SFDX source.
pub const fn external_key(name: &'static str, length: u32, case_sensitive: bool) -> FieldDef {
    let mut f = text(name, length);
    f.external_id = true;
    f.unique = true;
    f.case_sensitive = case_sensitive;
    f
}

impl FieldDef {
    /// May not be blank.
    pub const fn required(mut self) -> Self {
        self.nillable = false;
        self
    }

    /// Labelled `label` rather than with the API name in words.
    pub const fn labelled(mut self, label: &'static str) -> Self {
        self.explicit_label = Some(label);
        self
    }

    /// Its changes are kept in the object's field history.
    pub const fn tracked(mut self) -> Self {
        self.track_history = true;
        self
    }

    /// Set by Salesforce only.
    pub const fn read_only(mut self) -> Self {
        self.access = Access::ReadOnly;
        self
    }

    /// Set on create only.
    pub const fn create_only(mut self) -> Self {
        self.access = Access::CreateOnly;
        self
    }

    /// Filled in with `default` when a create leaves it out.
    pub const fn defaulted(mut self, default: FieldDefault) -> Self {
        self.default = default;
        self
    }

    /// A create may set it.
    pub fn createable(&self) -> bool {
        self.access != Access::ReadOnly
    }

    /// An update may set it.
    pub fn updateable(&self) -> bool {
        self.access == Access::ReadWrite
    }

    /// Salesforce fills it in when a create leaves it out.
    pub fn defaulted_on_create(&self) -> bool {
        self.default != FieldDefault::None
    }

    /// A create must give it a value (`REQUIRED_FIELD_MISSING`).
    pub fn is_required(&self) -> bool {
        !self.nillable && self.createable() && !self.defaulted_on_create()
    }

    /// A restricted picklist with its own values.
    pub fn is_restricted_picklist(&self) -> bool {
        !self.picklist_values.is_empty()
    }

    /// Deployed from `salesforce/` rather than built into every org.
    pub fn is_custom(&self) -> bool {
        self.name.ends_with("__c")
    }

    /// The objects a lookup points at (empty for other types).
    pub fn reference_to(&self) -> &'static [&'static str] {
        match self.kind {
            FieldType::Reference(targets) => targets,
            _ => &[],
        }
    }

    /// The relationship a query follows through this lookup: `AccountId` -> `Account`,
    /// `Parent__c` -> `Parent__r`.
    pub fn relationship_name(&self) -> Option<String> {
        if !matches!(self.kind, FieldType::Reference(_)) {
            return None;
        }
        match self.name.strip_suffix("__c") {
            Some(base) => Some(format!("{base}__r")),
            None => self.name.strip_suffix("Id").map(str::to_string),
        }
    }

    /// The label: as deployed, or the API name in words (`BillingPostalCode` -> `Billing Postal Code`,
    /// `AccountId` -> `Account ID`, `Storesync_Sku__c` -> `Storesync Sku`).
    pub fn label(&self) -> String {
        if let Some(label) = self.explicit_label {
            return label.to_string();
        }
        if let Some(base) = self.name.strip_suffix("__c") {
            return base.replace('_', " ");
        }
        let mut words: Vec<String> = Vec::new();
        for c in self.name.chars() {
            let starts_word = c.is_ascii_uppercase()
                && words
                    .last()
                    .and_then(|w| w.chars().last())
                    .is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit());
            match words.last_mut() {
                Some(word) if !starts_word => word.push(c),
                _ => words.push(c.to_string()),
            }
        }
        if let Some(last) = words.last_mut()
            && last == "Id"
        {
            *last = "ID".into();
        }
        words.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_the_api_name_in_words() {
        assert_eq!(text("BillingPostalCode", 20).label(), "Billing Postal Code");
        assert_eq!(lookup("AccountId", &["Account"]).label(), "Account ID");
        assert_eq!(text("Storesync_Sku__c", 64).label(), "Storesync Sku");
        assert_eq!(boolean("IsConverted").label(), "Is Converted");
    }

    #[test]
    fn a_createable_non_nillable_field_without_default_is_required() {
        assert!(text("Name", 255).required().is_required());
        assert!(!boolean("IsActive").is_required());
        assert!(!text("Name", 121).required().read_only().is_required());
    }
}
