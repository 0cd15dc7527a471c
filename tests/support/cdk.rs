//! The CDK provider framework, as it really calls: aws-cdk-lib's own framework JavaScript
//! (synthesized from a real `custom_resources.Provider` whose onEvent and isComplete handlers are
//! the function under test) runs under Node in tests/cdk/host.js, invokes the real `bootstrap`
//! through a local Lambda Invoke API, waits through a stand-in for the generated waiter state
//! machine, and answers at an HTTPS ResponseURL on loopback port 443 (a throwaway CA).
//! Needs Node and the npm packages of tests/cdk and examples/cdk (scripts/node-setup).

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::{framework_event, free_port, http, wait_for_port, CustomFunction, SERVICE_TOKEN};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A throwaway CA and a certificate for 127.0.0.1-127.0.0.40, made once per test process.
pub fn certificates() -> &'static (PathBuf, PathBuf, PathBuf) {
    static CERTS: OnceLock<(PathBuf, PathBuf, PathBuf)> = OnceLock::new();
    CERTS.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("cdk-framework-certs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let sans: Vec<String> = (1..=40).map(|i| format!("IP:127.0.0.{i}")).collect();
        std::fs::write(
            dir.join("san.ext"),
            format!("subjectAltName={}\n", sans.join(",")),
        )
        .unwrap();
        let openssl = |args: &[&str]| {
            let out = std::process::Command::new("openssl")
                .args(args)
                .current_dir(&dir)
                .output()
                .expect("openssl runs");
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=local test CA",
        ]);
        openssl(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ]);
        openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "san.ext",
        ]);
        (
            dir.join("ca.pem"),
            dir.join("server.pem"),
            dir.join("server.key"),
        )
    })
}

/// A loopback address of its own for each test's port 443.
pub fn loopback_address() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(10);
    format!("127.0.0.{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// The framework, synthesized and served for one test.
pub struct Framework {
    pub endpoint: String,
    pub https_host: String,
    _host: Child,
}

impl Framework {
    /// The framework of a Provider synthesized by the host itself.
    pub async fn start(function: &CustomFunction) -> Framework {
        Framework::serve(function, None, (1, 120)).await
    }

    /// The same with the Provider's queryInterval and totalTimeout (seconds), as a fleet's
    /// Provider would set them.
    pub async fn start_waiting(function: &CustomFunction, query: u64, total: u64) -> Framework {
        Framework::serve(function, None, (query, total)).await
    }

    /// The framework of a synthesized CDK app (`template`, its assets beside it).
    pub async fn serve(
        function: &CustomFunction,
        template: Option<&std::path::Path>,
        (query, total): (u64, u64),
    ) -> Framework {
        let (ca, cert, key) = certificates();
        let port = free_port();
        let https_host = loopback_address();
        let outdir =
            std::env::temp_dir().join(format!("cdk-out-{}-{https_host}", std::process::id()));
        let cdk = root().join("tests/cdk");
        assert!(
            cdk.join("node_modules/aws-cdk-lib").exists(),
            "aws-cdk-lib is not installed in tests/cdk: run scripts/node-setup"
        );
        let mut host = Command::new("node")
            .arg(cdk.join("host.js"))
            .args(["--port", &port.to_string(), "--https-host", &https_host])
            .arg("--cert")
            .arg(cert)
            .arg("--key")
            .arg(key)
            .args(match template {
                Some(t) => vec!["--template".into(), t.as_os_str().to_owned()],
                None => vec![
                    std::ffi::OsString::from("--outdir"),
                    outdir.as_os_str().to_owned(),
                    "--user-function".into(),
                    SERVICE_TOKEN.into(),
                    "--query-interval".into(),
                    query.to_string().into(),
                    "--total-timeout".into(),
                    total.to_string().into(),
                ],
            })
            .current_dir(&cdk)
            // The framework asset requires the AWS SDK clients the Lambda runtime provides.
            .env("NODE_PATH", cdk.join("node_modules"))
            .env("NODE_EXTRA_CA_CERTS", ca)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "ASIAFRAMEWORKROLE001")
            .env("AWS_SECRET_ACCESS_KEY", "framework-role-secret")
            .env("AWS_SESSION_TOKEN", "framework-role-session")
            .env("AWS_ENDPOINT_URL_LAMBDA", &function.endpoint)
            .env("AWS_ENDPOINT_URL_SFN", format!("http://127.0.0.1:{port}"))
            .stdout(Stdio::piped())
            .stderr(if std::env::var("FRAMEWORK_LOG").is_ok() {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .kill_on_drop(true)
            .spawn()
            .expect("node runs tests/cdk/host.js");
        let mut lines = BufReader::new(host.stdout.take().unwrap()).lines();
        let ready = tokio::time::timeout(Duration::from_secs(60), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if line.trim() == "ready" {
                    return true;
                }
            }
            false
        })
        .await;
        assert_eq!(ready, Ok(true), "the framework host did not start");
        // The framework logs to stdout: keep draining it.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        wait_for_port(port, "the framework host").await;
        Framework {
            endpoint: format!("http://127.0.0.1:{port}"),
            https_host,
            _host: host,
        }
    }

    /// A request as CloudFormation sends it to the Provider's ServiceToken (the framework's
    /// onEvent), answered at an HTTPS ResponseURL named by `key`.
    pub fn event(
        &self,
        request_type: &str,
        logical_id: &str,
        key: &str,
        properties: Value,
        physical_id: Option<&str>,
        old_properties: Option<Value>,
    ) -> Value {
        let url = format!("https://{}/{key}?X-Amz-Signature=local", self.https_host);
        framework_event(
            request_type,
            logical_id,
            &url,
            properties,
            physical_id,
            old_properties,
        )
    }

    /// Sends the request as CloudFormation does (an asynchronous invoke of the ServiceToken).
    pub async fn send(&self, event: &Value) {
        let (status, _, body) = http(
            "POST",
            &format!("{}/2015-03-31/functions/onEvent/invocations", self.endpoint),
            event.to_string().into_bytes(),
            &[("X-Amz-Invocation-Type", "Event")],
        )
        .await;
        assert_eq!(status, 202, "{}", String::from_utf8_lossy(&body));
    }

    /// Every answer PUT so far, by the key of its ResponseURL.
    pub async fn answered(&self) -> std::collections::BTreeMap<String, Vec<Value>> {
        let (_, _, body) = http(
            "GET",
            &format!("{}/_answers", self.endpoint),
            Vec::new(),
            &[],
        )
        .await;
        let all: Vec<Value> = serde_json::from_slice(&body).unwrap();
        let mut by_key = std::collections::BTreeMap::<String, Vec<Value>>::new();
        for a in all {
            assert_eq!(a["method"], "PUT", "{a}");
            let key = a["path"].as_str().unwrap_or_default();
            let key = key
                .trim_start_matches('/')
                .split('?')
                .next()
                .unwrap_or_default();
            let body = serde_json::from_str(a["body"].as_str().unwrap_or("null")).unwrap();
            by_key.entry(key.to_owned()).or_default().push(body);
        }
        by_key
    }

    /// Every answer PUT at the ResponseURL named `key`.
    pub async fn answers(&self, key: &str) -> Vec<Value> {
        self.answered().await.remove(key).unwrap_or_default()
    }

    /// The one answer to `key`: waits for it, then makes sure no second one follows.
    pub async fn answer(&self, key: &str, seconds: u64) -> Value {
        let started = Instant::now();
        loop {
            let found = self.answers(key).await;
            if let Some(first) = found.first() {
                tokio::time::sleep(Duration::from_millis(1500)).await;
                let again = self.answers(key).await;
                assert_eq!(again.len(), 1, "exactly one answer per request: {again:?}");
                return first.clone();
            }
            assert!(
                started.elapsed() < Duration::from_secs(seconds),
                "no answer to {key} in {seconds} s"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Sends and waits for the one answer.
    pub async fn play(&self, event: Value, key: &str) -> Value {
        self.send(&event).await;
        let answer = self.answer(key, 120).await;
        for field in ["StackId", "RequestId", "LogicalResourceId"] {
            assert_eq!(answer[field], event[field], "{answer}");
        }
        answer
    }

    pub async fn stats(&self) -> Value {
        let (_, _, body) = http("GET", &format!("{}/_stats", self.endpoint), Vec::new(), &[]).await;
        serde_json::from_slice(&body).unwrap()
    }
}

pub fn props(name: &str, email: &str) -> Value {
    json!({"AccountName": name, "Email": email})
}

pub fn calls(stats: &Value, op: &str) -> u64 {
    stats[op].as_u64().unwrap_or(0)
}

pub fn assert_account_id(answer: &Value) -> String {
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    let id = answer["PhysicalResourceId"].as_str().unwrap().to_owned();
    assert!(
        id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()),
        "{answer}"
    );
    assert_eq!(answer["Data"]["AccountId"], id.as_str(), "{answer}");
    id
}
