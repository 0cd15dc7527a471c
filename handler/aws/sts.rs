//! The seam to STS, for one question: can a new account be used yet? The request's credentials
//! assume the account's role (RoleName, which Organizations creates trusting the management
//! account), and the assumed session asks GetCallerIdentity. Fresh accounts refuse for 30
//! seconds to minutes after their creation SUCCEEDED (public reports: terraform-provider-aws
//! #15654, org-formation) with the errors below; those mean "not yet", anything else is a
//! failure of its own.

use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_sdk_sts::config::Region;
use aws_sdk_sts::error::ProvideErrorMetadata;
use aws_sdk_sts::{Client, Config};

use crate::aws::ownership::Owned;
use crate::aws::session::{AccountSession, InsideConfigs};
use crate::aws::translate;
use crate::vocab::baseline::RegionName;
use crate::vocab::error::HandlerError;

const SERVICE: &str = "STS";

/// What a fresh account answers until it can be used.
const NOT_YET: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "InvalidClientTokenId",
    "OptInRequired",
    "RegionDisabledException",
    "SubscriptionRequiredException",
];

/// The answer to "can the account be used yet?".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    /// The role was assumed and the session is the account's.
    Usable,
    /// Not yet: what the account answered.
    NotYet(String),
}

/// What assuming an account's role gave.
pub enum Assumed {
    /// A session inside the account.
    Session(AccountSession),
    /// Not yet: what the account answered.
    NotYet(String),
}

/// One caller's view of STS, and the configurations of the services inside member accounts it
/// makes sessions for. Cloning shares the configuration.
#[derive(Clone)]
pub struct Sts {
    conf: Config,
    inside: InsideConfigs,
}

impl Sts {
    /// STS with a finished configuration (the client factory's).
    pub(crate) fn from_conf(conf: Config, inside: InsideConfigs) -> Sts {
        Sts { conf, inside }
    }

    /// STS asked in a Region every account of the partition has: a new account has every
    /// opt-in Region disabled, and STS will not issue or honour its credentials there
    /// (RegionDisabledException), whatever Region the stack is in.
    fn home_conf(&self, partition: &str) -> Config {
        match always_enabled_region(partition) {
            Some(region) => self.conf.to_builder().region(Region::new(region)).build(),
            None => self.conf.clone(),
        }
    }

    /// Assumes `role_name` in the proven account: a session inside it, or what a fresh account
    /// answers until it can be used.
    pub async fn assume(
        &self,
        partition: &str,
        owned: &Owned,
        role_name: &str,
    ) -> Result<Assumed, HandlerError> {
        let account = owned.id();
        let role_arn = format!("arn:{partition}:iam::{account}:role/{role_name}");
        let conf = self.home_conf(partition);
        let assumed = Client::from_conf(conf.clone())
            .assume_role()
            .role_arn(&role_arn)
            .role_session_name("cfn-organizations-account")
            .duration_seconds(900)
            .send()
            .await;
        let creds = match assumed {
            Ok(out) => match out.credentials() {
                Some(c) => Credentials::new(
                    c.access_key_id(),
                    c.secret_access_key(),
                    Some(c.session_token().to_owned()),
                    None,
                    "account-role",
                ),
                None => {
                    return Err(HandlerError::GeneralServiceException(format!(
                        "{SERVICE} AssumeRole of {role_arn} answered without credentials"
                    )))
                }
            },
            Err(e) => return not_yet_or_failure("AssumeRole", &role_arn, e).map(Assumed::NotYet),
        };
        let home = conf
            .region()
            .map(|r| r.as_ref().to_owned())
            .unwrap_or_else(|| "us-east-1".to_owned());
        let home = RegionName::parse(&home).map_err(|_| {
            HandlerError::InternalFailure(format!("the STS Region {home} is not a Region code"))
        })?;
        Ok(Assumed::Session(AccountSession::new(
            account.clone(),
            home,
            SharedCredentialsProvider::new(creds),
            self.inside.clone(),
        )))
    }

    /// Assumes `role_name` in `account` and asks who the session is.
    pub async fn readiness(
        &self,
        partition: &str,
        owned: &Owned,
        role_name: &str,
    ) -> Result<Readiness, HandlerError> {
        let account = owned.id();
        let role_arn = format!("arn:{partition}:iam::{account}:role/{role_name}");
        let session = match self.assume(partition, owned, role_name).await? {
            Assumed::Session(session) => session,
            Assumed::NotYet(why) => return Ok(Readiness::NotYet(why)),
        };
        let conf = self
            .home_conf(partition)
            .to_builder()
            .credentials_provider(session.credentials())
            .build();
        match Client::from_conf(conf).get_caller_identity().send().await {
            Ok(out) if out.account() == Some(account.as_str()) => Ok(Readiness::Usable),
            Ok(out) => Ok(Readiness::NotYet(format!(
                "the session of {role_arn} is account {}, not {account}",
                out.account().unwrap_or("(none)")
            ))),
            Err(e) => not_yet_or_failure("GetCallerIdentity", &role_arn, e).map(Readiness::NotYet),
        }
    }
}

/// A Region enabled by default in every account of the partition, where its global STS endpoint
/// lives (botocore's partitions.json: each partition's first Region); None for a partition this
/// handler does not know, which keeps the request's Region.
pub fn always_enabled_region(partition: &str) -> Option<&'static str> {
    match partition {
        "aws" => Some("us-east-1"),
        "aws-us-gov" => Some("us-gov-west-1"),
        "aws-cn" => Some("cn-north-1"),
        "aws-iso" => Some("us-iso-east-1"),
        "aws-iso-b" => Some("us-isob-east-1"),
        "aws-iso-e" => Some("eu-isoe-west-1"),
        "aws-iso-f" => Some("us-isof-south-1"),
        _ => None,
    }
}

fn not_yet_or_failure<E>(
    op: &str,
    role_arn: &str,
    e: aws_sdk_sts::error::SdkError<E, aws_sdk_sts::config::http::HttpResponse>,
) -> Result<String, HandlerError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let code = e.as_service_error().and_then(|s| s.code()).unwrap_or("");
    if NOT_YET.contains(&code) {
        let message = e.as_service_error().and_then(|s| s.message()).unwrap_or("");
        return Ok(format!("{op} of {role_arn}: {code}: {message}"));
    }
    match translate::classify(SERVICE, op, e, None) {
        // A failure that retrying may mend is "not yet" too: the wait is bounded anyway.
        retryable if retryable.retry_class().is_some() => Ok(retryable.to_string()),
        failure => Err(failure),
    }
}
