//! Each invocable action the emulator answers is an Apex class in the SFDX folder with the
//! same label, input and output variables, a test class, and the source API version.

mod sfdx;

use sfdx::{read, tag};
use storesync_sf_emulator::actions::{APEX_ACTIONS, ApexAction, Variable};

/// The text after `(` up to its matching `)`, quotes respected, and what follows it.
fn parenthesised(text: &str) -> (&str, &str) {
    let (mut depth, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '\'' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted && depth == 1 => return (&text[1..i], &text[i + 1..]),
            ')' if !quoted => depth -= 1,
            _ => {}
        }
    }
    panic!("unbalanced parentheses in {text}")
}

/// The text between `{` and its matching `}` of the class `name`.
fn class_body<'a>(source: &'a str, name: &str) -> &'a str {
    let start = source
        .find(&format!("class {name} "))
        .unwrap_or_else(|| panic!("no class {name}"));
    let open = start + source[start..].find('{').unwrap();
    let mut depth = 0;
    for (i, c) in source[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 1 => return &source[open + 1..open + i],
            '}' => depth -= 1,
            _ => {}
        }
    }
    panic!("unbalanced braces in class {name}")
}

/// A `name='value'` argument of an annotation.
fn argument<'a>(args: &'a str, name: &str) -> Option<&'a str> {
    let start = args.find(&format!("{name}='"))? + name.len() + 2;
    let end = args[start..].find('\'')? + start;
    Some(&args[start..end])
}

/// A variable as (name, Apex type, required).
type Declared = (String, String, bool);

fn declared(vars: &[Variable]) -> Vec<Declared> {
    vars.iter()
        .map(|v| (v.name.to_string(), v.apex_type.to_string(), v.required))
        .collect()
}

/// Every `@InvocableVariable` of a class body.
fn invocable_variables(body: &str) -> Vec<Declared> {
    body.split("@InvocableVariable")
        .skip(1)
        .map(|chunk| {
            let (args, rest) = if chunk.starts_with('(') {
                parenthesised(chunk)
            } else {
                ("", chunk)
            };
            let mut words = rest.split_whitespace();
            assert_eq!(words.next(), Some("public"), "variable not public: {rest}");
            let apex_type = words.next().unwrap();
            let name = words.next().unwrap().trim_end_matches(';');
            let required = args.replace(' ', "").contains("required=true");
            (name.to_string(), apex_type.to_string(), required)
        })
        .collect()
}

fn class_source(action: &ApexAction) -> String {
    read(&format!("classes/{}.cls", action.name))
}

#[test]
fn every_action_is_a_deployed_apex_class_with_the_same_variables() {
    for action in APEX_ACTIONS {
        let source = class_source(action);
        let inputs = invocable_variables(class_body(&source, "Request"));
        let outputs = invocable_variables(class_body(&source, "Result"));
        assert_eq!(inputs, declared(action.inputs), "{}: Request", action.name);
        assert_eq!(outputs, declared(action.outputs), "{}: Result", action.name);
    }
}

#[test]
fn every_action_has_its_invocable_method_label() {
    for action in APEX_ACTIONS {
        let source = class_source(action);
        let at = source
            .find("@InvocableMethod")
            .unwrap_or_else(|| panic!("{} has no @InvocableMethod", action.name));
        let (args, rest) = parenthesised(&source[at + "@InvocableMethod".len()..]);
        assert_eq!(
            argument(args, "label"),
            Some(action.label),
            "{}",
            action.name
        );
        assert!(
            rest.trim_start()
                .starts_with("public static List<Result> convert(List<Request>"),
            "{}: the method takes Requests and returns Results",
            action.name
        );
    }
}

#[test]
fn every_action_has_a_test_class_and_both_use_the_source_api_version() {
    let project = std::fs::read_to_string(sfdx::sfdx_root().join("../../../sfdx-project.json"))
        .expect("sfdx-project.json");
    assert!(project.contains(r#""sourceApiVersion": "62.0""#));
    for action in APEX_ACTIONS {
        let test = read(&format!("classes/{}Test.cls", action.name));
        assert!(
            test.trim_start().starts_with("@IsTest"),
            "{}Test",
            action.name
        );
        assert!(
            test.matches("@IsTest").count() >= 3,
            "{}Test: a class annotation and a test per path",
            action.name
        );
        for class in [action.name.to_string(), format!("{}Test", action.name)] {
            let meta = read(&format!("classes/{class}.cls-meta.xml"));
            assert_eq!(tag(&meta, "apiVersion"), Some("62.0"), "{class}");
            assert_eq!(tag(&meta, "status"), Some("Active"), "{class}");
        }
    }
}

#[test]
fn the_variable_parser_reads_names_types_and_required_flags() {
    let body = "@InvocableVariable(label='A (b)' required=true)\n public Id leadId;\n @InvocableVariable public Boolean flag = true;";
    let expected = [("leadId", "Id", true), ("flag", "Boolean", false)]
        .map(|(n, t, r)| (n.to_string(), t.to_string(), r));
    assert_eq!(invocable_variables(body), expected);
}
