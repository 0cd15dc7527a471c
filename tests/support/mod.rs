//! Test harness: a real local AWS Organizations endpoint on 127.0.0.1 (a free port, started and
//! stopped per test): by default our realistic one (scripts/local_organizations.py: moto extended
//! with asynchronous creation, the 5-in-flight quota, duplicate e-mails, faults), or plain moto
//! where behaviour does not matter; an organization in it; and the driver that plays
//! CloudFormation against the handler with the SDK pointed at it via AWS_ENDPOINT_URL.
#![allow(dead_code)]

pub mod cdk;
pub mod fixtures;
pub mod inside_mocks;
pub mod mocks;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_organizations::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_organizations::types::OrganizationFeatureSet;
use aws_sdk_organizations::Client;
use serde_json::Value;

/// A loopback port nobody listens on right now, and one this test process has not handed out
/// before: the port is released before the server that will use it binds it, so two tests side
/// by side could otherwise be given the same one and talk to each other's endpoint.
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<std::collections::BTreeSet<u16>> =
        std::sync::Mutex::new(std::collections::BTreeSet::new());
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free loopback port");
        if GIVEN.lock().unwrap_or_else(|e| e.into_inner()).insert(port) {
            return port;
        }
    }
}

/// Waits until something listens on `port`, for at most a minute.
pub async fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            Instant::now() < deadline,
            "{what} did not start on port {port}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub struct Moto {
    child: Child,
    pub endpoint: String,
    /// The Docker container it runs in, if any (removed when dropped).
    container: Option<String>,
}

/// A tool of the project's .venv (scripts/setup makes it), or the path `variable` names; says
/// what to run when it is missing.
pub fn venv(tool: &str, variable: &str) -> PathBuf {
    if let Ok(path) = std::env::var(variable) {
        return PathBuf::from(path);
    }
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(".venv/bin")
        .join(tool);
    assert!(
        path.exists(),
        "{} is missing: run scripts/setup first (or set {variable})",
        path.display()
    );
    path
}

/// Creations take this long on the realistic endpoint unless a test says otherwise.
pub const CREATION_SECONDS: &str = "3";

impl Moto {
    /// The realistic local Organizations with its defaults (creation of a few seconds, AccountId
    /// only at SUCCEEDED, at most 5 creations in flight).
    pub async fn start() -> Moto {
        Moto::start_with(&[]).await
    }

    /// The realistic local Organizations with settings (`--creation-seconds 5`, `--faults 0.2`).
    pub async fn start_with(settings: &[&str]) -> Moto {
        let port = free_port();
        let script =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/local_organizations.py");
        let mut args = vec![
            script.display().to_string(),
            "-p".into(),
            port.to_string(),
            "--creation-seconds".into(),
            CREATION_SECONDS.into(),
        ];
        args.extend(settings.iter().map(|s| s.to_string()));
        let child = Command::new(venv("python", "LOCAL_ORG_PYTHON"))
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the local Organizations endpoint starts");
        Moto::wait(child, port).await
    }

    /// Plain moto: CreateAccount finishes at once. For tests where that does not matter.
    pub async fn plain() -> Moto {
        let port = free_port();
        let child = Command::new(venv("moto_server", "MOTO_SERVER"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server starts");
        Moto::wait(child, port).await
    }

    /// The realistic local Organizations in a Docker container of its own (from the Lambda
    /// base image `scripts/sam-setup` builds, with this machine's Python and the project's
    /// .venv mounted read-only), for functions in containers (`sam local`), which cannot reach
    /// this machine's loopback. Its endpoint is the container's address on Docker's bridge.
    pub async fn in_container() -> Moto {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let name = format!(
            "local-org-{}-{}",
            std::process::id(),
            N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        let python = venv("python", "LOCAL_ORG_PYTHON");
        let base = Command::new(&python)
            .args(["-c", "import sys; print(sys.base_prefix)"])
            .output()
            .expect("python runs");
        let base = String::from_utf8_lossy(&base.stdout).trim().to_owned();
        let root = env!("CARGO_MANIFEST_DIR");
        let child = Command::new("docker")
            .args(["run", "--rm", "--name", &name])
            .args([
                "-v",
                &format!("{base}:{base}:ro"),
                "-v",
                &format!("{root}:{root}:ro"),
            ])
            .arg(LAMBDA_BASE_IMAGE)
            .arg(&python)
            .arg(format!("{root}/scripts/local_organizations.py"))
            .args(["--in-container", "-H", "0.0.0.0", "-p", "5000"])
            .args(["--creation-seconds", CREATION_SECONDS])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("docker runs (run scripts/sam-setup)");
        let mut moto = Moto {
            child,
            endpoint: String::new(),
            container: Some(name.clone()),
        };
        let started = Instant::now();
        loop {
            let ip = Command::new("docker")
                .args(["inspect", "-f", "{{.NetworkSettings.IPAddress}}", &name])
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
                .unwrap_or_default();
            if !ip.is_empty()
                && tokio::net::TcpStream::connect((ip.as_str(), 5000))
                    .await
                    .is_ok()
            {
                moto.endpoint = format!("http://{ip}:5000");
                return moto;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the local Organizations container did not start (run scripts/sam-setup)"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    async fn wait(child: Child, port: u16) -> Moto {
        let moto = Moto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            container: None,
        };
        wait_for_port(port, "the local endpoint").await;
        moto
    }

    /// Changes the realistic endpoint's settings at run time (`{"faults": 0}`).
    pub async fn configure(&self, settings: Value) -> Value {
        self.control("/_local_org/config", Some(settings)).await
    }

    /// How many times each Organizations operation was called.
    pub async fn calls(&self) -> Value {
        self.control("/_local_org/stats", None).await["calls"].clone()
    }

    /// Everything the endpoint counts: `calls`, `faults`, `throttled` (by operation), `touched`.
    pub async fn stats(&self) -> Value {
        self.control("/_local_org/stats", None).await
    }

    /// The changing calls (and AssumeRoles) that named each account: `{"<id>": {"MoveAccount": n,
    /// "Account.PutAlternateContact": n, "STS.AssumeRole": n, ...}}`.
    pub async fn touched(&self) -> Value {
        self.control("/_local_org/stats", None).await["touched"].clone()
    }

    /// The alternate contacts and Region statuses the local Account Management API holds, by
    /// account: `{"<id>": {"contacts": {"BILLING": {...}}, "regions": {"af-south-1": "ENABLED"}}}`.
    pub async fn account_baselines(&self) -> Value {
        self.control("/_local_org/accounts", None).await
    }

    /// How many faults of each kind (throttle, error, lost) the endpoint injected.
    pub async fn faults(&self) -> Value {
        self.control("/_local_org/stats", None).await["faults"].clone()
    }

    /// The inside of an account, as its own calls would show it (scripts/local_inside.py):
    /// `{"regions": {"us-east-1": {"default_vpcs": {"vpc-..": {"internet_gateways": [..],
    /// "subnets": [..]}}, "ebs_encryption": bool}}, "aliases": [..], "public_access_block":
    /// {"blockPublicAcls": bool, ...} or null}`, for the Regions the account may use.
    pub async fn inside(&self, account_id: &str) -> Value {
        self.control(&format!("/_local_org/inside/{account_id}"), None)
            .await
    }

    /// Something running in a Region's default VPC of the account: a network interface.
    /// Returns `{"vpc", "subnet", "interface"}`.
    pub async fn add_interface(&self, account_id: &str, region: &str) -> Value {
        let path = format!("/_local_org/inside/{account_id}/interface/{region}");
        self.control(&path, Some(serde_json::json!({}))).await
    }

    /// A change made inside the account outside CloudFormation: `alias` (or null),
    /// `ebs_encryption` ({Region: bool}), `public_access_block` ({"BlockPublicAcls": bool,
    /// ...} or null). Returns what the account then shows, as [`inside`](Self::inside).
    pub async fn inside_by_hand(&self, account_id: &str, change: Value) -> Value {
        let path = format!("/_local_org/inside/{account_id}/by-hand");
        self.control(&path, Some(change)).await
    }

    /// Renames an account as the Account Management API's PutAccountName does, outside
    /// CloudFormation.
    pub async fn put_account_name(&self, account_id: &str, name: &str) {
        let body = serde_json::json!({"AccountId": account_id, "AccountName": name});
        self.control("/putAccountName", Some(body)).await;
    }

    async fn control(&self, path: &str, body: Option<Value>) -> Value {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let addr = self.endpoint.trim_start_matches("http://");
        let mut stream = tokio::net::TcpStream::connect(addr)
            .await
            .expect("control connects");
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let method = if body.is_empty() { "GET" } else { "POST" };
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream
            .write_all(request.as_bytes())
            .await
            .expect("control request");
        let mut answer = String::new();
        stream
            .read_to_string(&mut answer)
            .await
            .expect("control answer");
        let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
        assert!(head.contains(" 200 "), "{answer}");
        serde_json::from_str(body).expect("control answers JSON")
    }

    /// The management account's configuration for this endpoint, as a person or another tool
    /// would call it.
    fn management(&self) -> aws_types::SdkConfig {
        aws_types::SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::from_static("us-east-1"))
            .endpoint_url(&self.endpoint)
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(Credentials::new(
                    "AKIAFAKEFAKEFAKE0000",
                    "fake",
                    None,
                    None,
                    "test",
                )),
            )
            .build()
    }

    /// Organizations as the management account.
    pub fn client(&self) -> Client {
        Client::new(&self.management())
    }

    /// The Account Management API as the management account (as a person in the console would
    /// set a contact).
    pub fn account_client(&self) -> aws_sdk_account::Client {
        aws_sdk_account::Client::new(&self.management())
    }

    /// Creates the organization and two OUs under the root.
    pub async fn organization(&self) -> Org {
        let client = self.client();
        client
            .create_organization()
            .feature_set(OrganizationFeatureSet::All)
            .send()
            .await
            .expect("create organization");
        let root = client
            .list_roots()
            .send()
            .await
            .expect("list roots")
            .roots()[0]
            .id()
            .unwrap()
            .to_owned();
        let mut ous = Vec::new();
        for name in ["Workloads", "Sandbox"] {
            let ou = client
                .create_organizational_unit()
                .parent_id(&root)
                .name(name)
                .send()
                .await
                .expect("create OU");
            ous.push(ou.organizational_unit().unwrap().id().unwrap().to_owned());
        }
        Org {
            root,
            ou_a: ous[0].clone(),
            ou_b: ous[1].clone(),
            client,
        }
    }

    /// Runs the driver (in-process handler, no waiting) and returns exit code, final event and
    /// the progress lines.
    pub async fn driver(&self, args: &[&str]) -> Outcome {
        run_driver(
            self.endpoint.clone(),
            args.iter().map(|s| s.to_string()).collect(),
        )
        .await
    }
}

/// The driver against `endpoint`; owned arguments so that runs can be spawned side by side.
pub async fn run_driver(endpoint: String, args: Vec<String>) -> Outcome {
    run_driver_with(endpoint, args, &[]).await
}

/// The same, with more environment variables for the driver.
pub async fn run_driver_with(
    endpoint: String,
    args: Vec<String>,
    envs: &[(&str, &str)],
) -> Outcome {
    {
        let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_cfn-driver"))
            // No waiting between callbacks unless the test's own --time-scale says otherwise.
            .args(["--time-scale", "0"])
            .args(&args)
            .envs(envs.iter().copied())
            .env("AWS_ENDPOINT_URL", &endpoint)
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_PROFILE")
            .output()
            .await
            .expect("driver runs");
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        Outcome {
            code: out.status.code().unwrap_or(-1),
            event: serde_json::from_str(&stdout).unwrap_or(Value::Null),
            progress: String::from_utf8_lossy(&out.stderr).to_string(),
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        if let Some(name) = &self.container {
            let _ = Command::new("docker").args(["rm", "-f", name]).output();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The image SAM runs `provided.al2023` functions on; `scripts/sam-setup` builds a stand-in.
pub const LAMBDA_BASE_IMAGE: &str = "public.ecr.aws/lambda/provided:al2023-x86_64";

pub struct Org {
    pub root: String,
    pub ou_a: String,
    pub ou_b: String,
    pub client: Client,
}

impl Org {
    /// Enables trusted access for the Account Management API (account.amazonaws.com), which
    /// alternate contacts and Regions of member accounts need.
    pub async fn enable_account_management(&self) {
        self.client
            .enable_aws_service_access()
            .service_principal("account.amazonaws.com")
            .send()
            .await
            .expect("enable trusted access");
    }

    pub async fn parent_of(&self, account: &str) -> String {
        let out = self
            .client
            .list_parents()
            .child_id(account)
            .send()
            .await
            .expect("list parents");
        out.parents()[0].id().unwrap().to_owned()
    }

    pub async fn tags_of(&self, account: &str) -> Vec<(String, String)> {
        let out = self
            .client
            .list_tags_for_resource()
            .resource_id(account)
            .send()
            .await
            .expect("list tags");
        out.tags()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect()
    }

    /// Creates an OU named `name` in `parent` (a root or an OU); its id.
    pub async fn ou_in(&self, parent: &str, name: &str) -> String {
        let ou = self
            .client
            .create_organizational_unit()
            .parent_id(parent)
            .name(name)
            .send()
            .await
            .expect("create OU");
        ou.organizational_unit().unwrap().id().unwrap().to_owned()
    }

    /// Moves an account as a person would, outside any template.
    pub async fn move_by_hand(&self, id: &str, from: &str, to: &str) {
        self.client
            .move_account()
            .account_id(id)
            .source_parent_id(from)
            .destination_parent_id(to)
            .send()
            .await
            .expect("move account");
    }

    /// Tags an account as another tool would.
    pub async fn tag_by_hand(&self, id: &str, key: &str, value: &str) {
        let tag = aws_sdk_organizations::types::Tag::builder()
            .key(key)
            .value(value)
            .build()
            .expect("a tag");
        self.client
            .tag_resource()
            .resource_id(id)
            .tags(tag)
            .send()
            .await
            .expect("tag resource");
    }

    /// The account's State, as Organizations reports it.
    pub async fn state_of(&self, id: &str) -> String {
        let out = self
            .client
            .describe_account()
            .account_id(id)
            .send()
            .await
            .expect("describe account");
        out.account().unwrap().state().unwrap().as_str().to_owned()
    }

    /// An account made outside CloudFormation (no record tag), as a person would in the console;
    /// waits until its creation succeeded.
    pub async fn create_by_hand(&self, name: &str, email: &str) -> String {
        let out = self
            .client
            .create_account()
            .account_name(name)
            .email(email)
            .send()
            .await
            .expect("create account by hand");
        let request = out
            .create_account_status()
            .unwrap()
            .id()
            .unwrap()
            .to_owned();
        for _ in 0..120 {
            let status = self
                .client
                .describe_create_account_status()
                .create_account_request_id(&request)
                .send()
                .await
                .expect("describe creation");
            let status = status.create_account_status().unwrap();
            if let Some(id) = status.account_id() {
                return id.to_owned();
            }
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        }
        panic!("the hand-made account was not created in time");
    }

    pub async fn accounts_with_email(&self, email: &str) -> usize {
        let mut n = 0;
        let mut token = None;
        loop {
            let out = self
                .client
                .list_accounts()
                .set_next_token(token)
                .send()
                .await
                .expect("list accounts");
            n += out
                .accounts()
                .iter()
                .filter(|a| a.email().is_some_and(|e| e.eq_ignore_ascii_case(email)))
                .count();
            token = out.next_token().map(str::to_owned);
            if token.is_none() {
                return n;
            }
        }
    }
}

#[derive(Debug)]
pub struct Outcome {
    pub code: i32,
    pub event: Value,
    pub progress: String,
}

impl Outcome {
    pub fn model(&self) -> &Value {
        &self.event["resourceModel"]
    }
    pub fn account_id(&self) -> String {
        self.model()["AccountId"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
    pub fn error_code(&self) -> &str {
        self.event["errorCode"].as_str().unwrap_or("")
    }
    pub fn message(&self) -> &str {
        self.event["message"].as_str().unwrap_or("")
    }
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// cargo lambda, from CARGO_LAMBDA or the project's .venv (scripts/setup).
fn cargo_lambda() -> PathBuf {
    venv("cargo-lambda", "CARGO_LAMBDA")
}

/// cargo lambda's runtime API emulator on a free loopback port, with the real `bootstrap`
/// binary taking its invocations and talking to `moto`.
pub struct Emulator {
    pub port: u16,
    // Dropped in order: the function first, then the emulator.
    _function: Killed,
    _emulator: Killed,
}

impl Emulator {
    pub async fn start(moto: &Moto) -> Emulator {
        let cargo_lambda = cargo_lambda();
        let port = free_port();
        let emulator = Killed(
            Command::new(cargo_lambda)
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
        wait_for_port(port, "the emulator").await;
        let function = Killed(
            Command::new(env!("CARGO_BIN_EXE_bootstrap"))
                .env(
                    "AWS_LAMBDA_RUNTIME_API",
                    format!("http://127.0.0.1:{port}/.rt"),
                )
                .env("AWS_LAMBDA_FUNCTION_NAME", "_")
                .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
                .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
                .env("AWS_ENDPOINT_URL", &moto.endpoint)
                .env("CUSTOM_RESOURCE_RESPONSE_HOSTS", "127.0.0.1,localhost")
                .env("RUST_LOG", "warn")
                .stdout(Stdio::null())
                .spawn()
                .expect("bootstrap starts"),
        );
        Emulator {
            port,
            _function: function,
            _emulator: emulator,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// One HTTP exchange on loopback: (status, headers, body).
pub async fn http(
    method: &str,
    url: &str,
    body: Vec<u8>,
    headers: &[(&str, &str)],
) -> (u16, hyper::HeaderMap, Vec<u8>) {
    use http_body_util::{BodyExt, Full};
    use hyper_util::client::legacy::Client as HttpClient;
    use hyper_util::rt::TokioExecutor;
    let client = HttpClient::builder(TokioExecutor::new()).build_http::<Full<bytes::Bytes>>();
    let mut req = hyper::Request::builder().method(method).uri(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req.body(Full::new(bytes::Bytes::from(body))).unwrap();
    let resp = client.request(req).await.expect("loopback HTTP");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, headers, body)
}

/// Where CloudFormation would read a custom resource's answer: a presigned PUT URL (the
/// request's ResponseURL) and a presigned GET URL on the local S3, per key.
pub struct ResponseUrl {
    pub put: String,
    pub get: String,
}

/// Presigned URLs for `keys` in a bucket of the local S3 (boto3 presigns them, as
/// CloudFormation's S3 client does).
pub async fn response_urls(moto: &Moto, keys: &[&str]) -> Vec<ResponseUrl> {
    let python = venv("python", "PYTHON");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/s3_responses.py");
    let out = tokio::process::Command::new(python)
        .arg(script)
        .arg(&moto.endpoint)
        .arg("cfn-responses")
        .args(keys)
        .output()
        .await
        .expect("scripts/s3_responses.py runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let urls: Value = serde_json::from_slice(&out.stdout).unwrap();
    keys.iter()
        .map(|k| ResponseUrl {
            put: urls[*k]["put"].as_str().unwrap().to_owned(),
            get: urls[*k]["get"].as_str().unwrap().to_owned(),
        })
        .collect()
}

impl ResponseUrl {
    /// The answer, once one was PUT.
    pub async fn read(&self) -> Option<Value> {
        let (status, _, body) = http("GET", &self.get, Vec::new(), &[]).await;
        (status == 200).then(|| serde_json::from_slice(&body).expect("the answer is JSON"))
    }

    /// Waits for the answer, for at most `seconds`.
    pub async fn answer(&self, seconds: u64) -> Value {
        let deadline = Instant::now() + Duration::from_secs(seconds);
        loop {
            if let Some(v) = self.read().await {
                return v;
            }
            assert!(
                Instant::now() < deadline,
                "no answer at ResponseURL within {seconds} s"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

/// A custom resource's request as CloudFormation sends it.
/// The custom-resource function's name, and the ServiceToken that names it.
pub const FUNCTION_NAME: &str = "organizations-account";
pub const SERVICE_TOKEN: &str =
    "arn:aws:lambda:us-east-1:123456789012:function:organizations-account";
/// A CDK provider framework's onEvent function, as the ServiceToken of the resources it serves.
pub const FRAMEWORK_TOKEN: &str =
    "arn:aws:lambda:us-east-1:123456789012:function:accounts-AccountsProviderframeworkonEvent-1X2Y3Z";

/// A request as the CDK provider framework passes it on to its user handlers: CloudFormation's
/// event, whose ServiceToken names the framework's onEvent function.
pub fn framework_event(
    request_type: &str,
    logical_id: &str,
    response_url: &str,
    properties: Value,
    physical_id: Option<&str>,
    old_properties: Option<Value>,
) -> Value {
    let mut event = custom_event(
        request_type,
        logical_id,
        response_url,
        properties,
        physical_id,
        old_properties,
    );
    event["ServiceToken"] = Value::from(FRAMEWORK_TOKEN);
    for key in ["ResourceProperties", "OldResourceProperties"] {
        if let Some(props) = event.get_mut(key) {
            props["ServiceToken"] = Value::from(FRAMEWORK_TOKEN);
        }
    }
    event
}

pub fn custom_event(
    request_type: &str,
    logical_id: &str,
    response_url: &str,
    properties: Value,
    physical_id: Option<&str>,
    old_properties: Option<Value>,
) -> Value {
    let mut props = properties;
    props["ServiceToken"] = Value::from(SERVICE_TOKEN);
    let mut event = serde_json::json!({
        "RequestType": request_type,
        "ServiceToken": SERVICE_TOKEN,
        "ResponseURL": response_url,
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/accounts/6a2d3b10-7e2c-11ef-b5d1-0affd4b3a1c9",
        "RequestId": format!("{}-{}", logical_id, uuid_like()),
        "LogicalResourceId": logical_id,
        "ResourceType": "Custom::OrganizationsAccount",
        "ResourceProperties": props,
    });
    if let Some(p) = physical_id {
        event["PhysicalResourceId"] = Value::from(p);
    }
    if let Some(old) = old_properties {
        event["OldResourceProperties"] = old;
    }
    event
}

/// A request id unique within the test process.
fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{:x}-{}", nanos, N.fetch_add(1, Ordering::Relaxed))
}

/// The function behind custom resources, as Lambda runs it: cargo lambda's emulator with
/// `processes` `bootstrap` processes taking invocations side by side (Lambda's concurrency),
/// Lambda's asynchronous invoke in front of it (scripts/local_lambda.py, since the emulator
/// blocks Event invokes), and the function's own role credentials in its environment.
pub struct CustomFunction {
    pub endpoint: String,
    _functions: Vec<Killed>,
    _proxy: Killed,
    _emulator: Killed,
}

impl CustomFunction {
    pub async fn start(moto: &Moto, processes: usize, invocation_seconds: u64) -> CustomFunction {
        let cargo_lambda = cargo_lambda();
        let port = free_port();
        let emulator = Killed(
            Command::new(cargo_lambda)
                .args([
                    "lambda",
                    "watch",
                    "--only-lambda-apis",
                    "-A",
                    "127.0.0.1",
                    "-P",
                ])
                .arg(port.to_string())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("cargo lambda watch starts (run scripts/setup)"),
        );
        let proxy_port = free_port();
        let proxy = Killed(
            Command::new(venv("python", "PYTHON"))
                .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/local_lambda.py"))
                .args(["--port", &proxy_port.to_string()])
                .args(["--emulator", &format!("http://127.0.0.1:{port}")])
                .spawn()
                .expect("scripts/local_lambda.py starts"),
        );
        wait_for_port(port, "the emulator").await;
        wait_for_port(proxy_port, "the asynchronous-invoke proxy").await;
        let endpoint = format!("http://127.0.0.1:{proxy_port}");
        let functions = (0..processes)
            .map(|_| {
                Killed(
                    Command::new(env!("CARGO_BIN_EXE_bootstrap"))
                        .env(
                            "AWS_LAMBDA_RUNTIME_API",
                            format!("http://127.0.0.1:{port}/.rt"),
                        )
                        // The name custom_event's ServiceToken names (the emulator sends no
                        // ARN, and serves the function as "_": scripts/local_lambda.py maps).
                        .env("AWS_LAMBDA_FUNCTION_NAME", FUNCTION_NAME)
                        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
                        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
                        .env("AWS_REGION", "us-east-1")
                        .env("AWS_ACCESS_KEY_ID", "ASIAFUNCTIONROLE0001")
                        .env("AWS_SECRET_ACCESS_KEY", "function-role-secret")
                        .env("AWS_SESSION_TOKEN", "function-role-session")
                        .env("AWS_ENDPOINT_URL", &moto.endpoint)
                        .env("AWS_ENDPOINT_URL_LAMBDA", &endpoint)
                        // The loopback S3 stand-in that presigns the tests' ResponseURLs.
                        .env("CUSTOM_RESOURCE_RESPONSE_HOSTS", "127.0.0.1,localhost")
                        .env(
                            "CUSTOM_RESOURCE_INVOCATION_SECONDS",
                            invocation_seconds.to_string(),
                        )
                        .env(
                            "RUST_LOG",
                            std::env::var("FUNCTION_LOG").unwrap_or("warn".into()),
                        )
                        .stdout(if std::env::var("FUNCTION_LOG").is_ok() {
                            Stdio::inherit()
                        } else {
                            Stdio::null()
                        })
                        .spawn()
                        .expect("bootstrap starts"),
                )
            })
            .collect();
        CustomFunction {
            endpoint,
            _functions: functions,
            _proxy: proxy,
            _emulator: emulator,
        }
    }

    fn invoke_url(&self) -> String {
        format!("{}/2015-03-31/functions/_/invocations", self.endpoint)
    }

    /// As CloudFormation invokes a custom resource's function: asynchronously.
    pub async fn send(&self, event: &Value) {
        let (status, _, body) = http(
            "POST",
            &self.invoke_url(),
            event.to_string().into_bytes(),
            &[("X-Amz-Invocation-Type", "Event")],
        )
        .await;
        assert_eq!(status, 202, "{}", String::from_utf8_lossy(&body));
    }

    /// As the CDK provider framework invokes its user handlers: synchronously. The result, or
    /// the function error's message.
    pub async fn call(&self, event: &Value) -> Result<Value, String> {
        let (status, headers, body) = http(
            "POST",
            &self.invoke_url(),
            event.to_string().into_bytes(),
            &[],
        )
        .await;
        let value: Value = serde_json::from_slice(&body)
            .unwrap_or_else(|_| panic!("HTTP {status}: {}", String::from_utf8_lossy(&body)));
        if headers.contains_key("x-amz-function-error") || value.get("errorMessage").is_some() {
            return Err(value["errorMessage"].as_str().unwrap_or("").to_owned());
        }
        Ok(value)
    }

    /// Invocations seen by the asynchronous-invoke proxy: {"event": n, "request_response": n}.
    pub async fn stats(&self) -> Value {
        let (_, _, body) = http(
            "GET",
            &format!("{}/_local_lambda/stats", self.endpoint),
            Vec::new(),
            &[],
        )
        .await;
        serde_json::from_slice(&body).unwrap()
    }
}

/// What people and other tools set on an account outside any template: moved from the root into
/// `ou_b`, tagged `CostCenter=finance` by another tool, a security contact set in the console.
pub async fn set_by_hand(moto: &Moto, org: &Org, id: &str) {
    org.move_by_hand(id, &org.root, &org.ou_b).await;
    org.tag_by_hand(id, "CostCenter", "finance").await;
    moto.account_client()
        .put_alternate_contact()
        .account_id(id)
        .alternate_contact_type(aws_sdk_account::types::AlternateContactType::Security)
        .name("Console Sec")
        .title("SOC")
        .email_address("soc@example.com")
        .phone_number("+1 555 0199")
        .send()
        .await
        .expect("put alternate contact");
}

/// An account's parent, tags (the handler's record apart), State and contacts, as they stand:
/// what a template's update or rollback must leave as it found unless asked.
pub async fn visible_state(moto: &Moto, org: &Org, id: &str) -> Value {
    let tags: Vec<(String, String)> = org
        .tags_of(id)
        .await
        .into_iter()
        .filter(|(k, _)| !k.starts_with("cfn-organizations-account:"))
        .collect();
    serde_json::json!({"parent": org.parent_of(id).await, "tags": tags,
        "state": org.state_of(id).await,
        "contacts": moto.account_baselines().await[id]["contacts"]})
}
