//! Throttling failed authentications: someone guessing keys from one address, or trying one
//! leaked key prefix from many, is answered `429` with `Retry-After` once they failed
//! `limit` times within a minute — before the key is even looked up, so a guesser learns
//! nothing more and costs the database nothing. Successful requests are never counted.
//!
//! Counts are kept in this process's memory (a sliding window of failure instants per
//! subject): with several processes behind a load balancer each counts its own share, so the
//! effective limit is at most `limit` × processes. That is the intended trade: no shared
//! state on the authentication path.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The sliding window failures are counted in.
pub const WINDOW: Duration = Duration::from_secs(60);
/// Subjects tracked at most; beyond it the ones with no failure in the window are dropped.
const MAX_SUBJECTS: usize = 100_000;
/// Characters of a presented key that name it as a subject: the scope and the start of its
/// random part, never enough to authenticate with.
pub const KEY_PREFIX_CHARS: usize = 16;

/// Failed-authentication counts per subject (`ip:…`, `key:…`).
#[derive(Debug)]
pub struct AuthThrottle {
    limit: u32,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
    /// Whether any failure is being counted: while none is (the normal case), requests pass
    /// without taking the lock.
    counting: AtomicBool,
}

impl AuthThrottle {
    /// A throttle refusing a subject after `limit` failures within [`WINDOW`]; `0` turns it
    /// off.
    pub fn new(limit: u32) -> Self {
        Self {
            limit,
            failures: Mutex::new(HashMap::new()),
            counting: AtomicBool::new(false),
        }
    }

    /// The subjects of a request: its client address and the presented key's prefix.
    pub fn subjects(peer: Option<&str>, token: &str) -> Vec<String> {
        let mut out = Vec::with_capacity(2);
        if let Some(ip) = peer {
            out.push(format!("ip:{ip}"));
        }
        let prefix: String = token.chars().take(KEY_PREFIX_CHARS).collect();
        out.push(format!("key:{prefix}"));
        out
    }

    /// `Err(seconds)` when any of `subjects` has used up its failures: the time until the
    /// oldest failure in the window leaves it.
    pub fn check(&self, subjects: &[String]) -> Result<(), u64> {
        if self.limit == 0 || !self.counting.load(Ordering::Relaxed) {
            return Ok(());
        }
        let now = Instant::now();
        let mut map = self.lock();
        let mut wait: Option<Duration> = None;
        for s in subjects {
            let Some(times) = map.get_mut(s) else {
                continue;
            };
            prune(times, now);
            if times.is_empty() {
                map.remove(s);
                continue;
            }
            if times.len() >= self.limit as usize
                && let Some(oldest) = times.front()
            {
                let left = WINDOW.saturating_sub(now.duration_since(*oldest));
                wait = Some(wait.map_or(left, |w| w.max(left)));
            }
        }
        if map.is_empty() {
            self.counting.store(false, Ordering::Relaxed);
        }
        match wait {
            // Round up: a client waiting exactly that long is let in.
            Some(w) => Err(w.as_secs() + u64::from(w.subsec_nanos() > 0)),
            None => Ok(()),
        }
    }

    /// Counts one failed authentication against each of `subjects`.
    pub fn record_failure(&self, subjects: &[String]) {
        if self.limit == 0 {
            return;
        }
        let now = Instant::now();
        let mut map = self.lock();
        if map.len() >= MAX_SUBJECTS {
            map.retain(|_, times| {
                prune(times, now);
                !times.is_empty()
            });
        }
        for s in subjects {
            let times = map.entry(s.clone()).or_default();
            prune(times, now);
            times.push_back(now);
            // Only the newest `limit` matter for the decision.
            while times.len() > self.limit as usize {
                times.pop_front();
            }
        }
        self.counting.store(true, Ordering::Relaxed);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, VecDeque<Instant>>> {
        // A panic while holding the lock leaves counts that are still counts.
        self.failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn prune(times: &mut VecDeque<Instant>, now: Instant) {
    while times
        .front()
        .is_some_and(|t| now.duration_since(*t) >= WINDOW)
    {
        times.pop_front();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_subject_is_refused_after_its_limit_and_others_are_not() {
        let t = AuthThrottle::new(3);
        let a = AuthThrottle::subjects(Some("10.0.0.1"), "bk_admin_guess1");
        let b = AuthThrottle::subjects(Some("10.0.0.2"), "bk_admin_other");
        for _ in 0..3 {
            assert_eq!(t.check(&a), Ok(()));
            t.record_failure(&a);
        }
        let wait = t.check(&a).unwrap_err();
        assert!((1..=60).contains(&wait), "{wait}");
        assert_eq!(t.check(&b), Ok(()));
        // The same key prefix from another address is refused too.
        let same_key = AuthThrottle::subjects(Some("10.0.0.9"), "bk_admin_guess1");
        assert!(t.check(&same_key).is_err());
    }

    #[test]
    fn zero_turns_it_off() {
        let t = AuthThrottle::new(0);
        let a = AuthThrottle::subjects(None, "x");
        for _ in 0..100 {
            t.record_failure(&a);
        }
        assert_eq!(t.check(&a), Ok(()));
    }
}
