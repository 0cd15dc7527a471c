//! ParentPath: an account placed by the names of its OUs from the root (`/Workloads/Prod`)
//! instead of an id, through the registry type (the local driver) and a custom resource (the
//! real `bootstrap`, a presigned ResponseURL), on the realistic local Organizations.

mod support;

use serde_json::{json, Value};
use support::{custom_event, response_urls, CustomFunction, Moto};

fn props(v: &Value) -> String {
    v.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_is_placed_read_and_moved_by_the_path_of_its_ou() {
    let moto = Moto::start().await;
    let org = moto.organization().await;
    let prod = org.ou_in(&org.ou_a, "Prod").await;
    // Another OU of the same name elsewhere: the path, not the name, decides.
    org.ou_in(&org.ou_b, "Prod").await;
    let desired = json!({"AccountName": "Payments Prod", "Email": "payments-prod@example.com",
        "ParentPath": "/Workloads/Prod", "DeletionMode": "CLOSE"});

    let created = moto
        .driver(&["--action", "CREATE", "--properties", &props(&desired)])
        .await;
    assert_eq!(created.code, 0, "{created:?}");
    let id = created.account_id();
    assert_eq!(org.parent_of(&id).await, prod);
    assert_eq!(created.model()["ParentPath"], "/Workloads/Prod");
    assert_eq!(created.model()["ParentIds"], json!([prod]));

    // READ of a model that declares the path returns both forms.
    let read = moto
        .driver(&[
            "--action",
            "READ",
            "--properties",
            &props(&json!({"AccountId": id, "ParentPath": "/Workloads/Prod"})),
        ])
        .await;
    assert_eq!(read.code, 0, "{read:?}");
    assert_eq!(read.model()["ParentPath"], "/Workloads/Prod");
    assert_eq!(read.model()["ParentIds"], json!([prod]));

    // A shorter path moves the account up; then no parent at all: back to the root, where it
    // was before a template placed it.
    let mut previous = desired.clone();
    previous["AccountId"] = json!(id);
    let mut up = previous.clone();
    up["ParentPath"] = json!("/Workloads");
    let moved = moto
        .driver(&[
            "--action",
            "UPDATE",
            "--properties",
            &props(&up),
            "--previous",
            &props(&previous),
        ])
        .await;
    assert_eq!(moved.code, 0, "{moved:?}");
    assert_eq!(org.parent_of(&id).await, org.ou_a);
    assert_eq!(moved.model()["ParentPath"], "/Workloads");
    let mut unplaced = up.clone();
    unplaced.as_object_mut().unwrap().remove("ParentPath");
    let back = moto
        .driver(&[
            "--action",
            "UPDATE",
            "--properties",
            &props(&unplaced),
            "--previous",
            &props(&up),
        ])
        .await;
    assert_eq!(back.code, 0, "{back:?}");
    assert_eq!(org.parent_of(&id).await, org.root);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_path_or_both_forms_fail_before_create_account() {
    let moto = Moto::start().await;
    let org = moto.organization().await;
    let base = json!({"AccountName": "Nowhere", "Email": "nowhere@example.com"});

    let mut unknown = base.clone();
    unknown["ParentPath"] = json!("/Workloads/Prod/Payments");
    let refused = moto
        .driver(&["--action", "CREATE", "--properties", &props(&unknown)])
        .await;
    assert_eq!(refused.code, 1, "{refused:?}");
    assert_eq!(refused.error_code(), "InvalidRequest");
    // The first missing name, where it was looked for, and what is there.
    let message = refused.message();
    assert!(
        message.contains("no OU named \"Prod\" in /Workloads")
            && message.contains(&org.ou_a)
            && message.contains("holds no OU"),
        "{message}"
    );

    let mut both = base.clone();
    both["ParentPath"] = json!("/Workloads");
    both["ParentIds"] = json!([org.ou_a]);
    let refused = moto
        .driver(&["--action", "CREATE", "--properties", &props(&both)])
        .await;
    assert_eq!(refused.error_code(), "InvalidRequest");
    assert!(
        refused.message().contains("ParentIds and ParentPath"),
        "{}",
        refused.message()
    );
    assert_eq!(
        moto.calls().await["CreateAccount"],
        Value::Null,
        "nothing created"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_custom_resource_is_placed_by_the_path_of_its_ou() {
    let moto = Moto::start().await;
    let org = moto.organization().await;
    let sandbox = org.ou_in(&org.ou_b, "Team Sandboxes").await;
    let function = CustomFunction::start(&moto, 1, 30).await;
    let properties = json!({"AccountName": "Sandbox 7", "Email": "sandbox-7@example.com",
        "ParentPath": "/Sandbox/Team Sandboxes"});
    let url = response_urls(&moto, &["create"]).await.remove(0);
    let mut event = custom_event("Create", "Sandbox7", "", properties, None, None);
    event["ResponseURL"] = Value::from(url.put.clone());
    function.send(&event).await;
    let answer = url.answer(90).await;
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    let id = answer["PhysicalResourceId"].as_str().unwrap();
    assert_eq!(org.parent_of(id).await, sandbox);
}
