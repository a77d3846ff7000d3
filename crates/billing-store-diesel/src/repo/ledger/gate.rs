//! Per-account write gate: within one process, at most one balance write per account (or per
//! stripe of accounts) holds a pooled connection at a time.
//!
//! Why: every balance write locks the account's balance row. Without the gate, a burst of
//! debits on one hot account takes every pooled connection, and all but one of them sit idle
//! in the database waiting for the same row lock: other accounts starve (503 after the pool's
//! wait limit), and PostgreSQL spends its time re-checking the updated row for each waiter.
//! With the gate the waiters queue here, in memory and in FIFO order (tokio's mutex is fair),
//! and the rest of the pool keeps serving other accounts.
//!
//! The gate is only a traffic rule. Correctness still comes from the database: the conditional
//! update, the row lock and the unique source reference hold across processes, and two
//! accounts that share a stripe merely wait for each other.

use std::hash::BuildHasher;
use std::sync::Arc;

use tokio::sync::{Mutex, MutexGuard};

/// Stripes: enough that unrelated accounts rarely share one, small enough to stay cheap
/// (a few KiB).
const STRIPES: usize = 256;

/// Fair per-account-stripe mutexes, shared by clones.
#[derive(Clone)]
pub(crate) struct AccountGate {
    stripes: Arc<[Mutex<()>]>,
    hasher: std::collections::hash_map::RandomState,
}

impl Default for AccountGate {
    fn default() -> Self {
        Self {
            stripes: (0..STRIPES).map(|_| Mutex::new(())).collect(),
            hasher: std::collections::hash_map::RandomState::new(),
        }
    }
}

impl AccountGate {
    /// Waits for the account's turn; the turn lasts as long as the guard.
    pub(crate) async fn enter(&self, account: &str) -> MutexGuard<'_, ()> {
        self.stripes[self.stripe_of(account)].lock().await
    }

    fn stripe_of(&self, account: &str) -> usize {
        // The modulo keeps the value below STRIPES, so the cast cannot truncate.
        #[allow(clippy::cast_possible_truncation)]
        let i = (self.hasher.hash_one(account) % STRIPES as u64) as usize;
        i
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn the_same_account_always_maps_to_the_same_stripe() {
        let gate = AccountGate::default();
        assert_eq!(gate.stripe_of("acct_1"), gate.stripe_of("acct_1"));
        let distinct: std::collections::BTreeSet<usize> = (0..1000)
            .map(|i| gate.stripe_of(&format!("acct_{i}")))
            .collect();
        assert!(
            distinct.len() > STRIPES / 2,
            "accounts spread over the stripes"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_writer_per_account_at_a_time() {
        let gate = AccountGate::default();
        let inside = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let (gate, inside, most) = (gate.clone(), inside.clone(), most.clone());
                tokio::spawn(async move {
                    let _turn = gate.enter("acct_hot").await;
                    let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    tokio::task::yield_now().await;
                    inside.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 1);
    }
}
