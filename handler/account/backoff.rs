//! How long CloudFormation waits before calling back. The waiting is CloudFormation's, through
//! `callbackDelaySeconds`; the handler never sleeps.
//!
//! Polling a create: 5, 5, 10, 10, then every 15 seconds. Most creates finish in one to a few
//! minutes, so a finished account is noticed within 15 seconds while one resource makes at most
//! four DescribeCreateAccountStatus calls a minute (ten accounts in a template: under one call a
//! second, far below the API's throttling).
//! Polling a close: 15, then every 30 seconds: closes take minutes.
//! Polling Regions: 5, 10, 20, then every 30 seconds: an opt-in takes minutes, sometimes hours
//! (Terraform's aws_account_region polls every 30 s).
//! Asking whether a new account is usable: 3, 5, 10, then every 15 seconds: fresh accounts
//! refuse for 30 seconds to a few minutes.
//! Retrying a refusal (throttling, concurrent modification, a new organization): exponential
//! backoff with "equal jitter" (half fixed, half random), so that accounts refused together do not
//! come back together. The jitter is derived from the request's token and the attempt number:
//! different resources spread out, and a test can predict the value.

use crate::vocab::error::RetryClass;

const CREATE_POLL: [u32; 5] = [5, 5, 10, 10, 15];
const CLOSE_POLL: [u32; 2] = [15, 30];
const REGION_POLL: [u32; 4] = [5, 10, 20, 30];
const READY_POLL: [u32; 4] = [3, 5, 10, 15];

pub fn create_poll_delay(poll: u32) -> u32 {
    CREATE_POLL[(poll as usize).min(CREATE_POLL.len() - 1)]
}

/// Inside an invocation, while the AccountId is unknown: 1.5 to 2.5 s between
/// DescribeCreateAccountStatus calls (jittered, so resources created together spread apart).
/// Five resources polling together make about 2.5 calls a second.
pub fn create_poll_wait(poll: u32, seed: u64) -> std::time::Duration {
    let jitter = mix(seed ^ u64::from(poll).rotate_left(32)) % 1000;
    std::time::Duration::from_millis(1500 + jitter)
}

pub fn close_poll_delay(poll: u32) -> u32 {
    CLOSE_POLL[(poll as usize).min(CLOSE_POLL.len() - 1)]
}

pub fn region_poll_delay(poll: u32) -> u32 {
    REGION_POLL[(poll as usize).min(REGION_POLL.len() - 1)]
}

pub fn ready_poll_delay(poll: u32) -> u32 {
    READY_POLL[(poll as usize).min(READY_POLL.len() - 1)]
}

/// How a wait is drawn below its ceiling.
enum Jitter {
    /// Half fixed, half random: refusals back off, and resources refused together spread.
    Equal,
    /// Anywhere from 1 s to the ceiling: waiters look at moments spread evenly from the start.
    Full,
}

/// (first wait, longest wait) in seconds for a class of refusal, and its jitter.
fn bounds(class: RetryClass) -> (u32, u32, Jitter) {
    match class {
        RetryClass::Throttled => (5, 120, Jitter::Equal),
        // Another account is being created: creations take a minute or more each.
        RetryClass::Contention => (10, 120, Jitter::Equal),
        RetryClass::Transient => (5, 60, Jitter::Equal),
        // A new organization can refuse creation for up to an hour.
        RetryClass::OrganizationFinalizing => (60, 300, Jitter::Equal),
        RetryClass::CloseRequestsInFlight => (60, 300, Jitter::Equal),
        RetryClass::NotYetVisible => (2, 15, Jitter::Equal),
        // Five creations in flight, and the pace of creation not learnt yet (pace.rs sets the
        // wait once it is): a slot frees when one of them finishes. Waiters look (ListCreateAccountStatus, not CreateAccount) after a wait
        // drawn anew each time from 1 to 12 s, never backing off further: a long sleep
        // overshoots the freed slot (and the 60-second window with it). Waiters refused
        // together thus look at moments spread evenly from the start: a hundred of them look
        // about fifteen times a second together, so a freed slot is seen within a tenth of a
        // second and two waiters rarely see the same one (the rest wait, unrefused); a lone
        // waiter sees it within 6.5 s on average.
        RetryClass::CreationSlots => (12, 12, Jitter::Full),
    }
}

/// The wait before retry number `attempt` (0-based), in seconds.
pub fn retry_delay(class: RetryClass, attempt: u32, seed: u64) -> u32 {
    let (first, cap, jitter) = bounds(class);
    let ceiling = first.saturating_mul(1u32 << attempt.min(16)).min(cap);
    let random = mix(seed ^ u64::from(attempt));
    match jitter {
        Jitter::Full => 1 + (random % u64::from(ceiling)) as u32,
        Jitter::Equal => {
            let half = ceiling / 2;
            (half + (random % u64::from(ceiling - half + 1)) as u32).max(1)
        }
    }
}

/// A well-spread draw from a seed (different resources, attempts and moments apart).
pub(crate) fn mix(mut x: u64) -> u64 {
    // splitmix64 finalizer: spreads nearby seeds apart.
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::identity::fnv1a;

    #[test]
    fn create_polls_start_fast_and_settle_at_fifteen_seconds() {
        let delays: Vec<u32> = (0..8).map(create_poll_delay).collect();
        assert_eq!(delays, [5, 5, 10, 10, 15, 15, 15, 15]);
    }

    #[test]
    fn in_invocation_polls_wait_one_and_a_half_to_two_and_a_half_seconds() {
        let waits: std::collections::BTreeSet<u128> = (0..50)
            .map(|seed| create_poll_wait(3, seed).as_millis())
            .collect();
        assert!(waits.iter().all(|w| (1500..2500).contains(w)), "{waits:?}");
        assert!(waits.len() > 10, "not spread: {waits:?}");
    }

    #[test]
    fn retry_delay_grows_exponentially_within_half_and_full_ceiling() {
        for attempt in 0..10 {
            let ceiling = (10u32 << attempt).min(120);
            for seed in 0..50 {
                let d = retry_delay(RetryClass::Contention, attempt, seed);
                assert!(
                    d >= ceiling / 2 && d <= ceiling,
                    "attempt {attempt}: {d} vs {ceiling}"
                );
            }
        }
    }

    #[test]
    fn retry_delay_spreads_different_resources_apart() {
        let delays: std::collections::BTreeSet<u32> = (0..20)
            .map(|i| retry_delay(RetryClass::Contention, 3, fnv1a(&[&i.to_string()])))
            .collect();
        assert!(delays.len() > 5, "{delays:?}");
    }

    #[test]
    fn retry_delay_never_overflows_on_huge_attempt_numbers() {
        assert!(retry_delay(RetryClass::OrganizationFinalizing, u32::MAX, 7) <= 300);
    }

    #[test]
    fn creation_slot_looks_are_spread_from_one_to_twelve_seconds_from_the_first_wait() {
        for attempt in [0, 1, 7] {
            let waits: Vec<u32> = (0..200)
                .map(|i| retry_delay(RetryClass::CreationSlots, attempt, fnv1a(&[&i.to_string()])))
                .collect();
            assert!(waits.iter().all(|w| (1..=12).contains(w)), "{waits:?}");
            let distinct: std::collections::BTreeSet<_> = waits.iter().collect();
            assert_eq!(distinct.len(), 12, "attempt {attempt}: {distinct:?}");
        }
    }
}
