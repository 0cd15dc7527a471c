//! Template mistakes that AWS would refuse only once an account exists (a missing OU, contacts
//! or Regions without trusted access, a Region the partition lacks or one on by default in
//! DisabledRegions, contact fields outside the API's ASCII patterns) are refused before any
//! account is made, and on UPDATE before the first change: end to end, the real binary on the
//! realistic local endpoint, through both doors (issue 22).

mod support;

use serde_json::{json, Value};
use support::{custom_event, response_urls, CustomFunction, Moto};

fn contact() -> Value {
    json!({"Name": "Sec", "Title": "CISO", "EmailAddress": "sec@example.com",
        "PhoneNumber": "+1 555 0100"})
}

fn changing(calls: &Value) -> u64 {
    [
        "CreateAccount",
        "CreateGovCloudAccount",
        "MoveAccount",
        "TagResource",
        "UntagResource",
        "Account.PutAlternateContact",
        "Account.EnableRegion",
        "Account.DisableRegion",
    ]
    .iter()
    .map(|op| calls[*op].as_u64().unwrap_or(0))
    .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn template_mistakes_make_no_account_and_say_what_to_fix() {
    let moto = Moto::start().await;
    let org = moto.organization().await;
    let missing_ou = format!("ou-{}-zzzzzzzz", &org.ou_a[3..7]);
    // Trusted access for account.amazonaws.com is not enabled yet.
    let cases = [
        (
            "missing OU",
            json!({"AccountName": "A", "Email": "a@example.com", "ParentIds": [missing_ou]}),
            "ParentIds: ",
            "is not an organizational unit of this organization",
        ),
        (
            "another organization's root",
            json!({"AccountName": "A", "Email": "a@example.com", "ParentIds": ["r-zzzz"]}),
            "ParentIds: r-zzzz",
            "is not this organization's root",
        ),
        (
            "contacts without trusted access",
            json!({"AccountName": "A", "Email": "a@example.com",
                "AlternateContacts": {"Security": contact()}}),
            "AlternateContacts needs the Account Management API",
            "enable-aws-service-access --service-principal account.amazonaws.com",
        ),
        (
            "contact e-mail outside ASCII",
            json!({"AccountName": "A", "Email": "a@example.com",
                "AlternateContacts": {"Security": {"Name": "Sec", "Title": "CISO",
                    "EmailAddress": "séc@example.com", "PhoneNumber": "+1 555 0100"}}}),
            "AlternateContacts.Security.EmailAddress",
            "does not match",
        ),
    ];
    for (what, props, starts, says) in &cases {
        let out = moto
            .driver(&["--action", "CREATE", "--properties", &props.to_string()])
            .await;
        assert_eq!(out.error_code(), "InvalidRequest", "{what}: {out:?}");
        assert!(
            out.message().contains(starts) && out.message().contains(says),
            "{what}: {}",
            out.message()
        );
    }
    org.enable_account_management().await;
    for (what, regions, starts, says) in [
        (
            "a Region on by default in DisabledRegions",
            json!({"DisabledRegions": ["us-east-1"]}),
            "DisabledRegions: us-east-1",
            "enabled by default in every account and cannot be disabled",
        ),
        (
            "a Region the partition lacks",
            json!({"EnabledRegions": ["xx-nowhere-1"]}),
            "EnabledRegions: xx-nowhere-1",
            "is not a Region of this partition",
        ),
    ] {
        let mut props = json!({"AccountName": "A", "Email": "a@example.com"});
        for (k, v) in regions.as_object().unwrap() {
            props[k] = v.clone();
        }
        let out = moto
            .driver(&["--action", "CREATE", "--properties", &props.to_string()])
            .await;
        assert_eq!(out.error_code(), "InvalidRequest", "{what}: {out:?}");
        assert!(
            out.message().starts_with(starts) && out.message().contains(says),
            "{what}: {}",
            out.message()
        );
    }
    let calls = moto.calls().await;
    assert_eq!(changing(&calls), 0, "{calls}");
    assert_eq!(org.accounts_with_email("a@example.com").await, 0);

    // The custom-resource door refuses the same way: FAILED, and nothing to roll back.
    let function = CustomFunction::start(&moto, 1, 30).await;
    let url = response_urls(&moto, &["typo"]).await.remove(0);
    function
        .send(&custom_event(
            "Create",
            "Typo",
            &url.put,
            json!({"AccountName": "B", "Email": "b@example.com", "ParentIds": [missing_ou],
                "DeletionMode": "CLOSE"}),
            None,
            None,
        ))
        .await;
    let answer = url.answer(60).await;
    assert_eq!(answer["Status"], "FAILED", "{answer}");
    assert!(
        answer["Reason"]
            .as_str()
            .unwrap()
            .starts_with("InvalidRequest: ParentIds: "),
        "{answer}"
    );
    assert!(
        answer["PhysicalResourceId"]
            .as_str()
            .unwrap()
            .starts_with("not-created:"),
        "{answer}"
    );
    assert_eq!(changing(&moto.calls().await), 0);
    assert_eq!(org.accounts_with_email("b@example.com").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_to_a_missing_ou_changes_nothing() {
    let moto = Moto::start().await;
    let org = moto.organization().await;
    let placed = json!({"AccountName": "Placed", "Email": "placed@example.com",
        "ParentIds": [org.ou_a], "Tags": [{"Key": "team", "Value": "a"}]});
    let created = moto
        .driver(&["--action", "CREATE", "--properties", &placed.to_string()])
        .await;
    assert_eq!(created.code, 0, "{created:?}");
    let id = created.account_id();
    let before = moto.calls().await;
    let mut previous = placed.clone();
    previous["AccountId"] = json!(id);
    let mut moved = previous.clone();
    moved["ParentIds"] = json!([format!("ou-{}-zzzzzzzz", &org.ou_a[3..7])]);
    moved["Tags"] = json!([{"Key": "team", "Value": "b"}]);
    let out = moto
        .driver(&[
            "--action",
            "UPDATE",
            "--properties",
            &moved.to_string(),
            "--previous",
            &previous.to_string(),
        ])
        .await;
    assert_eq!(out.error_code(), "InvalidRequest", "{out:?}");
    assert!(
        out.message()
            .contains("is not an organizational unit of this organization"),
        "{}",
        out.message()
    );
    assert_eq!(changing(&moto.calls().await), changing(&before));
    assert_eq!(org.parent_of(&id).await, org.ou_a);
    assert!(org
        .tags_of(&id)
        .await
        .contains(&("team".to_string(), "a".to_string())));
}
