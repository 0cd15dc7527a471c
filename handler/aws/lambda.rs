//! The seam to the Lambda Invoke API: a custom resource's wait that outlasts one invocation
//! continues in a later invocation of this same function, started asynchronously
//! (`InvocationType: Event`, answered 202 at once) with the state in its payload. The function's
//! own role makes the call (`lambda:InvokeFunction` on itself, in sam-template.yaml).

use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::InvocationType;
use serde_json::Value;

use crate::aws::clients::Clients;
use crate::aws::error::SeamError;

pub struct SelfInvoke {
    client: aws_sdk_lambda::Client,
    function: String,
}

impl SelfInvoke {
    /// This function, by the ARN it was invoked through (keeping a version or alias), else by
    /// the name Lambda puts in the environment.
    pub fn new(clients: &Clients, invoked_function_arn: &str) -> Result<SelfInvoke, SeamError> {
        let function = if invoked_function_arn.starts_with("arn:") {
            invoked_function_arn.to_owned()
        } else {
            std::env::var("AWS_LAMBDA_FUNCTION_NAME").map_err(|_| {
                SeamError::Unusable(
                    "this function's name is unknown (no AWS_LAMBDA_FUNCTION_NAME)".into(),
                )
            })?
        };
        let shared = clients.shared_config().ok_or_else(|| {
            SeamError::Unusable("no shared AWS configuration to build a Lambda client from".into())
        })?;
        let config = aws_sdk_lambda::config::Builder::from(shared)
            .credentials_provider(SharedCredentialsProvider::new(
                aws_config::environment::EnvironmentVariableCredentialsProvider::new(),
            ))
            .region(crate::aws::clients::function_region())
            .build();
        Ok(SelfInvoke {
            client: aws_sdk_lambda::Client::from_conf(config),
            function,
        })
    }

    /// Queues one asynchronous invocation with `payload`.
    pub async fn hand_off(&self, payload: &Value) -> Result<(), SeamError> {
        let answer = self
            .client
            .invoke()
            .function_name(&self.function)
            .invocation_type(InvocationType::Event)
            .payload(Blob::new(payload.to_string()))
            .send()
            .await
            .map_err(|e| SeamError::sdk(format!("Invoke {}", self.function), e))?;
        match answer.status_code() {
            202 => Ok(()),
            other => Err(SeamError::Failed {
                operation: format!("Invoke {}", self.function),
                detail: format!("answered {other}, not 202 (queued)"),
            }),
        }
    }
}
