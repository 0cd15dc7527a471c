//! The seam to S3 Control inside a member account, as the account's role: the account-level
//! S3 Block Public Access settings.

use aws_sdk_s3control::types::PublicAccessBlockConfiguration;
use aws_sdk_s3control::{Client, Config};

use crate::aws::translate;
use crate::vocab::before::Blocks;
use crate::vocab::error::HandlerError;
use crate::vocab::model::AccountId;

const SERVICE: &str = "S3 Control";

/// S3 Control of one account (every call names it).
#[derive(Clone)]
pub struct S3Control {
    client: Client,
    account: AccountId,
}

impl S3Control {
    /// A client from a finished configuration (the session's), for the session's account.
    pub(crate) fn from_conf(conf: Config, account: AccountId) -> S3Control {
        S3Control {
            client: Client::from_conf(conf),
            account,
        }
    }

    /// The account-level settings (None: the account has no configuration, so none is on).
    pub async fn blocks(&self) -> Result<Option<Blocks>, HandlerError> {
        match self
            .client
            .get_public_access_block()
            .account_id(self.account.as_str())
            .send()
            .await
        {
            Ok(out) => Ok(out.public_access_block_configuration().map(|c| Blocks {
                block_public_acls: c.block_public_acls() == Some(true),
                ignore_public_acls: c.ignore_public_acls() == Some(true),
                block_public_policy: c.block_public_policy() == Some(true),
                restrict_public_buckets: c.restrict_public_buckets() == Some(true),
            })),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_no_such_public_access_block_configuration()) =>
            {
                Ok(None)
            }
            Err(e) => Err(translate::classify(
                SERVICE,
                "GetPublicAccessBlock",
                e,
                None,
            )),
        }
    }

    /// Sets the four account-level settings.
    pub async fn put(&self, blocks: Blocks) -> Result<(), HandlerError> {
        let conf = PublicAccessBlockConfiguration::builder()
            .block_public_acls(blocks.block_public_acls)
            .ignore_public_acls(blocks.ignore_public_acls)
            .block_public_policy(blocks.block_public_policy)
            .restrict_public_buckets(blocks.restrict_public_buckets)
            .build();
        self.client
            .put_public_access_block()
            .account_id(self.account.as_str())
            .public_access_block_configuration(conf)
            .send()
            .await
            .map_err(|e| translate::classify(SERVICE, "PutPublicAccessBlock", e, None))?;
        Ok(())
    }

    /// Removes the account-level configuration (each bucket's own settings stay).
    pub async fn unblock(&self) -> Result<(), HandlerError> {
        self.client
            .delete_public_access_block()
            .account_id(self.account.as_str())
            .send()
            .await
            .map_err(|e| translate::classify(SERVICE, "DeletePublicAccessBlock", e, None))?;
        Ok(())
    }
}
