//! JSON log lines on stdout with the action, logical resource id, stage and account id of the
//! request being handled. Credentials and the bearer token are never logged: the handler's own
//! types redact them in Debug, and the SDK's request-signing and HTTP internals (which see
//! credentials) are capped at WARN whatever RUST_LOG asks for.

use tracing::level_filters::LevelFilter;
use tracing::Subscriber;
use tracing_subscriber::filter::{EnvFilter, FilterExt, Targets};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::{Layer, Registry};

/// Targets that handle signed requests; nothing below WARN from them is ever written.
const CAPPED: &[&str] = &[
    "aws_sigv4",
    "aws_runtime",
    "aws_smithy_runtime",
    "aws_smithy_runtime_api",
    "aws_smithy_http_client",
    "aws_config",
    "aws_credential_types",
    "aws_sdk_organizations",
    "hyper",
    "hyper_util",
    "h2",
    "rustls",
    "lambda_runtime",
    "lambda_runtime_api_client",
];

/// The subscriber, writing to `writer`, at the level `directives` asks for (RUST_LOG syntax).
pub fn subscriber<W>(writer: W, directives: &str) -> impl Subscriber + Send + Sync
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let requested = EnvFilter::try_new(directives).unwrap_or_else(|_| EnvFilter::new("info"));
    let caps = CAPPED.iter().fold(
        Targets::new().with_default(LevelFilter::TRACE),
        |t, target| t.with_target(*target, LevelFilter::WARN),
    );
    let layer = tracing_subscriber::fmt::layer()
        .json()
        .with_current_span(true)
        .with_span_list(false)
        .flatten_event(true)
        .with_target(true)
        .with_ansi(false)
        .with_writer(writer)
        .with_filter(requested.and(caps));
    Registry::default().with(layer)
}

/// Installs the subscriber for the process: stdout, level from RUST_LOG (default info).
pub fn init() {
    let directives = std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into());
    // A second call (tests) keeps the first subscriber.
    let _ = tracing::subscriber::set_global_default(subscriber(std::io::stdout, &directives));
}
