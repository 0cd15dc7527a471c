//! The CDK construct library in cdk/: its props are generated from the resource schema and the
//! suite fails while the two disagree; its own tests (aws-cdk-lib's assertions under Node)
//! pass; and it packs for the npm registry with only what a user needs. examples/cdk declares its
//! accounts with it, deployed through the real framework by tests/cdk_framework.rs.
//! Needs Node and the npm packages (scripts/node-setup).

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

fn cdk() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("cdk")
}

fn run(program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .current_dir(cdk())
        .output()
        .unwrap_or_else(|e| panic!("{program} runs (scripts/node-setup): {e}"))
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn the_construct_props_are_what_the_schema_says() {
    let out = run("node", &["scripts/generate.js", "--check"]);
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn a_schema_property_added_or_removed_without_the_construct_fails_the_check() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(cdk().join("../schema/aws-organizations-account.json")).unwrap(),
    )
    .unwrap();
    let dir = std::env::temp_dir().join(format!("cdk-schema-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut added = schema.clone();
    added["properties"]["AccountAlias"] =
        serde_json::json!({"type": "string", "description": "An alias."});
    let mut removed = schema.clone();
    removed["properties"]
        .as_object_mut()
        .unwrap()
        .remove("WaitUntilReady");
    let mut retyped = schema;
    retyped["properties"]["DeletionMode"]["enum"] = serde_json::json!(["REFUSE", "CLOSE"]);
    for (name, changed) in [("added", added), ("removed", removed), ("retyped", retyped)] {
        let path = dir.join(format!("{name}.json"));
        std::fs::write(&path, changed.to_string()).unwrap();
        let out = run(
            "node",
            &[
                "scripts/generate.js",
                "--check",
                "--schema",
                path.to_str().unwrap(),
            ],
        );
        assert!(!out.status.success(), "{name}: the check passed");
        assert!(
            text(&out).contains("npm run generate"),
            "{name}: {}",
            text(&out)
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_construct_passes_its_own_tests_under_node() {
    assert!(
        cdk().join("dist/index.js").exists(),
        "cdk/ is not built: run scripts/node-setup"
    );
    let out = run("node", &["--test", "test/"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("# fail 0"), "{}", text(&out));
}

#[test]
fn the_package_packs_its_compiled_code_and_types_only() {
    let out = run("npm", &["pack", "--dry-run", "--json", "--loglevel=error"]);
    assert!(out.status.success(), "{}", text(&out));
    let packed: Value = serde_json::from_slice(&out.stdout).unwrap();
    let files: Vec<&str> = packed[0]["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["path"].as_str())
        .collect();
    for needed in [
        "package.json",
        "dist/index.js",
        "dist/index.d.ts",
        "dist/generated.js",
        "dist/generated.d.ts",
    ] {
        assert!(files.contains(&needed), "{needed} not packed: {files:?}");
    }
    assert!(
        files
            .iter()
            .all(|f| !f.starts_with("src/") && !f.starts_with("test/")),
        "{files:?}"
    );
    assert_eq!(packed[0]["name"], "organizations-account-cdk");
}
