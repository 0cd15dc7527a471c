//! The type owner's view of the handler. Once registered, a private type runs where its owner
//! cannot read stdout; when the type is registered with a logging configuration, CloudFormation
//! sends `providerCredentials` and `providerLogGroupName` with each request, and the official
//! runtimes deliver the handler's log lines there and publish metrics in the namespace
//! `AWS/CloudFormation/<Type/Name>`. So does this one: the same redacted JSON lines as stdout,
//! one stream per stack and logical resource, one batch and one PutMetricData per invocation,
//! sent before the answer is returned, bounded in time, and never changing the answer.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sdk_cloudwatchlogs::config::Region;

use crate::aws::clients::Clients;
use crate::aws::logs::Logs;
use crate::aws::metrics::{Datum, Metrics, Unit};
use crate::doors::logging::Line;
use crate::doors::registry::protocol::{Action, HandlerErrorCode, HandlerRequest, ProgressEvent};
use crate::vocab::credentials::CallerCredentials;

/// Delivery never holds the answer back longer than this.
const DELIVERY_BUDGET: Duration = Duration::from_millis(2500);

/// Deliveries that failed in this process (each also logged to stdout).
pub static DELIVERY_FAILURES: AtomicU64 = AtomicU64::new(0);

/// Where and as whom this invocation's logs and metrics go.
pub struct Delivery {
    credentials: CallerCredentials,
    pub group: String,
    pub stream: String,
    pub namespace: String,
    region: String,
    resource_type: String,
    action: Action,
}

impl Delivery {
    /// None unless the request carries both provider credentials and a log group.
    pub fn from_request(request: &HandlerRequest, action: Action) -> Option<Delivery> {
        let group = request
            .provider_log_group_name
            .clone()
            .filter(|g| !g.is_empty())?;
        let credentials = match request.provider_credentials() {
            Ok(Some(c)) => c,
            Ok(None) => return None,
            Err(e) => {
                tracing::warn!(error = %e, "provider credentials unusable; logs and metrics not delivered");
                return None;
            }
        };
        let resource_type = request
            .resource_type
            .clone()
            .unwrap_or_else(|| "AWS::Organizations::Account".into());
        Some(Delivery {
            credentials,
            group,
            stream: stream_name(
                request.stack_id.as_deref(),
                request.logical_resource_id.as_deref(),
            ),
            namespace: namespace(&resource_type),
            region: request.region.clone().unwrap_or_else(|| "us-east-1".into()),
            resource_type,
            action,
        })
    }
}

/// One stream per stack and logical resource, readable, without the `:` and `*` that stream
/// names may not hold: `STACK/UUID/LogicalId`.
pub fn stream_name(stack_id: Option<&str>, logical_id: Option<&str>) -> String {
    let stack = stack_id
        .and_then(|s| s.split_once(":stack/").map(|(_, rest)| rest.to_owned()))
        .or_else(|| stack_id.map(str::to_owned))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "no-stack".into());
    let logical = logical_id
        .filter(|l| !l.is_empty())
        .unwrap_or("no-logical-id");
    format!("{stack}/{logical}")
        .chars()
        .map(|c| if c == ':' || c == '*' { '_' } else { c })
        .take(512)
        .collect()
}

/// `AWS/CloudFormation/Acme/Organizations/Account` for `Acme::Organizations::Account`.
pub fn namespace(resource_type: &str) -> String {
    format!("AWS/CloudFormation/{}", resource_type.replace("::", "/"))
}

/// The metrics the official runtimes publish, for one invocation.
pub fn metric_data(
    action: Action,
    resource_type: &str,
    duration: Duration,
    failure: Option<HandlerErrorCode>,
) -> Vec<Datum> {
    let action = action.as_str().to_owned();
    let resource_type = resource_type.to_owned();
    let mut data = vec![
        Datum {
            name: "HandlerInvocationCount",
            value: 1.0,
            unit: Unit::Count,
            dimensions: vec![
                ("Action", action.clone()),
                ("ResourceType", resource_type.clone()),
            ],
        },
        Datum {
            name: "HandlerInvocationDuration",
            value: duration.as_secs_f64() * 1000.0,
            unit: Unit::Milliseconds,
            dimensions: vec![
                ("Action", action.clone()),
                ("ResourceType", resource_type.clone()),
            ],
        },
    ];
    if let Some(code) = failure {
        let code = format!("{code:?}");
        data.push(Datum {
            name: "HandlerException",
            value: 1.0,
            unit: Unit::Count,
            dimensions: vec![
                ("Action", action.clone()),
                ("ExceptionType", code.clone()),
                ("ResourceType", resource_type),
            ],
        });
        data.push(Datum {
            name: "HandlerExceptionByErrorCode",
            value: 1.0,
            unit: Unit::Count,
            dimensions: vec![("Action", action), ("HandlerErrorCode", code)],
        });
    }
    data
}

/// Sends the invocation's lines and metrics; a failure is logged to stdout and counted, and
/// never reaches the answer.
pub async fn deliver(
    clients: &Clients,
    delivery: Delivery,
    lines: &[Line],
    answer: &ProgressEvent,
    duration: Duration,
) {
    let Some(shared) = clients.shared_config() else {
        return;
    };
    let credentials = Credentials::new(
        delivery.credentials.access_key_id.clone(),
        delivery.credentials.secret_access_key.clone(),
        delivery.credentials.session_token.clone(),
        None,
        "cloudformation-provider",
    );
    let region = Region::new(delivery.region.clone());
    let logs = Logs::new(
        aws_sdk_cloudwatchlogs::config::Builder::from(shared)
            .credentials_provider(credentials.clone())
            .region(region.clone())
            .build(),
    );
    let metrics = Metrics::new(
        aws_sdk_cloudwatch::config::Builder::from(shared)
            .credentials_provider(credentials)
            .region(aws_sdk_cloudwatch::config::Region::new(
                delivery.region.clone(),
            ))
            .build(),
    );
    let failure = answer.error_code();
    let data = metric_data(delivery.action, &delivery.resource_type, duration, failure);
    let work = async {
        tokio::join!(
            logs.put(&delivery.group, &delivery.stream, lines),
            metrics.put(&delivery.namespace, &data, SystemTime::now()),
        )
    };
    let problems: Vec<String> = match tokio::time::timeout(DELIVERY_BUDGET, work).await {
        Ok((l, m)) => [l.err(), m.err()]
            .into_iter()
            .flatten()
            .map(|e| e.to_string())
            .collect(),
        Err(_) => vec![format!(
            "not finished within {} ms",
            DELIVERY_BUDGET.as_millis()
        )],
    };
    if !problems.is_empty() {
        let failures = DELIVERY_FAILURES.fetch_add(1, Ordering::Relaxed) + 1;
        tracing::warn!(
            log_group = %delivery.group,
            failures,
            problems = %problems.join("; "),
            "could not deliver logs or metrics to the type owner; the answer is unchanged"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_names_are_readable_and_free_of_forbidden_characters() {
        assert_eq!(
            stream_name(
                Some("arn:aws:cloudformation:us-east-1:123456789012:stack/accounts/1111-2222"),
                Some("TeamA")
            ),
            "accounts/1111-2222/TeamA"
        );
        assert_eq!(stream_name(None, None), "no-stack/no-logical-id");
        assert_eq!(stream_name(Some("a:b*c"), Some("L")), "a_b_c/L");
    }

    #[test]
    fn namespace_follows_the_type_name() {
        assert_eq!(
            namespace("Acme::Organizations::Account"),
            "AWS/CloudFormation/Acme/Organizations/Account"
        );
    }

    #[test]
    fn failures_add_exception_metrics_with_their_code() {
        let ok = metric_data(Action::Read, "Acme::X::Y", Duration::from_millis(12), None);
        assert_eq!(
            ok.iter().map(|d| d.name).collect::<Vec<_>>(),
            ["HandlerInvocationCount", "HandlerInvocationDuration"]
        );
        assert_eq!(ok[1].value, 12.0);
        let failed = metric_data(
            Action::Create,
            "Acme::X::Y",
            Duration::from_millis(5),
            Some(HandlerErrorCode::NotFound),
        );
        assert_eq!(failed.len(), 4);
        assert_eq!(
            failed[3].dimensions,
            vec![
                ("Action", "CREATE".to_owned()),
                ("HandlerErrorCode", "NotFound".to_owned())
            ]
        );
        assert!(failed[2]
            .dimensions
            .contains(&("ExceptionType", "NotFound".to_owned())));
    }
}
