//! How the driver reaches the handler: in-process, or through a Lambda Invoke API endpoint.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use organizations_account_handler::{dispatch, logging, org::Clients};
use serde_json::Value;

pub enum Target {
    InProcess(Clients),
    Endpoint {
        uri: String,
        client: Client<HttpConnector, Full<Bytes>>,
    },
}

impl Target {
    pub async fn in_process(verbose: bool) -> Target {
        if verbose {
            let _ = tracing::subscriber::set_global_default(logging::subscriber(
                std::io::stderr,
                "debug",
            ));
        }
        Target::InProcess(Clients::from_environment().await)
    }

    pub fn endpoint(url: &str, function: &str) -> Result<Target, String> {
        if !url.starts_with("http://") {
            return Err(format!(
                "--endpoint {url}: only http:// endpoints (a local emulator) are supported"
            ));
        }
        let uri = format!(
            "{}/2015-03-31/functions/{function}/invocations",
            url.trim_end_matches('/')
        );
        Ok(Target::Endpoint {
            uri,
            client: Client::builder(TokioExecutor::new()).build_http(),
        })
    }

    pub async fn invoke(&self, request: &Value) -> Result<Value, String> {
        match self {
            Target::InProcess(clients) => {
                Ok(dispatch::handle(clients, request.clone()).await.to_json())
            }
            Target::Endpoint { uri, client } => {
                let body = Full::new(Bytes::from(request.to_string()));
                let req = hyper::Request::post(uri.as_str())
                    .header("content-type", "application/json")
                    .body(body)
                    .map_err(|e| format!("building the invoke request: {e}"))?;
                let resp = client
                    .request(req)
                    .await
                    .map_err(|e| format!("invoking {uri}: {e}"))?;
                let status = resp.status();
                let bytes = resp
                    .into_body()
                    .collect()
                    .await
                    .map_err(|e| format!("reading the answer of {uri}: {e}"))?
                    .to_bytes();
                if !status.is_success() {
                    return Err(format!(
                        "{uri} answered HTTP {status}: {}",
                        String::from_utf8_lossy(&bytes)
                    ));
                }
                serde_json::from_slice(&bytes)
                    .map_err(|e| format!("{uri} answered with something that is not JSON: {e}"))
            }
        }
    }
}
