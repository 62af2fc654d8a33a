//! The workspace's shape, checked: dependencies point down only, and no two
//! modules of a crate import each other.
//!
//! The layers, top to bottom: `streamdlq` (the CLI) → `streamdlq-local` →
//! `hydrate` and `processor` → `streamdlq-core`. `streamdlq-emulators` sits
//! below `streamdlq-local` and depends on no workspace crate, so that tests
//! and benchmarks of any crate can start the emulators without an arrow back
//! up. It lives here because this crate is the one every other may depend
//! on, and it reads only `cargo metadata` and source text.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// Each workspace crate's layer; a crate may depend only on lower layers.
const LAYERS: [(&str, u8); 7] = [
    ("streamdlq-emulators", 0),
    ("streamdlq-fault-proxy", 0),
    ("streamdlq-core", 1),
    ("processor", 2),
    ("hydrate", 2),
    ("streamdlq-local", 3),
    ("streamdlq", 4),
];

/// The crate that depends on no workspace crate.
const EMULATORS: &str = "streamdlq-emulators";

/// The lowest layer that may ship the emulators in its own code (not only
/// in tests and benchmarks): the local stack and what runs it.
const EMULATORS_SHIPPED_FROM: u8 = 3;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("workspace root")
        .to_path_buf()
}

/// `cargo metadata --no-deps`: the workspace's packages and what each
/// declares, normal, dev and build dependencies alike.
fn metadata() -> Value {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(workspace_root())
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("cargo metadata JSON")
}

/// One dependency of one workspace crate on another.
#[derive(Debug)]
struct Edge {
    from: String,
    to: String,
    /// `normal`, `dev` or `build`.
    kind: String,
}

fn workspace_edges(metadata: &Value) -> (BTreeSet<String>, Vec<Edge>) {
    let packages = metadata["packages"].as_array().expect("packages");
    let members: BTreeSet<String> = packages
        .iter()
        .map(|package| package["name"].as_str().expect("name").to_owned())
        .collect();
    let edges = packages
        .iter()
        .flat_map(|package| {
            let from = package["name"].as_str().expect("name").to_owned();
            package["dependencies"]
                .as_array()
                .expect("dependencies")
                .iter()
                .filter_map(move |dependency| {
                    let to = dependency["name"].as_str().expect("name");
                    // A workspace crate is a path dependency on a member.
                    (dependency["path"].is_string()).then(|| Edge {
                        from: from.clone(),
                        to: to.to_owned(),
                        kind: dependency["kind"].as_str().unwrap_or("normal").to_owned(),
                    })
                })
        })
        .collect();
    (members, edges)
}

/// The rule for one edge; `None` when it is allowed.
fn violation(edge: &Edge, layers: &BTreeMap<&str, u8>) -> Option<String> {
    let from = layers.get(edge.from.as_str())?;
    let to = layers.get(edge.to.as_str())?;
    let arrow = format!("{} -> {} ({})", edge.from, edge.to, edge.kind);
    if edge.from == EMULATORS {
        return Some(format!(
            "{arrow}: {EMULATORS} must depend on no workspace crate"
        ));
    }
    if to >= from {
        return Some(format!("{arrow}: points up or sideways"));
    }
    if edge.to == EMULATORS && edge.kind == "normal" && *from < EMULATORS_SHIPPED_FROM {
        return Some(format!(
            "{arrow}: only tests and benchmarks below streamdlq-local use the emulators"
        ));
    }
    None
}

/// Every workspace crate has a layer, and every dependency between them
/// (normal, dev or build) points to a lower layer.
#[test]
fn workspace_dependencies_point_down_only() {
    let layers: BTreeMap<&str, u8> = LAYERS.into_iter().collect();
    let (members, edges) = workspace_edges(&metadata());
    let unplaced: Vec<&String> = members
        .iter()
        .filter(|member| !layers.contains_key(member.as_str()))
        .collect();
    assert!(
        unplaced.is_empty(),
        "crates without a layer (add them to LAYERS): {unplaced:?}"
    );
    assert!(
        edges
            .iter()
            .any(|edge| edge.to == EMULATORS && edge.kind == "dev"),
        "the check sees dev-dependencies"
    );
    let violations: Vec<String> = edges
        .iter()
        .filter_map(|edge| violation(edge, &layers))
        .collect();
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

/// The rule itself catches an arrow back up, sideways, out of the
/// emulators crate, and the emulators shipped in a Lambda function.
#[test]
fn the_rule_catches_each_kind_of_wrong_arrow() {
    let layers: BTreeMap<&str, u8> = LAYERS.into_iter().collect();
    let edge = |from: &str, to: &str, kind: &str| Edge {
        from: from.to_owned(),
        to: to.to_owned(),
        kind: kind.to_owned(),
    };
    for wrong in [
        edge("hydrate", "streamdlq-local", "dev"),
        edge("hydrate", "processor", "normal"),
        edge("streamdlq-core", "streamdlq", "build"),
        edge(EMULATORS, "streamdlq-core", "dev"),
        edge("hydrate", EMULATORS, "normal"),
    ] {
        assert!(violation(&wrong, &layers).is_some(), "{wrong:?}");
    }
    for right in [
        edge("streamdlq", "streamdlq-local", "normal"),
        edge("hydrate", EMULATORS, "dev"),
        edge("streamdlq-local", EMULATORS, "normal"),
    ] {
        assert_eq!(violation(&right, &layers), None, "{right:?}");
    }
}

/// A crate's module tree, from its `src/` files.
struct Modules {
    /// Every module path (`["stack", "down"]`); the root is `[]`.
    known: BTreeSet<Vec<String>>,
    /// Each source file with its module path.
    files: Vec<(PathBuf, Vec<String>)>,
}

impl Modules {
    fn read(src: &Path) -> Self {
        let mut files = Vec::new();
        collect_rs(src, &mut files);
        let files: Vec<(PathBuf, Vec<String>)> = files
            .into_iter()
            // `main.rs` is another crate; `tests.rs` holds a module's unit tests.
            .filter(|file| {
                file.file_name()
                    .is_some_and(|name| name != "main.rs" && name != "tests.rs")
            })
            .map(|file| {
                let relative = file.strip_prefix(src).expect("under src");
                let mut path: Vec<String> = relative
                    .with_extension("")
                    .iter()
                    .map(|part| part.to_string_lossy().into_owned())
                    .collect();
                if path
                    .last()
                    .is_some_and(|last| last == "mod" || last == "lib")
                {
                    path.pop();
                }
                (file, path)
            })
            .collect();
        let known = files.iter().map(|(_, path)| path.clone()).collect();
        Self { known, files }
    }

    /// The module a path like `stack::down::stop_processes` names: its
    /// longest prefix that is a module.
    fn module_of(&self, path: &[String]) -> Vec<String> {
        (0..=path.len())
            .rev()
            .map(|len| path[..len].to_vec())
            .find(|prefix| self.known.contains(prefix))
            .unwrap_or_default()
    }
}

fn collect_rs(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src").flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_rs(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// The product code of a file: without comments (doc links are not
/// imports) and without its unit tests (`#[cfg(test)] mod …`, by convention
/// at the end of the file), whose fixtures may well be built from the very
/// module they test.
fn code_of(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let end = lines
        .windows(2)
        .position(|pair| {
            pair[0].trim() == "#[cfg(test)]" && pair[1].trim_start().starts_with("mod ")
        })
        .unwrap_or(lines.len());
    lines[..end]
        .iter()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every path the code names through `crate::` or `super::`, expanded out
/// of `{…}` groups, resolved against the module `module`.
fn referenced_paths(code: &str, module: &[String]) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let bytes = code.as_bytes();
    let mut at = 0;
    while at < code.len() {
        let rest = &code[at..];
        let starts_word = at == 0
            || !(bytes[at - 1].is_ascii_alphanumeric()
                || bytes[at - 1] == b'_'
                || bytes[at - 1] == b':');
        let base: Option<(Vec<String>, usize)> = if !starts_word {
            None
        } else if rest.starts_with("crate::") {
            Some((Vec::new(), "crate::".len()))
        } else if rest.starts_with("super::") {
            let mut base = module.to_vec();
            let mut len = 0;
            while code[at + len..].starts_with("super::") {
                base.pop();
                len += "super::".len();
            }
            Some((base, len))
        } else {
            None
        };
        match base {
            Some((base, len)) => {
                let (tree, used) = parse_tree(&code[at + len..]);
                for leaf in tree {
                    let mut path = base.clone();
                    path.extend(leaf);
                    paths.push(path);
                }
                at += len + used.max(1);
            }
            None => at += rest.chars().next().map_or(1, char::len_utf8),
        }
    }
    paths
}

/// Parses `a::b::{c, d::e}` at the start of `text` into its leaf paths;
/// returns them and how many bytes were read.
fn parse_tree(text: &str) -> (Vec<Vec<String>>, usize) {
    let mut prefix = Vec::new();
    let mut at = 0;
    loop {
        let ident_len = text[at..]
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(text.len() - at);
        if ident_len > 0 {
            prefix.push(text[at..at + ident_len].to_owned());
            at += ident_len;
            if text[at..].starts_with("::") {
                at += 2;
                continue;
            }
            return (vec![prefix], at);
        }
        if text[at..].starts_with('{') {
            at += 1;
            let mut leaves = Vec::new();
            loop {
                let skipped = text[at..].len() - text[at..].trim_start().len();
                at += skipped;
                if text[at..].starts_with('}') {
                    return (leaves, at + 1);
                }
                if text[at..].starts_with(',') {
                    at += 1;
                    continue;
                }
                let (inner, used) = parse_tree(&text[at..]);
                if used == 0 {
                    return (leaves, at);
                }
                for leaf in inner {
                    let mut path = prefix.clone();
                    path.extend(leaf);
                    leaves.push(path);
                }
                at = skip_alias(text, at + used);
            }
        }
        return (vec![prefix], at);
    }
}

/// After `x as y` in a group, the position after `y`; else `at`.
fn skip_alias(text: &str, at: usize) -> usize {
    let trimmed = text[at..].trim_start();
    match trimmed.strip_prefix("as") {
        Some(after) if after.starts_with(char::is_whitespace) => {
            let alias = after.trim_start();
            let len = alias
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(alias.len());
            text.len() - alias.len() + len
        }
        _ => at,
    }
}

/// The pairs of modules of one crate that import each other. Modules are
/// compared where their paths part (`esm::poller` and `esm::runtime`;
/// `stack` and `delivery` for anything inside them); a module and its own
/// descendants are not a pair.
fn mutual_imports(src: &Path) -> Vec<String> {
    let modules = Modules::read(src);
    let mut edges: BTreeSet<(Vec<String>, Vec<String>)> = BTreeSet::new();
    for (file, module) in &modules.files {
        let code = code_of(&std::fs::read_to_string(file).expect("source"));
        for path in referenced_paths(&code, module) {
            let target = modules.module_of(&path);
            let common = module
                .iter()
                .zip(&target)
                .take_while(|(a, b)| a == b)
                .count();
            if common == module.len() || common == target.len() {
                continue;
            }
            edges.insert((module[..=common].to_vec(), target[..=common].to_vec()));
        }
    }
    edges
        .iter()
        .filter(|(from, to)| from < to && edges.contains(&(to.clone(), from.clone())))
        .map(|(from, to)| format!("{} <-> {}", from.join("::"), to.join("::")))
        .collect()
}

/// No two modules of a workspace crate import each other: each crate's
/// modules form layers too.
#[test]
fn no_two_modules_of_a_crate_import_each_other() {
    let crates = workspace_root().join("crates");
    let mut knots = Vec::new();
    for entry in std::fs::read_dir(&crates).expect("crates").flatten() {
        let src = entry.path().join("src");
        if src.is_dir() {
            for knot in mutual_imports(&src) {
                knots.push(format!("{}: {knot}", entry.file_name().to_string_lossy()));
            }
        }
    }
    knots.sort();
    assert!(
        knots.is_empty(),
        "modules that import each other: {knots:#?}"
    );
}

/// The scanner sees `use crate::{…}` groups, `super::` paths and paths in
/// code, and ignores comments and unit tests.
#[test]
fn the_scanner_reads_groups_super_and_inline_paths() {
    let module = vec!["stack".to_owned(), "down".to_owned()];
    let code = code_of(
        "use crate::{delivery::{Delivery, x::Y as Z}, esm};\n\
         use super::status::Status;\n\
         // crate::template::ids is only mentioned\n\
         let e = crate::state::liveness(a);\n\
         #[cfg(test)]\n\
         mod tests {\n\
             use crate::fixtures::SAMPLE;\n\
         }\n",
    );
    let paths: BTreeSet<String> = referenced_paths(&code, &module)
        .into_iter()
        .map(|path| path.join("::"))
        .collect();
    let expected: BTreeSet<String> = [
        "delivery::Delivery",
        "delivery::x::Y",
        "esm",
        "stack::status::Status",
        "state::liveness",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(paths, expected);
}
