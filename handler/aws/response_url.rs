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

/// Hosts, besides loopback ones, whose plain-http ResponseURLs are accepted: for local test
/// set-ups whose endpoints run in containers of their own (`sam local`); unset in production.
pub const HTTP_HOSTS_VARIABLE: &str = "CUSTOM_RESOURCE_HTTP_RESPONSE_HOSTS";

/// Whether a ResponseURL may be answered: CloudFormation's presigned URLs are `https://`; plain
/// `http://` is accepted only for loopback hosts (local tests and emulators) and the hosts
/// `CUSTOM_RESOURCE_HTTP_RESPONSE_HOSTS` names, so a request can never make the function send
/// an answer in clear text across a network that nobody chose.
pub fn check(url: &str) -> Result<(), SeamError> {
    let listed = std::env::var(HTTP_HOSTS_VARIABLE).unwrap_or_default();
    let hosts: Vec<&str> = listed
        .split(',')
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .collect();
    check_with(url, &hosts)
}

/// `check`, with the plain-http hosts given.
pub fn check_with(url: &str, http_hosts: &[&str]) -> Result<(), SeamError> {
    check_url(url, http_hosts).map_err(SeamError::Unusable)
}

fn check_url(url: &str, http_hosts: &[&str]) -> Result<(), String> {
    let uri: hyper::Uri = url
        .parse()
        .map_err(|e| format!("ResponseURL: not a URL ({e}); there is nowhere to answer"))?;
    let host = uri.host().unwrap_or("");
    if host.is_empty() {
        return Err("ResponseURL: names no host; there is nowhere to answer".into());
    }
    match uri.scheme_str() {
        Some("https") => Ok(()),
        Some("http") if is_loopback(host) || http_hosts.contains(&host) => Ok(()),
        Some("http") => Err(format!(
            "ResponseURL: plain http:// is accepted only for loopback addresses, not {host}; CloudFormation's presigned URLs are https://"
        )),
        other => Err(format!(
            "ResponseURL: scheme {} is not https; there is nowhere to answer",
            other.unwrap_or("(none)")
        )),
    }
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Why one PUT did not land, and whether another try may.
struct Failure {
    message: String,
    transient: bool,
}

async fn put_once(url: &str, body: &Bytes) -> Result<(), Failure> {
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
    let answer = tokio::time::timeout(Duration::from_secs(10), client.request(request))
        .await
        .map_err(|_| Failure {
            message: "no answer within 10 s".into(),
            transient: true,
        })?
        .map_err(|e| Failure {
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

/// PUTs `body` to `url`, trying again after 0.5, 1, 2, 4 ... s while `until` allows.
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
            Err(f) if f.transient && Instant::now() + wait < until => {
                warn!(attempt, error = %f.message, "answer not delivered; trying again");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(8));
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
    fn response_urls_are_https_or_plain_http_to_loopback_only() {
        for ok in [
            "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x?sig=1",
            "http://127.0.0.1:9000/bucket/key?X-Amz-Signature=1",
            "http://127.8.9.10/x",
            "http://localhost:1/x",
            "http://[::1]:8080/x",
        ] {
            assert_eq!(check_with(ok, &[]), Ok(()), "{ok}");
        }
        for (bad, says) in [
            (
                "http://10.0.0.8/x",
                "only for loopback addresses, not 10.0.0.8",
            ),
            ("http://example.com/x", "not example.com"),
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
