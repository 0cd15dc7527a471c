//! JSON log lines on stdout with the action, logical resource id, stage and account id of the
//! request being handled. Inside `capturing`, a task's lines are also kept, exactly as written,
//! so that they can be delivered to the type owner's log group. Credentials and the bearer token are never logged: the handler's own
//! types redact them in Debug, and the SDK's request-signing and HTTP internals (which see
//! credentials) are capped at WARN whatever RUST_LOG asks for.

use std::cell::RefCell;
use std::future::Future;
use std::io::{self, Write};
use std::time::{SystemTime, UNIX_EPOCH};

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
    "aws_sdk_cloudwatchlogs",
    "aws_sdk_cloudwatch",
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
        .with_writer(Tee(writer))
        .with_filter(requested.and(caps));
    Registry::default().with(layer)
}

/// Installs the subscriber for the process: stdout, level from RUST_LOG (default info).
pub fn init() {
    let directives = std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into());
    // A second call (tests) keeps the first subscriber.
    let _ = tracing::subscriber::set_global_default(subscriber(std::io::stdout, &directives));
}

/// One captured line: when it was written (ms since the epoch) and the line itself.
pub type Line = (i64, String);

tokio::task_local! {
    static CAPTURED: RefCell<Vec<Line>>;
}

/// Runs `work` keeping every log line written while it runs in this task, and returns them.
pub async fn capturing<F: Future>(work: F) -> (F::Output, Vec<Line>) {
    CAPTURED
        .scope(RefCell::new(Vec::new()), async move {
            let out = work.await;
            let lines = CAPTURED.with(|c| std::mem::take(&mut *c.borrow_mut()));
            (out, lines)
        })
        .await
}

/// Writes to `W` and, inside `capturing`, keeps a copy of each line.
pub struct Tee<W>(pub W);

impl<'a, W: MakeWriter<'a>> MakeWriter<'a> for Tee<W> {
    type Writer = TeeWriter<W::Writer>;
    fn make_writer(&'a self) -> Self::Writer {
        TeeWriter(self.0.make_writer())
    }
}

/// Writes each line to `W` and keeps a copy for the request's capture.
pub struct TeeWriter<W>(W);

impl<W: Write> Write for TeeWriter<W> {
    // The JSON formatter writes each event as one buffer: one buffer, one line.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write_all(buf)?;
        let _ = CAPTURED.try_with(|c| {
            let line = String::from_utf8_lossy(buf).trim_end().to_owned();
            if !line.is_empty() {
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.as_millis() as i64)
                    .unwrap_or_default();
                c.borrow_mut().push((now, line));
            }
        });
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);
    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn lines_written_inside_capturing_are_kept_as_written_and_others_are_not() {
        let sink = Sink::default();
        let writer = sink.clone();
        let subscriber = subscriber(move || writer.clone(), "info");
        let _guard = tracing::subscriber::set_default(subscriber);
        tracing::info!("before");
        let ((), lines) = capturing(async { tracing::info!(n = 1, "inside") }).await;
        tracing::info!("after");
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(lines[0].1.contains("\"message\":\"inside\""), "{lines:?}");
        let written = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        assert_eq!(written.lines().count(), 3);
        assert!(written.contains(&lines[0].1));
    }
}
