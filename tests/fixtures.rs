//! Every fixture in events/ goes to the real `bootstrap` binary, served by the Lambda runtime
//! API emulator of cargo lambda (`watch --only-lambda-apis`), with the handler talking to the
//! local Organizations endpoint. Each answer must keep the promise in the fixture's name.

mod support;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use support::Moto;

/// One invocation through the emulator's Invoke API, with exactly these bytes as the body.
async fn invoke_raw(port: u16, body: Vec<u8>) -> (hyper::StatusCode, Bytes) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let req = hyper::Request::post(format!(
        "http://127.0.0.1:{port}/2015-03-31/functions/_/invocations"
    ))
    .header("content-type", "application/json")
    .body(Full::new(Bytes::from(body)))
    .unwrap();
    let resp = client.request(req).await.expect("invoke");
    let status = resp.status();
    (status, resp.into_body().collect().await.unwrap().to_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_the_runtime_cannot_decode_still_get_a_failed_progress_event() {
    // Through the real runtime: a body it refuses would be a Lambda error (HTTP 500 here,
    // no ProgressEvent for CloudFormation).
    let moto = Moto::plain().await;
    let emulator = support::Emulator::start(&moto).await;
    let deep = "[".repeat(300);
    // Valid JSON at the decoder's nesting limit (127 levels): one too many once wrapped.
    let at_limit = format!("{}1{}", "[".repeat(127), "]".repeat(127));
    let bodies: [&[u8]; 6] = [
        at_limit.as_bytes(),
        b"{\"action\":\"READ\",\"x\":\"\xff\xfe\"}",
        b"{\"action\":\"READ\",\"x\":\"\\ud800\"}",
        b"{\"action\":\"READ\",\"x\":1e400}",
        deep.as_bytes(),
        b"\x00\x01 not json at all",
    ];
    for body in bodies {
        let (status, answer) = invoke_raw(emulator.port, body.to_vec()).await;
        let text = String::from_utf8_lossy(&answer);
        assert!(status.is_success(), "HTTP {status}: {text}");
        let event: Value = serde_json::from_slice(&answer).expect("a JSON ProgressEvent");
        assert_eq!(event["status"], "FAILED", "{event}");
        assert_eq!(event["errorCode"], "InvalidRequest", "{event}");
    }
}

#[test]
fn fixture_names_promise_a_status_and_code() {
    use support::fixtures::promise;
    assert_eq!(
        promise("01-create.in-progress.json"),
        ("IN_PROGRESS".to_string(), None)
    );
    assert_eq!(
        promise("06-x.failed-not-updatable.json"),
        ("FAILED".to_string(), Some("NotUpdatable".to_string()))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_fixture_keeps_its_promise_through_the_lambda_emulator() {
    let moto = Moto::start().await;
    let org = moto.organization().await;

    let emulator = support::Emulator::start(&moto).await;
    let port = emulator.port;

    let played = support::fixtures::play_registry_fixtures(&moto, &org, |_name, body| async move {
        let (status, bytes) = invoke_raw(port, body.into_bytes()).await;
        assert!(
            status.is_success(),
            "HTTP {status}: {}",
            String::from_utf8_lossy(&bytes)
        );
        serde_json::from_slice::<Value>(&bytes).expect("a JSON ProgressEvent")
    })
    .await;
    assert!(played >= 12);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn driver_walks_an_account_through_create_and_delete_via_the_lambda_invoke_api() {
    // The driver's Invoke path (the Lambda SDK, as for a deployed function), pointed at the
    // emulator: CloudFormation's callback loop over real invocations of the real binary.
    let moto = Moto::start().await;
    let org = moto.organization().await;
    let emulator = support::Emulator::start(&moto).await;
    let url = emulator.url();
    let props = serde_json::json!({"AccountName": "Remote", "Email": "remote@example.com", "ParentIds": [org.ou_a],
        "DeletionMode": "CLOSE"}).to_string();
    let created = moto
        .driver(&[
            "--endpoint",
            &url,
            "--function",
            "_",
            "--action",
            "CREATE",
            "--properties",
            &props,
        ])
        .await;
    assert_eq!(created.code, 0, "{created:?}");
    assert!(
        created
            .progress
            .contains("CREATE IN_PROGRESS next=placeAccount"),
        "{}",
        created.progress
    );
    let id = created.account_id();
    assert_eq!(org.parent_of(&id).await, org.ou_a);
    let gone = serde_json::json!({"AccountId": id}).to_string();
    let deleted = moto
        .driver(&[
            "--endpoint",
            &url,
            "--function",
            "_",
            "--action",
            "DELETE",
            "--properties",
            &gone,
        ])
        .await;
    assert_eq!(deleted.code, 0, "{deleted:?}");
    let read = moto
        .driver(&[
            "--endpoint",
            &url,
            "--function",
            "_",
            "--action",
            "READ",
            "--properties",
            &gone,
        ])
        .await;
    assert_eq!(read.error_code(), "NotFound", "{read:?}");
}
