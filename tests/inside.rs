//! Inside the account, as the account itself (RoleName assumed): default VPCs deleted in every
//! enabled Region (opt-in ones the template enables included), the IAM alias, EBS encryption by
//! default and S3 Block Public Access, end to end on the realistic local endpoint
//! (scripts/local_inside.py: a default VPC has its internet gateway, a VPC or subnet with a
//! network interface cannot be deleted, EC2 refuses an opt-in Region the account has not
//! enabled, an alias belongs to one account). Both doors: the registry type through the driver,
//! custom resources through the real binary and presigned ResponseURLs. What is checked is seen
//! from inside the account (what its own calls would show).

mod support;

use std::time::Instant;

use serde_json::{json, Value};
use support::{custom_event, response_urls, CustomFunction, Moto, Outcome};

const OPT_IN: [&str; 2] = ["af-south-1", "eu-south-1"];

fn props(v: &Value) -> String {
    v.to_string()
}

async fn drive(moto: &Moto, args: &[&str]) -> Outcome {
    let mut all = vec!["--time-scale", "0.1", "--logical-id", "Inside"];
    all.extend_from_slice(args);
    moto.driver(&all).await
}

/// The Regions of the account's inside snapshot, with what each holds.
fn regions(inside: &Value) -> &serde_json::Map<String, Value> {
    inside["regions"].as_object().expect("regions")
}

fn all_blocked(inside: &Value) -> bool {
    let block = &inside["public_access_block"];
    [
        "blockPublicAcls",
        "ignorePublicAcls",
        "blockPublicPolicy",
        "restrictPublicBuckets",
    ]
    .iter()
    .all(|k| block[k] == json!(true))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registry_create_leaves_no_default_vpc_in_any_enabled_region_sets_alias_encryption_and_blocks_then_updates_and_reads(
) {
    let moto = Moto::start().await;
    let org = moto.organization().await;
    org.enable_account_management().await;
    let desired = json!({
        "AccountName": "Payments Prod", "Email": "inside@example.com", "DeletionMode": "CLOSE",
        "ParentPath": "/Workloads", "EnabledRegions": OPT_IN,
        "DeleteDefaultVpcs": true, "AccountAlias": "acme-payments-prod",
        "EbsEncryptionByDefault": true, "S3BlockPublicAccess": true
    });
    let started = Instant::now();
    let created = drive(
        &moto,
        &["--action", "CREATE", "--properties", &props(&desired)],
    )
    .await;
    let took = started.elapsed();
    assert_eq!(created.code, 0, "{created:?}");
    let id = created.account_id();
    assert_eq!(org.parent_of(&id).await, org.ou_a);
    // The in-account properties imply the readiness wait, and come after the Regions.
    let progress = &created.progress;
    let (regions_at, ready_at, inside_at) = (
        progress.find("convergeRegions"),
        progress.find("awaitReady"),
        progress.find("configureInside"),
    );
    assert!(
        regions_at.is_some() && ready_at > regions_at && inside_at > ready_at,
        "{progress}"
    );

    let inside = moto.inside(&id).await;
    let seen = regions(&inside);
    // The 17 Regions every account has and the two the template enabled.
    assert_eq!(seen.len(), 19, "{inside}");
    for region in OPT_IN {
        assert!(seen.contains_key(region), "{region}: {inside}");
    }
    for (region, held) in seen {
        assert_eq!(held["default_vpcs"], json!({}), "{region}: {held}");
        assert_eq!(held["ebs_encryption"], true, "{region}: {held}");
    }
    assert_eq!(inside["aliases"], json!(["acme-payments-prod"]));
    assert!(all_blocked(&inside), "{inside}");
    let model = created.model();
    for (key, value) in [
        ("DeleteDefaultVpcs", json!(true)),
        ("AccountAlias", json!("acme-payments-prod")),
        ("EbsEncryptionByDefault", json!(true)),
        ("S3BlockPublicAccess", json!(true)),
    ] {
        assert_eq!(model[key], value, "{key}: {model}");
    }
    // What it took, per Region: the stage's summary names calls and seconds for each.
    let summary = progress
        .lines()
        .find(|l| l.contains("configured inside"))
        .unwrap_or_default()
        .to_owned();
    assert!(
        summary.contains("af-south-1") && summary.contains("calls"),
        "{progress}"
    );
    let stats = moto.stats().await;
    let calls = &stats["calls"];
    // One default VPC per Region: its gateway detached and deleted, the VPC deleted.
    assert_eq!(calls["EC2.DeleteVpc"], 19, "{calls}");
    assert_eq!(calls["EC2.DetachInternetGateway"], 19, "{calls}");
    assert_eq!(calls["EC2.DeleteInternetGateway"], 19, "{calls}");
    assert_eq!(calls["EC2.EnableEbsEncryptionByDefault"], 19, "{calls}");
    eprintln!(
        "inside create: {:.1} s in all; {summary}; EC2 calls {}",
        took.as_secs_f64(),
        calls
            .as_object()
            .map(|c| c
                .iter()
                .filter(|(k, _)| k.starts_with("EC2.") && !k.contains('@'))
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(" "))
            .unwrap_or_default()
    );

    // Update: encryption off, and a third opt-in Region, which arrives with its default VPC
    // and gets the same treatment; everything else stays.
    let mut previous = desired.clone();
    previous["AccountId"] = json!(id);
    let mut off = previous.clone();
    off["EbsEncryptionByDefault"] = json!(false);
    off["EnabledRegions"] = json!(["af-south-1", "eu-south-1", "me-south-1"]);
    let updated = drive(
        &moto,
        &[
            "--action",
            "UPDATE",
            "--properties",
            &props(&off),
            "--previous",
            &props(&previous),
        ],
    )
    .await;
    assert_eq!(updated.code, 0, "{updated:?}");
    let inside = moto.inside(&id).await;
    assert_eq!(regions(&inside).len(), 20, "{inside}");
    assert!(regions(&inside).contains_key("me-south-1"), "{inside}");
    for (region, held) in regions(&inside) {
        assert_eq!(held["ebs_encryption"], false, "{region}: {held}");
        assert_eq!(held["default_vpcs"], json!({}), "{region}: {held}");
    }
    assert_eq!(inside["aliases"], json!(["acme-payments-prod"]));
    assert!(all_blocked(&inside), "{inside}");
    assert_eq!(updated.model()["EbsEncryptionByDefault"], false);

    // READ reports each, as it stands inside the account.
    let read = drive(
        &moto,
        &[
            "--action",
            "READ",
            "--properties",
            &props(&json!({"AccountId": id, "DeleteDefaultVpcs": true,
                "AccountAlias": "acme-payments-prod", "EbsEncryptionByDefault": true,
                "S3BlockPublicAccess": true})),
        ],
    )
    .await;
    assert_eq!(read.code, 0, "{read:?}");
    let model = read.model();
    assert_eq!(model["DeleteDefaultVpcs"], true, "{model}");
    assert_eq!(model["AccountAlias"], "acme-payments-prod", "{model}");
    // Drift: the template says on, the account says off.
    assert_eq!(model["EbsEncryptionByDefault"], false, "{model}");
    assert_eq!(model["S3BlockPublicAccess"], true, "{model}");
    // A READ of the identifier alone does not go inside the account.
    let before = moto.touched().await[&id]["STS.AssumeRole"].clone();
    let plain = drive(
        &moto,
        &[
            "--action",
            "READ",
            "--properties",
            &props(&json!({"AccountId": id})),
        ],
    )
    .await;
    assert_eq!(plain.code, 0, "{plain:?}");
    assert!(plain.model().get("AccountAlias").is_none(), "{plain:?}");
    assert_eq!(moto.touched().await[&id]["STS.AssumeRole"], before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rollback_of_an_update_that_failed_inside_puts_back_the_alias_encryption_and_blocks_the_account_had(
) {
    let moto = Moto::start().await;
    let org = moto.organization().await;
    let base = json!({
        "AccountName": "Kept", "Email": "kept@example.com", "DeletionMode": "CLOSE"
    });
    let created = drive(
        &moto,
        &["--action", "CREATE", "--properties", &props(&base)],
    )
    .await;
    assert_eq!(created.code, 0, "{created:?}");
    let id = created.account_id();
    // What the account's own team set before any template declared it.
    let handmade_blocks = json!({"BlockPublicAcls": true, "IgnorePublicAcls": false,
        "BlockPublicPolicy": true, "RestrictPublicBuckets": false});
    let held = moto
        .inside_by_hand(
            &id,
            json!({"alias": "kept-by-hand", "public_access_block": handmade_blocks,
                "ebs_encryption": {"eu-west-1": true, "us-east-2": true}}),
        )
        .await;
    // And something running in ap-south-1's default VPC, so the update fails inside.
    moto.add_interface(&id, "ap-south-1").await;

    let mut previous = base.clone();
    previous["AccountId"] = json!(id);
    let mut declared = previous.clone();
    for (key, value) in [
        ("AccountAlias", json!("acme-kept")),
        ("EbsEncryptionByDefault", json!(true)),
        ("S3BlockPublicAccess", json!(true)),
        ("DeleteDefaultVpcs", json!(true)),
    ] {
        declared[key] = value;
    }
    let failed = drive(
        &moto,
        &[
            "--action",
            "UPDATE",
            "--properties",
            &props(&declared),
            "--previous",
            &props(&previous),
        ],
    )
    .await;
    assert_eq!(failed.code, 1, "{failed:?}");
    assert_eq!(failed.error_code(), "ResourceConflict", "{failed:?}");
    // The update changed the account before failing.
    let changed = moto.inside(&id).await;
    assert_eq!(changed["aliases"], json!(["acme-kept"]));
    assert!(all_blocked(&changed), "{changed}");
    assert_eq!(
        regions(&changed)["us-west-2"]["ebs_encryption"],
        true,
        "{changed}"
    );

    // CloudFormation rolls back: the previous template again, which declares none of them.
    let rolled_back = drive(
        &moto,
        &[
            "--action",
            "UPDATE",
            "--rollback",
            "--properties",
            &props(&previous),
            "--previous",
            &props(&declared),
        ],
    )
    .await;
    assert_eq!(rolled_back.code, 0, "{rolled_back:?}");
    let after = moto.inside(&id).await;
    assert_eq!(after["aliases"], json!(["kept-by-hand"]), "{after}");
    assert_eq!(
        after["public_access_block"], held["public_access_block"],
        "{after}"
    );
    for (region, state) in regions(&after) {
        let was = matches!(region.as_str(), "eu-west-1" | "us-east-2");
        assert_eq!(state["ebs_encryption"], was, "{region}: {state}");
    }
    // The record of what the account held is gone with the properties, and never was a tag of
    // the template's.
    let tags = org.tags_of(&id).await;
    assert!(
        tags.iter()
            .all(|(k, _)| k != "cfn-organizations-account:before"),
        "{tags:?}"
    );
    assert!(rolled_back.model().get("Tags").is_none(), "{rolled_back:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_default_vpc_in_use_is_left_whole_and_the_create_fails_naming_region_vpc_and_interface() {
    // Creation slow enough to put something in the account's VPC before the handler goes in:
    // the account answers AssumeRole only after 4 s.
    let moto = Moto::start_with(&["--ready-seconds", "4"]).await;
    let org = moto.organization().await;
    let desired = json!({
        "AccountName": "Busy", "Email": "busy@example.com", "DeletionMode": "CLOSE",
        "DeleteDefaultVpcs": true
    });
    let driver = {
        let desired = props(&desired);
        let endpoint = moto.endpoint.clone();
        tokio::spawn(async move {
            support::run_driver(
                endpoint,
                [
                    "--time-scale",
                    "0.1",
                    "--logical-id",
                    "Busy",
                    "--action",
                    "CREATE",
                    "--properties",
                    &desired,
                ]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            )
            .await
        })
    };
    // As soon as the account exists, something starts running in eu-west-1's default VPC.
    let id = loop {
        let listed = org
            .client
            .list_accounts()
            .send()
            .await
            .expect("list accounts");
        if let Some(id) = listed
            .accounts()
            .iter()
            .find(|a| a.email() == Some("busy@example.com"))
            .and_then(|a| a.id())
        {
            break id.to_owned();
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    let busy = moto.add_interface(&id, "eu-west-1").await;
    let failed = driver.await.expect("driver ran");
    assert_eq!(failed.code, 1, "{failed:?}");
    assert_eq!(failed.error_code(), "ResourceConflict", "{failed:?}");
    let message = failed.message();
    for part in [
        id.as_str(),
        "eu-west-1",
        busy["vpc"].as_str().unwrap(),
        busy["interface"].as_str().unwrap(),
    ] {
        assert!(message.contains(part), "{part}: {message}");
    }
    // Nothing of eu-west-1's default VPC was deleted; every other Region's is gone.
    let inside = moto.inside(&id).await;
    for (region, held) in regions(&inside) {
        let vpcs = held["default_vpcs"].as_object().unwrap();
        match region.as_str() {
            "eu-west-1" => {
                let vpc = &vpcs[busy["vpc"].as_str().unwrap()];
                assert_eq!(
                    vpc["internet_gateways"].as_array().unwrap().len(),
                    1,
                    "{vpc}"
                );
                assert_eq!(vpc["subnets"].as_array().unwrap().len(), 3, "{vpc}");
            }
            _ => assert!(vpcs.is_empty(), "{region}: {held}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_custom_resource_sets_alias_and_blocks_replaces_the_alias_and_a_taken_alias_fails_naming_it(
) {
    let moto = Moto::start().await;
    moto.organization().await;
    let function = CustomFunction::start(&moto, 2, 30).await;
    // As CloudFormation sends custom-resource properties: scalars as strings.
    let desired = json!({
        "AccountName": "Web", "Email": "web@example.com", "DeletionMode": "CLOSE",
        "AccountAlias": "acme-web", "S3BlockPublicAccess": "true", "DeleteDefaultVpcs": "true"
    });
    let urls = response_urls(&moto, &["create", "update", "taken", "undeclared"]).await;
    function
        .send(&custom_event(
            "Create",
            "Web",
            &urls[0].put,
            desired.clone(),
            None,
            None,
        ))
        .await;
    let answer = urls[0].answer(120).await;
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    let id = answer["PhysicalResourceId"].as_str().unwrap().to_owned();
    let inside = moto.inside(&id).await;
    assert_eq!(inside["aliases"], json!(["acme-web"]));
    assert!(all_blocked(&inside), "{inside}");
    assert!(regions(&inside)
        .values()
        .all(|r| r["default_vpcs"] == json!({})));

    // A changed alias replaces the old one (which another account may then take).
    let mut renamed = desired.clone();
    renamed["AccountAlias"] = json!("acme-web-prod");
    function
        .send(&custom_event(
            "Update",
            "Web",
            &urls[1].put,
            renamed.clone(),
            Some(&id),
            Some(desired),
        ))
        .await;
    let answer = urls[1].answer(60).await;
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(moto.inside(&id).await["aliases"], json!(["acme-web-prod"]));

    // Another declaration asking for an alias the first account holds fails naming it.
    let other = json!({
        "AccountName": "Web Copy", "Email": "web-copy@example.com", "DeletionMode": "CLOSE",
        "AccountAlias": "acme-web-prod"
    });
    function
        .send(&custom_event(
            "Create",
            "WebCopy",
            &urls[2].put,
            other,
            None,
            None,
        ))
        .await;
    let answer = urls[2].answer(120).await;
    assert_eq!(answer["Status"], "FAILED", "{answer}");
    let reason = answer["Reason"].as_str().unwrap_or_default();
    // It names the alias and the new account that cannot have it (the account exists: the
    // answer's PhysicalResourceId names it too, for the rollback's delete).
    let copy = answer["PhysicalResourceId"].as_str().unwrap_or_default();
    assert!(
        reason.contains("acme-web-prod")
            && reason.contains("another AWS account")
            && reason.contains(&format!("account {copy} cannot have it")),
        "{reason}"
    );

    // A template that stops declaring the alias and the blocks: the account had no alias when
    // it was created, so none is put back; the blocks were changed by hand since the template
    // set them, so they are left as they are.
    let by_hand = json!({"BlockPublicAcls": true, "IgnorePublicAcls": true,
        "BlockPublicPolicy": true, "RestrictPublicBuckets": false});
    moto.inside_by_hand(&id, json!({"public_access_block": by_hand}))
        .await;
    let mut plain = renamed.clone();
    let obj = plain.as_object_mut().unwrap();
    obj.remove("AccountAlias");
    obj.remove("S3BlockPublicAccess");
    function
        .send(&custom_event(
            "Update",
            "Web",
            &urls[3].put,
            plain,
            Some(&id),
            Some(renamed),
        ))
        .await;
    let answer = urls[3].answer(60).await;
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    let inside = moto.inside(&id).await;
    assert_eq!(inside["aliases"], json!([]), "{inside}");
    assert_eq!(
        inside["public_access_block"]["restrictPublicBuckets"], false,
        "{inside}"
    );
    assert_eq!(
        inside["public_access_block"]["blockPublicAcls"], true,
        "{inside}"
    );
}
