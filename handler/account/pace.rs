//! How long Organizations takes to create an account, learnt while waiting, and the waits it
//! sets. A waiter looks at the creations in progress (ListCreateAccountStatus); a request seen
//! in one look and gone from the next has finished, and one DescribeCreateAccountStatus of it
//! gives its RequestedTimestamp and CompletedTimestamp: the creation time, the same for the
//! whole fleet within a little (creations run side by side in Organizations, a minute or two
//! each in AWS, a few seconds on the local endpoint).
//!
//! Knowing it, nobody needs to look while no slot can free: with every slot taken, the next
//! one frees when the oldest request in progress is that old, so a waiter sleeps until then and
//! looks within a spread after it (a quarter of the creation time, 1 to 15 s), and the first to
//! look takes the slot. Each waiter thus looks about once per round of creations, whatever the
//! creation time; looking every few seconds instead costs one look per few seconds of waiting,
//! which at AWS's minute-long creations is ten times as many. A request that outlives the
//! creation time (a slow one) is looked at again after a half to one and a half spreads.
//!
//! Its own request is first polled when it should have finished, not every two seconds from the
//! start. What is learnt is a timing hint for this invocation only, never carried or trusted
//! further: a wrong one costs looks or seconds, never a second account.

use std::time::Duration;

use crate::account::backoff::mix;
use crate::vocab::model::CreateAccountRequestId;
use crate::vocab::observed::{CreateState, CreateStatus};

/// After the expected end, so that a poll at the very moment does not find it a hair early.
const MARGIN_MS: i64 = 250;

/// What one invocation has learnt of the pace of account creation.
#[derive(Debug, Default, Clone)]
pub struct Pace {
    /// The requests in progress at the last look.
    seen: Vec<CreateAccountRequestId>,
    /// How long the last creation seen to finish took, in milliseconds.
    creation_ms: Option<i64>,
}

impl Pace {
    /// Takes in a look at the creations in progress. While the creation time is unknown,
    /// returns a request in progress at the previous look and gone from this one, to describe.
    pub fn look(&mut self, in_flight: &[CreateStatus]) -> Option<CreateAccountRequestId> {
        let gone = match self.creation_ms {
            Some(_) => None,
            None => self
                .seen
                .iter()
                .find(|id| !in_flight.iter().any(|s| &s.request_id == *id))
                .cloned(),
        };
        self.seen = in_flight.iter().map(|s| s.request_id.clone()).collect();
        gone
    }

    /// Learns the creation time from a request that finished with an account (a failed one may
    /// have ended early and says nothing of the pace).
    pub fn learn(&mut self, status: &CreateStatus) {
        if let (CreateState::Succeeded { .. }, Some(requested), Some(completed)) =
            (&status.state, status.requested_ms, status.completed_ms)
        {
            if completed > requested {
                self.creation_ms = Some(completed - requested);
            }
        }
    }

    /// The creation time learnt, if any.
    pub fn creation(&self) -> Option<Duration> {
        self.creation_ms
            .map(|ms| Duration::from_millis(ms.unsigned_abs()))
    }

    /// With every slot taken: how long to wait before looking again, or None while the pace is
    /// unknown (the caller falls back to a plain jittered wait).
    pub fn slot_wait(
        &self,
        now_ms: i64,
        in_flight: &[CreateStatus],
        seed: u64,
    ) -> Option<Duration> {
        let creation = self.creation_ms?;
        let spread = (creation / 4).clamp(1_000, 15_000);
        // The moment the first slot should free. A request already past its time (a slow one)
        // may end any moment nobody can predict: it counts as half a spread from now, so that
        // the waiters do not all look again at once.
        let next = in_flight
            .iter()
            .filter_map(|s| s.requested_ms)
            .map(|requested| requested + creation + MARGIN_MS)
            .map(|due| {
                if due > now_ms {
                    due
                } else {
                    now_ms + spread / 2
                }
            })
            .min()
            .unwrap_or(now_ms + spread / 2);
        // A draw that differs between waiters (their seeds) and between looks (the time).
        let draw = mix(seed ^ (now_ms as u64).rotate_left(29));
        let jitter = (draw % spread.unsigned_abs()) as i64;
        Some(Duration::from_millis(
            (next - now_ms + jitter).unsigned_abs(),
        ))
    }

    /// How long to wait before polling a request made at `requested_ms`: until it should have
    /// finished, or None when that moment is past or unknown.
    pub fn poll_wait(&self, now_ms: i64, requested_ms: Option<i64>) -> Option<Duration> {
        let due = requested_ms? + self.creation_ms? + MARGIN_MS;
        (due > now_ms).then(|| Duration::from_millis((due - now_ms).unsigned_abs()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::model::AccountId;

    fn status(
        n: u32,
        requested_ms: i64,
        state: CreateState,
        completed_ms: Option<i64>,
    ) -> CreateStatus {
        CreateStatus {
            request_id: CreateAccountRequestId::parse(&format!("car-{n:08x}")).unwrap(),
            account_name: None,
            requested_ms: Some(requested_ms),
            completed_ms,
            state,
        }
    }

    fn running(n: u32, requested_ms: i64) -> CreateStatus {
        status(n, requested_ms, CreateState::InProgress, None)
    }

    fn succeeded(n: u32, requested_ms: i64, completed_ms: i64) -> CreateStatus {
        let account_id = AccountId::parse("111122223333").unwrap();
        status(
            n,
            requested_ms,
            CreateState::Succeeded {
                account_id,
                gov_cloud_account_id: None,
            },
            Some(completed_ms),
        )
    }

    #[test]
    fn a_request_gone_between_looks_is_described_once_until_the_pace_is_known() {
        let mut pace = Pace::default();
        let first: Vec<_> = (1..=5).map(|n| running(n, 0)).collect();
        assert_eq!(pace.look(&first), None);
        let second: Vec<_> = (2..=6).map(|n| running(n, 0)).collect();
        assert_eq!(pace.look(&second), Some(first[0].request_id.clone()));
        pace.learn(&succeeded(1, 1_000, 61_000));
        assert_eq!(pace.creation(), Some(Duration::from_secs(60)));
        let third: Vec<_> = (3..=7).map(|n| running(n, 0)).collect();
        assert_eq!(
            pace.look(&third),
            None,
            "known already: nothing to describe"
        );
    }

    #[test]
    fn a_failed_request_teaches_nothing_of_the_pace() {
        let mut pace = Pace::default();
        let failed = status(
            1,
            0,
            CreateState::Failed {
                reason: "EMAIL_ALREADY_EXISTS".into(),
            },
            Some(800),
        );
        pace.learn(&failed);
        assert_eq!(pace.creation(), None);
        assert_eq!(pace.slot_wait(0, &[running(2, 0)], 7), None);
    }

    #[test]
    fn a_waiter_sleeps_until_the_oldest_request_should_finish_and_looks_within_a_spread() {
        let mut pace = Pace::default();
        pace.learn(&succeeded(1, 0, 60_000));
        let now = 100_000;
        let in_flight: Vec<_> = [70_000, 75_000, 80_000, 90_000, 95_000]
            .iter()
            .enumerate()
            .map(|(n, r)| running(n as u32, *r))
            .collect();
        // The oldest, made at 70 s, should end at 130 s: 30 s from now, then up to 15 s more.
        for seed in 0..200 {
            let wait = pace.slot_wait(now, &in_flight, seed).unwrap().as_millis();
            assert!((30_250..45_250).contains(&wait), "{wait}");
        }
    }

    #[test]
    fn a_request_past_its_time_is_looked_at_again_after_a_half_to_one_and_a_half_spreads() {
        let mut pace = Pace::default();
        pace.learn(&succeeded(1, 0, 10_000));
        let now = 100_000;
        let late = [running(1, 50_000)];
        let waits: Vec<u128> = (0..200)
            .map(|seed| pace.slot_wait(now, &late, seed).unwrap().as_millis())
            .collect();
        assert!(
            waits.iter().all(|w| (1_250..3_750).contains(w)),
            "{waits:?}"
        );
        let distinct: std::collections::BTreeSet<_> = waits.iter().map(|w| w / 250).collect();
        assert!(distinct.len() > 5, "waiters not spread: {distinct:?}");
    }

    #[test]
    fn the_spread_stays_between_one_and_fifteen_seconds() {
        // With nothing in flight to time it by, a look comes after a half to one and a half
        // spreads.
        for (creation, spread) in [(2_000, 1_000), (20_000, 5_000), (300_000, 15_000)] {
            let mut pace = Pace::default();
            pace.learn(&succeeded(1, 0, creation));
            let waits: Vec<u128> = (0..300)
                .map(|seed| pace.slot_wait(0, &[], seed).unwrap().as_millis())
                .collect();
            let (lo, hi) = (spread as u128 / 2, 3 * spread as u128 / 2);
            assert!(
                waits.iter().all(|w| (lo..hi).contains(w)),
                "{creation}: {waits:?}"
            );
        }
    }

    #[test]
    fn a_slot_due_in_a_moment_is_looked_at_then_not_a_spread_later() {
        let mut pace = Pace::default();
        pace.learn(&succeeded(1, 0, 10_000));
        // The oldest of a round ends 300 ms from now (its peers were retaken already).
        let now = 100_000;
        let in_flight = [running(1, 90_050), running(2, 99_900), running(3, 99_950)];
        for seed in 0..100 {
            let wait = pace.slot_wait(now, &in_flight, seed).unwrap().as_millis();
            assert!((300..2_800).contains(&wait), "{wait}");
        }
    }

    #[test]
    fn its_own_request_is_first_polled_when_it_should_have_finished() {
        let mut pace = Pace::default();
        assert_eq!(pace.poll_wait(0, Some(0)), None, "pace unknown");
        pace.learn(&succeeded(1, 0, 10_000));
        assert_eq!(
            pace.poll_wait(4_000, Some(1_000)),
            Some(Duration::from_millis(7_250))
        );
        assert_eq!(pace.poll_wait(20_000, Some(1_000)), None, "already due");
        assert_eq!(pace.poll_wait(4_000, None), None);
    }
}
