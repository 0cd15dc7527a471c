//! What an account held before a template first declared each in-account property (its alias,
//! its S3 Block Public Access, EBS encryption by default in each Region), recorded on the
//! account in one tag before the first change, so that a template that stops declaring the
//! property, or the rollback of the update that declared it, puts the account back as it was.
//! DeleteDefaultVpcs has nothing to record: a deleted default VPC is gone for good.

use std::collections::BTreeSet;

use crate::vocab::baseline::RegionName;
use crate::vocab::error::HandlerError;

/// The tag holding the record: `v1 alias=<alias|-> bpa=<four bits|-> ebs=<on|off>:<Regions>`.
/// A tag of its own (the creation record has no room left in its 256 characters); like the
/// record it is the handler's, never the template's.
pub const TAG_BEFORE: &str = "cfn-organizations-account:before";

/// Organizations' longest tag value.
const MAX_TAG_VALUE: usize = 256;

/// The four account-level S3 Block Public Access settings, in S3's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Blocks {
    pub block_public_acls: bool,
    pub ignore_public_acls: bool,
    pub block_public_policy: bool,
    pub restrict_public_buckets: bool,
}

impl Blocks {
    /// All four on: what `S3BlockPublicAccess: true` asks for.
    pub const ALL: Blocks = Blocks {
        block_public_acls: true,
        ignore_public_acls: true,
        block_public_policy: true,
        restrict_public_buckets: true,
    };

    /// Whether all four are on.
    pub fn all_on(self) -> bool {
        self == Blocks::ALL
    }

    fn bits(self) -> String {
        [
            self.block_public_acls,
            self.ignore_public_acls,
            self.block_public_policy,
            self.restrict_public_buckets,
        ]
        .iter()
        .map(|b| if *b { '1' } else { '0' })
        .collect()
    }

    fn from_bits(s: &str) -> Option<Blocks> {
        let b: Vec<bool> = s
            .chars()
            .map(|c| match c {
                '1' => Some(true),
                '0' => Some(false),
                _ => None,
            })
            .collect::<Option<_>>()?;
        match b.as_slice() {
            [a, i, p, r] => Some(Blocks {
                block_public_acls: *a,
                ignore_public_acls: *i,
                block_public_policy: *p,
                restrict_public_buckets: *r,
            }),
            _ => None,
        }
    }
}

/// A Region's short code, as AWS's zone ids write it (`eu-west-1` -> `euw1`, `ap-southeast-2`
/// -> `apse2`): the record must name up to half of some 40 Regions in 256 characters.
fn short(region: &RegionName) -> String {
    let parts: Vec<&str> = region.as_str().split('-').collect();
    parts
        .iter()
        .enumerate()
        .map(|(i, part)| match (i, *part) {
            (0, area) => area,
            (i, number) if i == parts.len() - 1 => number,
            (_, "north") => "n",
            (_, "south") => "s",
            (_, "east") => "e",
            (_, "west") => "w",
            (_, "central") => "c",
            (_, "northeast") => "ne",
            (_, "northwest") => "nw",
            (_, "southeast") => "se",
            (_, "southwest") => "sw",
            (_, word) => word,
        })
        .collect()
}

/// EBS encryption by default, Region by Region, as it was: written as the shorter of the two
/// lists. A Region enabled after the record was taken counts as the others did (off when the
/// record lists where it was on, on when it lists where it was off).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EbsBefore {
    /// On in these Regions (short codes), off in every other.
    OnIn(BTreeSet<String>),
    /// Off in these Regions, on in every other.
    OffIn(BTreeSet<String>),
}

impl EbsBefore {
    /// From each enabled Region's state.
    pub fn from_states(states: &[(RegionName, bool)]) -> EbsBefore {
        let listed = |on: bool| -> BTreeSet<String> {
            states
                .iter()
                .filter(|(_, s)| *s == on)
                .map(|(r, _)| short(r))
                .collect()
        };
        let (on, off) = (listed(true), listed(false));
        match on.len() <= off.len() {
            true => EbsBefore::OnIn(on),
            false => EbsBefore::OffIn(off),
        }
    }

    /// Whether it was on in `region`.
    pub fn was_on(&self, region: &RegionName) -> bool {
        match self {
            EbsBefore::OnIn(on) => on.contains(&short(region)),
            EbsBefore::OffIn(off) => !off.contains(&short(region)),
        }
    }

    fn encode(&self) -> String {
        let (word, list) = match self {
            EbsBefore::OnIn(l) => ("on", l),
            EbsBefore::OffIn(l) => ("off", l),
        };
        format!(
            "{word}:{}",
            list.iter().cloned().collect::<Vec<_>>().join(".")
        )
    }

    fn decode(s: &str) -> Option<EbsBefore> {
        let (word, list) = s.split_once(':')?;
        let list: BTreeSet<String> = list
            .split('.')
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect();
        match word {
            "on" => Some(EbsBefore::OnIn(list)),
            "off" => Some(EbsBefore::OffIn(list)),
            _ => None,
        }
    }
}

/// The record: one entry per property a template declares (or declared and has not yet been
/// put back). An entry is written once, before the first change, and dropped once restored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Before {
    /// The alias (None inside: the account had none).
    pub alias: Option<Option<String>>,
    /// The Block Public Access settings (None inside: the account had no configuration).
    pub blocks: Option<Option<Blocks>>,
    /// EBS encryption by default in each Region.
    pub ebs: Option<EbsBefore>,
}

impl Before {
    /// Nothing recorded.
    pub fn is_empty(&self) -> bool {
        self.alias.is_none() && self.blocks.is_none() && self.ebs.is_none()
    }

    /// The record as a tag value, or why it cannot be one (InternalFailure: nothing was
    /// changed yet).
    pub fn encode(&self) -> Result<String, HandlerError> {
        let mut out = String::from("v1");
        if let Some(alias) = &self.alias {
            out.push_str(&format!(" alias={}", alias.as_deref().unwrap_or("-")));
        }
        if let Some(blocks) = &self.blocks {
            let bits = blocks.map(Blocks::bits);
            out.push_str(&format!(" bpa={}", bits.as_deref().unwrap_or("-")));
        }
        if let Some(ebs) = &self.ebs {
            out.push_str(&format!(" ebs={}", ebs.encode()));
        }
        match out.len() <= MAX_TAG_VALUE {
            true => Ok(out),
            false => Err(HandlerError::InternalFailure(format!(
                "what the account held before ({out}) does not fit a tag's {MAX_TAG_VALUE} characters, so it could not be recorded; nothing was changed inside the account"
            ))),
        }
    }

    /// Reads a record; an entry it cannot read is treated as not recorded (nothing is put back
    /// from it).
    pub fn decode(value: &str) -> Before {
        let mut before = Before::default();
        for item in value.split(' ') {
            let Some((key, v)) = item.split_once('=') else {
                continue;
            };
            match (key, v) {
                ("alias", "-") => before.alias = Some(None),
                ("alias", alias) => before.alias = Some(Some(alias.to_owned())),
                ("bpa", "-") => before.blocks = Some(None),
                ("bpa", bits) => before.blocks = Blocks::from_bits(bits).map(Some),
                ("ebs", list) => before.ebs = EbsBefore::decode(list),
                _ => {}
            }
        }
        before
    }
}

/// What the previous template declared inside the account and this one does not: the values
/// it declared, put back to the record's only while the account still holds them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Undeclared {
    pub alias: Option<String>,
    pub ebs_encryption: Option<bool>,
    pub block_public_access: Option<bool>,
}

impl Undeclared {
    /// Nothing to put back.
    pub fn is_empty(&self) -> bool {
        self.alias.is_none() && self.ebs_encryption.is_none() && self.block_public_access.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(s: &str) -> RegionName {
        RegionName::parse(s).unwrap()
    }

    #[test]
    fn regions_are_written_as_their_zone_id_prefixes() {
        let codes: Vec<String> = [
            "us-east-1",
            "eu-west-1",
            "ap-southeast-2",
            "ap-northeast-3",
            "ca-central-1",
            "me-south-1",
            "il-central-1",
        ]
        .iter()
        .map(|r| short(&region(r)))
        .collect();
        assert_eq!(
            codes,
            ["use1", "euw1", "apse2", "apne3", "cac1", "mes1", "ilc1"]
        );
    }

    #[test]
    fn a_record_reads_back_as_written() {
        let before = Before {
            alias: Some(Some("handmade-alias".into())),
            blocks: Some(Some(Blocks {
                block_public_acls: true,
                ignore_public_acls: false,
                block_public_policy: true,
                restrict_public_buckets: false,
            })),
            ebs: Some(EbsBefore::from_states(&[
                (region("us-east-1"), false),
                (region("eu-west-1"), true),
                (region("ap-south-1"), false),
            ])),
        };
        let value = before.encode().unwrap();
        assert_eq!(value, "v1 alias=handmade-alias bpa=1010 ebs=on:euw1");
        assert_eq!(Before::decode(&value), before);
        let none = Before {
            alias: Some(None),
            blocks: Some(None),
            ebs: Some(EbsBefore::OnIn(BTreeSet::new())),
        };
        assert_eq!(none.encode().unwrap(), "v1 alias=- bpa=- ebs=on:");
        assert_eq!(Before::decode(&none.encode().unwrap()), none);
    }

    #[test]
    fn the_shorter_list_is_kept_and_later_regions_count_as_the_others_did() {
        let mostly_on = EbsBefore::from_states(&[
            (region("us-east-1"), true),
            (region("us-west-2"), true),
            (region("eu-west-1"), false),
        ]);
        assert_eq!(mostly_on.encode(), "off:euw1");
        assert!(mostly_on.was_on(&region("us-east-1")));
        assert!(!mostly_on.was_on(&region("eu-west-1")));
        assert!(mostly_on.was_on(&region("af-south-1")));
        let mostly_off =
            EbsBefore::from_states(&[(region("us-east-1"), false), (region("eu-west-1"), true)]);
        assert!(!mostly_off.was_on(&region("af-south-1")));
    }

    #[test]
    fn the_longest_record_fits_one_tag() {
        // Every Region of the aws partition today, half of them on: the list the record holds
        // is the shorter half, beside the longest alias.
        let regions = [
            "us-east-1",
            "us-east-2",
            "us-west-1",
            "us-west-2",
            "af-south-1",
            "ap-east-1",
            "ap-east-2",
            "ap-south-1",
            "ap-south-2",
            "ap-northeast-1",
            "ap-northeast-2",
            "ap-northeast-3",
            "ap-southeast-1",
            "ap-southeast-2",
            "ap-southeast-3",
            "ap-southeast-4",
            "ap-southeast-5",
            "ap-southeast-6",
            "ap-southeast-7",
            "ca-central-1",
            "ca-west-1",
            "eu-central-1",
            "eu-central-2",
            "eu-west-1",
            "eu-west-2",
            "eu-west-3",
            "eu-south-1",
            "eu-south-2",
            "eu-north-1",
            "il-central-1",
            "me-south-1",
            "me-central-1",
            "mx-central-1",
            "sa-east-1",
        ];
        let states: Vec<(RegionName, bool)> = regions
            .iter()
            .enumerate()
            .map(|(i, r)| (region(r), i % 2 == 0))
            .collect();
        let before = Before {
            alias: Some(Some("a".repeat(63))),
            blocks: Some(Some(Blocks::ALL)),
            ebs: Some(EbsBefore::from_states(&states)),
        };
        let value = before.encode().unwrap();
        assert!(value.len() <= MAX_TAG_VALUE, "{} characters", value.len());
        for (r, on) in &states {
            assert_eq!(Before::decode(&value).ebs.unwrap().was_on(r), *on, "{r}");
        }
    }

    #[test]
    fn an_unreadable_entry_records_nothing() {
        let before = Before::decode("v1 bpa=12 ebs=maybe:use1 alias=ok-alias");
        assert_eq!(before.blocks, None);
        assert_eq!(before.ebs, None);
        assert_eq!(before.alias, Some(Some("ok-alias".into())));
    }
}
