//! The seam to IAM inside a member account, as the account's role: its account alias (an
//! account has at most one; CreateAccountAlias with another replaces it, AWS Sign-In User Guide).

use aws_sdk_iam::{Client, Config};

use crate::aws::translate;
use crate::vocab::error::HandlerError;
use crate::vocab::inside::AccountAlias;
use crate::vocab::model::AccountId;

const SERVICE: &str = "IAM";

/// IAM of one account.
#[derive(Clone)]
pub struct Iam {
    client: Client,
    account: AccountId,
}

impl Iam {
    /// A client from a finished configuration (the session's).
    pub(crate) fn from_conf(conf: Config, account: AccountId) -> Iam {
        Iam {
            client: Client::from_conf(conf),
            account,
        }
    }

    /// The account's alias, if it has one.
    pub async fn alias(&self) -> Result<Option<String>, HandlerError> {
        let out = self
            .client
            .list_account_aliases()
            .send()
            .await
            .map_err(|e| translate::classify(SERVICE, "ListAccountAliases", e, None))?;
        Ok(out.account_aliases().first().cloned())
    }

    /// Gives the account this alias (replacing any other). An alias is unique across AWS: one
    /// another account holds is ResourceConflict, naming it.
    pub async fn set_alias(&self, alias: &AccountAlias) -> Result<(), HandlerError> {
        match self
            .client
            .create_account_alias()
            .account_alias(alias.as_str())
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_entity_already_exists_exception()) =>
            {
                Err(HandlerError::ResourceConflict(format!(
                    "AccountAlias: {alias} belongs to another AWS account (aliases are unique across AWS), so account {} cannot have it; choose another AccountAlias",
                    self.account
                )))
            }
            Err(e) => Err(translate::classify(SERVICE, "CreateAccountAlias", e, None)),
        }
    }

    /// Removes the account's alias; one already gone is fine.
    pub async fn delete_alias(&self, alias: &str) -> Result<(), HandlerError> {
        match self
            .client
            .delete_account_alias()
            .account_alias(alias)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_no_such_entity_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(translate::classify(SERVICE, "DeleteAccountAlias", e, None)),
        }
    }
}
