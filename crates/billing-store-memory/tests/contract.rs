//! The store contract suite (`billing-store-contract`) on the in-memory store:
//! `memory::<area>::<case>`, each case on a fresh store.
#![allow(missing_docs)]

use std::sync::Arc;

use billing_domain::ports::{PaymentFlowRepository, Repositories, WebhookEventRepository};
use billing_domain::types::AccountId;
use billing_store_contract::{Harness, StoreUnderTest};
use billing_store_memory::MemoryStore;

struct Memory(MemoryStore);

impl StoreUnderTest for Memory {
    fn backend(&self) -> &'static str {
        "memory"
    }

    fn repositories(&self) -> Repositories {
        self.0.repositories()
    }

    fn payment_flow(&self) -> Arc<dyn PaymentFlowRepository> {
        self.0.payment_flow()
    }

    fn webhook_events(&self) -> Arc<dyn WebhookEventRepository> {
        self.0.webhook_events()
    }

    fn tamper_balance(&self, account: &AccountId, delta: i64) {
        self.0.tamper_balance(account, delta);
    }
}

fn memory() -> Harness {
    Harness::new(Memory(MemoryStore::new()))
}

billing_store_contract::contract_suite!(memory, crate::memory(), property_cases = 200);
