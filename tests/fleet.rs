//! Many accounts declared at once (issue 23), through the real CDK provider framework on the
//! realistic local endpoint (creations that take a while, at most 5 in flight as in AWS): every
//! declaration gets its own account and one answer, and the fleet waits for creation slots by
//! looking at the creations in progress (ListCreateAccountStatus), not by knocking with
//! CreateAccount calls that Organizations refuses.
//!
//! `fleet_benchmark` (ignored; run by benchmarks/fleet.py) measures large fleets and prints
//! one `FLEET-RESULT {json}` line per fleet.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::cdk::{props, Framework};
use support::{CustomFunction, Moto};

/// What one fleet's run came to.
struct Fleet {
    accounts: usize,
    creation_seconds: f64,
    /// Seconds from the first request to each answer, earliest first.
    answers: Vec<f64>,
    /// Seconds from the first request to the last answer.
    last_answer: f64,
    /// Organizations calls by operation, throttled ones included.
    calls: BTreeMap<String, u64>,
    /// Calls refused by the local endpoint's throttling, by operation.
    throttled: BTreeMap<String, u64>,
}

impl Fleet {
    fn calls_of(&self, op: &str) -> u64 {
        self.calls.get(op).copied().unwrap_or(0)
    }

    fn organizations_calls(&self) -> u64 {
        self.calls.values().sum()
    }

    /// The quota's physical limit: ceil(n/5) waves of one creation each.
    fn quota_limit(&self) -> f64 {
        self.accounts.div_ceil(5) as f64 * self.creation_seconds
    }

    fn result(&self) -> Value {
        let n = self.accounts as f64;
        let creates = self.calls_of("CreateAccount");
        json!({
            "accounts": self.accounts,
            "creation_seconds": self.creation_seconds,
            "first_answer_seconds": (self.answers.first().copied().unwrap_or(0.0) * 10.0).round() / 10.0,
            "median_answer_seconds": (self.answers.get(self.answers.len() / 2).copied().unwrap_or(0.0) * 10.0).round() / 10.0,
            "last_answer_seconds": (self.last_answer * 10.0).round() / 10.0,
            "quota_limit_seconds": self.quota_limit(),
            "ratio": ((self.last_answer / self.quota_limit()) * 1000.0).round() / 1000.0,
            "create_account_calls": creates,
            "create_account_refused": creates.saturating_sub(self.accounts as u64),
            "create_account_per_account": ((creates as f64 / n) * 100.0).round() / 100.0,
            "organizations_calls": self.organizations_calls(),
            "organizations_calls_per_account": ((self.organizations_calls() as f64 / n) * 10.0).round() / 10.0,
            "calls": self.calls,
            "throttled": self.throttled,
        })
    }
}

/// `n` accounts sent to the framework together, each answered once with its own account.
async fn fleet(n: usize, creation_seconds: f64, throttle: &str) -> Fleet {
    let moto = Moto::start().await;
    let org = moto.organization().await;
    moto.configure(json!({"creation_seconds": creation_seconds, "calls_per_second": throttle}))
        .await;
    let before = moto.calls().await;
    // Lambda runs each request in its own instance: as many as the fleet, each onEvent waiting
    // up to the 15 minutes Lambda allows for its creation slot.
    let function = CustomFunction::start(&moto, n, 900).await;
    // The Provider as a fleet declares it: CDK's default 5-second queryInterval, an hour.
    let cdk = Framework::start_waiting(&function, 5, 3600).await;
    let keys: Vec<String> = (0..n).map(|i| format!("fleet-{i}")).collect();
    let started = Instant::now();
    for (i, key) in keys.iter().enumerate() {
        let properties = props(&format!("Fleet {i}"), &format!("fleet-{i}@example.com"));
        cdk.send(&cdk.event("Create", &format!("Fleet{i}"), key, properties, None, None))
            .await;
    }
    let deadline = Duration::from_secs_f64(120.0 + 3.0 * n.div_ceil(5) as f64 * creation_seconds);
    let mut answered: BTreeMap<String, (f64, Vec<Value>)> = BTreeMap::new();
    // Polled every 200 ms: the last answer is known to within that.
    while answered.len() < n {
        assert!(
            started.elapsed() < deadline,
            "{} of {n} answered in {deadline:?}",
            answered.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
        let now = started.elapsed().as_secs_f64();
        for (key, found) in cdk.answered().await {
            answered.entry(key).or_insert((now, found));
        }
    }
    // The endpoint's counts now, before the checks below add calls of their own.
    let stats = moto.stats().await;
    let mut answers: Vec<f64> = answered.values().map(|(t, _)| *t).collect();
    answers.sort_by(f64::total_cmp);
    let last_answer = answers.last().copied().unwrap_or(0.0);
    // One answer each, every one a success naming an account of its own.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut ids = BTreeSet::new();
    let answered = cdk.answered().await;
    for key in &keys {
        let all = &answered[key];
        assert_eq!(all.len(), 1, "{key}: {all:?}");
        assert_eq!(all[0]["Status"], "SUCCESS", "{key}: {}", all[0]);
        ids.insert(
            all[0]["PhysicalResourceId"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
    }
    assert_eq!(ids.len(), n, "one account per declaration");
    for i in 0..n {
        assert_eq!(
            org.accounts_with_email(&format!("fleet-{i}@example.com"))
                .await,
            1
        );
    }
    let count = |v: &Value, exclude: &Value| -> BTreeMap<String, u64> {
        v.as_object()
            .into_iter()
            .flatten()
            // Organizations operations only (Logs, Account Management and STS are named
            // "Service.Operation").
            .filter(|(op, _)| !op.contains('.'))
            .map(|(op, c)| {
                let c = c.as_u64().unwrap_or(0) - exclude[op].as_u64().unwrap_or(0);
                (op.clone(), c)
            })
            .filter(|(_, c)| *c > 0)
            .collect()
    };
    Fleet {
        accounts: n,
        creation_seconds,
        answers,
        last_answer,
        calls: count(&stats["calls"], &before),
        throttled: count(&stats["throttled"], &json!({})),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_accounts_at_once_wait_for_creation_slots_by_looking_not_by_knocking() {
    let run = fleet(20, 2.0, "CreateAccount=5").await;
    let result = run.result();
    println!("FLEET-RESULT {result}");
    // Twenty accepted requests, and few more: a waiter calls CreateAccount only once it has
    // seen a slot free (knocking every few seconds made three calls per account here). The
    // twenty arrive within a second, so a few calls of the first burst may be throttled (and
    // retried by the SDK); those count too.
    let creates = run.calls_of("CreateAccount");
    assert!(creates >= 20, "{result}");
    assert!(creates <= 30, "CreateAccount knocked: {result}");
    // Each account's record is read once for its three stages in one invocation (created,
    // placed, read back: three reads each before the proof was kept for the request).
    for op in ["DescribeAccount", "ListTagsForResource"] {
        assert!(
            run.calls_of(op) <= 25,
            "{op} more than once per account: {result}"
        );
    }
}

/// Large fleets for benchmarks/fleet.py: FLEET_SIZES (comma-separated, default 100),
/// FLEET_CREATION_SECONDS (default 10), FLEET_THROTTLE (the endpoint's calls_per_second).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: run by benchmarks/fleet.py"]
async fn fleet_benchmark() {
    let sizes = std::env::var("FLEET_SIZES").unwrap_or("100".into());
    let seconds: f64 = std::env::var("FLEET_CREATION_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10.0);
    let throttle = std::env::var("FLEET_THROTTLE").unwrap_or("CreateAccount=5".into());
    for size in sizes.split(',').filter_map(|s| s.trim().parse().ok()) {
        let run = fleet(size, seconds, &throttle).await;
        println!("FLEET-RESULT {}", run.result());
    }
}
