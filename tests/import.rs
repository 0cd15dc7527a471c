//! Resource import (issue 25): an account made outside CloudFormation is imported into a
//! stack (CloudFormation reads it by its AccountId), then updated and deleted as a stack would,
//! through the real handler against the realistic local endpoint. Nothing the template does not
//! ask for changes: another tool's tag, a contact set in the console and the OU it was placed in
//! stay; the default DeletionMode (REFUSE) refuses the delete and leaves the account as it is.

mod support;

use serde_json::{json, Value};
use support::{set_by_hand, visible_state, Moto};

async fn driver(
    moto: &Moto,
    action: &str,
    props: &Value,
    previous: Option<&Value>,
) -> support::Outcome {
    let mut args = vec![
        "--action".to_owned(),
        action.to_owned(),
        "--properties".into(),
        props.to_string(),
    ];
    if let Some(p) = previous {
        args.extend(["--previous".to_owned(), p.to_string()]);
    }
    support::run_driver(moto.endpoint.clone(), args).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_imported_account_is_read_updated_and_refused_deletion_with_nothing_else_changed() {
    let moto = Moto::start().await;
    let org = moto.organization().await;
    org.enable_account_management().await;
    // Made and set up outside CloudFormation: placed in an OU, tagged by another tool, a
    // security contact set in the console.
    let id = org
        .create_by_hand("Legacy Prod", "legacy-prod@example.com")
        .await;
    set_by_hand(&moto, &org, &id).await;
    let before = visible_state(&moto, &org, &id).await;

    // 1. Import: CloudFormation reads the account by the identifier given in the change set.
    let read = driver(&moto, "READ", &json!({"AccountId": id}), None).await;
    assert_eq!(read.code, 0, "{read:?}");
    let model = read.model();
    assert_eq!(model["AccountName"], "Legacy Prod");
    assert_eq!(model["Email"], "legacy-prod@example.com");
    assert_eq!(model["ParentIds"], json!([org.ou_b]));
    assert_eq!(
        model["Tags"],
        json!([{"Key": "CostCenter", "Value": "finance"}])
    );
    assert_eq!(
        model["AlternateContacts"]["Security"]["Name"], "Console Sec",
        "{model}"
    );
    assert!(
        model.get("DeletionMode").is_none(),
        "no record yet: {model}"
    );
    assert_eq!(
        visible_state(&moto, &org, &id).await,
        before,
        "the import changed something"
    );

    // 2. The template as imported (its properties match the account; no parent, tags or
    // contacts declared), then the first update: one tag.
    let imported = json!({"AccountId": id, "AccountName": "Legacy Prod",
        "Email": "legacy-prod@example.com"});
    let mut tagged = imported.clone();
    tagged["Tags"] = json!([{"Key": "tier", "Value": "prod"}]);
    let updated = driver(&moto, "UPDATE", &tagged, Some(&imported)).await;
    assert_eq!(updated.code, 0, "{updated:?}");
    let mut expected = before.clone();
    expected["tags"] = json!([["CostCenter", "finance"], ["tier", "prod"]]);
    assert_eq!(
        visible_state(&moto, &org, &id).await,
        expected,
        "only the declared tag was added"
    );
    // The first update writes the record tag (the DeletionMode asked for), one of the 50.
    let record: Vec<_> = org
        .tags_of(&id)
        .await
        .into_iter()
        .filter(|(k, _)| k == "cfn-organizations-account:record")
        .collect();
    assert_eq!(record.len(), 1, "{record:?}");
    assert!(record[0].1.contains("deletion=REFUSE"), "{record:?}");
    assert!(
        !record[0].1.contains("resource="),
        "an imported account names no creator: {record:?}"
    );

    // 3. The stack deletes it with the default DeletionMode: refused, saying how, nothing
    // changed (with DeletionPolicy Retain CloudFormation does not call the handler at all).
    let deleted = driver(&moto, "DELETE", &tagged, None).await;
    assert_eq!(deleted.error_code(), "InvalidRequest", "{deleted:?}");
    assert!(
        deleted.message().contains("DeletionMode is REFUSE"),
        "{deleted:?}"
    );
    assert_eq!(
        visible_state(&moto, &org, &id).await,
        expected,
        "the refused delete changed something"
    );
    assert_eq!(org.state_of(&id).await, "ACTIVE");
}
