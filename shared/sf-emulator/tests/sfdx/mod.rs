//! Reading the SFDX source folder (`salesforce/force-app/main/default`).
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};

/// The folder every metadata path below is relative to.
pub fn sfdx_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../salesforce/force-app/main/default")
}

/// A metadata file's text.
pub fn read(relative: &str) -> String {
    let path = sfdx_root().join(relative);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The text of the first `<name>` element.
pub fn tag<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{name}>"))? + start;
    Some(xml[start..end].trim())
}

/// One custom field file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct DeployedField {
    pub object: String,
    pub name: String,
    pub label: String,
    pub kind: String,
    pub length: Option<u32>,
    pub external_id: bool,
    pub unique: bool,
    pub case_sensitive: bool,
    pub required: bool,
}

/// Every field file under `objects/*/fields`.
pub fn deployed_fields() -> Vec<DeployedField> {
    let mut out = Vec::new();
    for object in fs::read_dir(sfdx_root().join("objects")).expect("objects folder") {
        let object = object.unwrap().path();
        let object_name = match object.file_name().unwrap().to_string_lossy().as_ref() {
            // Custom activity fields are deployed on Activity and appear on Task (and
            // Event, which the emulator does not model); permission sets grant them as
            // Task fields (Salesforce mirrors the grant onto Event).
            "Activity" => "Task".to_string(),
            name => name.to_string(),
        };
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
            let flag = |t| tag(&xml, t) == Some("true");
            out.push(DeployedField {
                object: object_name.clone(),
                label: tag(&xml, "label").unwrap_or_default().to_string(),
                kind: tag(&xml, "type").unwrap_or_default().to_string(),
                length: tag(&xml, "length").and_then(|l| l.parse().ok()),
                external_id: flag("externalId"),
                unique: flag("unique"),
                case_sensitive: flag("caseSensitive"),
                required: flag("required"),
                name,
            });
        }
    }
    out.sort();
    out
}
