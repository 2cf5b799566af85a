//! The core's modules form layers: no module reaches, directly or through others, back to
//! itself. A circle makes modules impossible to understand or move one at a time.
//!
//! The graph is read from the source: every `crate::…` and `super::…` path outside test code
//! is an edge to the deepest module it names; comments are not uses.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// Module path (`order::lifecycle`, `` for the crate root) → its source without test code.
fn modules() -> BTreeMap<String, String> {
    fn walk(dir: &Path, prefix: &[String], out: &mut BTreeMap<String, String>) {
        for entry in fs::read_dir(dir).expect("src is readable") {
            let path = entry.expect("a directory entry").path();
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                let mut next = prefix.to_vec();
                next.push(stem);
                walk(&path, &next, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let mut name = prefix.to_vec();
                if stem != "mod" && stem != "lib" {
                    name.push(stem);
                }
                let source = fs::read_to_string(&path).expect("a source file is readable");
                let code = match source.find("#[cfg(test)]") {
                    Some(at) => &source[..at],
                    None => &source,
                };
                // Comments name modules without using them (intra-doc links).
                let code: String = code
                    .lines()
                    .filter(|line| !line.trim_start().starts_with("//"))
                    .map(|line| format!("{line}\n"))
                    .collect();
                out.insert(name.join("::"), code);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &[],
        &mut out,
    );
    out
}

/// The identifiers of a path that starts at `at`, e.g. `a::b::{C, D}` → [a, b].
fn path_segments(code: &str) -> Vec<String> {
    let mut segments = Vec::new();
    let mut rest = code;
    loop {
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if end == 0 {
            break;
        }
        segments.push(rest[..end].to_owned());
        match rest[end..].strip_prefix("::") {
            Some(next) => rest = next,
            None => break,
        }
    }
    segments
}

/// The modules each module uses.
fn graph(modules: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (name, code) in modules {
        let own: Vec<String> = name
            .split("::")
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        let mut targets = BTreeSet::new();
        for (at, _) in code.match_indices("crate::") {
            let before = code[..at].chars().last();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
                continue;
            }
            targets.insert(path_segments(&code[at + "crate::".len()..]));
        }
        for (at, _) in code.match_indices("super::") {
            let mut base = own.clone();
            base.pop();
            let mut segments = base;
            segments.extend(path_segments(&code[at + "super::".len()..]));
            targets.insert(segments);
        }
        for segments in targets {
            // The deepest prefix that is a module of this crate.
            let target = (1..=segments.len())
                .rev()
                .map(|n| segments[..n].join("::"))
                .find(|candidate| modules.contains_key(candidate));
            if let Some(target) = target
                && target != *name
            {
                edges.entry(name.clone()).or_default().insert(target);
            }
        }
    }
    edges
}

fn find_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        done: &mut BTreeSet<String>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[at..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_owned());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, edges, done, stack) {
                return Some(cycle);
            }
        }
        stack.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    edges
        .keys()
        .find_map(|node| visit(node, edges, &mut done, &mut Vec::new()))
}

#[test]
fn no_module_of_the_core_depends_on_itself_through_others() {
    let modules = modules();
    let edges = graph(&modules);
    assert!(
        edges.get("storefront").is_some_and(|e| e.contains("ports")),
        "the graph reader sees the storefront's use of the ports: {edges:#?}"
    );
    if let Some(cycle) = find_cycle(&edges) {
        panic!("import circle: {}", cycle.join(" -> "));
    }
}

#[test]
fn the_cycle_finder_finds_a_circle_of_three() {
    let edges = BTreeMap::from([
        ("a".to_owned(), BTreeSet::from(["b".to_owned()])),
        ("b".to_owned(), BTreeSet::from(["c".to_owned()])),
        ("c".to_owned(), BTreeSet::from(["a".to_owned()])),
    ]);
    assert_eq!(
        find_cycle(&edges).unwrap(),
        ["a", "b", "c", "a"].map(String::from)
    );
}

#[test]
fn the_domain_layers_use_no_use_case() {
    let edges = graph(&modules());
    for domain in [
        "ids", "money", "catalog", "customer", "pricing", "cart", "order",
    ] {
        for used in edges.get(domain).into_iter().flatten() {
            assert!(
                ![
                    "storefront",
                    "payments::processor",
                    "outbox",
                    "ports",
                    "app_error"
                ]
                .contains(&used.as_str()),
                "{domain} uses {used}"
            );
        }
    }
}
