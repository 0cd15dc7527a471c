//! The Guard rules in guard/ against their samples, through the `cfn-guard` CLI a pipeline runs
//! (scripts/setup installs it into .venv/bin): the template rules against guard/templates/, the
//! Guard Hook's variant against resource inputs in guard/hook/inputs/. Each `pass-*` sample
//! passes every rule, each `skip-*` sample is skipped by every rule, and each
//! `fail-<rule>[-...]` sample fails that rule and only that one, and exits 19 as the CLI does for
//! a failed validation. Every rule has a failing sample, and the examples in examples/ follow
//! the safe-deletion rule the README recommends.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use support::venv;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The rules for templates (a pipeline).
fn template_rules() -> PathBuf {
    root().join("guard/organizations-account.guard")
}

/// The rules for a Guard Hook's resource input.
fn hook_rules() -> PathBuf {
    root().join("guard/hook/organizations-account.guard")
}

/// The rules `file` declares, in order.
fn rule_names(file: &Path) -> Vec<String> {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("rule "))
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Pass,
    Fail,
    Skip,
}

/// One template through `cfn-guard validate`: the exit code, each rule's outcome, and the
/// messages of the failed clauses.
struct Verdict {
    code: i32,
    rules: BTreeMap<String, Outcome>,
    messages: String,
}

fn validate(rules: &Path, template: &Path) -> Verdict {
    let out = Command::new(venv("cfn-guard", "CFN_GUARD"))
        .args([
            "validate",
            "--structured",
            "--output-format",
            "json",
            "--show-summary",
            "none",
        ])
        .arg("--rules")
        .arg(rules)
        .arg("--data")
        .arg(template)
        .output()
        .expect("cfn-guard runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let reports: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "{}: cfn-guard did not answer JSON ({e}): {stdout} {}",
            template.display(),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let report = &reports[0];
    let mut rules = BTreeMap::new();
    let names = |key: &str| -> Vec<String> {
        report[key]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect()
    };
    for name in names("compliant") {
        rules.insert(name, Outcome::Pass);
    }
    for name in names("not_applicable") {
        rules.insert(name, Outcome::Skip);
    }
    for clause in report["not_compliant"].as_array().into_iter().flatten() {
        if let Some(name) = clause["Rule"]["name"].as_str() {
            rules.insert(name.to_owned(), Outcome::Fail);
        }
    }
    Verdict {
        code: out.status.code().unwrap_or(-1),
        rules,
        messages: report["not_compliant"].to_string(),
    }
}

/// What a sample's name says it should come to, rule by rule.
fn expected(file: &str, rules: &[String]) -> BTreeMap<String, Outcome> {
    let all = |o: Outcome| rules.iter().map(|r| (r.clone(), o)).collect();
    if file.starts_with("pass-") {
        return all(Outcome::Pass);
    }
    if file.starts_with("skip-") {
        return all(Outcome::Skip);
    }
    let failing = rules
        .iter()
        .find(|r| {
            file.strip_prefix("fail-")
                .and_then(|rest| rest.strip_prefix(r.as_str()))
                .is_some_and(|rest| rest.starts_with('-') || rest.starts_with('.'))
        })
        .unwrap_or_else(|| panic!("{file}: name it pass-*, skip-* or fail-<rule>[-...]"));
    let mut expected: BTreeMap<_, _> = all(Outcome::Pass);
    expected.insert(failing.clone(), Outcome::Fail);
    expected
}

/// Every sample in `dir` against `rules_file`, as its name says; every rule fails somewhere.
fn samples_come_out_as_named(rules_file: &Path, dir: &str) {
    let rules = rule_names(rules_file);
    let mut samples: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    samples.sort();
    let mut failed_somewhere = Vec::new();
    for sample in &samples {
        let file = sample.file_name().unwrap().to_string_lossy().into_owned();
        let want = expected(&file, &rules);
        let got = validate(rules_file, sample);
        assert_eq!(got.rules, want, "{file}: {}", got.messages);
        let failing = want.values().any(|o| *o == Outcome::Fail);
        // What a pipeline sees: 19 for a template that breaks a rule, 0 otherwise.
        assert_eq!(got.code, if failing { 19 } else { 0 }, "{file}");
        for (rule, outcome) in &want {
            if *outcome == Outcome::Fail {
                failed_somewhere.push(rule.clone());
            }
        }
    }
    for rule in &rules {
        assert!(
            failed_somewhere.contains(rule),
            "no sample in {dir} fails {rule}"
        );
    }
}

#[test]
fn each_sample_template_passes_skips_or_fails_exactly_the_rules_its_name_says() {
    assert_eq!(rule_names(&template_rules()).len(), 3);
    samples_come_out_as_named(&template_rules(), "guard/templates");
}

#[test]
fn the_hook_variant_judges_resource_inputs_as_the_template_rules_judge_templates() {
    // The same rules but the one a resource input cannot judge (no DeletionPolicy in it).
    let mut template = rule_names(&template_rules());
    template.retain(|r| r != "account_deletion_is_deliberate");
    assert_eq!(rule_names(&hook_rules()), template);
    samples_come_out_as_named(&hook_rules(), "guard/hook/inputs");
}

#[test]
fn a_failure_names_the_field_and_what_to_do() {
    let dir = root().join("guard/templates");
    let contacts = validate(
        &template_rules(),
        &dir.join("fail-account_contacts_declared.yaml"),
    );
    assert!(
        contacts.messages.contains("AlternateContacts.Security"),
        "{}",
        contacts.messages
    );
    let deletion = validate(
        &template_rules(),
        &dir.join("fail-account_deletion_is_deliberate.yaml"),
    );
    assert!(
        deletion.messages.contains("DeletionPolicy: Retain")
            && deletion.messages.contains("Forgotten")
            && deletion.messages.contains("Refusing"),
        "both accounts named: {}",
        deletion.messages
    );
    let regions = validate(
        &template_rules(),
        &dir.join("fail-account_regions_disable_nothing_by_accident-from-a-parameter.yaml"),
    );
    assert!(
        regions.messages.contains("written out"),
        "{}",
        regions.messages
    );
}

#[test]
fn every_example_follows_the_safe_deletion_rule() {
    let mut checked = 0;
    for entry in std::fs::read_dir(root().join("examples")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("yaml") {
            continue;
        }
        let verdict = validate(&template_rules(), &path);
        assert_eq!(
            verdict.rules.get("account_deletion_is_deliberate"),
            Some(&Outcome::Pass),
            "{}: {}",
            path.display(),
            verdict.messages
        );
        checked += 1;
    }
    assert!(checked >= 5, "only {checked} examples");
}
