//! What is built once per process for every AWS client the handler makes: the shared
//! configuration (endpoints, HTTP client and its connection pool, timeouts, retries), from which
//! each request gets its services (Organizations, Account Management, STS, and the services inside member accounts STS makes sessions for) as its caller (a
//! registry request) or as the function's own role (a custom resource), and the other seams
//! (Lambda, CloudWatch) build theirs.

use std::sync::Arc;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_sdk_organizations::config::Region;
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;

use crate::aws::account::AccountManagement;
use crate::aws::organizations::Organizations;
use crate::aws::ownership::Acting;
use crate::aws::session::InsideConfigs;
use crate::aws::sts::Sts;
use crate::vocab::credentials::CallerCredentials;

/// One request's services, all acting with the same credentials.
#[derive(Clone)]
pub struct Services {
    /// Organizations.
    pub org: Organizations,
    /// The Account Management API (alternate contacts, Regions).
    pub account: AccountManagement,
    /// STS (is a new account usable yet?).
    pub sts: Sts,
}

/// What is built once per process: configuration, endpoint resolution and the HTTP client with
/// its connection pool. Each request gets clients from it carrying the caller's credentials.
/// Cloning is a reference-count increment (the dispatcher moves a clone into each request's task).
#[derive(Clone)]
pub struct Clients {
    organizations: Arc<aws_sdk_organizations::Config>,
    account: Arc<aws_sdk_account::Config>,
    sts: Arc<aws_sdk_sts::Config>,
    /// EC2, IAM and S3 Control, called inside member accounts as their role.
    inside: InsideConfigs,
    /// The shared configuration (endpoints, HTTP client, timeouts) the type owner's log and
    /// metric clients are built from; absent for clients handed in by tests.
    shared: Option<Arc<aws_types::SdkConfig>>,
}

impl Clients {
    /// The production configuration. Endpoints can be redirected only through the SDK's
    /// standard AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> variables. No credentials are
    /// loaded: a registry request's clients get the caller's (`for_caller`); only a custom
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
            organizations: Arc::new(aws_sdk_organizations::Config::from(&shared)),
            account: Arc::new(aws_sdk_account::Config::from(&shared)),
            sts: Arc::new(aws_sdk_sts::Config::from(&shared)),
            inside: InsideConfigs::from_shared(&shared),
            shared: Some(Arc::new(shared)),
        }
    }

    /// The shared configuration, for clients of other services (the type owner's logs).
    pub fn shared_config(&self) -> Option<&aws_types::SdkConfig> {
        self.shared.as_deref()
    }

    /// Builds on an existing Organizations configuration (tests hand in a mocked one). The
    /// other services get one that reaches nothing (a closed loopback port) until a test hands
    /// in theirs with `with_account` or `with_sts`.
    pub fn from_config(organizations: aws_sdk_organizations::Config) -> Clients {
        let nowhere = "http://127.0.0.1:9";
        Clients {
            organizations: Arc::new(organizations),
            account: Arc::new(
                aws_sdk_account::Config::builder()
                    .behavior_version(BehaviorVersion::latest())
                    .endpoint_url(nowhere)
                    .build(),
            ),
            sts: Arc::new(
                aws_sdk_sts::Config::builder()
                    .behavior_version(BehaviorVersion::latest())
                    .endpoint_url(nowhere)
                    .build(),
            ),
            inside: InsideConfigs::nowhere(),
            shared: None,
        }
    }

    /// The same, with this Account Management configuration (tests hand in a mocked one).
    pub fn with_account(self, account: aws_sdk_account::Config) -> Clients {
        Clients {
            account: Arc::new(account),
            ..self
        }
    }

    /// The same, with this STS configuration (tests hand in a mocked one).
    pub fn with_sts(self, sts: aws_sdk_sts::Config) -> Clients {
        Clients {
            sts: Arc::new(sts),
            ..self
        }
    }

    /// The same, with these configurations for the services inside member accounts (tests
    /// hand in mocked ones).
    pub fn with_inside(
        self,
        ec2: aws_sdk_ec2::Config,
        iam: aws_sdk_iam::Config,
        s3control: aws_sdk_s3control::Config,
    ) -> Clients {
        Clients {
            inside: InsideConfigs::from_configs(ec2, iam, s3control),
            ..self
        }
    }

    /// The services as this function's own role (a custom resource brings no caller
    /// credentials): Lambda puts the role's credentials in the environment.
    pub fn for_function(&self) -> Services {
        let credentials = SharedCredentialsProvider::new(
            aws_config::environment::EnvironmentVariableCredentialsProvider::new(),
        );
        self.services(credentials, function_region(), Acting::Function)
    }

    /// The services as the caller of a registry request (its credentials, its Region).
    pub fn for_caller(&self, creds: &CallerCredentials, region: Option<&str>) -> Services {
        let credentials = SharedCredentialsProvider::new(Credentials::new(
            creds.access_key_id.clone(),
            creds.secret_access_key.clone(),
            creds.session_token.clone(),
            None,
            "cloudformation-caller",
        ));
        // The SDK's endpoint rules map any region to its partition's global Organizations and
        // Account Management endpoints and signing regions (us-east-1, us-gov-west-1, ...);
        // STS is regional.
        self.services(
            credentials,
            Region::new(region.unwrap_or("us-east-1").to_owned()),
            Acting::Caller,
        )
    }

    fn services(
        &self,
        credentials: SharedCredentialsProvider,
        region: Region,
        acting: Acting,
    ) -> Services {
        Services {
            org: Organizations::from_conf(
                self.organizations
                    .to_builder()
                    .credentials_provider(credentials.clone())
                    .region(region.clone())
                    .build(),
                acting,
            ),
            account: AccountManagement::from_conf(
                self.account
                    .to_builder()
                    .credentials_provider(credentials.clone())
                    .region(region.clone())
                    .build(),
            ),
            sts: Sts::from_conf(
                self.sts
                    .to_builder()
                    .credentials_provider(credentials)
                    .region(region)
                    .build(),
                self.inside.clone(),
            ),
        }
    }
}

/// The function's region (Lambda sets AWS_REGION); the SDK maps it to its partition's endpoint.
pub fn function_region() -> Region {
    Region::new(std::env::var("AWS_REGION").unwrap_or_else(|_| "us-east-1".into()))
}
