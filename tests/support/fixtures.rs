//! The event fixtures in events/ played in order against whichever runner serves the function
//! (cargo lambda's emulator, `sam local start-lambda`), each held to the promise its file name
//! makes: `in-progress`, `success` or `failed-<error code in kebab case>`.

use std::future::Future;
use std::path::PathBuf;

use serde_json::{json, Value};

use super::{Moto, Org};

/// "04-read.success.json" -> ("SUCCESS", None); "x.failed-not-updatable.json" ->
/// ("FAILED", Some("NotUpdatable")).
pub fn promise(name: &str) -> (String, Option<String>) {
    let stem = name.trim_end_matches(".json");
    let promise = stem.rsplit('.').next().unwrap_or_default();
    match promise.strip_prefix("failed-") {
        Some(code) => {
            let code: String = code
                .split('-')
                .map(|w| {
                    let mut c = w.chars();
                    c.next()
                        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                        .unwrap_or_default()
                })
                .collect();
            ("FAILED".into(), Some(code))
        }
        None => (promise.replace('-', "_").to_ascii_uppercase(), None),
    }
}

fn names(dir: &PathBuf) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    names
}

/// Every registry fixture (events/*.json) through `invoke(name, body)`, which returns the
/// ProgressEvent. The example ids are replaced with those the local endpoint made.
pub async fn play_registry_fixtures<F, Fut>(moto: &Moto, org: &Org, invoke: F) -> usize
where
    F: Fn(String, String) -> Fut,
    Fut: Future<Output = Value>,
{
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("events");
    let names = names(&dir);
    assert!(names.len() >= 12, "{names:?}");
    let mut account = String::from("111111111111");
    let mut next_token = String::from("NEXT-PAGE-TOKEN");
    for name in &names {
        if name.contains("list.") {
            // Enough accounts for a second ListAccounts page, made directly (set-up, not under
            // test): the endpoint's creation time and quotas are lifted meanwhile.
            let settings = moto
                .configure(json!({"creation_seconds": 0, "max_in_flight": 100, "calls_per_second": "CreateAccount=100"}))
                .await;
            for i in 0..25 {
                org.client
                    .create_account()
                    .account_name(format!("Filler {i}"))
                    .email(format!("filler-{i}@example.com"))
                    .send()
                    .await
                    .unwrap();
            }
            moto.configure(settings).await;
        }
        let text = std::fs::read_to_string(dir.join(name))
            .unwrap()
            .replace("111111111111", &account)
            .replace("ou-abcd-11111111", &org.ou_a)
            .replace("ou-abcd-22222222", &org.ou_b)
            .replace("NEXT-PAGE-TOKEN", &next_token);
        let event = invoke(name.clone(), text).await;
        let (status, code) = promise(name);
        assert_eq!(
            event["status"].as_str(),
            Some(status.as_str()),
            "{name}: {event}"
        );
        assert_eq!(
            event["errorCode"].as_str().map(str::to_owned),
            code,
            "{name}: {event}"
        );
        if let Some(id) = event
            .pointer("/resourceModel/AccountId")
            .and_then(Value::as_str)
        {
            account = id.to_owned();
        }
        if let Some(token) = event["nextToken"].as_str() {
            next_token = token.to_owned();
        }
        if name.contains("list.") {
            assert!(event["nextToken"].is_string(), "no second page: {event}");
        }
        if name.contains("list-next-page") {
            assert!(
                !event["resourceModels"].as_array().unwrap().is_empty(),
                "{event}"
            );
        }
    }
    names.len()
}

/// Every custom-resource fixture (events/custom-resource/*.json) through `play(name, event)`,
/// which answers with the body PUT at the event's ResponseURL.
pub async fn play_custom_fixtures<F, Fut>(moto: &Moto, org: &Org, play: F) -> usize
where
    F: Fn(String, Value) -> Fut,
    Fut: Future<Output = Value>,
{
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("events/custom-resource");
    let names = names(&dir);
    assert_eq!(names.len(), 5, "{names:?}");
    let mut account = String::from("111111111111");
    for name in &names {
        let text = std::fs::read_to_string(dir.join(name))
            .unwrap()
            .replace("111111111111", &account)
            .replace("ou-abcd-11111111", &org.ou_a);
        let event: Value = serde_json::from_str(&text).unwrap();
        let calls_before = moto.calls().await;
        let answer = play(name.clone(), event.clone()).await;
        for key in ["StackId", "RequestId", "LogicalResourceId"] {
            assert_eq!(answer[key], event[key], "{name}: {answer}");
        }
        let (status, code) = promise(name);
        assert_eq!(
            answer["Status"].as_str(),
            Some(status.as_str()),
            "{name}: {answer}"
        );
        if let Some(code) = code {
            let reason = answer["Reason"].as_str().unwrap_or("");
            assert!(reason.starts_with(&format!("{code}: ")), "{name}: {answer}");
        }
        match event["RequestType"].as_str() {
            Some("Create") => account = answer["PhysicalResourceId"].as_str().unwrap().to_owned(),
            _ => assert_eq!(
                answer["PhysicalResourceId"], event["PhysicalResourceId"],
                "{name}"
            ),
        }
        if name.contains("update-tags-and-parent") {
            assert_eq!(org.parent_of(&account).await, org.ou_a);
        }
        if name.contains("rollback-delete") {
            assert_eq!(moto.calls().await, calls_before, "{name}: no call");
        }
    }
    names.len()
}
