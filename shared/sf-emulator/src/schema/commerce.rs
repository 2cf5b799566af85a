//! Orders and their products, order summaries, products, price books and their entries.

use super::field::{
    FieldDefault, boolean, currency, date, date_time, double, external_key, lookup, picklist, text,
    text_area,
};
use super::{CurrencyField, LINE_ID, ORDER_ID, ObjectDef, PRICE_KEY, SKU, STORE_STATUS};

pub(super) const ORDER: ObjectDef = ObjectDef::new(
    "Order",
    "Order",
    "801",
    &[
        lookup("AccountId", &["Account"]).required(),
        lookup("OpportunityId", &["Opportunity"]),
        date("EffectiveDate").required(),
        picklist("Status").required(),
        lookup("Pricebook2Id", &["Pricebook2"]),
        picklist("Type"),
        text_area("Description", 32000),
        lookup("BillToContactId", &["Contact"]),
        text_area("ShippingStreet", 255),
        text("ShippingCity", 40),
        text("ShippingState", 80),
        text("ShippingPostalCode", 20),
        text("ShippingCountry", 80),
        text("OrderNumber", 30)
            .read_only()
            .required()
            .defaulted(FieldDefault::Org),
        currency("TotalAmount").read_only(),
        date_time("ActivatedDate").read_only(),
        boolean("IsReductionOrder").create_only(),
        lookup("OriginalOrderId", &["Order"]).create_only(),
        external_key(ORDER_ID, 64, false),
        text(STORE_STATUS, 40),
    ],
)
.owned();

pub(super) const ORDER_ITEM: ObjectDef = ObjectDef::new(
    "OrderItem",
    "Order Product",
    "802",
    &[
        lookup("OrderId", &["Order"]).required().create_only(),
        lookup("PricebookEntryId", &["PricebookEntry"])
            .required()
            .create_only(),
        lookup("Product2Id", &["Product2"]).create_only(),
        lookup("OriginalOrderItemId", &["OrderItem"]).create_only(),
        double("Quantity").required(),
        currency("UnitPrice").required(),
        currency("ListPrice").read_only(),
        currency("TotalPrice").read_only(),
        double("AvailableQuantity").read_only(),
        text("Description", 255),
        external_key(LINE_ID, 64, false),
    ],
)
.with_currency(CurrencyField::FromParent);

/// Salesforce Order Management's summary of an activated Order, made by the Connect API's
/// `commerce/order-management/order-summaries` action, never by an sObject insert.
pub(super) const ORDER_SUMMARY: ObjectDef = ObjectDef::new(
    "OrderSummary",
    "Order Summary",
    "1Os",
    &[
        lookup("OriginalOrderId", &["Order"]).read_only().required(),
        lookup("AccountId", &["Account"]).read_only(),
        text("OrderNumber", 255).read_only(),
        picklist("OrderLifeCycleType").read_only(),
        picklist("Status").read_only(),
        currency("GrandTotalAmount").read_only(),
        date_time("OrderedDate").read_only(),
    ],
)
.owned()
.with_currency(CurrencyField::FromParent)
.read_only();

pub(super) const PRODUCT: ObjectDef = ObjectDef::new(
    "Product2",
    "Product",
    "01t",
    &[
        text("Name", 255).required(),
        text("ProductCode", 255),
        picklist("Family"),
        text_area("Description", 4000),
        boolean("IsActive"),
        external_key(SKU, 64, false).labelled("Storesync SKU"),
    ],
);

pub(super) const PRICEBOOK: ObjectDef = ObjectDef::new(
    "Pricebook2",
    "Price Book",
    "01s",
    &[
        text("Name", 255).required(),
        text("Description", 255),
        boolean("IsActive"),
        boolean("IsStandard").read_only(),
    ],
);

pub(super) const PRICEBOOK_ENTRY: ObjectDef = ObjectDef::new(
    "PricebookEntry",
    "Price Book Entry",
    "01u",
    &[
        lookup("Pricebook2Id", &["Pricebook2"])
            .required()
            .create_only(),
        lookup("Product2Id", &["Product2"]).required().create_only(),
        currency("UnitPrice").required(),
        boolean("IsActive"),
        boolean("UseStandardPrice"),
        text("Name", 255).read_only(),
        text("ProductCode", 255).read_only(),
        external_key(PRICE_KEY, 80, false),
    ],
)
.with_currency(CurrencyField::CreateOnly);
