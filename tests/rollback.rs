//! A rollback puts the account back as it was before the update (issue 22): its parent, tags
//! and contacts, in both doors, with or without CloudFormation's rollback flag (custom resources
//! never get one). The rule: what the rolled-back template declared and the restored one does
//! not is undone only while it is still exactly as that template set it, and "back" for a parent
//! means where the account was before a template first placed it (recorded then), not the root.

mod support;

use serde_json::{json, Value};
use support::{custom_event, response_urls, set_by_hand, visible_state, CustomFunction, Moto, Org};

fn with(base: &Value, extra: Value) -> Value {
    let mut v = base.clone();
    for (k, x) in extra.as_object().unwrap() {
        v[k] = x.clone();
    }
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_rollbacks_restore_parent_tags_and_contacts() {
    let moto = Moto::start().await;
    let org = moto.organization().await;
    org.enable_account_management().await;
    let id = org
        .create_by_hand("Hand Placed", "hand-placed@example.com")
        .await;
    set_by_hand(&moto, &org, &id).await;
    let before = visible_state(&moto, &org, &id).await;
    // Imported as it is: the template names no parent, tags or contacts.
    let t0 =
        json!({"AccountId": id, "AccountName": "Hand Placed", "Email": "hand-placed@example.com"});
    let update = |props: &Value, previous: &Value, rollback: bool| {
        let mut args = vec![
            "--action".to_owned(),
            "UPDATE".into(),
            "--properties".into(),
            props.to_string(),
            "--previous".into(),
            previous.to_string(),
        ];
        if rollback {
            args.push("--rollback".into());
        }
        let endpoint = moto.endpoint.clone();
        async move { support::run_driver(endpoint, args).await }
    };

    // 1. An update that fails before changing anything (a missing OU), then its rollback.
    let missing = format!("ou-{}-zzzzzzzz", &org.ou_a[3..7]);
    let t1 = with(
        &t0,
        json!({"ParentIds": [missing], "Tags": [{"Key": "CostCenter", "Value": "eng"}],
            "AlternateContacts": {"Security": {"Name": "Template Sec", "Title": "CISO",
                "EmailAddress": "ciso@example.com", "PhoneNumber": "+1 555 0100"}}}),
    );
    let failed = update(&t1, &t0, false).await;
    assert_eq!(failed.error_code(), "InvalidRequest", "{failed:?}");
    let rolled = update(&t0, &t1, true).await;
    assert_eq!(rolled.code, 0, "{rolled:?}");
    assert_eq!(
        visible_state(&moto, &org, &id).await,
        before,
        "after the first rollback"
    );

    // 2. An update that succeeded, rolled back because a sibling failed: the account goes back
    // to the OU it was in before the template placed it, the template's tags go, other tools'
    // stay.
    let t2 = with(
        &t0,
        json!({"ParentIds": [org.ou_a], "Tags": [{"Key": "tier", "Value": "prod"}]}),
    );
    let done = update(&t2, &t0, false).await;
    assert_eq!(done.code, 0, "{done:?}");
    assert_eq!(org.parent_of(&id).await, org.ou_a);
    let rolled = update(&t0, &t2, true).await;
    assert_eq!(rolled.code, 0, "{rolled:?}");
    assert_eq!(
        visible_state(&moto, &org, &id).await,
        before,
        "after the second rollback"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_custom_resource_rollback_without_a_flag_changes_nothing_the_failed_update_did_not() {
    let moto = Moto::start().await;
    let org = moto.organization().await;
    org.enable_account_management().await;
    let function = CustomFunction::start(&moto, 2, 30).await;
    let play = |event: Value, key: &'static str| answered(&moto, &function, event, key);
    let t0 = json!({"AccountName": "Custom Placed", "Email": "custom-placed@example.com"});
    let created = play(
        custom_event("Create", "Placed", "", t0.clone(), None, None),
        "create",
    )
    .await;
    assert_eq!(created["Status"], "SUCCESS", "{created}");
    let id = created["PhysicalResourceId"].as_str().unwrap().to_owned();
    set_by_hand(&moto, &org, &id).await;
    let before = visible_state(&moto, &org, &id).await;
    let missing = format!("ou-{}-zzzzzzzz", &org.ou_a[3..7]);
    let t1 = with(
        &t0,
        json!({"ParentIds": [missing], "Tags": [{"Key": "CostCenter", "Value": "eng"}]}),
    );
    let failed = play(
        custom_event(
            "Update",
            "Placed",
            "",
            t1.clone(),
            Some(&id),
            Some(t0.clone()),
        ),
        "update",
    )
    .await;
    assert_eq!(failed["Status"], "FAILED", "{failed}");
    // CloudFormation's rollback of a custom resource: an Update back, no flag.
    let rolled = play(
        custom_event("Update", "Placed", "", t0.clone(), Some(&id), Some(t1)),
        "rollback",
    )
    .await;
    assert_eq!(rolled["Status"], "SUCCESS", "{rolled}");
    assert_eq!(visible_state(&moto, &org, &id).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_custom_resource_rollback_after_an_outside_rename_succeeds_and_changes_only_what_the_update_did(
) {
    let moto = Moto::start().await;
    let org = moto.organization().await;
    let function = CustomFunction::start(&moto, 2, 30).await;
    let play = |event: Value, key: &'static str| answered(&moto, &function, event, key);
    let update = |props: &Value, old: &Value, id: &str, key: &'static str| {
        play(
            custom_event(
                "Update",
                "Named",
                "",
                props.clone(),
                Some(id),
                Some(old.clone()),
            ),
            key,
        )
    };
    let t0 = json!({"AccountName": "Payments", "Email": "payments@example.com"});
    let created = play(
        custom_event("Create", "Named", "", t0.clone(), None, None),
        "create",
    )
    .await;
    assert_eq!(created["Status"], "SUCCESS", "{created}");
    let id = created["PhysicalResourceId"].as_str().unwrap().to_owned();
    // Renamed as the NotUpdatable message advises: outside CloudFormation.
    moto.put_account_name(&id, "Payments Prod").await;
    let before = visible_state(&moto, &org, &id).await;

    // 1. The template does not follow yet and changes a tag: not a rename, accepted; the
    // rollback (an Update back, no flag) takes the tag off and leaves the name.
    let t1 = with(&t0, json!({"Tags": [{"Key": "tier", "Value": "prod"}]}));
    let tagged = update(&t1, &t0, &id, "tag").await;
    assert_eq!(tagged["Status"], "SUCCESS", "{tagged}");
    assert_eq!(name_of(&org, &id).await, "Payments Prod");
    let rolled = update(&t0, &t1, &id, "rollback-tag").await;
    assert_eq!(rolled["Status"], "SUCCESS", "{rolled}");
    assert_eq!(
        visible_state(&moto, &org, &id).await,
        before,
        "after the first rollback"
    );

    // 2. The template follows the rename (and adds a tag); a sibling fails and CloudFormation
    // rolls this resource back to the template that still says "Payments".
    let t2 = with(
        &t0,
        json!({"AccountName": "Payments Prod", "Tags": [{"Key": "tier", "Value": "prod"}]}),
    );
    let followed = update(&t2, &t0, &id, "follow").await;
    assert_eq!(followed["Status"], "SUCCESS", "{followed}");
    let touched = moto.touched().await[&id].clone();
    let rolled = update(&t0, &t2, &id, "rollback-follow").await;
    assert_eq!(rolled["Status"], "SUCCESS", "{rolled}");
    assert_eq!(
        visible_state(&moto, &org, &id).await,
        before,
        "after the second rollback"
    );
    assert_eq!(name_of(&org, &id).await, "Payments Prod");

    // 3. A name no template declared before is a rename: refused, nothing called that changes.
    let after_rollback = moto.touched().await[&id].clone();
    assert_ne!(touched, after_rollback, "the rollback untagged");
    let t3 = with(&t2, json!({"AccountName": "Payments Renamed"}));
    let refused = update(&t3, &t2, &id, "rename").await;
    assert_eq!(refused["Status"], "FAILED", "{refused}");
    let reason = refused["Reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("AccountName: cannot change from \"Payments Prod\""),
        "{reason}"
    );
    assert_eq!(
        moto.touched().await[&id],
        after_rollback,
        "a refused rename changed something"
    );
    assert_eq!(name_of(&org, &id).await, "Payments Prod");
}

async fn name_of(org: &Org, id: &str) -> String {
    let live = org
        .client
        .describe_account()
        .account_id(id)
        .send()
        .await
        .unwrap();
    live.account()
        .unwrap()
        .name()
        .unwrap_or_default()
        .to_owned()
}

/// Sends a custom-resource event to the function with a presigned ResponseURL named `key`, and
/// returns the one answer PUT there.
async fn answered(moto: &Moto, function: &CustomFunction, mut event: Value, key: &str) -> Value {
    let url = response_urls(moto, &[key]).await.remove(0);
    event["ResponseURL"] = json!(url.put);
    function.send(&event).await;
    url.answer(90).await
}
