//! The type owner's logs and metrics, end to end: a request carrying providerCredentials and
//! providerLogGroupName leaves the handler's lines in that group and its metrics in
//! AWS/CloudFormation/<Type/Name>, read back from the local endpoint (moto's Logs and CloudWatch)
//! with the official SDK clients; without them nothing is attempted; a failing Logs endpoint
//! does not change the answer.

mod support;

use aws_sdk_cloudwatch::config::{BehaviorVersion, Credentials, Region};
use serde_json::json;
use support::{run_driver_with, Moto};

const GROUP: &str = "/cloudformation/acme-organizations-account";
const TYPE: &str = "Acme::Organizations::Account";
const NAMESPACE: &str = "AWS/CloudFormation/Acme/Organizations/Account";
const PROVIDER_SECRET: &str = "provider-SECRET-do-not-log";

fn provider_env() -> [(&'static str, &'static str); 3] {
    [
        ("PROVIDER_AWS_ACCESS_KEY_ID", "AKIAPROVIDER00000001"),
        ("PROVIDER_AWS_SECRET_ACCESS_KEY", PROVIDER_SECRET),
        ("RUST_LOG", "trace"),
    ]
}

fn creds() -> Credentials {
    Credentials::new("AKIAFAKEFAKEFAKE0000", "fake", None, None, "test")
}

async fn delivered_lines(moto: &Moto) -> Vec<String> {
    let conf = aws_sdk_cloudwatchlogs::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(&moto.endpoint)
        .credentials_provider(creds())
        .build();
    let logs = aws_sdk_cloudwatchlogs::Client::from_conf(conf);
    let out = logs
        .filter_log_events()
        .log_group_name(GROUP)
        .send()
        .await
        .expect("the log group exists");
    out.events()
        .iter()
        .filter_map(|e| e.message().map(str::to_owned))
        .collect()
}

async fn metric_names(moto: &Moto) -> Vec<String> {
    let conf = aws_sdk_cloudwatch::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(&moto.endpoint)
        .credentials_provider(creds())
        .build();
    let cw = aws_sdk_cloudwatch::Client::from_conf(conf);
    let out = cw
        .list_metrics()
        .namespace(NAMESPACE)
        .send()
        .await
        .expect("list metrics");
    let mut names: Vec<String> = out
        .metrics()
        .iter()
        .filter_map(|m| m.metric_name().map(str::to_owned))
        .collect();
    names.sort();
    names.dedup();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_log_group_receives_the_request_lines_and_metrics_arrive() {
    let moto = Moto::start().await;
    moto.organization().await;
    let props = json!({"AccountName": "Logged", "Email": "logged@example.com"}).to_string();
    let created = run_driver_with(
        moto.endpoint.clone(),
        [
            "--action",
            "CREATE",
            "--log-group",
            GROUP,
            "--resource-type",
            TYPE,
            "--properties",
            &props,
        ]
        .map(String::from)
        .to_vec(),
        &provider_env(),
    )
    .await;
    assert_eq!(created.code, 0, "{created:?}");
    // A failing request, for the exception metrics.
    let missing = run_driver_with(
        moto.endpoint.clone(),
        [
            "--action",
            "READ",
            "--log-group",
            GROUP,
            "--resource-type",
            TYPE,
            "--properties",
            &json!({"AccountId": "999999999999"}).to_string(),
        ]
        .map(String::from)
        .to_vec(),
        &provider_env(),
    )
    .await;
    assert_eq!(missing.error_code(), "NotFound");

    let lines = delivered_lines(&moto).await;
    let text = lines.join("\n");
    assert!(text.contains("\"message\":\"answered\""), "{text}");
    assert!(text.contains("\"action\":\"CREATE\"") && text.contains("\"action\":\"READ\""));
    assert!(text.contains(&created.account_id()), "{text}");
    // The same redacted lines as stdout, at TRACE: no secret of the caller's or the owner's.
    for secret in [
        PROVIDER_SECRET,
        "fake-secret-for-local-use",
        "fake-session-token",
    ] {
        assert!(!text.contains(secret), "{secret} delivered");
    }
    // Batched: one PutLogEvents per invocation (the create took three), plus the creation of
    // the group and stream once.
    let calls = moto.calls().await;
    assert_eq!(calls["Logs.CreateLogGroup"], 1, "{calls}");
    assert_eq!(calls["Logs.PutLogEvents"], 4 + 1, "{calls}");
    assert_eq!(calls["CloudWatch.PutMetricData"], 4, "{calls}");
    assert_eq!(
        metric_names(&moto).await,
        [
            "HandlerException",
            "HandlerExceptionByErrorCode",
            "HandlerInvocationCount",
            "HandlerInvocationDuration"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_provider_credentials_nothing_is_attempted() {
    let moto = Moto::start().await;
    moto.organization().await;
    let props = json!({"AccountName": "Quiet", "Email": "quiet@example.com"}).to_string();
    let created = moto
        .driver(&["--action", "CREATE", "--properties", &props])
        .await;
    assert_eq!(created.code, 0, "{created:?}");
    let calls = moto.calls().await;
    let delivery: Vec<&String> = calls
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| k.starts_with("Logs.") || k.starts_with("CloudWatch."))
        .collect();
    assert!(delivery.is_empty(), "{calls}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_logs_endpoint_does_not_change_the_answer() {
    let moto = Moto::start().await;
    moto.organization().await;
    let props = json!({"AccountName": "Unlogged", "Email": "unlogged@example.com"}).to_string();
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_url = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    let started = std::time::Instant::now();
    let created = run_driver_with(
        moto.endpoint.clone(),
        [
            "--action",
            "CREATE",
            "--verbose",
            "--log-group",
            GROUP,
            "--resource-type",
            TYPE,
            "--properties",
            &props,
        ]
        .map(String::from)
        .to_vec(),
        &[("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", dead_url.as_str())],
    )
    .await;
    assert_eq!(created.code, 0, "{created:?}");
    assert!(created.account_id().len() == 12);
    assert!(
        created
            .progress
            .contains("could not deliver logs or metrics to the type owner"),
        "{}",
        created.progress
    );
    // Bounded: three invocations, each waiting at most 2.5 s for delivery, on top of a 3 s
    // creation.
    assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
    // Metrics still went, through their own endpoint.
    assert_eq!(moto.calls().await["CloudWatch.PutMetricData"], 3);
}
