//! The seam to a custom resource's `ResponseURL`: one HTTPS PUT of the answer to a presigned S3
//! URL, retried with backoff on what may pass (connection failures, 5xx, 429). A presigned URL
//! signs no Content-Type, so none is sent (S3 refuses a signed request with headers the
//! signature did not cover; and a form type makes some servers consume the body).

use std::sync::OnceLock;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request, StatusCode};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::time::Instant;
use tracing::{info, warn};

use crate::aws::error::SeamError;

type Https = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// One client per process (connection pool, TLS roots loaded once).
fn client() -> Result<&'static Https, String> {
    static CLIENT: OnceLock<Result<Https, String>> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            let connector = hyper_rustls::HttpsConnectorBuilder::new()
                .with_native_roots()
                .map_err(|e| format!("no TLS root certificates: {e}"))?
                .https_or_http()
                .enable_http1()
                .build();
            Ok(Client::builder(TokioExecutor::new()).build(connector))
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// Hosts besides AWS's own that may be answered, comma-separated, over http or https: for local
/// test set-ups (a loopback S3 stand-in, the endpoints' container under `sam local`). Unset in
/// production. Loopback is not allowed by default: inside Lambda, loopback serves the Runtime API.
pub const HOSTS_VARIABLE: &str = "CUSTOM_RESOURCE_RESPONSE_HOSTS";

/// The domains CloudFormation's presigned ResponseURLs live in: S3 in each AWS partition (aws,
/// aws-cn, aws-us-gov share amazonaws.com or amazonaws.com.cn; the isolated partitions aws-iso,
/// aws-iso-b, aws-iso-e and aws-iso-f have their own, as botocore's partitions.json lists them).
pub const AWS_DOMAINS: &[&str] = &[
    "amazonaws.com",
    "amazonaws.com.cn",
    "c2s.ic.gov",
    "sc2s.sgov.gov",
    "cloud.adc-e.uk",
    "csp.hci.ic.gov",
];

/// Whether a ResponseURL may be answered: `https://` to a host in an AWS partition's domain, or
/// a host `CUSTOM_RESOURCE_RESPONSE_HOSTS` names. Anything else is refused before any work, so a
/// request cannot make the function send an account's details to a server of its choosing.
pub fn check(url: &str) -> Result<(), SeamError> {
    let listed = std::env::var(HOSTS_VARIABLE).unwrap_or_default();
    let hosts: Vec<&str> = listed
        .split(',')
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .collect();
    check_with(url, &hosts)
}

/// `check`, with the extra hosts given.
pub fn check_with(url: &str, extra_hosts: &[&str]) -> Result<(), SeamError> {
    check_url(url, extra_hosts).map_err(SeamError::Unusable)
}

fn check_url(url: &str, extra_hosts: &[&str]) -> Result<(), String> {
    let uri: hyper::Uri = url
        .parse()
        .map_err(|e| format!("ResponseURL: not a URL ({e}); there is nowhere to answer"))?;
    let host = uri.host().unwrap_or("");
    if host.is_empty() {
        return Err("ResponseURL: names no host; there is nowhere to answer".into());
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let named = extra_hosts.iter().any(|h| h.eq_ignore_ascii_case(bare));
    let aws = AWS_DOMAINS.iter().any(|d| {
        let host = bare.to_ascii_lowercase();
        host.strip_suffix(d).is_some_and(|rest| rest.ends_with('.'))
    });
    match uri.scheme_str() {
        Some("https") | Some("http") if named => Ok(()),
        Some("https") if aws => Ok(()),
        Some("https") | Some("http") => Err(format!(
            "ResponseURL: {host} is not a host CloudFormation answers through (https to S3 in an AWS partition's domain: {}) nor one {HOSTS_VARIABLE} names; no answer is sent",
            AWS_DOMAINS.join(", ")
        )),
        other => Err(format!(
            "ResponseURL: scheme {} is not https; there is nowhere to answer",
            other.unwrap_or("(none)")
        )),
    }
}

/// Why one PUT did not land, and whether another try may.
struct Failure {
    message: String,
    transient: bool,
}

/// One bound for a whole attempt, the answer's headers and its body: a server that answers
/// slowly, or trickles an error body, cannot hold the invocation.
const ATTEMPT_BOUND: Duration = Duration::from_secs(10);
/// Attempts before giving up.
pub const MAX_ATTEMPTS: u32 = 3;

async fn put_once(url: &str, body: &Bytes) -> Result<(), Failure> {
    match tokio::time::timeout(ATTEMPT_BOUND, exchange(url, body)).await {
        Ok(outcome) => outcome,
        Err(_) => Err(Failure {
            message: format!("no complete answer within {} s", ATTEMPT_BOUND.as_secs()),
            transient: true,
        }),
    }
}

async fn exchange(url: &str, body: &Bytes) -> Result<(), Failure> {
    let fatal = |message: String| Failure {
        message,
        transient: false,
    };
    let request = Request::builder()
        .method(Method::PUT)
        .uri(url)
        .header(hyper::header::CONTENT_LENGTH, body.len())
        .body(Full::new(body.clone()))
        .map_err(|e| fatal(format!("ResponseURL is not a usable URL: {e}")))?;
    let client = client().map_err(fatal)?;
    let answer = client.request(request).await.map_err(|e| Failure {
        message: format!("connection failed: {e}"),
        transient: true,
    })?;
    let status = answer.status();
    if status.is_success() {
        return Ok(());
    }
    let text = match answer.into_body().collect().await {
        Ok(b) => String::from_utf8_lossy(&b.to_bytes())
            .chars()
            .take(300)
            .collect(),
        Err(_) => String::new(),
    };
    Err(Failure {
        message: format!("HTTP {status}: {text}"),
        transient: status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS,
    })
}

/// PUTs `body` to `url`: at most `MAX_ATTEMPTS` attempts of at most `ATTEMPT_BOUND` each, after
/// 0.5 and 1 s, while `until` allows.
pub async fn put(url: &str, body: Vec<u8>, until: Instant) -> Result<(), SeamError> {
    let body = Bytes::from(body);
    let mut wait = Duration::from_millis(500);
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        match put_once(url, &body).await {
            Ok(()) => {
                info!(
                    attempt,
                    bytes = body.len(),
                    "answer delivered to ResponseURL"
                );
                return Ok(());
            }
            Err(f) if f.transient && attempt < MAX_ATTEMPTS && Instant::now() + wait < until => {
                warn!(attempt, error = %f.message, "answer not delivered; trying again");
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
            Err(f) => {
                return Err(SeamError::Failed {
                    operation: "PUT ResponseURL".into(),
                    detail: format!("after {attempt} attempt(s): {}", f.message),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_urls_are_https_to_aws_or_hosts_the_configuration_names() {
        for ok in [
            "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x?sig=1",
            "https://cloudformation-custom-resource-response-cnnorth1.s3.cn-north-1.amazonaws.com.cn/x",
            "https://cloudformation-custom-resource-response-usgovwest1.s3.us-gov-west-1.amazonaws.com/x",
            "https://bucket.s3.us-iso-east-1.c2s.ic.gov/x",
            "http://127.0.0.1:9000/bucket/key?X-Amz-Signature=1",
            "https://localhost/x",
            "http://[::1]:8080/x",
            "http://172.17.0.2:5000/x",
        ] {
            let named = ["127.0.0.1", "localhost", "::1", "172.17.0.2"];
            assert_eq!(check_with(ok, &named), Ok(()), "{ok}");
        }
        for (bad, says) in [
            ("http://127.0.0.1:9000/x", "127.0.0.1 is not a host"),
            ("https://localhost/x", "localhost is not a host"),
            ("https://[::1]/x", "is not a host"),
            (
                "https://attacker.example.com/x",
                "attacker.example.com is not a host",
            ),
            ("https://amazonaws.com.attacker.net/x", "is not a host"),
            ("https://evilamazonaws.com/x", "is not a host"),
            ("http://bucket.s3.amazonaws.com/x", "is not a host"),
            ("ftp://127.0.0.1/x", "scheme ftp"),
            ("...", "scheme (none) is not https"),
            ("https:///x", "not a URL"),
            ("", "not a URL"),
        ] {
            let e = check_with(bad, &[]).unwrap_err().to_string();
            assert!(
                e.starts_with("ResponseURL: ") && e.contains(says),
                "{bad}: {e}"
            );
        }
    }
}
