//! What a template asks of the inside of an account, done as the account itself (its RoleName
//! assumed): its default VPCs deleted, its IAM alias, EBS encryption by default and S3 Block
//! Public Access at account level. Each is opt-in: a property the template leaves out is never
//! touched, and never read.

use std::fmt;

use crate::vocab::error::HandlerError;
use crate::vocab::lenient;

/// An IAM account alias, checked once: 3-63 lowercase letters, digits and dashes, starting and
/// ending with a letter or digit, no two dashes in a row (CreateAccountAlias's pattern
/// `^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$`, IAM API reference).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountAlias(String);

impl AccountAlias {
    /// The alias, or InvalidRequest naming the rule it breaks.
    pub fn parse(s: &str) -> Result<AccountAlias, HandlerError> {
        let rule = |why: &str| {
            HandlerError::InvalidRequest(format!(
                "AccountAlias: {} {why} (IAM's rule: 3-63 lowercase letters, digits and dashes, starting and ending with a letter or digit, no two dashes in a row)",
                lenient::quote(s)
            ))
        };
        let len = s.chars().count();
        if !(3..=63).contains(&len) {
            return Err(rule(&format!("has {len} characters")));
        }
        if let Some(c) = s
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
        {
            return Err(rule(&format!("holds {c:?}")));
        }
        if s.starts_with('-') || s.ends_with('-') {
            return Err(rule("starts or ends with a dash"));
        }
        if s.contains("--") {
            return Err(rule("has two dashes in a row"));
        }
        Ok(AccountAlias(s.to_owned()))
    }

    /// The alias.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountAlias {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The in-account properties a template declares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inside {
    /// DeleteDefaultVpcs: true deletes the default VPC of every enabled Region. False or absent
    /// leaves them (a deleted default VPC is never recreated).
    pub delete_default_vpcs: bool,
    /// AccountAlias.
    pub alias: Option<AccountAlias>,
    /// EbsEncryptionByDefault: on or off in every enabled Region; absent: left as it is.
    pub ebs_encryption: Option<bool>,
    /// S3BlockPublicAccess: all four account-level settings on, or the account's block removed;
    /// absent: left as it is.
    pub block_public_access: Option<bool>,
}

impl Inside {
    /// Nothing to do inside the account.
    pub fn is_empty(&self) -> bool {
        !self.delete_default_vpcs
            && self.alias.is_none()
            && self.ebs_encryption.is_none()
            && self.block_public_access.is_none()
    }

    /// Something whose state before is recorded on the account (vocab/before.rs): the alias,
    /// encryption, the blocks. Default VPCs are not: a deleted one is gone for good.
    pub fn recorded(&self) -> bool {
        self.alias.is_some() || self.ebs_encryption.is_some() || self.block_public_access.is_some()
    }

    /// Something to do in each enabled Region.
    pub fn regional(&self) -> bool {
        self.delete_default_vpcs || self.ebs_encryption.is_some()
    }
}

/// Which in-account properties a model names, whatever their values: READ reports those.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Named {
    /// DeleteDefaultVpcs.
    pub default_vpcs: bool,
    /// AccountAlias.
    pub alias: bool,
    /// EbsEncryptionByDefault.
    pub ebs_encryption: bool,
    /// S3BlockPublicAccess.
    pub block_public_access: bool,
}

impl Named {
    /// Any of them.
    pub fn any(self) -> bool {
        self.default_vpcs || self.alias || self.ebs_encryption || self.block_public_access
    }

    /// Any read in each enabled Region.
    pub fn regional(self) -> bool {
        self.default_vpcs || self.ebs_encryption
    }
}

/// The live state of the in-account properties a model declares, as READ reports them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InsideView {
    /// No default VPC in any enabled Region.
    pub default_vpcs_deleted: Option<bool>,
    /// The account's alias (None: it has none).
    pub alias: Option<Option<String>>,
    /// EBS encryption by default on in every enabled Region.
    pub ebs_encryption: Option<bool>,
    /// All four account-level Block Public Access settings on.
    pub block_public_access: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_follow_iams_pattern_and_a_refusal_names_the_rule_broken() {
        for ok in ["abc", "acme-payments-prod", "a1-b2-c3", &"a".repeat(63)] {
            assert!(AccountAlias::parse(ok).is_ok(), "{ok}");
        }
        for (bad, why) in [
            ("ab", "has 2 characters"),
            (&"a".repeat(64) as &str, "has 64 characters"),
            ("Acme", "holds 'A'"),
            ("acme_prod", "holds '_'"),
            ("-acme", "starts or ends with a dash"),
            ("acme-", "starts or ends with a dash"),
            ("acme--prod", "two dashes in a row"),
        ] {
            let e = AccountAlias::parse(bad).unwrap_err().to_string();
            assert!(
                e.starts_with("AccountAlias: ") && e.contains(why),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn only_vpcs_and_encryption_are_regional() {
        let mut inside = Inside::default();
        assert!(inside.is_empty() && !inside.regional());
        inside.alias = Some(AccountAlias::parse("acme").unwrap());
        assert!(!inside.is_empty() && !inside.regional());
        inside.ebs_encryption = Some(false);
        assert!(inside.regional());
    }
}
