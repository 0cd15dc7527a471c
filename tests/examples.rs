//! Every template in examples/ is linted and deployed end to end: cfn-lint with the type's
//! schema (--registry-schemas), then every resource created through the local driver in
//! dependency order (independent ones side by side, as CloudFormation does) against the realistic
//! local Organizations, its outputs resolved, and a stack delete played honouring DeletionPolicy
//! and DeletionMode. cfn-lint 1.58 checks that the private type exists but not its properties
//! (its per-region schema lookup yields built-in types only), so the properties are checked by
//! the handler itself, with the same schema, before any call: an invalid one fails the create.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};
use support::{run_driver, Moto, Org};

const TYPE_NAME: &str = "Acme::Organizations::Account";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The type's schema under the examples' type name, in a directory of its own for cfn-lint.
fn registry_schemas(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("registry-schemas-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schema/aws-organizations-account.json")).unwrap(),
    )
    .unwrap();
    schema["typeName"] = json!(TYPE_NAME);
    std::fs::write(
        dir.join("acme-organizations-account.json"),
        schema.to_string(),
    )
    .unwrap();
    dir
}

fn cfn_lint(template: &Path, schemas: &Path) -> (i32, String) {
    let out = Command::new(support::venv("cfn-lint", "CFN_LINT"))
        .arg("--registry-schemas")
        .arg(schemas)
        .arg("--")
        .arg(template)
        .output()
        .expect("cfn-lint runs (scripts/setup)");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn template_json(template: &Path) -> Value {
    let out = Command::new(support::venv("python", "LOCAL_ORG_PYTHON"))
        .arg(root().join("scripts/template_json.py"))
        .arg(template)
        .output()
        .expect("the template decoder runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// What the stack knows while it deploys: parameter values and created resources' models.
struct Stack {
    parameters: BTreeMap<String, String>,
    models: BTreeMap<String, Value>,
}

impl Stack {
    fn attribute(&self, resource: &str, attribute: &str) -> Value {
        let model = self
            .models
            .get(resource)
            .unwrap_or_else(|| panic!("{resource} used before it was created"));
        let value = &model[attribute];
        assert!(
            !value.is_null(),
            "{resource}.{attribute} missing from {model}"
        );
        value.clone()
    }

    /// Resolves the intrinsic functions the examples use: Ref, Fn::GetAtt, Fn::Sub, Fn::Join.
    fn resolve(&self, v: &Value) -> Value {
        match v {
            Value::Array(items) => Value::Array(items.iter().map(|i| self.resolve(i)).collect()),
            Value::Object(map) if map.len() == 1 => {
                let (k, arg) = map.iter().next().unwrap();
                match k.as_str() {
                    "Ref" => {
                        let name = arg.as_str().unwrap();
                        match self.parameters.get(name) {
                            Some(p) => json!(p),
                            None => self.attribute(name, "AccountId"),
                        }
                    }
                    "Fn::GetAtt" => {
                        let (r, a) = match arg {
                            Value::Array(ra) => (
                                ra[0].as_str().unwrap().to_owned(),
                                ra[1].as_str().unwrap().to_owned(),
                            ),
                            other => {
                                let s = other.as_str().unwrap();
                                let (r, a) = s.split_once('.').unwrap();
                                (r.to_owned(), a.to_owned())
                            }
                        };
                        self.attribute(&r, &a)
                    }
                    "Fn::Sub" => {
                        let mut text = arg.as_str().expect("Fn::Sub with a string").to_owned();
                        while let Some(start) = text.find("${") {
                            let end = start + text[start..].find('}').unwrap();
                            let name = &text[start + 2..end];
                            let value = match name.split_once('.') {
                                Some((r, a)) => self.attribute(r, a),
                                None => self.resolve(&json!({"Ref": name})),
                            };
                            text.replace_range(start..=end, value.as_str().unwrap());
                        }
                        json!(text)
                    }
                    "Fn::Join" => {
                        let parts = self.resolve(&arg[1]);
                        let parts: Vec<&str> = parts
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|p| p.as_str().unwrap())
                            .collect();
                        json!(parts.join(arg[0].as_str().unwrap()))
                    }
                    other if other.starts_with("Fn::") || other == "Condition" => {
                        panic!("the examples test does not resolve {other}")
                    }
                    _ => Value::Object(
                        map.iter()
                            .map(|(k, v)| (k.clone(), self.resolve(v)))
                            .collect(),
                    ),
                }
            }
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), self.resolve(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

/// The resources `v` refers to (Ref, Fn::GetAtt, Fn::Sub), among `resources`.
fn references(v: &Value, resources: &BTreeSet<String>, out: &mut BTreeSet<String>) {
    match v {
        Value::Array(items) => items.iter().for_each(|i| references(i, resources, out)),
        Value::Object(map) => {
            for (k, arg) in map {
                let named = match (k.as_str(), arg) {
                    ("Ref", Value::String(s)) => vec![s.clone()],
                    ("Fn::GetAtt", Value::Array(ra)) => {
                        vec![ra[0].as_str().unwrap_or_default().to_owned()]
                    }
                    ("Fn::GetAtt", Value::String(s)) => {
                        vec![s.split('.').next().unwrap_or_default().to_owned()]
                    }
                    ("Fn::Sub", Value::String(s)) => s
                        .split("${")
                        .skip(1)
                        .filter_map(|p| p.split(['}', '.']).next())
                        .map(str::to_owned)
                        .collect(),
                    _ => vec![],
                };
                out.extend(named.into_iter().filter(|n| resources.contains(n)));
                references(arg, resources, out);
            }
        }
        _ => {}
    }
}

/// Resources in waves: each wave depends only on earlier ones.
fn waves(resources: &serde_json::Map<String, Value>) -> Vec<Vec<String>> {
    let names: BTreeSet<String> = resources.keys().cloned().collect();
    let mut deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (name, r) in resources {
        let mut d = BTreeSet::new();
        references(&r["Properties"], &names, &mut d);
        match &r["DependsOn"] {
            Value::String(s) => {
                d.insert(s.clone());
            }
            Value::Array(a) => d.extend(a.iter().filter_map(|s| s.as_str().map(str::to_owned))),
            _ => {}
        }
        deps.insert(name.clone(), d);
    }
    let mut done = BTreeSet::new();
    let mut out = Vec::new();
    while done.len() < names.len() {
        let wave: Vec<String> = names
            .iter()
            .filter(|n| !done.contains(*n) && deps[*n].iter().all(|d| done.contains(d)))
            .cloned()
            .collect();
        assert!(!wave.is_empty(), "dependency cycle in {deps:?}");
        done.extend(wave.iter().cloned());
        out.push(wave);
    }
    out
}

async fn state_of(org: &Org, id: &str) -> String {
    let out = org.client.describe_account().account_id(id).send().await;
    out.expect("describe account")
        .account()
        .unwrap()
        .state()
        .unwrap()
        .as_str()
        .to_owned()
}

/// Lints and deploys one example, then deletes its stack; returns how many accounts it made.
async fn deploy(example: &str) -> usize {
    let path = root().join("examples").join(example);
    let (code, lint) = cfn_lint(&path, &registry_schemas(example));
    assert_eq!(code, 0, "cfn-lint {example}:\n{lint}");
    let template = template_json(&path);

    let moto = Moto::start().await;
    let org = moto.organization().await;
    // A template with a baseline needs the Account Management API's trusted access, enabled
    // once per organization (as its description says); CloudFormation's callback delays are
    // kept (at a tenth) so that Regions are polled, not spun on.
    let baseline = [
        "AlternateContacts",
        "EnabledRegions",
        "DisabledRegions",
        "WaitUntilReady",
    ]
    .iter()
    .any(|p| template.to_string().contains(p));
    if baseline {
        org.enable_account_management().await;
    }
    let scale = if baseline { "0.1" } else { "0" };
    let mut parameters = BTreeMap::new();
    for (name, p) in template["Parameters"].as_object().into_iter().flatten() {
        let value = if p["AllowedPattern"]
            .as_str()
            .is_some_and(|a| a.starts_with("^ou-"))
        {
            if name.contains("Sandbox") {
                org.ou_b.clone()
            } else {
                org.ou_a.clone()
            }
        } else {
            p["Default"]
                .as_str()
                .unwrap_or_else(|| panic!("{example}: parameter {name} needs a Default"))
                .to_owned()
        };
        parameters.insert(name.clone(), value);
    }
    let mut stack = Stack {
        parameters,
        models: BTreeMap::new(),
    };
    let resources = template["Resources"].as_object().unwrap().clone();
    let stack_id = format!(
        "arn:aws:cloudformation:us-east-1:123456789012:stack/example-{}/00000000-0000-4000-8000-000000000000",
        example.trim_end_matches(".yaml")
    );
    let order = waves(&resources);

    // Create: each wave side by side.
    let mut declared = BTreeMap::new();
    for wave in &order {
        let mut runs = tokio::task::JoinSet::new();
        for name in wave {
            let r = &resources[name];
            assert_eq!(r["Type"], TYPE_NAME, "{example}: {name} is not our type");
            let props = stack.resolve(&r["Properties"]);
            declared.insert(name.clone(), props.clone());
            let args = [
                "--time-scale",
                scale,
                "--action",
                "CREATE",
                "--logical-id",
                name,
                "--stack-id",
                &stack_id,
                "--properties",
                &props.to_string(),
            ]
            .map(String::from)
            .to_vec();
            let name = name.clone();
            let endpoint = moto.endpoint.clone();
            runs.spawn(async move { (name, run_driver(endpoint, args).await) });
        }
        while let Some(done) = runs.join_next().await {
            let (name, outcome) = done.unwrap();
            assert_eq!(outcome.code, 0, "{example}: {name}: {outcome:?}");
            stack.models.insert(name, outcome.model().clone());
        }
    }
    // What the template asked for is what the organization has.
    check_deployed(example, &moto, &org, &stack, &declared, &template).await;

    // Delete the stack: in reverse order; Retain keeps the account without asking the handler.
    for wave in order.iter().rev() {
        for name in wave {
            let id = stack.attribute(name, "AccountId");
            let id = id.as_str().unwrap();
            if resources[name]["DeletionPolicy"] == "Retain" {
                assert_eq!(state_of(&org, id).await, "ACTIVE", "{example}: {name}");
                continue;
            }
            let mut model = declared[name].clone();
            model["AccountId"] = json!(id);
            let deleted = moto
                .driver(&[
                    "--action",
                    "DELETE",
                    "--logical-id",
                    name,
                    "--stack-id",
                    &stack_id,
                    "--properties",
                    &model.to_string(),
                ])
                .await;
            match model["DeletionMode"].as_str() {
                Some("CLOSE") => {
                    assert_eq!(deleted.code, 0, "{example}: {name}: {deleted:?}");
                    assert_eq!(state_of(&org, id).await, "SUSPENDED", "{example}: {name}");
                }
                mode => {
                    assert_eq!(
                        deleted.error_code(),
                        "InvalidRequest",
                        "{example}: {name} ({mode:?})"
                    );
                    assert_eq!(state_of(&org, id).await, "ACTIVE", "{example}: {name}");
                }
            }
        }
    }
    declared.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn example_one_account_deploys_and_its_stack_delete_keeps_the_account() {
    assert_eq!(deploy("one-account.yaml").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn example_five_accounts_in_two_ous_deploys_and_closes_only_the_sandboxes() {
    assert_eq!(deploy("five-accounts-two-ous.yaml").await, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn example_account_baseline_deploys_with_its_contacts_and_regions() {
    assert_eq!(deploy("account-baseline.yaml").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn example_govcloud_with_deny_billing_deploys_with_its_govcloud_id() {
    assert_eq!(deploy("govcloud-deny-billing.yaml").await, 1);
}

/// What the template asked for is what the organization has, and every output resolves.
async fn check_deployed(
    example: &str,
    moto: &Moto,
    org: &Org,
    stack: &Stack,
    declared: &BTreeMap<String, Value>,
    template: &Value,
) {
    for (name, props) in declared {
        let id = stack.attribute(name, "AccountId");
        let id = id.as_str().unwrap();
        if let Some(path) = props["ParentPath"].as_str() {
            // The organization the examples deploy to: /Workloads and /Sandbox under the root.
            let ou = match path {
                "/" => &org.root,
                "/Workloads" => &org.ou_a,
                "/Sandbox" => &org.ou_b,
                other => panic!("{example}: {name}: no OU at {other} in the test organization"),
            };
            assert_eq!(&org.parent_of(id).await, ou, "{example}: {name}");
        }
        if let Some(parent) = props["ParentIds"][0].as_str() {
            assert_eq!(org.parent_of(id).await, parent, "{example}: {name}");
        }
        let tags = org.tags_of(id).await;
        for t in props["Tags"].as_array().into_iter().flatten() {
            let pair = (
                t["Key"].as_str().unwrap().to_owned(),
                t["Value"].as_str().unwrap().to_owned(),
            );
            assert!(
                tags.contains(&pair),
                "{example}: {name}: {pair:?} not in {tags:?}"
            );
        }
        let live = &moto.account_baselines().await[id];
        for (kind, contact) in props["AlternateContacts"].as_object().into_iter().flatten() {
            let api = kind.to_ascii_uppercase();
            assert_eq!(
                &live["contacts"][&api], contact,
                "{example}: {name}: {kind}"
            );
        }
        for region in props["EnabledRegions"].as_array().into_iter().flatten() {
            let region = region.as_str().unwrap();
            assert_eq!(
                live["regions"][region], "ENABLED",
                "{example}: {name}: {region}"
            );
        }
        // Inside the account, as its own calls see it.
        let inside_declared = [
            "DeleteDefaultVpcs",
            "AccountAlias",
            "EbsEncryptionByDefault",
            "S3BlockPublicAccess",
        ]
        .iter()
        .any(|p| props.get(*p).is_some());
        if inside_declared {
            let inside = moto.inside(id).await;
            for (region, held) in inside["regions"].as_object().into_iter().flatten() {
                if props["DeleteDefaultVpcs"] == json!(true) {
                    assert_eq!(
                        held["default_vpcs"],
                        json!({}),
                        "{example}: {name}: {region}"
                    );
                }
                if let Some(on) = props["EbsEncryptionByDefault"].as_bool() {
                    assert_eq!(held["ebs_encryption"], on, "{example}: {name}: {region}");
                }
            }
            if let Some(alias) = props["AccountAlias"].as_str() {
                assert_eq!(inside["aliases"], json!([alias]), "{example}: {name}");
            }
            if props["S3BlockPublicAccess"] == json!(true) {
                assert!(
                    inside["public_access_block"]
                        .as_object()
                        .is_some_and(|b| b.values().all(|v| v == &json!(true))),
                    "{example}: {name}: {inside}"
                );
            }
        }
    }
    for (name, output) in template["Outputs"].as_object().into_iter().flatten() {
        let value = stack.resolve(&output["Value"]);
        assert!(
            value.as_str().is_some_and(|v| !v.is_empty()),
            "{example}: output {name} = {value}"
        );
    }
}

/// CloudFormation hands a custom resource its properties with every scalar as a string.
fn stringify(v: &Value) -> Value {
    match v {
        Value::Array(items) => Value::Array(items.iter().map(stringify).collect()),
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), stringify(v))).collect())
        }
        Value::Bool(b) => json!(b.to_string()),
        Value::Number(n) => json!(n.to_string()),
        other => other.clone(),
    }
}

/// Deploys a template of `Custom::OrganizationsAccount` resources: every resource of a wave sent
/// at once, asynchronously, to the real function (as CloudFormation does), each answer read back
/// from the local S3; GetAtt resolves from the answers' Data; then the stack delete.
async fn deploy_custom(example: &str) -> usize {
    let path = root().join("examples").join(example);
    let out = Command::new(support::venv("cfn-lint", "CFN_LINT"))
        .arg("--")
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cfn-lint {example}:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let template = template_json(&path);
    let moto = Moto::start().await;
    let org = moto.organization().await;
    let function = support::CustomFunction::start(&moto, 3, 30).await;
    let mut parameters = BTreeMap::new();
    for (name, p) in template["Parameters"].as_object().into_iter().flatten() {
        let value = match p["Default"].as_str() {
            Some(d) => d.to_owned(),
            None => org.ou_a.clone(),
        };
        parameters.insert(name.clone(), value);
    }
    let mut stack = Stack {
        parameters,
        models: BTreeMap::new(),
    };
    let resources = template["Resources"].as_object().unwrap().clone();
    let order = waves(&resources);
    let mut declared = BTreeMap::new();
    for wave in &order {
        let keys: Vec<String> = wave.iter().map(|n| format!("create-{n}")).collect();
        let urls =
            support::response_urls(&moto, &keys.iter().map(String::as_str).collect::<Vec<_>>())
                .await;
        for (name, url) in wave.iter().zip(&urls) {
            assert_eq!(
                resources[name]["Type"], "Custom::OrganizationsAccount",
                "{example}: {name}"
            );
            let props = stringify(&stack.resolve(&resources[name]["Properties"]));
            declared.insert(name.clone(), props.clone());
            function
                .send(&support::custom_event(
                    "Create", name, &url.put, props, None, None,
                ))
                .await;
        }
        for (name, url) in wave.iter().zip(&urls) {
            let answer = url.answer(120).await;
            assert_eq!(answer["Status"], "SUCCESS", "{example}: {name}: {answer}");
            assert_eq!(answer["PhysicalResourceId"], answer["Data"]["AccountId"]);
            stack.models.insert(name.clone(), answer["Data"].clone());
        }
    }
    check_deployed(example, &moto, &org, &stack, &declared, &template).await;
    for wave in order.iter().rev() {
        for name in wave {
            let id = stack.attribute(name, "AccountId");
            let id = id.as_str().unwrap();
            if resources[name]["DeletionPolicy"] == "Retain" {
                assert_eq!(state_of(&org, id).await, "ACTIVE", "{example}: {name}");
                continue;
            }
            let url = support::response_urls(&moto, &[&format!("delete-{name}")])
                .await
                .remove(0);
            let event = support::custom_event(
                "Delete",
                name,
                &url.put,
                declared[name].clone(),
                Some(id),
                None,
            );
            function.send(&event).await;
            let answer = url.answer(120).await;
            match declared[name]["DeletionMode"].as_str() {
                Some("CLOSE") => {
                    assert_eq!(answer["Status"], "SUCCESS", "{example}: {name}: {answer}");
                    assert_eq!(state_of(&org, id).await, "SUSPENDED", "{example}: {name}");
                }
                _ => {
                    assert_eq!(answer["Status"], "FAILED", "{example}: {name}: {answer}");
                    assert_eq!(state_of(&org, id).await, "ACTIVE", "{example}: {name}");
                }
            }
        }
    }
    declared.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn example_custom_resource_accounts_deploy_through_the_function_and_close_only_scratch() {
    assert_eq!(deploy_custom("custom-resource-accounts.yaml").await, 3);
}

#[test]
fn every_example_is_deployed_by_a_test() {
    let tested = [
        "account-baseline.yaml",
        "custom-resource-accounts.yaml",
        "five-accounts-two-ous.yaml",
        "govcloud-deny-billing.yaml",
        "one-account.yaml",
    ];
    let mut found: Vec<String> = std::fs::read_dir(root().join("examples"))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".yaml"))
        .collect();
    found.sort();
    assert_eq!(found, tested);
    // The CDK app: synthesized and deployed through the real framework in tests/cdk_framework.rs.
    let mut apps: Vec<String> = std::fs::read_dir(root().join("examples"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    apps.sort();
    assert_eq!(apps, ["cdk"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_example_property_fails_before_any_call() {
    // The control for the note above: a bad DeletionMode passes cfn-lint, and the handler's
    // schema check refuses it.
    let moto = Moto::start().await;
    moto.organization().await;
    let bad = json!({"AccountName": "X", "Email": "x@example.com", "DeletionMode": "MAYBE"});
    let o = moto
        .driver(&["--action", "CREATE", "--properties", &bad.to_string()])
        .await;
    assert_eq!(o.error_code(), "InvalidRequest", "{o:?}");
    assert!(o.message().starts_with("DeletionMode:"), "{}", o.message());
    assert_eq!(moto.calls().await.get("CreateAccount"), None);
}
