//! The emulator's schema must match the SFDX source folder deployed to real orgs.

mod sfdx;

use std::collections::BTreeSet;

use sfdx::{DeployedField, deployed_fields, read, tag};
use storesync_sf_emulator::{actions, schema};

#[test]
fn the_emulator_knows_every_deployed_field_as_it_is_deployed() {
    let fields = deployed_fields();
    assert!(fields.len() >= 17, "found only {fields:?}");
    for deployed in &fields {
        let DeployedField { object, name, .. } = deployed;
        let def = schema::object(object).unwrap_or_else(|| panic!("emulator lacks {object}"));
        let known = def
            .custom_field(name)
            .unwrap_or_else(|| panic!("emulator lacks {object}.{name}"));
        let at = format!("{object}.{name}");
        assert_eq!(known.name, name, "{at}: spelling");
        assert_eq!(known.label(), deployed.label, "{at}: label");
        assert_eq!(known.external_id, deployed.external_id, "{at}: externalId");
        assert_eq!(known.unique, deployed.unique, "{at}: unique");
        assert_eq!(
            known.case_sensitive, deployed.case_sensitive,
            "{at}: caseSensitive"
        );
        assert_eq!(known.is_required(), deployed.required, "{at}: required");
        if let Some(length) = deployed.length {
            assert_eq!(known.length, length, "{at}: length");
        }
    }
}

#[test]
fn every_emulator_custom_field_is_deployed_by_the_sfdx_folder() {
    let deployed: BTreeSet<(String, String)> = deployed_fields()
        .into_iter()
        .map(|f| (f.object, f.name))
        .collect();
    for def in schema::OBJECTS {
        for field in def.custom_fields() {
            assert!(
                deployed.contains(&(def.name.to_string(), field.name.to_string())),
                "{}.{} is emulated but not in salesforce/force-app",
                def.name,
                field.name
            );
        }
    }
}

#[test]
fn external_ids_are_unique_text_fields() {
    for field in deployed_fields().into_iter().filter(|f| f.external_id) {
        assert!(field.unique, "{}.{}", field.object, field.name);
        assert_eq!(field.kind, "Text", "{}.{}", field.object, field.name);
    }
}

#[test]
fn the_store_keys_for_people_prices_and_roles_are_deployed_where_the_sync_upserts() {
    let keys = [
        ("Account", schema::EMAIL_KEY, 64, true),
        ("Contact", schema::EMAIL_KEY, 64, true),
        ("Lead", schema::EMAIL_KEY, 64, true),
        ("PricebookEntry", schema::PRICE_KEY, 80, false),
        ("OpportunityContactRole", schema::ROLE_KEY, 64, false),
    ];
    let fields = deployed_fields();
    for (object, name, length, case_sensitive) in keys {
        let field = fields
            .iter()
            .find(|f| f.object == object && f.name == name)
            .unwrap_or_else(|| panic!("{object}.{name} is not deployed"));
        assert!(field.external_id && field.unique, "{object}.{name}");
        assert_eq!(field.length, Some(length), "{object}.{name}");
        assert_eq!(field.case_sensitive, case_sensitive, "{object}.{name}");
    }
}

#[test]
fn the_platform_event_is_deployed_as_a_platform_event() {
    let xml = read(&format!(
        "objects/{0}/{0}.object-meta.xml",
        schema::ORDER_EVENT
    ));
    assert_eq!(tag(&xml, "eventType"), Some("HighVolume"));
    assert!(schema::object(schema::ORDER_EVENT).unwrap().platform_event);
}

#[test]
fn the_permission_set_grants_the_fields_the_actions_and_the_api() {
    let xml = read("permissionsets/Storesync_Integration.permissionset-meta.xml");
    for field in deployed_fields() {
        // Salesforce refuses field permissions on required fields: they are always accessible.
        let entry = format!("<field>{}.{}</field>", field.object, field.name);
        assert_eq!(xml.contains(&entry), !field.required, "{entry}");
    }
    for action in actions::APEX_ACTIONS {
        assert!(
            xml.contains(&format!("<apexClass>{}</apexClass>", action.name)),
            "{} is not granted",
            action.name
        );
    }
    assert!(xml.contains("<name>ApiEnabled</name>"));
    assert!(xml.contains("<name>ConvertLeads</name>"));
    assert!(xml.contains(&format!("<object>{}</object>", schema::ORDER_EVENT)));
}
