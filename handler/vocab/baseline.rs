//! An account's baseline beyond Organizations: its alternate contacts and its opt-in Regions
//! (the Account Management API), and how long a create waits for the new account to be usable.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::vocab::error::HandlerError;
use crate::vocab::lenient;

/// One alternate contact, as the template declares it and the API returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Contact {
    /// The contact's name (1-64 characters).
    pub name: String,
    /// The contact's title (1-50).
    pub title: String,
    /// The contact's e-mail address (1-254).
    pub email_address: String,
    /// The contact's phone number (1-25).
    pub phone_number: String,
}

/// The three kinds of alternate contact an account has, at most one each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ContactType {
    /// BILLING.
    Billing,
    /// OPERATIONS.
    Operations,
    /// SECURITY.
    Security,
}

impl ContactType {
    /// Every kind, in the API's order.
    pub const ALL: [ContactType; 3] = [
        ContactType::Billing,
        ContactType::Operations,
        ContactType::Security,
    ];

    /// The API's name of the kind.
    pub fn as_api(self) -> &'static str {
        match self {
            ContactType::Billing => "BILLING",
            ContactType::Operations => "OPERATIONS",
            ContactType::Security => "SECURITY",
        }
    }

    /// The template's name of the kind (a key of AlternateContacts).
    pub fn property(self) -> &'static str {
        match self {
            ContactType::Billing => "Billing",
            ContactType::Operations => "Operations",
            ContactType::Security => "Security",
        }
    }
}

/// The AlternateContacts property: each kind declared or not.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AlternateContacts {
    /// The billing contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing: Option<Contact>,
    /// The operations contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operations: Option<Contact>,
    /// The security contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security: Option<Contact>,
}

impl AlternateContacts {
    /// The contact of one kind.
    pub fn get(&self, kind: ContactType) -> Option<&Contact> {
        match kind {
            ContactType::Billing => self.billing.as_ref(),
            ContactType::Operations => self.operations.as_ref(),
            ContactType::Security => self.security.as_ref(),
        }
    }

    /// Sets (or clears) the contact of one kind.
    pub fn set(&mut self, kind: ContactType, contact: Option<Contact>) {
        match kind {
            ContactType::Billing => self.billing = contact,
            ContactType::Operations => self.operations = contact,
            ContactType::Security => self.security = contact,
        }
    }

    /// No kind is set.
    pub fn is_empty(&self) -> bool {
        ContactType::ALL.iter().all(|k| self.get(*k).is_none())
    }
}

/// A Region code (`af-south-1`), checked once.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegionName(String);

impl RegionName {
    /// A Region code: two letters, words, a number, joined by hyphens.
    pub fn parse(s: &str) -> Result<RegionName, HandlerError> {
        let parts: Vec<&str> = s.split('-').collect();
        let ok = parts.len() >= 3
            && parts[0].len() == 2
            && parts[..parts.len() - 1]
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
            && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
            && !parts[parts.len() - 1].is_empty();
        if ok {
            Ok(RegionName(s.to_owned()))
        } else {
            Err(HandlerError::InvalidRequest(format!(
                "Region: {} is not a Region code (like af-south-1)",
                lenient::quote(s)
            )))
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for RegionName {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        RegionName::parse(&s).map_err(|e| e.to_string())
    }
}

impl From<RegionName> for String {
    fn from(r: RegionName) -> String {
        r.0
    }
}

impl fmt::Display for RegionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a Region stands for an account (GetRegionOptStatus).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegionStatus {
    /// Opted in.
    Enabled,
    /// Being opted in (minutes, sometimes hours).
    Enabling,
    /// Being opted out.
    Disabling,
    /// Opted out.
    Disabled,
    /// A Region every account has; it cannot be opted out.
    EnabledByDefault,
}

impl RegionStatus {
    /// The API's name.
    pub fn as_api(self) -> &'static str {
        match self {
            RegionStatus::Enabled => "ENABLED",
            RegionStatus::Enabling => "ENABLING",
            RegionStatus::Disabling => "DISABLING",
            RegionStatus::Disabled => "DISABLED",
            RegionStatus::EnabledByDefault => "ENABLED_BY_DEFAULT",
        }
    }

    /// Usable now or once the opt-in in progress ends: what EnabledRegions asks for.
    pub fn counts_as_enabled(self) -> bool {
        matches!(
            self,
            RegionStatus::Enabled | RegionStatus::Enabling | RegionStatus::EnabledByDefault
        )
    }
}

/// The Regions a template declares: those that must be enabled and those that must be
/// disabled (disjoint; Regions named in neither are left as they are).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeclaredRegions {
    /// EnabledRegions.
    pub enabled: BTreeSet<RegionName>,
    /// DisabledRegions.
    pub disabled: BTreeSet<RegionName>,
}

impl DeclaredRegions {
    /// From the two lists, refusing a Region named in both.
    pub fn new(enabled: &[String], disabled: &[String]) -> Result<DeclaredRegions, HandlerError> {
        let parse = |list: &[String], field: &str| -> Result<BTreeSet<RegionName>, HandlerError> {
            list.iter()
                .enumerate()
                .map(|(i, r)| {
                    RegionName::parse(r).map_err(|_| {
                        HandlerError::InvalidRequest(format!(
                            "{field}[{i}]: {} is not a Region code (like af-south-1)",
                            lenient::quote(r)
                        ))
                    })
                })
                .collect()
        };
        let declared = DeclaredRegions {
            enabled: parse(enabled, "EnabledRegions")?,
            disabled: parse(disabled, "DisabledRegions")?,
        };
        if let Some(both) = declared.enabled.intersection(&declared.disabled).next() {
            return Err(HandlerError::InvalidRequest(format!(
                "EnabledRegions and DisabledRegions both name {both}; a Region can be asked to be enabled or disabled, not both"
            )));
        }
        Ok(declared)
    }

    /// Nothing declared.
    pub fn is_empty(&self) -> bool {
        self.enabled.is_empty() && self.disabled.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_codes_are_checked_and_a_region_in_both_lists_is_refused() {
        for ok in [
            "af-south-1",
            "us-gov-west-1",
            "ap-southeast-7",
            "eu-central-2",
        ] {
            assert!(RegionName::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "af",
            "af-south",
            "AF-south-1",
            "af--1",
            "a-south-1",
            "af-south-x",
        ] {
            assert!(RegionName::parse(bad).is_err(), "{bad}");
        }
        let e = DeclaredRegions::new(
            &["af-south-1".into(), "me-south-1".into()],
            &["me-south-1".into()],
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "EnabledRegions and DisabledRegions both name me-south-1; a Region can be asked to be enabled or disabled, not both"
        );
        let e = DeclaredRegions::new(&["af-south-1".into(), "Mars".into()], &[]).unwrap_err();
        assert!(
            e.to_string().starts_with("EnabledRegions[1]: \"Mars\""),
            "{e}"
        );
    }

    #[test]
    fn contacts_are_set_and_read_by_kind() {
        let mut c = AlternateContacts::default();
        assert!(c.is_empty());
        let bill = Contact {
            name: "Bill".into(),
            title: "CFO".into(),
            email_address: "bill@example.com".into(),
            phone_number: "+1 555 0100".into(),
        };
        c.set(ContactType::Billing, Some(bill.clone()));
        assert_eq!(c.get(ContactType::Billing), Some(&bill));
        assert_eq!(c.get(ContactType::Security), None);
        assert_eq!(
            serde_json::to_value(&c).unwrap(),
            serde_json::json!({"Billing": {"Name": "Bill", "Title": "CFO",
                "EmailAddress": "bill@example.com", "PhoneNumber": "+1 555 0100"}})
        );
    }
}
