//! What is built once per process for every AWS client the handler makes: the shared
//! configuration (endpoints, HTTP client and its connection pool, timeouts, retries), from which
//! each request gets Organizations as its caller (a registry request) or as the function's own
//! role (a custom resource), and the other seams (Lambda, CloudWatch) build theirs.

use std::sync::Arc;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_credential_types::Credentials;
use aws_sdk_organizations::config::Region;
use aws_sdk_organizations::Config;
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;

use crate::aws::organizations::Organizations;
use crate::vocab::credentials::CallerCredentials;

/// What is built once per process: configuration, endpoint resolution and the HTTP client with
/// its connection pool. Each request gets a client from it carrying the caller's credentials.
/// Cloning is a reference-count increment (the dispatcher moves a clone into each request's task).
#[derive(Clone)]
pub struct Clients {
    template: Arc<Config>,
    /// The shared configuration (endpoints, HTTP client, timeouts) the type owner's log and
    /// metric clients are built from; absent for a client handed in by tests.
    shared: Option<Arc<aws_types::SdkConfig>>,
}

impl Clients {
    /// The production configuration. The endpoint can be redirected only through the SDK's
    /// standard AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_ORGANIZATIONS variables. No credentials are
    /// loaded: a registry request's client gets the caller's (`for_caller`); only a custom
    /// resource, which brings none, uses the function's own role (`for_function`).
    pub async fn from_environment() -> Clients {
        let shared = aws_config::defaults(BehaviorVersion::latest())
            .no_credentials()
            .region(Region::from_static("us-east-1"))
            // Short SDK-level retries; longer waits go through CloudFormation's callback loop,
            // so that one invocation stays well within its 60-second limit.
            .retry_config(RetryConfig::standard().with_max_attempts(2))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(5))
                    .operation_attempt_timeout(Duration::from_secs(10))
                    .operation_timeout(Duration::from_secs(25))
                    .build(),
            )
            .load()
            .await;
        Clients {
            template: Arc::new(Config::from(&shared)),
            shared: Some(Arc::new(shared)),
        }
    }

    /// The shared configuration, for clients of other services (the type owner's logs).
    pub fn shared_config(&self) -> Option<&aws_types::SdkConfig> {
        self.shared.as_deref()
    }

    /// Builds on an existing client configuration (tests hand in a mocked one).
    pub fn from_config(template: Config) -> Clients {
        Clients {
            template: Arc::new(template),
            shared: None,
        }
    }

    /// Organizations as this function's own role (a custom resource brings no caller
    /// credentials): Lambda puts the role's credentials in the environment.
    pub fn for_function(&self) -> Organizations {
        let conf = self
            .template
            .to_builder()
            .credentials_provider(
                aws_config::environment::EnvironmentVariableCredentialsProvider::new(),
            )
            .region(function_region())
            .build();
        Organizations::from_conf(conf)
    }

    /// Organizations as the caller of a registry request (its credentials, its Region).
    pub fn for_caller(&self, creds: &CallerCredentials, region: Option<&str>) -> Organizations {
        let credentials = Credentials::new(
            creds.access_key_id.clone(),
            creds.secret_access_key.clone(),
            creds.session_token.clone(),
            None,
            "cloudformation-caller",
        );
        let conf = self
            .template
            .to_builder()
            .credentials_provider(credentials)
            // The SDK's endpoint rules map any region to its partition's global Organizations
            // endpoint and signing region (us-east-1, us-gov-west-1, cn-northwest-1, ...).
            .region(Region::new(region.unwrap_or("us-east-1").to_owned()))
            .build();
        Organizations::from_conf(conf)
    }
}

/// The function's region (Lambda sets AWS_REGION); the SDK maps it to its partition's endpoint.
pub fn function_region() -> Region {
    Region::new(std::env::var("AWS_REGION").unwrap_or_else(|_| "us-east-1".into()))
}
