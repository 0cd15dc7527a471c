//! How the driver reaches the handler: in-process, or through the Lambda Invoke API, either of a
//! local emulator (`--endpoint`: cargo lambda watch, sam local start-lambda) or of a deployed
//! function (`--function` alone: the AWS Lambda endpoint of the region, default credentials).

use std::time::{Duration, SystemTime};

use aws_config::BehaviorVersion;
use aws_sdk_lambda::config::{Credentials, Region};
use aws_sdk_lambda::primitives::Blob;
use organizations_account_handler::aws::clients::Clients;
use organizations_account_handler::doors::registry::dispatch;
use organizations_account_handler::doors::{custom, logging};
use serde_json::Value;

pub enum Target {
    /// The handler in this process; `function_timeout` plays the Lambda function's timeout.
    InProcess {
        clients: Box<Clients>,
        function_timeout: Option<Duration>,
    },
    Lambda {
        client: aws_sdk_lambda::Client,
        function: String,
        described: String,
    },
}

impl Target {
    pub async fn in_process(verbose: bool, function_timeout: Option<Duration>) -> Target {
        // As in the Lambda function, a subscriber formats the handler's lines (which a request
        // with a provider log group delivers there); shown on stderr only with --verbose.
        let level = std::env::var("RUST_LOG")
            .unwrap_or_else(|_| if verbose { "debug" } else { "info" }.into());
        let _ = if verbose {
            tracing::subscriber::set_global_default(logging::subscriber(std::io::stderr, &level))
        } else {
            tracing::subscriber::set_global_default(logging::subscriber(std::io::sink, &level))
        };
        Target::InProcess {
            clients: Box::new(Clients::from_environment().await),
            function_timeout,
        }
    }

    /// The Invoke API at `endpoint` (an emulator), or AWS Lambda itself when there is none.
    pub async fn lambda(endpoint: Option<&str>, function: &str, region: &str) -> Target {
        let shared = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(region.to_owned()))
            .load()
            .await;
        let mut conf = aws_sdk_lambda::config::Builder::from(&shared);
        let described = match endpoint {
            Some(url) => {
                conf = conf.endpoint_url(url);
                // Emulators do not check signatures; without credentials around, sign with fake
                // ones rather than let the default chain probe for instance metadata.
                if shared.credentials_provider().is_none()
                    || std::env::var("AWS_ACCESS_KEY_ID").is_err()
                {
                    conf = conf.credentials_provider(Credentials::new(
                        "AKIAFAKEFAKEFAKE0000",
                        "fake",
                        None,
                        None,
                        "emulator",
                    ));
                }
                format!("{function} at {url}")
            }
            None => format!("Lambda function {function} in {region}"),
        };
        Target::Lambda {
            client: aws_sdk_lambda::Client::from_conf(conf.build()),
            function: function.to_owned(),
            described,
        }
    }

    /// A custom-resource request: in-process, the handler's custom-resource door; otherwise
    /// one invocation of the function (its hand-offs go through its own Lambda endpoint).
    pub async fn invoke_custom(&self, event: &Value) -> Result<Value, String> {
        match self {
            Target::InProcess {
                clients,
                function_timeout,
            } => {
                let deadline = function_timeout.map(|t| SystemTime::now() + t);
                custom::handle(clients, event.clone(), deadline, "")
                    .await
                    .map_err(|e| e.to_string())
            }
            Target::Lambda { .. } => self.invoke(event).await,
        }
    }

    pub async fn invoke(&self, request: &Value) -> Result<Value, String> {
        match self {
            Target::InProcess {
                clients,
                function_timeout,
            } => {
                let deadline = function_timeout.map(|t| SystemTime::now() + t);
                Ok(dispatch::handle_until(clients, request.clone(), deadline)
                    .await
                    .to_json())
            }
            Target::Lambda {
                client,
                function,
                described,
            } => {
                let out = client
                    .invoke()
                    .function_name(function)
                    .payload(Blob::new(request.to_string()))
                    .send()
                    .await
                    .map_err(|e| {
                        format!(
                            "invoking {described}: {}",
                            aws_sdk_lambda::error::DisplayErrorContext(&e)
                        )
                    })?;
                let payload = out
                    .payload()
                    .map(|b| b.as_ref().to_vec())
                    .unwrap_or_default();
                if let Some(kind) = out.function_error() {
                    return Err(format!(
                        "{described} failed ({kind}): {}",
                        String::from_utf8_lossy(&payload)
                    ));
                }
                serde_json::from_slice(&payload).map_err(|e| {
                    format!("{described} answered with something that is not JSON: {e}")
                })
            }
        }
    }
}
