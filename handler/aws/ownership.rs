//! The proof that a request may change (or reveal) one account: `Owned`, which only `prove`
//! makes, by reading the account's live record. Every changing call on an account (MoveAccount,
//! TagResource, UntagResource, CloseAccount, RemoveAccountFromOrganization, PutAlternateContact,
//! DeleteAlternateContact, EnableRegion, DisableRegion), AssumeRole into it, and the full read of
//! it takes an `&Owned`, so no stage, today's or a later one, can act on an account without the
//! check: the compiler refuses. What travels between invocations (a registry callbackContext, a
//! custom resource's progress) names accounts as hints; only this check turns a hint into
//! authority.
//!
//! Who may act on an account:
//! - A creation (any door) acts only on the account whose record tag names this declaration:
//!   the record goes into CreateAccount's own tags, so it is there from the account's first
//!   moment.
//! - The function's own role (custom resources) acts only on accounts whose record names this
//!   declaration: whoever may invoke the function holds its power, so the request's word is not
//!   enough.
//! - A caller's own credentials (registry UPDATE, DELETE, READ) act on any account of the
//!   organization those credentials may change, imported ones (without a record) included:
//!   Organizations' own authorization of the caller decides.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

use crate::aws::organizations::Organizations;
use crate::vocab::before::{Before, TAG_BEFORE};
use crate::vocab::error::{HandlerError, RetryClass};
use crate::vocab::model::AccountId;
use crate::vocab::observed::{split_tags, AccountView, Bookkeeping, TAG_RECORD};

/// Whose credentials a request's services carry. Set by the client factory, never by a stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acting {
    /// A registry request's caller: Organizations authorizes every call.
    Caller,
    /// The function's own role (a custom resource): the record must name the declaration.
    Function,
}

/// How long a proof this request made stands for the next stage of the same request. The
/// custom door runs a create's stages one after another in one invocation (created, placed,
/// read back: three checks of the same record within a second); a proof this fresh, with no
/// change made through this request since, is the same check. Past it, or after any changing
/// call, the record is read again.
const PROOF_REUSE: Duration = Duration::from_secs(10);

/// The proofs one request made, for its later stages. Lives as long as the request's
/// `Organizations` (never across requests: each request builds its own), and any changing call
/// through it forgets them all.
#[derive(Debug, Default)]
pub struct Proofs {
    made: Mutex<Vec<Kept>>,
}

#[derive(Debug)]
struct Kept {
    purpose: Purpose,
    declaration: Option<String>,
    owned: Owned,
    at: Instant,
}

impl Proofs {
    /// A proof for the same account, purpose and declaration, fresh enough to stand.
    fn recall(&self, id: &AccountId, purpose: Purpose, declaration: Option<&str>) -> Option<Owned> {
        let made = self.made.lock().ok()?;
        made.iter()
            .find(|k| {
                &k.owned.id == id
                    && k.purpose == purpose
                    && k.declaration.as_deref() == declaration
                    && k.at.elapsed() < PROOF_REUSE
            })
            .map(|k| k.owned.clone())
    }

    fn keep(&self, purpose: Purpose, declaration: Option<&str>, owned: &Owned) {
        if let Ok(mut made) = self.made.lock() {
            made.retain(|k| k.owned.id != owned.id || k.purpose != purpose);
            made.push(Kept {
                purpose,
                declaration: declaration.map(str::to_owned),
                owned: owned.clone(),
                at: Instant::now(),
            });
        }
    }

    /// Something may have changed: every later stage reads the record again.
    pub(crate) fn forget(&self) {
        if let Ok(mut made) = self.made.lock() {
            made.clear();
        }
    }
}

/// Why an account is looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A CREATE's stages: the account must be the one this declaration's request made.
    Creation,
    /// UPDATE, DELETE, READ of the account a resource stands for.
    Management,
}

/// How long after an account joined, while a creation looks at it, a record tag that cannot be
/// seen yet is waited for rather than taken as "no record". Organizations' reads are eventually consistent: the tags given to
/// CreateAccount (the record among them, all applied together) may show a little after the
/// account itself. An account with no tags at all that joined within this window may be this
/// declaration's own; past it, or with other tags visible but no record, it is not.
pub const RECORD_VISIBILITY_SECONDS: i64 = 90;

/// The proof: the account as its live record showed it when checked. Fields are private and this
/// module is the only maker, so holding one means the check ran.
#[derive(Debug, Clone)]
pub struct Owned {
    id: AccountId,
    view: AccountView,
    user_tags: BTreeMap<String, String>,
    book: Bookkeeping,
    before: Before,
    tag_count: usize,
    has_record: bool,
    has_before: bool,
}

impl Owned {
    /// The account proven.
    pub fn id(&self) -> &AccountId {
        &self.id
    }

    /// The account as DescribeAccount showed it during the check.
    pub fn view(&self) -> &AccountView {
        &self.view
    }

    /// Its tags other than the record and system tags, as they stood during the check.
    pub fn user_tags(&self) -> &BTreeMap<String, String> {
        &self.user_tags
    }

    /// How many tags the account had in all (the record and any others included), against
    /// Organizations' 50.
    pub fn tag_count(&self) -> usize {
        self.tag_count
    }

    /// Whether the account carries a record tag at all.
    pub fn has_record(&self) -> bool {
        self.has_record
    }

    /// Its record, as it stood during the check (empty for an account with none).
    pub fn book(&self) -> &Bookkeeping {
        &self.book
    }

    /// What the account held inside before a template declared it, as recorded during the
    /// check (empty when nothing is).
    pub fn before(&self) -> &Before {
        &self.before
    }

    /// Whether the account carries that record's tag.
    pub fn has_before(&self) -> bool {
        self.has_before
    }
}

/// Leave to read an account (its parent, contacts, Region statuses) in the same round trip as
/// its ownership check: only `prove_reading` makes one, and what is read with it comes back only
/// together with the proof. Changing calls take `Owned`, never this.
#[derive(Debug, Clone)]
pub struct Reading {
    id: AccountId,
}

/// An account whose details may be read: a proof, or a check under way (`Reading`).
pub trait Readable {
    /// The account.
    fn account(&self) -> &AccountId;
}

impl Readable for Owned {
    fn account(&self) -> &AccountId {
        &self.id
    }
}

impl Readable for Reading {
    fn account(&self) -> &AccountId {
        &self.id
    }
}

/// `prove`, with `read` run alongside it (one round trip instead of two): its result is
/// returned only when the account is proven; for another's account it is dropped unseen.
pub async fn prove_reading<T, Fut>(
    org: &Organizations,
    id: &AccountId,
    declaration: Option<&str>,
    purpose: Purpose,
    read: impl FnOnce(Reading) -> Fut,
) -> Result<Result<(Owned, T), NotOwned>, HandlerError>
where
    Fut: std::future::Future<Output = Result<T, HandlerError>>,
{
    let reading = Reading { id: id.clone() };
    // Both on the heap: a READ's reads together make a large future, and a debug build's
    // runtime threads have small stacks.
    let (checked, read) = tokio::join!(
        Box::pin(prove(org, id, declaration, purpose)),
        Box::pin(read(reading))
    );
    match checked? {
        Ok(owned) => Ok(Ok((owned, read?))),
        Err(not) => Ok(Err(not)),
    }
}

/// The account is not this declaration's to act on: nothing was changed or returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotOwned {
    /// The account looked at.
    pub id: AccountId,
    /// What its record says, in words.
    pub record: String,
}

impl NotOwned {
    /// The refusal a request gets, naming the declaration that asked.
    pub fn refusal(&self, logical_id: &str, stack: &str) -> HandlerError {
        HandlerError::AccessDenied(format!(
            "Account {} was not created by this resource ({logical_id} in stack {stack}): {}. This function changes or reveals only accounts that the declaration asking created, whoever asks; nothing was changed",
            self.id, self.record
        ))
    }
}

/// The outcome of a check that ran: proven, or another's.
pub type Checked = Result<Owned, NotOwned>;

/// Reads the account's live record (DescribeAccount and ListTagsForResource together) and says
/// whether `declaration` (the identity the record holds for this stack and logical id) may act
/// on it for `purpose` with `org`'s credentials. `Err` for a failed read: NotFound when the
/// account is unknown, retryable NotYetVisible while a new account's record may still appear.
pub async fn prove(
    org: &Organizations,
    id: &AccountId,
    declaration: Option<&str>,
    purpose: Purpose,
) -> Result<Checked, HandlerError> {
    if let Some(owned) = org.proofs().recall(id, purpose, declaration) {
        return Ok(Ok(owned));
    }
    let (view, tags) =
        tokio::try_join!(org.describe_account(id), org.tags_of(id)).map_err(|e| {
            match (purpose, e) {
                // A new account may show in DescribeAccount before its tags can be listed.
                (Purpose::Creation, HandlerError::NotFound(m)) => {
                    HandlerError::retry(RetryClass::NotYetVisible, m)
                }
                (_, e) => e,
            }
        })?;
    let record_needed = match (purpose, org.acting()) {
        (Purpose::Creation, _) | (Purpose::Management, Acting::Function) => true,
        (Purpose::Management, Acting::Caller) => false,
    };
    let tag_count = tags.len();
    let has_record = tags.contains_key(TAG_RECORD);
    let has_before = tags.contains_key(TAG_BEFORE);
    let (user_tags, book, before) = split_tags(&tags);
    let named = declaration.is_some() && book.resource.as_deref() == declaration;
    if !record_needed || named {
        let owned = Owned {
            id: id.clone(),
            view,
            user_tags,
            book,
            before,
            tag_count,
            has_record,
            has_before,
        };
        org.proofs().keep(purpose, declaration, &owned);
        return Ok(Ok(owned));
    }
    let record = match (&book.resource, declaration) {
        (_, None) => "the request names no declaration (stack and logical id) to check its record against".to_owned(),
        (Some(other), Some(_)) => {
            format!("its record tag {TAG_RECORD} names another declaration (resource={other})")
        }
        (None, Some(_))
            if purpose == Purpose::Creation
                && tags.is_empty()
                && joined_recently(&view, unix_now()) =>
        {
            // Perhaps this declaration's own new account, whose tags are not visible yet. (An
            // account a resource already stands for was reported only once its record showed.)
            return Err(HandlerError::retry(
                RetryClass::NotYetVisible,
                format!("account {id} joined moments ago and its tags, the record among them, are not visible yet"),
            ));
        }
        (None, Some(_)) => format!(
            "it has no record tag {TAG_RECORD}, so it was not created through this handler by this declaration"
        ),
    };
    Ok(Err(NotOwned {
        id: id.clone(),
        record,
    }))
}

/// Whether the account joined the organization within the record's visibility window.
fn joined_recently(view: &AccountView, now: i64) -> bool {
    view.joined_at
        .is_some_and(|t| now - t < RECORD_VISIBILITY_SECONDS)
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(joined_at: Option<i64>) -> AccountView {
        AccountView {
            id: AccountId::parse("111122223333").unwrap(),
            name: None,
            email: None,
            arn: None,
            joined_method: None,
            joined_timestamp: None,
            joined_at,
            status: None,
            state: None,
        }
    }

    fn owned(id: &str) -> Owned {
        let mut v = view(None);
        v.id = AccountId::parse(id).unwrap();
        Owned {
            id: v.id.clone(),
            view: v,
            user_tags: BTreeMap::new(),
            book: Bookkeeping::default(),
            before: Before::default(),
            tag_count: 1,
            has_record: true,
            has_before: false,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_proof_stands_for_the_same_account_purpose_and_declaration_for_ten_seconds() {
        let proofs = Proofs::default();
        let a = owned("111122223333");
        proofs.keep(Purpose::Creation, Some("stack/Acct"), &a);
        assert!(proofs
            .recall(&a.id, Purpose::Creation, Some("stack/Acct"))
            .is_some());
        assert!(proofs
            .recall(&a.id, Purpose::Management, Some("stack/Acct"))
            .is_none());
        assert!(proofs
            .recall(&a.id, Purpose::Creation, Some("stack/Other"))
            .is_none());
        assert!(proofs.recall(&a.id, Purpose::Creation, None).is_none());
        let b = AccountId::parse("444455556666").unwrap();
        assert!(proofs
            .recall(&b, Purpose::Creation, Some("stack/Acct"))
            .is_none());
        tokio::time::advance(PROOF_REUSE).await;
        assert!(
            proofs
                .recall(&a.id, Purpose::Creation, Some("stack/Acct"))
                .is_none(),
            "stale"
        );
    }

    #[test]
    fn a_changing_call_forgets_every_proof() {
        let proofs = Proofs::default();
        let a = owned("111122223333");
        proofs.keep(Purpose::Creation, Some("s/A"), &a);
        proofs.forget();
        assert!(proofs
            .recall(&a.id, Purpose::Creation, Some("s/A"))
            .is_none());
    }

    #[test]
    fn a_record_is_waited_for_only_within_the_window_after_joining() {
        let now = 1_000_000;
        assert!(joined_recently(&view(Some(now - 5)), now));
        assert!(!joined_recently(
            &view(Some(now - RECORD_VISIBILITY_SECONDS)),
            now
        ));
        assert!(!joined_recently(&view(None), now));
    }
}
