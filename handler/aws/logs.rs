//! The seam to CloudWatch Logs, for the type owner's log group: called with the provider
//! credentials from the request, never the caller's.

use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use aws_sdk_cloudwatchlogs::Client;

use crate::doors::logging::Line;

/// PutLogEvents limits: 10,000 events and 1,048,576 bytes (each event counts 26 bytes more).
const MAX_BATCH_EVENTS: usize = 10_000;
const MAX_BATCH_BYTES: usize = 1_000_000;

pub struct Logs {
    client: Client,
}

impl Logs {
    pub fn new(conf: aws_sdk_cloudwatchlogs::Config) -> Logs {
        Logs {
            client: Client::from_conf(conf),
        }
    }

    /// Sends `lines` to `group`/`stream`, creating both when missing.
    pub async fn put(&self, group: &str, stream: &str, lines: &[Line]) -> Result<(), String> {
        for batch in batches(lines) {
            match self.put_batch(group, stream, &batch).await {
                Err(e) if e.contains("ResourceNotFoundException") => {
                    self.create(group, stream).await?;
                    self.put_batch(group, stream, &batch).await?;
                }
                other => other?,
            }
        }
        Ok(())
    }

    async fn put_batch(&self, group: &str, stream: &str, batch: &[&Line]) -> Result<(), String> {
        let events = batch
            .iter()
            .map(|(t, m)| InputLogEvent::builder().timestamp(*t).message(m).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?;
        self.client
            .put_log_events()
            .log_group_name(group)
            .log_stream_name(stream)
            .set_log_events(Some(events))
            .send()
            .await
            .map_err(|e| describe("PutLogEvents", e))?;
        Ok(())
    }

    async fn create(&self, group: &str, stream: &str) -> Result<(), String> {
        let exists = |e: &str| e.contains("ResourceAlreadyExistsException");
        match self
            .client
            .create_log_group()
            .log_group_name(group)
            .send()
            .await
        {
            Err(e) if !exists(&describe("CreateLogGroup", &e)) => {
                return Err(describe("CreateLogGroup", e))
            }
            _ => {}
        }
        match self
            .client
            .create_log_stream()
            .log_group_name(group)
            .log_stream_name(stream)
            .send()
            .await
        {
            Err(e) if !exists(&describe("CreateLogStream", &e)) => {
                Err(describe("CreateLogStream", e))
            }
            _ => Ok(()),
        }
    }
}

fn describe<E: std::error::Error>(op: &str, e: E) -> String {
    format!(
        "{op}: {}",
        aws_smithy_types::error::display::DisplayErrorContext(e)
    )
}

/// Lines in time order, cut to PutLogEvents' limits.
fn batches(lines: &[Line]) -> Vec<Vec<&Line>> {
    let mut sorted: Vec<&Line> = lines.iter().collect();
    sorted.sort_by_key(|(t, _)| *t);
    let mut out: Vec<Vec<&Line>> = Vec::new();
    let mut bytes = 0;
    for line in sorted {
        let size = line.1.len() + 26;
        match out.last_mut() {
            Some(b) if b.len() < MAX_BATCH_EVENTS && bytes + size <= MAX_BATCH_BYTES => {
                b.push(line);
                bytes += size;
            }
            _ => {
                out.push(vec![line]);
                bytes = size;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_sent_in_time_order_within_put_log_events_limits() {
        let lines: Vec<Line> = (0..3).rev().map(|i| (i, format!("line {i}"))).collect();
        let b = batches(&lines);
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].iter().map(|(t, _)| *t).collect::<Vec<_>>(), [0, 1, 2]);
        let big: Vec<Line> = (0..30).map(|i| (i, "x".repeat(100_000))).collect();
        let b = batches(&big);
        assert!(b.len() >= 3);
        assert!(b.iter().all(
            |batch| batch.iter().map(|(_, m)| m.len() + 26).sum::<usize>() <= MAX_BATCH_BYTES
        ));
        assert_eq!(b.iter().map(Vec::len).sum::<usize>(), 30);
    }
}
