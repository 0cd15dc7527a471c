//! The seam to CloudWatch Logs, for the type owner's log group: called with the provider
//! credentials from the request, never the caller's.

use aws_sdk_cloudwatchlogs::error::SdkError;
use aws_sdk_cloudwatchlogs::operation::put_log_events::{PutLogEventsError, PutLogEventsOutput};
use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use aws_sdk_cloudwatchlogs::Client;

use crate::aws::error::SeamError;

/// One log event: milliseconds since the epoch, and the message.
pub type Line = (i64, String);

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
    pub async fn put(&self, group: &str, stream: &str, lines: &[Line]) -> Result<(), SeamError> {
        for batch in batches(lines) {
            let events = batch
                .iter()
                .map(|(t, m)| InputLogEvent::builder().timestamp(*t).message(m).build())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| SeamError::Unusable(format!("PutLogEvents: {e}")))?;
            match self.put_batch(group, stream, events.clone()).await {
                // A new owner account, or a group someone deleted: make both, then once more.
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_resource_not_found_exception()) =>
                {
                    self.create(group, stream).await?;
                    self.put_batch(group, stream, events)
                        .await
                        .map_err(|e| SeamError::sdk("PutLogEvents", e))?;
                }
                Err(e) => return Err(SeamError::sdk("PutLogEvents", e)),
                Ok(_) => {}
            }
        }
        Ok(())
    }

    async fn put_batch(
        &self,
        group: &str,
        stream: &str,
        events: Vec<InputLogEvent>,
    ) -> Result<PutLogEventsOutput, SdkError<PutLogEventsError>> {
        self.client
            .put_log_events()
            .log_group_name(group)
            .log_stream_name(stream)
            .set_log_events(Some(events))
            .send()
            .await
    }

    /// Creates the group and the stream; either already existing is what was wanted.
    async fn create(&self, group: &str, stream: &str) -> Result<(), SeamError> {
        match self
            .client
            .create_log_group()
            .log_group_name(group)
            .send()
            .await
        {
            Err(e)
                if !e
                    .as_service_error()
                    .is_some_and(|s| s.is_resource_already_exists_exception()) =>
            {
                return Err(SeamError::sdk("CreateLogGroup", e))
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
            Err(e)
                if !e
                    .as_service_error()
                    .is_some_and(|s| s.is_resource_already_exists_exception()) =>
            {
                Err(SeamError::sdk("CreateLogStream", e))
            }
            _ => Ok(()),
        }
    }
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
