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
pub async fn put(url: &str, body: Vec<u8>, until: Instant) -> Result<(), String> {
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
            Err(f) => return Err(format!("after {attempt} attempt(s): {}", f.message)),
        }
    }
}
