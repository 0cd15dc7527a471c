//! An account's baseline, end to end on the realistic local endpoint (scripts/local_account.py):
//! alternate contacts and opt-in Regions through the Account Management API, held to AWS's rules
//! (membership, trusted access for account.amazonaws.com, patterns, Regions ENABLING for seconds,
//! one opt request per second), and a new account that refuses AssumeRole for seconds after its
//! creation. Both doors: the registry type through the driver (playing CloudFormation's callback
//! loop with its delays, scaled), custom resources through the real binary and ResponseURLs.

mod support;

use std::time::Instant;

use serde_json::{json, Value};
use support::{custom_event, response_urls, CustomFunction, Moto, Outcome};

/// Regions enable in 4 s; a new account refuses AssumeRole for 15 s after its creation (longer
/// than its contacts and Regions take, so the wait has something to wait for).
const SETTINGS: [&str; 4] = ["--region-enabling-seconds", "4", "--ready-seconds", "15"];

fn contact(name: &str, title: &str) -> Value {
    json!({"Name": name, "Title": title,
        "EmailAddress": format!("{}@example.com", name.to_lowercase()), "PhoneNumber": "+1 555 0100"})
}

fn baseline_props(email: &str) -> Value {
    json!({
        "AccountName": "Baseline", "Email": email, "DeletionMode": "CLOSE",
        "AlternateContacts": {"Billing": contact("Bill", "CFO"), "Security": contact("Sec", "CISO")},
        "EnabledRegions": ["af-south-1", "me-south-1"],
        "WaitUntilReady": true
    })
}

/// The driver with CloudFormation's callback delays at a tenth of their length.
async fn drive(moto: &Moto, args: &[&str]) -> Outcome {
    let mut all = vec!["--time-scale", "0.1", "--logical-id", "Baseline"];
    all.extend_from_slice(args);
    moto.driver(&all).await
}

fn calls(stats: &Value, op: &str) -> u64 {
    stats[op].as_u64().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registry_create_sets_contacts_and_regions_answers_once_usable_then_updates_and_reads_them(
) {
    let moto = Moto::start_with(&SETTINGS).await;
    let org = moto.organization().await;
    org.enable_account_management().await;
    let props = baseline_props("baseline@example.com");

    let started = Instant::now();
    let created = drive(
        &moto,
        &["--action", "CREATE", "--properties", &props.to_string()],
    )
    .await;
    let took = started.elapsed();
    assert_eq!(created.code, 0, "{created:?}");
    let id = created.account_id();
    // The AccountId reached CloudFormation in the first answer; the baseline came after.
    let first = created.progress.lines().next().unwrap_or_default();
    assert!(first.contains(&id), "{}", created.progress);
    for stage in ["setContacts", "convergeRegions", "awaitReady"] {
        assert!(
            created.progress.contains(stage),
            "{stage}: {}",
            created.progress
        );
    }
    let live = &moto.account_baselines().await[&id];
    assert_eq!(live["contacts"]["BILLING"]["Title"], "CFO", "{live}");
    assert_eq!(live["contacts"]["SECURITY"]["Name"], "Sec", "{live}");
    assert!(live["contacts"].get("OPERATIONS").is_none(), "{live}");
    assert_eq!(live["regions"]["af-south-1"], "ENABLED", "{live}");
    assert_eq!(live["regions"]["me-south-1"], "ENABLED", "{live}");
    let stats = moto.calls().await;
    assert_eq!(calls(&stats, "Account.PutAlternateContact"), 2, "{stats}");
    assert_eq!(calls(&stats, "Account.EnableRegion"), 2, "{stats}");
    // Fresh, the account refused at least once; the create answered only once it was usable.
    assert!(calls(&stats, "STS.AssumeRole") >= 2, "{stats}");
    assert_eq!(calls(&stats, "STS.GetCallerIdentity"), 1, "{stats}");
    assert!(
        took.as_secs_f64() >= 6.0,
        "answered before the account was usable: {took:?}"
    );
    // The final model reads the baseline back; write-only properties are not returned.
    let model = created.model();
    assert_eq!(
        model["AlternateContacts"], props["AlternateContacts"],
        "{model}"
    );
    assert_eq!(
        model["EnabledRegions"],
        json!(["af-south-1", "me-south-1"]),
        "{model}"
    );
    assert!(model.get("WaitUntilReady").is_none(), "{model}");
    eprintln!(
        "baseline create: {:.1} s, calls {}",
        took.as_secs_f64(),
        serde_json::to_string(&stats).unwrap()
    );

    // Update: Billing changes, Security is dropped (deleted), Operations is added; me-south-1
    // leaves EnabledRegions (stays enabled) and af-south-1 stays.
    let mut changed = props.clone();
    changed["AccountId"] = json!(id);
    changed["AlternateContacts"] =
        json!({"Billing": contact("Bill", "Finance"), "Operations": contact("Ops", "SRE")});
    changed["EnabledRegions"] = json!(["af-south-1"]);
    let mut previous = props.clone();
    previous["AccountId"] = json!(id);
    let updated = drive(
        &moto,
        &[
            "--action",
            "UPDATE",
            "--properties",
            &changed.to_string(),
            "--previous",
            &previous.to_string(),
        ],
    )
    .await;
    assert_eq!(updated.code, 0, "{updated:?}");
    let live = &moto.account_baselines().await[&id];
    assert_eq!(live["contacts"]["BILLING"]["Title"], "Finance", "{live}");
    assert_eq!(live["contacts"]["OPERATIONS"]["Name"], "Ops", "{live}");
    assert!(live["contacts"].get("SECURITY").is_none(), "{live}");
    assert_eq!(
        live["regions"]["me-south-1"], "ENABLED",
        "not disabled: {live}"
    );

    // Disabling is asked for explicitly.
    let mut disable = changed.clone();
    disable["DisabledRegions"] = json!(["me-south-1"]);
    let disabled = drive(
        &moto,
        &[
            "--action",
            "UPDATE",
            "--properties",
            &disable.to_string(),
            "--previous",
            &changed.to_string(),
        ],
    )
    .await;
    assert_eq!(disabled.code, 0, "{disabled:?}");
    assert_eq!(
        moto.account_baselines().await[&id]["regions"]["me-south-1"],
        "DISABLED"
    );
    assert_eq!(disabled.model()["DisabledRegions"], json!(["me-south-1"]));

    // READ of the identifier alone (an import) returns the live contacts.
    let read = drive(
        &moto,
        &[
            "--action",
            "READ",
            "--properties",
            &json!({"AccountId": id}).to_string(),
        ],
    )
    .await;
    assert_eq!(read.code, 0, "{read:?}");
    assert_eq!(
        read.model()["AlternateContacts"],
        json!({"Billing": contact("Bill", "Finance"), "Operations": contact("Ops", "SRE")})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_trusted_access_a_baseline_is_refused_before_creating_and_plain_accounts_still_read(
) {
    let moto = Moto::start_with(&SETTINGS).await;
    moto.organization().await;
    let mut props = baseline_props("no-trust@example.com");
    props["WaitUntilReady"] = json!(false);
    let created = drive(
        &moto,
        &["--action", "CREATE", "--properties", &props.to_string()],
    )
    .await;
    assert_eq!(created.code, 1, "{created:?}");
    assert_eq!(created.error_code(), "InvalidRequest", "{created:?}");
    let message = created.message();
    for needle in [
        "trusted access for account.amazonaws.com",
        "the organization has not enabled it; nothing was created or changed",
        "aws organizations enable-aws-service-access --service-principal account.amazonaws.com",
    ] {
        assert!(message.contains(needle), "{needle}: {message}");
    }
    // Refused before CreateAccount: no account to roll back.
    assert_eq!(calls(&moto.calls().await, "CreateAccount"), 0);

    // An account whose template declares no baseline reads and updates as before: no trusted
    // access, and the contacts it cannot read are left out.
    let plain = json!({"AccountName": "Plain", "Email": "plain@example.com"});
    let plain_created = drive(
        &moto,
        &["--action", "CREATE", "--properties", &plain.to_string()],
    )
    .await;
    assert_eq!(plain_created.code, 0, "{plain_created:?}");
    let id = plain_created.account_id();
    let read = drive(
        &moto,
        &[
            "--action",
            "READ",
            "--properties",
            &json!({"AccountId": id}).to_string(),
        ],
    )
    .await;
    assert_eq!(read.code, 0, "{read:?}");
    assert!(read.model().get("AlternateContacts").is_none(), "{read:?}");
    let stats = moto.calls().await;
    assert_eq!(calls(&stats, "Account.EnableRegion"), 0, "{stats}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_readiness_wait_that_runs_out_fails_naming_the_role_and_what_to_check() {
    // The account stays unusable for ten minutes; the template allows one.
    let moto = Moto::start_with(&["--ready-seconds", "600"]).await;
    let org = moto.organization().await;
    org.enable_account_management().await;
    let props = json!({"AccountName": "Slow", "Email": "slow@example.com", "RoleName": "PlatformAdmin",
        "WaitUntilReady": true, "ReadyTimeoutInMinutes": 1});
    let started = Instant::now();
    let created = drive(
        &moto,
        &["--action", "CREATE", "--properties", &props.to_string()],
    )
    .await;
    assert_eq!(created.code, 1, "{created:?}");
    assert_eq!(created.error_code(), "NotStabilized", "{created:?}");
    assert!(started.elapsed().as_secs() >= 60, "{:?}", started.elapsed());
    let message = created.message();
    // The AccountId reached CloudFormation in the first answer; the failure names the account.
    let first = created.progress.lines().next().unwrap_or_default();
    let id = first
        .split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 12)
        .unwrap_or_else(|| panic!("no AccountId in the first answer: {first}"));
    for needle in [
        format!("Account {id} was created, but could not be used within the 1 minute(s)"),
        format!("sts:AssumeRole arn:aws:iam::{id}:role/PlatformAdmin"),
        "raise ReadyTimeoutInMinutes".to_owned(),
    ] {
        assert!(message.contains(&needle), "{needle}: {message}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_baseline_that_breaks_the_api_rules_fails_before_any_call() {
    let moto = Moto::start().await;
    moto.organization().await;
    let before = moto.calls().await;
    let cases = [
        (
            json!({"Billing": {"Name": "Bill", "Title": "CFO", "EmailAddress": "not an address", "PhoneNumber": "1"}}),
            json!([]),
            "AlternateContacts.Billing.EmailAddress",
        ),
        (
            json!({"Billing": {"Name": "Bill", "Title": "CFO", "EmailAddress": "b@example.com"}}),
            json!([]),
            "AlternateContacts.Billing.PhoneNumber: is required",
        ),
        (json!({}), json!(["Mars"]), "EnabledRegions[0]"),
    ];
    for (contacts, regions, says) in cases {
        let props = json!({"AccountName": "Bad", "Email": "bad@example.com",
            "AlternateContacts": contacts, "EnabledRegions": regions});
        let out = drive(
            &moto,
            &["--action", "CREATE", "--properties", &props.to_string()],
        )
        .await;
        assert_eq!(out.error_code(), "InvalidRequest", "{out:?}");
        assert!(out.message().starts_with(says), "{says}: {}", out.message());
    }
    let both = json!({"AccountName": "Bad", "Email": "bad@example.com",
        "EnabledRegions": ["af-south-1"], "DisabledRegions": ["af-south-1"]});
    let out = drive(
        &moto,
        &["--action", "CREATE", "--properties", &both.to_string()],
    )
    .await;
    assert_eq!(out.error_code(), "InvalidRequest", "{out:?}");
    assert!(out.message().contains("both name af-south-1"), "{out:?}");
    assert_eq!(moto.calls().await, before, "no call at all");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_custom_resource_declares_the_baseline_and_answers_once_the_account_is_usable() {
    let moto = Moto::start_with(&SETTINGS).await;
    let org = moto.organization().await;
    org.enable_account_management().await;
    let function = CustomFunction::start(&moto, 2, 20).await;
    // As CloudFormation sends custom-resource properties: scalars as strings.
    let mut props = baseline_props("custom-baseline@example.com");
    props["WaitUntilReady"] = json!("true");
    props["ReadyTimeoutInMinutes"] = json!("5");

    let url = response_urls(&moto, &["create"]).await.remove(0);
    let create = custom_event("Create", "Baseline", &url.put, props.clone(), None, None);
    let started = Instant::now();
    function.send(&create).await;
    let answer = url.answer(120).await;
    let took = started.elapsed();
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    let id = answer["PhysicalResourceId"].as_str().unwrap().to_owned();
    let live = &moto.account_baselines().await[&id];
    assert_eq!(live["contacts"]["SECURITY"]["Title"], "CISO", "{live}");
    assert_eq!(live["regions"]["af-south-1"], "ENABLED", "{live}");
    assert_eq!(live["regions"]["me-south-1"], "ENABLED", "{live}");
    let stats = moto.calls().await;
    assert!(calls(&stats, "STS.AssumeRole") >= 2, "{stats}");
    assert!(took.as_secs_f64() >= 15.0, "{took:?}");

    // Update: the security contact removed from the template is deleted; billing stays.
    let mut changed = props.clone();
    changed["AlternateContacts"] = json!({"Billing": contact("Bill", "CFO")});
    let url = response_urls(&moto, &["update"]).await.remove(0);
    let update = custom_event(
        "Update",
        "Baseline",
        &url.put,
        changed,
        Some(&id),
        Some(props),
    );
    function.send(&update).await;
    let answer = url.answer(60).await;
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    let live = &moto.account_baselines().await[&id];
    assert!(live["contacts"].get("SECURITY").is_none(), "{live}");
    assert_eq!(live["contacts"]["BILLING"]["Name"], "Bill", "{live}");
}

/// The SDK boundary: an update's Region stage against a mocked Account Management API whose
/// Regions are all DISABLED, with EnableRegion answering `enable`.
async fn converge_once(
    regions: &[&str],
    enable: aws_smithy_mocks::Rule,
) -> (
    organizations_account_handler::doors::registry::protocol::ProgressEvent,
    usize,
) {
    use aws_sdk_account::operation::get_region_opt_status::GetRegionOptStatusOutput;
    use aws_sdk_account::types::RegionOptStatus;
    use aws_smithy_mocks::mock;
    use organizations_account_handler::doors::registry::dispatch::handle;
    use support::mocks::{clients_with, no_contacts, read_rules, request, ACCOUNT};

    let status =
        mock!(aws_sdk_account::Client::get_region_opt_status).then_compute_output(|input| {
            GetRegionOptStatusOutput::builder()
                .region_name(input.region_name().unwrap_or_default())
                .region_opt_status(RegionOptStatus::Disabled)
                .build()
        });
    let contacts = no_contacts();
    // The stage's account is proven first: its live record, through Organizations.
    let (describe, parents, tags) = read_rules("Team A");
    // No opt request of the account's is under way besides the declared ones.
    let in_flight = mock!(aws_sdk_account::Client::list_regions).then_output(|| {
        aws_sdk_account::operation::list_regions::ListRegionsOutput::builder().build()
    });
    let c = clients_with(
        &[&describe, &parents, &tags],
        &[&status, &enable, &contacts, &in_flight],
        &[],
    );
    let props = json!({"AccountId": ACCOUNT, "AccountName": "Team A", "Email": "team-a@example.com",
        "EnabledRegions": regions});
    let ctx =
        json!({"version": 1, "stage": {"name": "convergeUpdatedRegions", "accountId": ACCOUNT}});
    let event = handle(&c, request("UPDATE", props, Some(ctx))).await;
    (event, enable.num_calls())
}

// start_paused: the second-apart EnableRegion requests wait on tokio's clock.
#[tokio::test(start_paused = true)]
async fn at_most_six_regions_are_requested_at_once_and_the_rest_wait_for_a_slot() {
    use aws_sdk_account::operation::enable_region::EnableRegionOutput;
    let enable = aws_smithy_mocks::mock!(aws_sdk_account::Client::enable_region)
        .then_output(|| EnableRegionOutput::builder().build());
    let eight = [
        "af-south-1",
        "ap-east-1",
        "ap-south-2",
        "ap-southeast-3",
        "ap-southeast-4",
        "ca-west-1",
        "eu-central-2",
        "eu-south-1",
    ];
    let (event, enabled) = converge_once(&eight, enable).await;
    assert_eq!(enabled, 6, "{event:?}");
    let message = event.message().unwrap_or_default();
    assert_eq!(
        event.status(),
        organizations_account_handler::doors::registry::protocol::Status::InProgress
    );
    assert_eq!(
        message
            .matches("waiting for one of 6 opt request slots")
            .count(),
        2,
        "{message}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_region_still_changing_the_other_way_is_waited_out_not_failed() {
    use aws_sdk_account::operation::enable_region::EnableRegionError;
    use aws_sdk_account::types::error::ConflictException;
    let enable = aws_smithy_mocks::mock!(aws_sdk_account::Client::enable_region).then_error(|| {
        EnableRegionError::ConflictException(
            ConflictException::builder()
                .message("af-south-1 is being disabled")
                .meta(
                    aws_sdk_account::error::ErrorMetadata::builder()
                        .code("ConflictException")
                        .build(),
                )
                .build()
                .expect("a message is all it needs"),
        )
    });
    let (event, calls) = converge_once(&["af-south-1"], enable).await;
    assert_eq!(calls, 1);
    assert_eq!(
        event.status(),
        organizations_account_handler::doors::registry::protocol::Status::InProgress,
        "{event:?}"
    );
    let message = event.message().unwrap_or_default();
    assert!(
        message.contains("still changing the other way"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_region_answer_is_read_back_not_failed_and_readiness_works_from_an_opt_in_region() {
    // The first EnableRegion's answer is lost after the service acted (the SDK's retry is then
    // refused: already ENABLING); and the stack is in an opt-in Region (af-south-1), where a new
    // account can get no STS credentials (RegionDisabledException) until it enables it.
    let moto = Moto::start_with(&[
        "--region-enabling-seconds",
        "2",
        "--ready-seconds",
        "3",
        "--lose-region-answers",
        "1",
    ])
    .await;
    let org = moto.organization().await;
    org.enable_account_management().await;
    let props = json!({"AccountName": "Cape Town", "Email": "cape@example.com",
        "EnabledRegions": ["me-south-1"], "WaitUntilReady": true, "ReadyTimeoutInMinutes": 2});
    let created = drive(
        &moto,
        &[
            "--region",
            "af-south-1",
            "--action",
            "CREATE",
            "--properties",
            &props.to_string(),
        ],
    )
    .await;
    assert_eq!(created.code, 0, "{created:?}");
    let id = created.account_id();
    assert_eq!(
        moto.account_baselines().await[&id]["regions"]["me-south-1"],
        "ENABLED"
    );
    assert_eq!(moto.faults().await["lost"], 1);
    // af-south-1 was never enabled for the account: readiness asked STS elsewhere.
    assert_eq!(
        moto.account_baselines().await[&id]["regions"]["af-south-1"],
        Value::Null
    );
}
