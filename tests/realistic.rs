//! End to end on the realistic local Organizations (scripts/local_organizations.py): creation
//! takes wall-clock seconds, the AccountId exists only at SUCCEEDED, at most 5 creations run at
//! once, duplicate e-mails fail asynchronously, answers get lost. The driver plays CloudFormation,
//! feeding back models without write-only properties, as CloudFormation does.

mod common;

use common::{run_driver, Moto, Outcome};
use serde_json::{json, Value};

const STACK: &str = "arn:aws:cloudformation:us-east-1:123456789012:stack/accounts/";

fn create_args(i: usize, prefix: &str) -> Vec<String> {
    let props = json!({"AccountName": format!("{prefix} {i}"), "Email": format!("{prefix}-{i}@example.com")
            .to_lowercase().replace(' ', "-")});
    [
        "--action",
        "CREATE",
        "--logical-id",
        &format!("Account{i}"),
        "--properties",
        &props.to_string(),
    ]
    .map(String::from)
    .to_vec()
}

/// The first progress line of a driver run (CloudFormation's first answer).
fn first_event(o: &Outcome) -> &str {
    o.progress.lines().next().unwrap_or_default()
}

/// Creates `n` accounts at once, as a template without DependsOn does.
async fn create_at_once(moto: &Moto, n: usize, prefix: &str) -> Vec<Outcome> {
    let mut runs = tokio::task::JoinSet::new();
    for i in 0..n {
        runs.spawn(run_driver(moto.endpoint.clone(), create_args(i, prefix)));
    }
    let mut outcomes = Vec::new();
    while let Some(o) = runs.join_next().await {
        outcomes.push(o.expect("driver task"));
    }
    outcomes
}

fn distinct_ids(outcomes: &[Outcome]) -> usize {
    let mut ids: Vec<String> = outcomes.iter().map(Outcome::account_id).collect();
    ids.sort();
    ids.dedup();
    ids.retain(|id| id.len() == 12);
    ids.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_accounts_at_once_each_carry_their_account_id_in_the_first_event() {
    let moto = Moto::start().await;
    moto.organization().await;
    let outcomes = create_at_once(&moto, 5, "Five").await;
    for o in &outcomes {
        assert_eq!(o.code, 0, "{o:?}");
        // CloudFormation's 60-second rule: the first answer already names the account.
        assert!(
            first_event(o).contains("next=placeAccount") && first_event(o).contains("account="),
            "{}",
            o.progress
        );
    }
    assert_eq!(distinct_ids(&outcomes), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_accounts_at_once_wait_for_creation_slots_inside_the_first_invocation() {
    // Three more than Organizations runs at once: they are refused (ACCOUNT_CREATION_RATE_LIMIT_
    // EXCEEDED) or throttled, wait for a slot inside the invocation, and, with creations of a few
    // seconds, still answer CloudFormation's first call with their AccountId (README: "Many
    // accounts in one template").
    let moto = Moto::start().await;
    moto.organization().await;
    let outcomes = create_at_once(&moto, 8, "Eight").await;
    for o in &outcomes {
        assert_eq!(o.code, 0, "{o:?}");
        assert!(first_event(o).contains("account="), "{}", o.progress);
    }
    assert_eq!(distinct_ids(&outcomes), 8);
    // Refusals happened and were waited out: more CreateAccount calls than accounts.
    let calls = moto.calls().await;
    assert!(calls["CreateAccount"].as_u64().unwrap() > 8, "{calls}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_after_concurrent_account_modification_keeps_role_name_and_deny() {
    // The first request for this name ends FAILED with CONCURRENT_ACCOUNT_MODIFICATION; the
    // restart happens through a callback (a 4-second function timeout leaves no room to wait
    // inside), whose model no longer carries RoleName or IamUserAccessToBilling.
    let moto = Moto::start_with(&["--concurrent-names", "^Restarted$"]).await;
    let org = moto.organization().await;
    let props = json!({"AccountName": "Restarted", "Email": "restarted@example.com",
        "RoleName": "PlatformAdmin", "IamUserAccessToBilling": "DENY"});
    let o = moto
        .driver(&[
            "--action",
            "CREATE",
            "--function-timeout",
            "4",
            "--properties",
            &props.to_string(),
        ])
        .await;
    assert_eq!(o.code, 0, "{o:?}");
    assert!(
        o.progress.contains("CONCURRENT_ACCOUNT_MODIFICATION"),
        "{}",
        o.progress
    );
    let record = org
        .tags_of(&o.account_id())
        .await
        .into_iter()
        .find(|(k, _)| k == "cfn-organizations-account:record")
        .map(|(_, v)| v)
        .unwrap_or_default();
    // The record is written by the CreateAccount call that made the account.
    assert!(
        record.contains("role=PlatformAdmin") && record.contains("billing=DENY"),
        "{record}"
    );
    assert_eq!(moto.calls().await["CreateAccount"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_create_account_answer_ends_with_exactly_one_account() {
    let moto = Moto::start_with(&["--lose-create-answers", "1"]).await;
    let org = moto.organization().await;
    let props = json!({"AccountName": "Lost", "Email": "lost@example.com"});
    let o = moto
        .driver(&["--action", "CREATE", "--properties", &props.to_string()])
        .await;
    assert_eq!(o.code, 0, "{o:?}");
    assert!(first_event(&o).contains("account="), "{}", o.progress);
    assert_eq!(org.accounts_with_email("lost@example.com").await, 1);
    // Found its own request: CreateAccount was not sent a second time.
    assert_eq!(moto.calls().await["CreateAccount"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stack_recreated_after_missing_the_window_adopts_the_account_its_first_create_started() {
    // Creation takes 8 s but the function may run only 5: the first answer has no AccountId and
    // says so; CloudFormation fails the resource (the driver gives up, --timeout-minutes 0); the
    // stack, left in ROLLBACK_COMPLETE, is deleted and created again under the same name (a new
    // stack id) with the same logical id.
    let moto = Moto::start_with(&["--creation-seconds", "8"]).await;
    let org = moto.organization().await;
    let props = json!({"AccountName": "Slow", "Email": "slow@example.com"}).to_string();
    let first = moto
        .driver(&[
            "--action",
            "CREATE",
            "--stack-id",
            &format!("{STACK}11111111-1111-1111-1111-111111111111"),
            "--logical-id",
            "Slow",
            "--function-timeout",
            "5",
            "--timeout-minutes",
            "0",
            "--properties",
            &props,
        ])
        .await;
    assert_eq!(first.code, 1, "{first:?}");
    assert!(
        first
            .message()
            .contains("Resource timed out waiting for creation of physical resource"),
        "{}",
        first.message()
    );
    assert!(first.model().get("AccountId").is_none());
    let again = moto
        .driver(&[
            "--action",
            "CREATE",
            "--stack-id",
            &format!("{STACK}22222222-2222-2222-2222-222222222222"),
            "--logical-id",
            "Slow",
            "--properties",
            &props,
        ])
        .await;
    assert_eq!(again.code, 0, "{again:?}");
    assert_eq!(org.accounts_with_email("slow@example.com").await, 1);
    // A stack of another name with the same e-mail is told the address is taken.
    let other = moto
        .driver(&[
            "--action",
            "CREATE",
            "--stack-id",
            "arn:aws:cloudformation:us-east-1:123456789012:stack/other/33333333",
            "--logical-id",
            "Slow",
            "--properties",
            &props,
        ])
        .await;
    assert_eq!(other.error_code(), "AlreadyExists", "{other:?}");
    assert!(
        !other.message().contains(&again.account_id()),
        "{}",
        other.message()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_mode_lifecycle_ends_every_write_in_success() {
    // Throttling, 500s and answers lost after the service acted, on a quarter of the calls.
    let moto = Moto::start().await;
    let org = moto.organization().await;
    moto.configure(json!({"faults": 0.3, "seed": 7})).await;
    let desired = json!({"AccountName": "Faulty", "Email": "faulty@example.com", "ParentIds": [org.ou_a],
        "DeletionMode": "CLOSE", "Tags": [{"Key": "team", "Value": "a"}]});
    let created = moto
        .driver(&["--action", "CREATE", "--properties", &desired.to_string()])
        .await;
    assert_eq!(created.code, 0, "{created:?}");
    let id = created.account_id();
    let mut next: Value = desired.clone();
    next["AccountId"] = json!(id);
    next["ParentIds"] = json!([org.ou_b]);
    next["Tags"] = json!([{"Key": "team", "Value": "b"}]);
    let mut previous = desired.clone();
    previous["AccountId"] = json!(id);
    let updated = moto
        .driver(&[
            "--action",
            "UPDATE",
            "--properties",
            &next.to_string(),
            "--previous",
            &previous.to_string(),
        ])
        .await;
    assert_eq!(updated.code, 0, "{updated:?}");
    let deleted = moto
        .driver(&[
            "--action",
            "DELETE",
            "--properties",
            &json!({"AccountId": id}).to_string(),
        ])
        .await;
    assert_eq!(deleted.code, 0, "{deleted:?}");
    let faults = moto.configure(json!({"faults": 0})).await;
    assert_eq!(faults["faults"], 0.0);
    assert_eq!(org.accounts_with_email("faulty@example.com").await, 1);
    // The faults really happened, and the writes came through them.
    let faults = moto.faults().await;
    let injected: u64 = ["throttle", "error", "lost"]
        .iter()
        .map(|kind| faults[kind].as_u64().unwrap_or(0))
        .sum();
    assert!(injected >= 3, "{faults}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listings_that_start_with_an_empty_page_are_followed_to_the_end() {
    // AWS may answer a page with no items and a NextToken; paging must not stop there.
    let moto = Moto::start_with(&["--empty-pages"]).await;
    moto.organization().await;
    let props = json!({"AccountName": "Paged", "Email": "paged@example.com",
        "Tags": [{"Key": "team", "Value": "paging"}]});
    let created = moto
        .driver(&["--action", "CREATE", "--properties", &props.to_string()])
        .await;
    assert_eq!(created.code, 0, "{created:?}");
    // READ's ListTagsForResource starts with an empty page: the tags are still all there.
    assert_eq!(
        created.model()["Tags"],
        json!([{"Key": "team", "Value": "paging"}])
    );
    let id = created.account_id();
    // LIST answers the empty first page with its token; the driver follows it.
    let listed = moto.driver(&["--action", "LIST", "--all-pages"]).await;
    assert_eq!(listed.code, 0, "{listed:?}");
    assert!(listed.progress.lines().count() >= 2, "{}", listed.progress);
    assert!(listed.event["resourceModels"].to_string().contains(&id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_and_rollback_of_an_account_with_non_default_write_only_values_survive_throttling() {
    // CloudFormation sends each callback's model without RoleName, IamUserAccessToBilling and
    // CreateGovCloudAccount (the driver does the same): the first call's values must last.
    let moto = Moto::start().await;
    let org = moto.organization().await;
    let created = json!({"AccountName": "Kept Role", "Email": "kept-role@example.com",
        "RoleName": "PlatformAdmin", "IamUserAccessToBilling": "DENY",
        "Tags": [{"Key": "team", "Value": "a"}]});
    let o = moto
        .driver(&["--action", "CREATE", "--properties", &created.to_string()])
        .await;
    assert_eq!(o.code, 0, "{o:?}");
    let id = o.account_id();
    let mut previous = created.clone();
    previous["AccountId"] = json!(id);
    let mut desired = previous.clone();
    desired["Tags"] = json!([{"Key": "team", "Value": "b"}]);
    desired["ParentIds"] = json!([org.ou_a]);
    // Throttling only, on half the calls (seeded), so every step meets it sooner or later.
    moto.configure(json!({"faults": 0.5, "fault_kinds": "throttle", "seed": 11}))
        .await;
    let update = |desired: &Value, previous: &Value, rollback: bool| {
        let mut args = vec![
            "--action".to_owned(),
            "UPDATE".into(),
            "--properties".into(),
            desired.to_string(),
            "--previous".into(),
            previous.to_string(),
        ];
        if rollback {
            args.push("--rollback".into());
        }
        run_driver(moto.endpoint.clone(), args)
    };
    let updated = update(&desired, &previous, false).await;
    assert_eq!(updated.code, 0, "{updated:?}");
    assert!(
        updated.progress.contains("IN_PROGRESS") && updated.progress.contains("Rate exceeded"),
        "the update met throttling and went on through callbacks: {}",
        updated.progress
    );
    // A later failure in the stack rolls the update back, under the same throttling.
    let rolled = update(&previous, &desired, true).await;
    assert_eq!(rolled.code, 0, "{rolled:?}");
    moto.configure(json!({"faults": 0})).await;
    assert!(moto.faults().await["throttle"].as_u64().unwrap() >= 2);
    let tags = org.tags_of(&id).await;
    assert!(tags.contains(&("team".into(), "a".into())), "{tags:?}");
    // The rolled-back template names no parent where the update named one: back to the root.
    assert_eq!(org.parent_of(&id).await, org.root);
}
