//! Every fixture in events/ goes to the real `bootstrap` binary, served by the Lambda runtime
//! API emulator of cargo lambda (`watch --only-lambda-apis`), with the handler talking to the
//! local Organizations endpoint. Each answer must keep the promise in the fixture's name.

mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::Moto;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn cargo_lambda() -> PathBuf {
    match std::env::var("CARGO_LAMBDA") {
        Ok(p) => PathBuf::from(p),
        Err(_) => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/cargo-lambda"),
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn wait_for(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "nothing listens on {port}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// "04-read.success.json" -> ("SUCCESS", None); "x.failed-not-updatable.json" -> ("FAILED", Some("NotUpdatable")).
fn promise(name: &str) -> (String, Option<String>) {
    let stem = name.trim_end_matches(".json");
    let promise = stem.rsplit('.').next().unwrap_or_default();
    match promise.strip_prefix("failed-") {
        Some(code) => {
            let code: String = code
                .split('-')
                .map(|w| {
                    let mut c = w.chars();
                    c.next()
                        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                        .unwrap_or_default()
                })
                .collect();
            ("FAILED".into(), Some(code))
        }
        None => (promise.replace('-', "_").to_ascii_uppercase(), None),
    }
}

#[test]
fn fixture_names_promise_a_status_and_code() {
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

    let port = free_port();
    let _emulator = Killed(
        Command::new(cargo_lambda())
            .args([
                "lambda",
                "watch",
                "--only-lambda-apis",
                "-A",
                "127.0.0.1",
                "-P",
                &port.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("cargo lambda watch starts (run scripts/setup)"),
    );
    wait_for(port).await;
    let _function = Killed(
        Command::new(env!("CARGO_BIN_EXE_bootstrap"))
            .env(
                "AWS_LAMBDA_RUNTIME_API",
                format!("http://127.0.0.1:{port}/.rt"),
            )
            .env("AWS_LAMBDA_FUNCTION_NAME", "_")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_ENDPOINT_URL", &moto.endpoint)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("bootstrap starts"),
    );

    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let invoke = |body: String| {
        let client = client.clone();
        async move {
            let req = hyper::Request::post(format!(
                "http://127.0.0.1:{port}/2015-03-31/functions/_/invocations"
            ))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body)))
            .unwrap();
            let resp = client.request(req).await.expect("invoke");
            let status = resp.status();
            let bytes = resp.into_body().collect().await.unwrap().to_bytes();
            assert!(
                status.is_success(),
                "HTTP {status}: {}",
                String::from_utf8_lossy(&bytes)
            );
            serde_json::from_slice::<Value>(&bytes).expect("a JSON ProgressEvent")
        }
    };

    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("events");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    assert!(names.len() >= 12, "{names:?}");

    let mut account = String::from("111111111111");
    let mut next_token = String::from("NEXT-PAGE-TOKEN");
    for name in &names {
        if name.contains("list.") {
            // Enough accounts for a second ListAccounts page.
            for i in 0..25 {
                org.client
                    .create_account()
                    .account_name(format!("Filler {i}"))
                    .email(format!("filler-{i}@example.com"))
                    .send()
                    .await
                    .unwrap();
            }
        }
        let text = std::fs::read_to_string(dir.join(name))
            .unwrap()
            .replace("111111111111", &account)
            .replace("ou-abcd-11111111", &org.ou_a)
            .replace("ou-abcd-22222222", &org.ou_b)
            .replace("NEXT-PAGE-TOKEN", &next_token);
        let event = invoke(text).await;
        let (status, code) = promise(name);
        assert_eq!(
            event["status"].as_str(),
            Some(status.as_str()),
            "{name}: {event}"
        );
        assert_eq!(
            event["errorCode"].as_str().map(str::to_owned),
            code,
            "{name}: {event}"
        );
        if let Some(id) = event
            .pointer("/resourceModel/AccountId")
            .and_then(Value::as_str)
        {
            account = id.to_owned();
        }
        if let Some(token) = event["nextToken"].as_str() {
            next_token = token.to_owned();
        }
        if name.contains("list.") {
            assert!(event["nextToken"].is_string(), "no second page: {event}");
        }
        if name.contains("list-next-page") {
            assert!(
                !event["resourceModels"].as_array().unwrap().is_empty(),
                "{event}"
            );
        }
    }
}
