//! The folder tree is the architecture, and the arrows point one way: `doors/` may use
//! `account/`, `aws/` and `vocab/`; `account/` may use `aws/` and `vocab/`; `aws/` only
//! `vocab/`; `vocab/` nothing of ours. The two doors do not use each other. Read from the
//! sources, so a new upward `use` fails here with the file and the line.

use std::path::{Path, PathBuf};

const LAYERS: [&str; 4] = ["vocab", "aws", "account", "doors"];

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("handler/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `crate::a::b` paths named in code (comments left out), with their line numbers.
fn crate_paths(text: &str) -> Vec<(usize, Vec<String>)> {
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        for (i, _) in code.match_indices("crate::") {
            let path: Vec<String> = code[i + "crate::".len()..]
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                .next()
                .unwrap_or("")
                .split("::")
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect();
            found.push((n + 1, path));
        }
    }
    found
}

#[test]
fn no_module_uses_a_layer_above_it_and_the_doors_do_not_use_each_other() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("handler");
    let mut checked = 0;
    let mut broken = Vec::new();
    for layer in LAYERS {
        let mut files = Vec::new();
        sources(&root.join(layer), &mut files);
        let rank = LAYERS.iter().position(|l| *l == layer).unwrap();
        for file in files {
            let text = std::fs::read_to_string(&file).expect("a readable source");
            let relative = file.strip_prefix(&root).unwrap().display().to_string();
            let own_door = relative.split('/').nth(1).unwrap_or("").to_owned();
            for (line, path) in crate_paths(&text) {
                checked += 1;
                let Some(target) = path.first() else { continue };
                let Some(target_rank) = LAYERS.iter().position(|l| l == target) else {
                    broken.push(format!("{relative}:{line}: crate::{target} is in no layer"));
                    continue;
                };
                if target_rank > rank {
                    broken.push(format!(
                        "{relative}:{line}: {layer} uses {target}, a layer above it"
                    ));
                }
                let other_door = layer == "doors"
                    && target == "doors"
                    && matches!(path.get(1).map(String::as_str), Some("registry" | "custom"))
                    && path.get(1) != Some(&own_door)
                    && matches!(own_door.as_str(), "registry" | "custom");
                if other_door {
                    broken.push(format!(
                        "{relative}:{line}: the {own_door} door uses the other door"
                    ));
                }
            }
        }
    }
    assert!(
        checked > 100,
        "only {checked} paths found: is the tree still handler/<layer>/?"
    );
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[test]
fn the_checker_sees_an_upward_use_and_ignores_comments() {
    let found = crate_paths(
        "use crate::doors::registry::dispatch; // crate::vocab::model\n    let x = crate::aws::lambda::SelfInvoke::new();",
    );
    assert_eq!(
        found,
        [
            (
                1,
                vec!["doors".into(), "registry".into(), "dispatch".into()]
            ),
            (
                2,
                vec![
                    "aws".into(),
                    "lambda".into(),
                    "SelfInvoke".into(),
                    "new".into()
                ]
            ),
        ]
    );
}
