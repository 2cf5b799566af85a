//! The emulator's schema must match the SFDX source folder deployed to real orgs.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use storesync_sf_emulator::schema;

fn sfdx_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../salesforce/force-app/main/default")
}

fn tag<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{name}>"))? + start;
    Some(xml[start..end].trim())
}

/// (object, field, external id, required) for every field file in the SFDX folder.
fn deployed_fields() -> Vec<(String, String, bool, bool)> {
    let mut out = Vec::new();
    for object in fs::read_dir(sfdx_root().join("objects")).expect("objects folder") {
        let object = object.unwrap().path();
        let object_name = object.file_name().unwrap().to_string_lossy().to_string();
        let Ok(fields) = fs::read_dir(object.join("fields")) else {
            continue;
        };
        for field in fields {
            let path = field.unwrap().path();
            let file = path.file_name().unwrap().to_string_lossy().to_string();
            let name = file.trim_end_matches(".field-meta.xml").to_string();
            let xml = fs::read_to_string(&path).unwrap();
            assert_eq!(
                tag(&xml, "fullName"),
                Some(name.as_str()),
                "{file}: fullName"
            );
            out.push((
                object_name.clone(),
                name,
                tag(&xml, "externalId") == Some("true"),
                tag(&xml, "required") == Some("true"),
            ));
        }
    }
    out.sort();
    out
}

#[test]
fn the_emulator_knows_every_deployed_field_with_the_same_external_id_flag() {
    let fields = deployed_fields();
    assert!(fields.len() >= 12, "found only {fields:?}");
    for (object, field, external_id, required) in &fields {
        let def = schema::object(object).unwrap_or_else(|| panic!("emulator lacks {object}"));
        let known = def
            .custom_field(field)
            .unwrap_or_else(|| panic!("emulator lacks {object}.{field}"));
        assert_eq!(known.name, field, "{object}.{field}: spelling");
        assert_eq!(
            known.external_id, *external_id,
            "{object}.{field}: externalId"
        );
        assert_eq!(
            def.required.contains(&field.as_str()),
            *required,
            "{object}.{field}: required"
        );
    }
}

#[test]
fn every_emulator_custom_field_is_deployed_by_the_sfdx_folder() {
    let deployed: BTreeSet<(String, String)> = deployed_fields()
        .into_iter()
        .map(|(o, f, _, _)| (o, f))
        .collect();
    for def in schema::OBJECTS {
        for field in def.custom_fields {
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
fn external_ids_are_unique_case_insensitive_text_as_the_emulator_assumes() {
    for (object, field, external_id, _) in deployed_fields() {
        if !external_id {
            continue;
        }
        let path = sfdx_root().join(format!("objects/{object}/fields/{field}.field-meta.xml"));
        let xml = fs::read_to_string(path).unwrap();
        assert_eq!(tag(&xml, "unique"), Some("true"), "{object}.{field}");
        assert_eq!(
            tag(&xml, "caseSensitive"),
            Some("false"),
            "{object}.{field}"
        );
        assert_eq!(tag(&xml, "type"), Some("Text"), "{object}.{field}");
    }
}

#[test]
fn the_platform_event_is_deployed_as_a_platform_event() {
    let xml = fs::read_to_string(sfdx_root().join(format!(
        "objects/{0}/{0}.object-meta.xml",
        schema::ORDER_EVENT
    )))
    .unwrap();
    assert_eq!(tag(&xml, "eventType"), Some("HighVolume"));
    assert!(schema::object(schema::ORDER_EVENT).unwrap().platform_event);
}

#[test]
fn the_permission_set_grants_every_optional_custom_field_and_api_access() {
    let xml = fs::read_to_string(
        sfdx_root().join("permissionsets/Storesync_Integration.permissionset-meta.xml"),
    )
    .unwrap();
    for (object, field, _, required) in deployed_fields() {
        // Salesforce refuses field permissions on required fields: they are always accessible.
        let entry = format!("<field>{object}.{field}</field>");
        assert_eq!(xml.contains(&entry), !required, "{object}.{field}");
    }
    assert!(xml.contains("<name>ApiEnabled</name>"));
    assert!(xml.contains(&format!("<object>{}</object>", schema::ORDER_EVENT)));
}
