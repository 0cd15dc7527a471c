//! Every fixture in events/ through the SAM CLI, as the README promises: `sam local
//! start-lambda` (and `sam local invoke`) run the real `bootstrap` in Docker containers made from
//! sam-template.yaml's own functions, on the Lambda base image that scripts/sam-setup builds (no
//! image registry is reachable). The function containers cannot reach this machine's loopback,
//! so the realistic local Organizations (and its S3, for ResponseURLs) runs in a container of its
//! own on the same Docker bridge. Needs Docker, the base image and the SAM CLI: scripts/sam-setup
//! (which scripts/test runs) provides all three.

mod support;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::fixtures::{play_custom_fixtures, play_registry_fixtures, promise};
use support::{free_port, http, response_urls, Moto, LAMBDA_BASE_IMAGE};
use tokio::process::{Child, Command};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn sam() -> PathBuf {
    let sam = root().join(".venv-sam/bin/sam");
    assert!(
        sam.exists(),
        "the SAM CLI is missing: run scripts/sam-setup"
    );
    sam
}

/// The function's own name under SAM: its logical id (sam-template.yaml names no function).
const CUSTOM_FUNCTION: &str = "CustomResourceFunction";

/// sam-template.yaml, made runnable here without `sam build`: every function runs the
/// `bootstrap` this test build made (x86_64, this machine's architecture; the packages test
/// covers arm64), and declares the variables the test sets (SAM's --env-vars sets only
/// declared ones): the local endpoint, and the plain-http ResponseURL host it serves.
fn local_template(dir: &Path) -> PathBuf {
    let out = std::process::Command::new(support::venv("python", "LOCAL_ORG_PYTHON"))
        .arg(root().join("scripts/template_json.py"))
        .arg(root().join("sam-template.yaml"))
        .output()
        .expect("scripts/template_json.py runs");
    let mut template: Value = serde_json::from_slice(&out.stdout).expect("sam-template.yaml");
    std::fs::create_dir_all(dir.join("code")).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_bootstrap"), dir.join("code/bootstrap")).unwrap();
    template["Globals"]["Function"]["Architectures"] = json!(["x86_64"]);
    template["Globals"]["Function"]["CodeUri"] = json!("code");
    let variables = &mut template["Globals"]["Function"]["Environment"]["Variables"];
    variables["AWS_ENDPOINT_URL"] = json!("");
    variables["CUSTOM_RESOURCE_RESPONSE_HOSTS"] = json!("");
    let mut functions = 0;
    for resource in template["Resources"].as_object_mut().unwrap().values_mut() {
        if resource["Type"] == "AWS::Serverless::Function" {
            resource.as_object_mut().unwrap().remove("Metadata");
            functions += 1;
        }
    }
    assert_eq!(functions, 3, "{template}");
    let path = dir.join("template.json");
    std::fs::write(&path, template.to_string()).unwrap();
    path
}

/// The endpoint's address on the bridge, for the plain-http ResponseURLs it presigns.
fn host_of(endpoint: &str) -> &str {
    endpoint
        .trim_start_matches("http://")
        .split(':')
        .next()
        .unwrap()
}

/// The variables every function gets.
fn env_vars(dir: &Path, moto: &Moto) -> PathBuf {
    let path = dir.join("env.json");
    let vars = json!({"Parameters": {
        "AWS_ENDPOINT_URL": moto.endpoint,
        "CUSTOM_RESOURCE_RESPONSE_HOSTS": host_of(&moto.endpoint),
        "RUST_LOG": "info",
    }});
    std::fs::write(&path, vars.to_string()).unwrap();
    path
}

/// A test's work folder (template, code, env file, SAM's log), and what runs from it: dropped,
/// it removes every container that mounts anything from it (SAM's warm containers keep running
/// past SAM itself when it is killed rather than interrupted, and `sam local invoke`'s when it is
/// cut off), then the folder. Containers are found by their mounts, so that tests side by side
/// never remove each other's.
struct WorkDir(PathBuf);

impl WorkDir {
    fn new(what: &str) -> WorkDir {
        // Under the checkout's own target folder, so that what mounts from it is known to be
        // this checkout's (scripts/leftovers) and Docker can mount it.
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("sam-local-{}-{what}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        WorkDir(dir)
    }

    /// The containers mounting anything from this folder.
    fn containers(&self) -> Vec<String> {
        let ids = std::process::Command::new("docker")
            .args(["ps", "-aq", "--no-trunc"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        let prefix = self.0.to_string_lossy().into_owned();
        ids.lines()
            .filter(|id| {
                std::process::Command::new("docker")
                    .args(["inspect", "-f", "{{range .Mounts}}{{.Source}} {{end}}", id])
                    .output()
                    .map(|o| {
                        String::from_utf8_lossy(&o.stdout)
                            .split_whitespace()
                            .any(|m| m.starts_with(&prefix))
                    })
                    .unwrap_or(false)
            })
            .map(str::to_owned)
            .collect()
    }
}

impl std::ops::Deref for WorkDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for WorkDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let left = self.containers();
        if !left.is_empty() {
            let _ = std::process::Command::new("docker")
                .args(["rm", "-f"])
                .args(&left)
                .output();
        }
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn assert_docker_ready() {
    let image = std::process::Command::new("docker")
        .args(["image", "inspect", LAMBDA_BASE_IMAGE])
        .output();
    assert!(
        image.is_ok_and(|o| o.status.success()),
        "Docker or the Lambda base image is missing: run scripts/sam-setup"
    );
}

/// `sam local start-lambda`: the Lambda Invoke API with warm containers of every function.
struct StartLambda {
    endpoint: String,
    sam: Child,
}

impl Drop for StartLambda {
    fn drop(&mut self) {
        // A SIGKILL (kill_on_drop) leaves SAM's warm containers running; on SIGINT, as on
        // Ctrl+C, SAM stops and removes them itself before it exits.
        let Some(pid) = self.sam.id() else { return };
        let _ = std::process::Command::new("kill")
            .args(["-INT", &pid.to_string()])
            .status();
        let until = Instant::now() + Duration::from_secs(30);
        while Instant::now() < until {
            if let Ok(Some(_)) = self.sam.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl StartLambda {
    async fn start(moto: &Moto, dir: &Path) -> StartLambda {
        assert_docker_ready();
        let template = local_template(dir);
        let env = env_vars(dir, moto);
        let port = free_port();
        let log = std::fs::File::create(dir.join("sam.log")).unwrap();
        let sam = Command::new(sam())
            .args([
                "local",
                "start-lambda",
                "--host",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .arg("-t")
            .arg(&template)
            .arg("--env-vars")
            .arg(&env)
            .args(["--warm-containers", "EAGER", "--skip-pull-image"])
            .current_dir(dir)
            .envs(sam_environment())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .expect("sam local start-lambda starts");
        let started = Instant::now();
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(
                started.elapsed() < Duration::from_secs(180),
                "sam local start-lambda did not start: {}",
                std::fs::read_to_string(dir.join("sam.log")).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        StartLambda {
            endpoint: format!("http://127.0.0.1:{port}"),
            sam,
        }
    }

    async fn invoke(&self, function: &str, body: String) -> Value {
        let (status, _, answer) = http(
            "POST",
            &format!(
                "{}/2015-03-31/functions/{function}/invocations",
                self.endpoint
            ),
            body.into_bytes(),
            &[],
        )
        .await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
        serde_json::from_slice(&answer).expect("a JSON answer")
    }
}

/// What the SAM CLI runs with: no telemetry, and the function role's (fake) credentials, which
/// it passes into the containers.
fn sam_environment() -> Vec<(&'static str, &'static str)> {
    vec![
        ("SAM_CLI_TELEMETRY", "0"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "ASIAFUNCTIONROLE0001"),
        ("AWS_SECRET_ACCESS_KEY", "function-role-secret"),
        ("AWS_SESSION_TOKEN", "function-role-session"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_registry_fixture_keeps_its_promise_through_sam_local_start_lambda() {
    let moto = Moto::in_container().await;
    let org = moto.organization().await;
    let dir = WorkDir::new("registry");
    let sam = StartLambda::start(&moto, &dir).await;
    let played = play_registry_fixtures(&moto, &org, |name, body| {
        let sam = &sam;
        async move {
            let function = match name.contains("test-entrypoint") {
                true => "TestEntrypoint",
                false => "TypeFunction",
            };
            sam.invoke(function, body).await
        }
    })
    .await;
    assert!(played >= 13, "{played}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_custom_resource_fixture_keeps_its_promise_through_sam_local_start_lambda() {
    let moto = Moto::in_container().await;
    let org = moto.organization().await;
    let dir = WorkDir::new("custom");
    let sam = StartLambda::start(&moto, &dir).await;
    let played = play_custom_fixtures(&moto, &org, |name, mut event| {
        let (sam, moto) = (&sam, &moto);
        async move {
            // CloudFormation invokes the function its ServiceToken names: under SAM, the
            // function's logical id.
            let token = format!("arn:aws:lambda:us-east-1:123456789012:function:{CUSTOM_FUNCTION}");
            event["ServiceToken"] = json!(token);
            event["ResourceProperties"]["ServiceToken"] = json!(token);
            if event.get("OldResourceProperties").is_some() {
                event["OldResourceProperties"]["ServiceToken"] = json!(token);
            }
            let url = response_urls(moto, &[&name]).await.remove(0);
            event["ResponseURL"] = json!(url.put);
            let result = sam.invoke(CUSTOM_FUNCTION, event.to_string()).await;
            assert!(result.get("answered").is_some(), "{name}: {result}");
            url.answer(60).await
        }
    })
    .await;
    assert_eq!(played, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fixture_through_sam_local_invoke_keeps_its_promise() {
    assert_docker_ready();
    let moto = Moto::in_container().await;
    moto.organization().await;
    let before = moto.calls().await;
    let dir = WorkDir::new("invoke");
    let template = local_template(&dir);
    let env = env_vars(&dir, &moto);
    let name = "09-invalid-email.failed-invalid-request.json";
    let out = Command::new(sam())
        .args(["local", "invoke", "TypeFunction", "--skip-pull-image"])
        .arg("-t")
        .arg(&template)
        .arg("--env-vars")
        .arg(&env)
        .arg("-e")
        .arg(root().join("events").join(name))
        .current_dir(&dir)
        .envs(sam_environment())
        .stdin(Stdio::null())
        .output()
        .await
        .expect("sam local invoke runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The function's answer is the last line SAM prints on stdout.
    let stdout = String::from_utf8_lossy(&out.stdout);
    let answer: Value = stdout
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| panic!("no answer in {stdout}"));
    let (status, code) = promise(name);
    assert_eq!(answer["status"].as_str(), Some(status.as_str()), "{answer}");
    assert_eq!(
        answer["errorCode"].as_str().map(str::to_owned),
        code,
        "{answer}"
    );
    assert_eq!(moto.calls().await, before, "refused before any call");
}
