//! What only the in-memory store has: no database behind it, so each store is its own world.
#![allow(clippy::unwrap_used, missing_docs)]

use billing_store_contract::fixtures::{account_at, t0};
use billing_store_memory::MemoryStore;

#[tokio::test]
async fn health_pings_and_stores_are_independent() {
    let r = MemoryStore::new().repositories();
    r.health.ping().await.unwrap();
    let a = account_at(t0(), None);
    r.accounts.insert(&a).await.unwrap();
    let other = MemoryStore::new().repositories();
    assert_eq!(other.accounts.get(&a.id).await.unwrap(), None);
    // Clones share one state.
    let store = MemoryStore::new();
    let (x, y) = (store.repositories(), store.clone().repositories());
    x.accounts.insert(&a).await.unwrap();
    assert!(y.accounts.get(&a.id).await.unwrap().is_some());
}
