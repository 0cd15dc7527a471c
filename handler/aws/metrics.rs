//! The seam to CloudWatch metrics, for the type owner's account: one PutMetricData per
//! invocation, with the provider credentials from the request.

use aws_sdk_cloudwatch::types::{Dimension, MetricDatum, StandardUnit};
use aws_sdk_cloudwatch::Client;

use crate::aws::error::SeamError;

/// A metric value and its dimensions, before it becomes the SDK's type.
#[derive(Debug, Clone, PartialEq)]
pub struct Datum {
    pub name: &'static str,
    pub value: f64,
    pub unit: Unit,
    pub dimensions: Vec<(&'static str, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    Milliseconds,
}

pub struct Metrics {
    client: Client,
}

impl Metrics {
    pub fn new(conf: aws_sdk_cloudwatch::Config) -> Metrics {
        Metrics {
            client: Client::from_conf(conf),
        }
    }

    pub async fn put(
        &self,
        namespace: &str,
        data: &[Datum],
        at: std::time::SystemTime,
    ) -> Result<(), SeamError> {
        let data = data
            .iter()
            .map(|d| {
                MetricDatum::builder()
                    .metric_name(d.name)
                    .value(d.value)
                    .unit(match d.unit {
                        Unit::Count => StandardUnit::Count,
                        Unit::Milliseconds => StandardUnit::Milliseconds,
                    })
                    .timestamp(aws_smithy_types::DateTime::from(at))
                    .set_dimensions(Some(
                        d.dimensions
                            .iter()
                            .map(|(k, v)| Dimension::builder().name(*k).value(v).build())
                            .collect(),
                    ))
                    .build()
            })
            .collect();
        self.client
            .put_metric_data()
            .namespace(namespace)
            .set_metric_data(Some(data))
            .send()
            .await
            .map_err(|e| SeamError::sdk("PutMetricData", e))?;
        Ok(())
    }
}
