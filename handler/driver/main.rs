//! cfn-driver: plays CloudFormation for one resource. It sends one request (from an event file,
//! or built from an action and properties), honours callbackDelaySeconds (optionally compressed),
//! calls back with the returned callback context and model until SUCCESS or FAILED, prints one
//! line per progress event on stderr, and the final event as JSON on stdout.
//! Exit code: 0 SUCCESS, 1 FAILED, 2 usage or transport error.

mod invoke;
mod response;

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use invoke::Target;

const USAGE: &str = "\
usage: cfn-driver (--event FILE | --action ACTION) [options]

request:
  --event FILE             a request in the protocol's shape (events/*.json), or a custom
                           resource's (events/custom-resource/*.json: RequestType, ResponseURL):
                           its ResponseURL is replaced by a loopback listener, the function is
                           invoked once, and the answer PUT there is printed (exit 0 SUCCESS)
  --action ACTION          CREATE, READ, UPDATE, DELETE or LIST (builds a request)
  --properties JSON|@FILE  desired resource properties
  --previous JSON|@FILE    previous resource properties (UPDATE)
  --stack-tags JSON|@FILE  stack-level tags, as an object
  --logical-id ID          logical resource id (default MyAccount)
  --stack-id ID            stack id (default a fixed local stack id)
  --region REGION          request region (default us-east-1)
  --next-token TOKEN       LIST: start from this page
  --log-group NAME         send providerLogGroupName and providerCredentials (PROVIDER_AWS_*
                           variables, else fake ones), as for a type registered with logging
  --resource-type TYPE     the request's type name (default AWS::Organizations::Account)
  --rollback               mark an UPDATE as a rollback
  --all-pages              LIST: follow nextToken to the end

how (default: the handler runs in-process):
  --endpoint URL           invoke through a local Lambda Invoke API (http://127.0.0.1:9000 for
                           `cargo lambda watch`, http://127.0.0.1:3001 for `sam local start-lambda`)
  --function NAME|ARN      the function to invoke: at --endpoint (default bootstrap), or, without
                           --endpoint, a deployed function in AWS Lambda (region from the ARN,
                           else AWS_REGION, else --region; credentials from the default chain)
  --time-scale F           multiply callback delays by F (0 = no waiting; default 1)
  --timeout-minutes N      give up after N minutes (default: the schema's handler timeout)
  --function-timeout S      in-process: play a Lambda function timeout of S seconds (each
                           invocation's deadline; default none, so a write may use 55 s)
  --verbose                show the handler's own log lines (in-process only)

Credentials come from the event, else AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
AWS_SESSION_TOKEN, else clearly fake ones (fine for the local endpoint). In-process, the
Organizations endpoint is the SDK's: set AWS_ENDPOINT_URL to use a local one.";

struct Options {
    event: Option<String>,
    action: Option<String>,
    properties: Option<Value>,
    previous: Option<Value>,
    stack_tags: Option<Value>,
    logical_id: String,
    stack_id: String,
    region: String,
    next_token: Option<String>,
    log_group: Option<String>,
    resource_type: String,
    rollback: bool,
    all_pages: bool,
    endpoint: Option<String>,
    function: Option<String>,
    time_scale: f64,
    timeout_minutes: Option<u64>,
    function_timeout: Option<u64>,
    verbose: bool,
}

fn json_arg(flag: &str, raw: &str) -> Result<Value, String> {
    let text = match raw.strip_prefix('@') {
        Some(path) => {
            std::fs::read_to_string(path).map_err(|e| format!("{flag}: cannot read {path}: {e}"))?
        }
        None => raw.to_owned(),
    };
    serde_json::from_str(&text).map_err(|e| format!("{flag}: not JSON: {e}"))
}

fn parse_args(args: Vec<String>) -> Result<Options, String> {
    let mut o = Options {
        event: None,
        action: None,
        properties: None,
        previous: None,
        stack_tags: None,
        logical_id: "MyAccount".into(),
        stack_id: "arn:aws:cloudformation:us-east-1:123456789012:stack/local/00000000-0000-0000-0000-000000000000".into(),
        region: "us-east-1".into(),
        next_token: None,
        log_group: None,
        resource_type: "AWS::Organizations::Account".into(),
        rollback: false,
        all_pages: false,
        endpoint: None,
        function: None,
        time_scale: 1.0,
        timeout_minutes: None,
        function_timeout: None,
        verbose: false,
    };
    let mut it = args.into_iter();
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--event" => o.event = Some(value()?),
            "--action" => o.action = Some(value()?.to_ascii_uppercase()),
            "--properties" => o.properties = Some(json_arg("--properties", &value()?)?),
            "--previous" => o.previous = Some(json_arg("--previous", &value()?)?),
            "--stack-tags" => o.stack_tags = Some(json_arg("--stack-tags", &value()?)?),
            "--logical-id" => o.logical_id = value()?,
            "--stack-id" => o.stack_id = value()?,
            "--region" => o.region = value()?,
            "--next-token" => o.next_token = Some(value()?),
            "--log-group" => o.log_group = Some(value()?),
            "--resource-type" => o.resource_type = value()?,
            "--rollback" => o.rollback = true,
            "--all-pages" => o.all_pages = true,
            "--endpoint" => o.endpoint = Some(value()?),
            "--function" => o.function = Some(value()?),
            "--time-scale" => {
                o.time_scale = value()?
                    .parse()
                    .map_err(|_| "--time-scale: expected a number".to_owned())?;
                if o.time_scale.is_nan() || o.time_scale < 0.0 {
                    return Err("--time-scale: must be 0 or more".into());
                }
            }
            "--timeout-minutes" => {
                o.timeout_minutes = Some(
                    value()?
                        .parse()
                        .map_err(|_| "--timeout-minutes: expected a whole number".to_owned())?,
                )
            }
            "--function-timeout" => {
                o.function_timeout = Some(
                    value()?
                        .parse()
                        .map_err(|_| "--function-timeout: expected whole seconds".to_owned())?,
                )
            }
            "--verbose" => o.verbose = true,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown option {other}")),
        }
    }
    if o.event.is_none() == o.action.is_none() {
        return Err("give exactly one of --event FILE or --action ACTION".into());
    }
    Ok(o)
}

fn credentials() -> Value {
    match (
        std::env::var("AWS_ACCESS_KEY_ID"),
        std::env::var("AWS_SECRET_ACCESS_KEY"),
    ) {
        (Ok(id), Ok(secret)) => json!({
            "accessKeyId": id, "secretAccessKey": secret,
            "sessionToken": std::env::var("AWS_SESSION_TOKEN").ok(),
        }),
        _ => {
            json!({"accessKeyId": "AKIAFAKEFAKEFAKE0000", "secretAccessKey": "fake-secret-for-local-use",
                     "sessionToken": "fake-session-token"})
        }
    }
}

/// The type owner's credentials for log delivery: PROVIDER_AWS_ACCESS_KEY_ID and friends, else
/// clearly fake ones (fine for the local endpoint).
fn provider_credentials() -> Value {
    match (
        std::env::var("PROVIDER_AWS_ACCESS_KEY_ID"),
        std::env::var("PROVIDER_AWS_SECRET_ACCESS_KEY"),
    ) {
        (Ok(id), Ok(secret)) => json!({
            "accessKeyId": id, "secretAccessKey": secret,
            "sessionToken": std::env::var("PROVIDER_AWS_SESSION_TOKEN").ok(),
        }),
        _ => {
            json!({"accessKeyId": "AKIAPROVIDERFAKE0001", "secretAccessKey": "fake-provider-secret",
                    "sessionToken": "fake-provider-session-token"})
        }
    }
}

fn build_request(o: &Options) -> Result<Value, String> {
    if let Some(path) = &o.event {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("--event: cannot read {path}: {e}"))?;
        return serde_json::from_str(&text).map_err(|e| format!("--event {path}: not JSON: {e}"));
    }
    let action = o.action.clone().unwrap_or_default();
    Ok(json!({
        "action": action,
        "awsAccountId": "123456789012",
        "bearerToken": format!("local-{}-{}", std::process::id(), Instant::now().elapsed().as_nanos()),
        "region": o.region,
        "resourceType": o.resource_type,
        "resourceTypeVersion": "00000001",
        "stackId": o.stack_id,
        "nextToken": o.next_token,
        "rollback": o.rollback,
        "requestData": {
            "callerCredentials": credentials(),
            "logicalResourceId": o.logical_id,
            "resourceProperties": o.properties.clone().unwrap_or(json!({})),
            "previousResourceProperties": o.previous,
            "stackTags": o.stack_tags,
            "providerLogGroupName": o.log_group,
            "providerCredentials": o.log_group.as_ref().map(|_| provider_credentials()),
        },
    }))
}

/// The region of a function ARN (arn:aws:lambda:REGION:...), else AWS_REGION, else `fallback`.
fn lambda_region(function: &str, fallback: &str) -> String {
    function
        .strip_prefix("arn:")
        .and_then(|rest| rest.split(':').nth(2))
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .or_else(|| std::env::var("AWS_REGION").ok())
        .unwrap_or_else(|| fallback.to_owned())
}

/// The schema's timeout for the action's handler, in minutes.
fn schema_timeout(action: &str) -> u64 {
    let schema = &organizations_account_handler::vocab::schema::Schema::get().raw()["handlers"];
    schema[action.to_ascii_lowercase()]["timeoutInMinutes"]
        .as_u64()
        .unwrap_or(120)
}

fn line(started: Instant, action: &str, event: &Value) {
    let status = event["status"].as_str().unwrap_or("?");
    let mut text = format!(
        "[{:>7.1}s] {action} {status}",
        started.elapsed().as_secs_f64()
    );
    if let Some(stage) = event
        .pointer("/callbackContext/stage/name")
        .and_then(Value::as_str)
    {
        text.push_str(&format!(" next={stage}"));
    }
    if let Some(d) = event["callbackDelaySeconds"].as_u64() {
        text.push_str(&format!(" in {d}s"));
    }
    if let Some(id) = event
        .pointer("/resourceModel/AccountId")
        .and_then(Value::as_str)
    {
        text.push_str(&format!(" account={id}"));
    }
    if let Some(code) = event["errorCode"].as_str() {
        text.push_str(&format!(" {code}"));
    }
    if let Some(m) = event["message"].as_str() {
        text.push_str(&format!(": {m}"));
    }
    if let Some(models) = event["resourceModels"].as_array() {
        text.push_str(&format!(" ({} models)", models.len()));
    }
    eprintln!("{text}");
}

async fn drive(o: Options) -> Result<i32, String> {
    let mut request = build_request(&o)?;
    let custom = request.get("RequestType").is_some();
    let action = request["action"]
        .as_str()
        .unwrap_or("?")
        .to_ascii_uppercase();
    let target = match (&o.endpoint, &o.function) {
        (Some(url), function) => {
            let function = function.as_deref().unwrap_or("bootstrap");
            Target::lambda(Some(url), function, &lambda_region(function, &o.region)).await
        }
        (None, Some(function)) => {
            Target::lambda(None, function, &lambda_region(function, &o.region)).await
        }
        (None, None) => {
            Target::in_process(o.verbose, o.function_timeout.map(Duration::from_secs)).await
        }
    };
    if custom {
        return drive_custom(&target, request, o.timeout_minutes.unwrap_or(60)).await;
    }
    let timeout =
        Duration::from_secs(60 * o.timeout_minutes.unwrap_or_else(|| schema_timeout(&action)));
    let started = Instant::now();
    let mut listed: Vec<Value> = Vec::new();
    loop {
        let event = target.invoke(&request).await?;
        line(started, &action, &event);
        match event["status"].as_str() {
            Some("IN_PROGRESS") => {
                if started.elapsed() > timeout {
                    eprintln!(
                        "giving up: the operation ran past its {} minute timeout",
                        timeout.as_secs() / 60
                    );
                    emit(&event);
                    return Ok(1);
                }
                let delay = event["callbackDelaySeconds"].as_f64().unwrap_or(0.0) * o.time_scale;
                tokio::time::sleep(Duration::from_secs_f64(delay)).await;
                // As CloudFormation does: the returned model becomes the next call's properties.
                request["callbackContext"] = event["callbackContext"].clone();
                if let Some(model) = event.get("resourceModel") {
                    set_properties(&mut request, model.clone());
                }
            }
            Some("SUCCESS") if o.all_pages && event["nextToken"].is_string() => {
                listed.extend(
                    event["resourceModels"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default(),
                );
                request["nextToken"] = event["nextToken"].clone();
            }
            Some("SUCCESS") => {
                let mut event = event;
                if o.all_pages {
                    listed.extend(
                        event["resourceModels"]
                            .as_array()
                            .cloned()
                            .unwrap_or_default(),
                    );
                    event["resourceModels"] = Value::Array(std::mem::take(&mut listed));
                }
                emit(&event);
                return Ok(0);
            }
            _ => {
                emit(&event);
                return Ok(1);
            }
        }
    }
}

/// Plays a custom-resource request as CloudFormation does: the answer goes to ResponseURL (here
/// a loopback listener standing in for CloudFormation's S3 bucket), not back to the invoker.
async fn drive_custom(target: &Target, mut event: Value, minutes: u64) -> Result<i32, String> {
    let receiver = response::Receiver::bind().await?;
    event["ResponseURL"] = Value::from(receiver.url.clone());
    let started = Instant::now();
    let kind = event["RequestType"].as_str().unwrap_or("?").to_owned();
    let (invoked, answer) = tokio::join!(
        target.invoke_custom(&event),
        receiver.answer(Duration::from_secs(60 * minutes))
    );
    match invoked {
        Ok(result) => eprintln!(
            "{:>6.1}s {kind} invoked: {result}",
            started.elapsed().as_secs_f64()
        ),
        Err(e) => eprintln!(
            "{:>6.1}s {kind} invoked: function error: {e}",
            started.elapsed().as_secs_f64()
        ),
    }
    let answer = answer?;
    eprintln!(
        "{:>6.1}s {kind} {} physical={}",
        started.elapsed().as_secs_f64(),
        answer["Status"].as_str().unwrap_or("?"),
        answer["PhysicalResourceId"].as_str().unwrap_or("")
    );
    emit(&answer);
    Ok(if answer["Status"] == "SUCCESS" { 0 } else { 1 })
}

/// The final event on stdout; a closed stdout (`| head`) is not an error worth a panic.
fn emit(event: &Value) {
    use std::io::Write;
    let text = serde_json::to_string_pretty(event).unwrap_or_default();
    let _ = writeln!(std::io::stdout(), "{text}");
}

fn set_properties(request: &mut Value, model: Value) {
    if request.get("requestData").is_some() {
        request["requestData"]["resourceProperties"] = model;
    } else if request.get("request").is_some() {
        request["request"]["desiredResourceState"] = model;
    }
}

fn main() {
    // The driver's stand-in for CloudFormation's bucket is a loopback listener: name it as a
    // ResponseURL host for an in-process function (a deployed function answers only AWS's hosts
    // and those its configuration names). Set before the runtime starts any thread.
    let variable = organizations_account_handler::doors::custom::RESPONSE_HOSTS_VARIABLE;
    let hosts = std::env::var(variable).unwrap_or_default();
    if !hosts.split(',').any(|h| h.trim() == "127.0.0.1") {
        let joined = [hosts.as_str(), "127.0.0.1"]
            .into_iter()
            .filter(|h| !h.is_empty())
            .collect::<Vec<_>>()
            .join(",");
        std::env::set_var(variable, joined);
    }
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(run()),
        Err(e) => {
            eprintln!("cfn-driver: cannot start the async runtime: {e}");
            std::process::exit(2);
        }
    }
}

async fn run() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match parse_args(args) {
        Ok(o) => o,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("cfn-driver: {e}\n");
            }
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    };
    let code = match drive(options).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("cfn-driver: {e}");
            2
        }
    };
    std::process::exit(code);
}
