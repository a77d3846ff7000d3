//! # billing-store-contract
//!
//! The one contract suite every storage adapter of `billing-domain` must pass. Each case is a
//! plain `async fn(&Harness)` in [`cases`], written once against the ports; each store crate
//! runs all of them on its own stores with [`contract_suite!`], so a behaviour a port promises
//! is tested in one place and holds for memory, SQLite and PostgreSQL alike.
//!
//! A store plugs in by implementing [`StoreUnderTest`] (a fresh, empty, migrated store per
//! call) and invoking the macro in one of its integration tests:
//!
//! ```ignore
//! billing_store_contract::contract_suite!(memory, crate::fresh_memory_store(), property_cases = 200);
//! ```
//!
//! which generates `memory::<area>::<case>` tests. Adding a port means adding its cases here
//! and naming them in the macro's case list; every store then runs them (see
//! `docs/architecture.md`, "How to add a port").
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

use std::sync::Arc;

use billing_domain::ports::{
    PaymentFlowRepository, PostingOutcome, Repositories, WebhookEventRepository,
};
use billing_domain::types::AccountId;

// A case's name states the promise it checks, and a fixture's its entity: names are the docs.
#[allow(missing_docs)]
pub mod cases;
#[allow(missing_docs)]
pub mod fixtures;
pub mod properties;

/// What the suite needs of a store beyond its ports: a name for messages and a way to corrupt
/// cached state, as a bad write to a database would, so `verify` has drift to find.
pub trait StoreUnderTest: Send + Sync + 'static {
    /// `memory`, `sqlite` or `postgres`: named in assertion messages.
    fn backend(&self) -> &'static str;
    /// Every repository port, sharing this store's state.
    fn repositories(&self) -> Repositories;
    /// The transactional payment-flow port on the same state.
    fn payment_flow(&self) -> Arc<dyn PaymentFlowRepository>;
    /// The gateway webhook-event port on the same state.
    fn webhook_events(&self) -> Arc<dyn WebhookEventRepository>;
    /// Adds `delta` to `account`'s cached balance without writing a ledger entry.
    fn tamper_balance(&self, account: &AccountId, delta: i64);
}

/// A fresh store and its ports, handed to every case.
pub struct Harness {
    /// Every repository port of the store.
    pub repos: Repositories,
    store: Box<dyn StoreUnderTest>,
}

impl Harness {
    /// Wraps a fresh, empty store.
    pub fn new(store: impl StoreUnderTest) -> Self {
        Self {
            repos: store.repositories(),
            store: Box::new(store),
        }
    }

    /// `memory`, `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        self.store.backend()
    }

    /// The payment-flow port.
    pub fn payment_flow(&self) -> Arc<dyn PaymentFlowRepository> {
        self.store.payment_flow()
    }

    /// The webhook-event port.
    pub fn webhook_events(&self) -> Arc<dyn WebhookEventRepository> {
        self.store.webhook_events()
    }

    /// Corrupts `account`'s cached balance by `delta` (see [`StoreUnderTest::tamper_balance`]).
    pub fn tamper_balance(&self, account: &AccountId, delta: i64) {
        self.store.tamper_balance(account, delta);
    }

    /// An inserted account at `t0`.
    pub async fn account(&self) -> AccountId {
        let a = fixtures::account_at(fixtures::t0(), None);
        self.repos.accounts.insert(&a).await.unwrap();
        a.id
    }

    /// Grants `amount` credits (a purchase grant with a unique source).
    pub async fn grant(&self, account: &AccountId, amount: i64) {
        let p = fixtures::posting(
            account,
            amount,
            &format!("grant:{}", rand::random::<u64>()),
            fixtures::at(1),
        );
        assert!(matches!(
            self.repos.ledger.post(&p).await.unwrap(),
            PostingOutcome::Applied { .. }
        ));
    }

    /// An inserted pending invoice of `account`, for payments to belong to.
    pub async fn invoice(&self, account: &AccountId) -> billing_domain::types::InvoiceId {
        let inv = fixtures::invoice(
            account,
            fixtures::t0(),
            billing_domain::entities::InvoiceStatus::Pending,
            None,
        );
        self.repos.invoices.insert(&inv).await.unwrap();
        inv.id
    }

    /// Asserts `verify` finds no drift.
    pub async fn assert_no_drift(&self) {
        let (drift, checked) = self.repos.ledger.verify().await.unwrap();
        assert!(drift.is_empty(), "drift on {}: {drift:?}", self.backend());
        assert!(checked >= 1);
    }
}

/// Generates `<store>::<area>::<case>` tests, each calling `cases::<area>::<case>` on a fresh
/// harness built by `$harness` (an expression evaluated once per test, inside the generated
/// module: use an absolute path such as `crate::fresh()`), and
/// `<store>::properties::<property>` tests running `$cases` proptest cases each.
#[macro_export]
macro_rules! contract_suite {
    ($store:ident, $harness:expr, property_cases = $cases:expr) => {
        $crate::__contract_cases! { $store, $harness, $cases;
            accounts {
                insert_and_get_round_trip,
                insert_creates_a_zero_balance,
                list_pages_newest_first,
                update_writes_fields_and_audit_atomically,
                update_of_a_missing_account_is_not_found,
                external_id_is_unique,
                found_by_external_id,
            }
            catalog {
                package_insert_get_update_list,
                package_slug_conflict_writes_nothing,
                package_update_of_missing_is_not_found,
                config_crud_with_audit,
            }
            keys {
                api_key_insert_find_get_list,
                api_key_revoke_twice_keeps_first_time,
                api_key_revoke_missing_is_not_found,
                api_key_ids_and_hashes_are_unique,
                idempotency_begin_complete_keeps_the_first_response,
                idempotency_abandon_allows_a_retry,
                idempotency_purge_before,
                idempotency_concurrent_begins_start_once,
                idempotency_a_stale_unfinished_request_is_taken_over_once,
            }
            ledger {
                grant_and_debit,
                insufficient_debit_writes_nothing,
                duplicate_source_ref_returns_the_original,
                up_to_available_clawback,
                zero_amounts_and_taken_entry_ids_are_refused,
                overflow_is_an_error_not_a_wrap,
                low_balance_event_written_once_when_crossing,
                audited_posting_writes_the_audit_entry,
                unknown_account_is_not_found,
            }
            ledger_reads {
                list_entries_filters_and_pages,
                verify_reports_no_drift_and_detects_tampering,
            }
            concurrency {
                debit_never_goes_negative_under_concurrency,
                concurrent_grants_all_apply,
                racing_duplicate_debits_spend_once_and_never_overdraw,
            }
            holds {
                hold_then_full_commit,
                partial_commit_frees_the_rest,
                release_gives_everything_back,
                hold_refused_when_short_and_duplicate_reference,
                commit_more_than_held_is_refused,
                settling_twice_and_the_other_way,
                expired_on_balance_read,
                expired_hold_cannot_be_settled,
                expire_due_sweeps_up_to_limit,
                short_debit_expires_due_holds_first,
                commit_crossing_the_threshold_records_low_balance,
            }
            lots {
                a_debit_spanning_an_allowance_and_a_purchase_takes_the_allowance_first,
                an_allowance_expires_once_leaving_purchased_credits_untouched,
                a_capped_rollover_moves_up_to_the_cap_into_a_new_lot,
                credits_past_expiry_are_never_spent,
                a_hold_across_the_expiry_keeps_its_pinned_credits,
            }
            billing {
                invoice_insert_get_with_lines,
                invoice_list_filters_and_pages,
                invoice_ids_and_numbers_are_unique,
                invoice_documents_are_kept_once_per_key,
            }
            payments {
                payment_insert_get_list_filters,
                payment_ids_and_references_are_unique,
                refunds_insert_once_and_list_oldest_first,
                proof_files_round_trip_once,
            }
            gateway_events {
                webhook_record_dedupes_and_marks_processed,
                webhook_concurrent_records_store_once,
                payment_found_by_gateway_reference,
                payments_to_reconcile_filters_and_orders,
                settle_refund_once_by_either_id,
            }
            flow {
                create_invoice_assigns_gapless_numbers,
                concurrent_numbering_has_no_gaps,
                finalize_and_status_updates_are_guarded,
                manual_payments_past_their_expiry_are_listed_oldest_first,
            }
            payment_changes {
                payment_change_applies_once,
                refund_change_records_the_clawback,
                stale_or_missing_writes_nothing,
                a_failing_posting_writes_nothing_else,
            }
            refund_flow {
                refund_reversal_is_guarded_by_the_refund_status,
                refunds_found_by_either_id_and_unacknowledged_listed,
                gateway_refund_ids_are_unique_and_payments_found_by_gateway_payment_id,
            }
            emails {
                emails_are_queued_once_per_key_and_listed_by_filter,
                email_claims_are_leased_and_finished_under_their_lease,
                concurrent_email_claims_never_share_a_message,
            }
            misc {
                audit_insert_and_list_filters,
                outbox_list_undelivered_mark_delivered,
                health_ping,
                job_lease_one_holder_until_it_runs_out,
                job_lease_concurrent_takers_get_one_holder,
            }
            tax_rates {
                tax_rate_insert_get_list_update,
                tax_rate_one_active_per_country_and_region,
                tax_exemption_set_replace_lift,
            }
            portal {
                portal_link_opens_once_with_its_flow,
                portal_expired_link_opens_nothing,
                portal_concurrent_openings_create_one_session,
                portal_session_idle_and_absolute_timeouts,
                portal_sign_out_and_revoke_all,
            }
            plans {
                plan_insert_get_update_list,
                plan_slug_conflict_and_missing_write_nothing,
            }
            subscriptions {
                subscription_insert_get_list_and_versioned_updates,
                one_live_subscription_per_account_and_plan,
                a_period_is_billed_once_with_its_invoice,
                guarded_invoice_changes_and_free_period_grants,
            }
            subscription_claims {
                claims_are_exclusive_and_released_by_a_change,
                concurrent_claims_never_share_a_subscription,
            }
        }
    };
}

/// The expansion of [`contract_suite!`]; not for direct use.
#[doc(hidden)]
#[macro_export]
macro_rules! __contract_cases {
    ($store:ident, $harness:expr, $cases:expr; $($area:ident { $($case:ident),* $(,)? })*) => {
        mod $store {
            mod properties {
                #[test]
                fn ledger_agrees_with_a_simple_model() {
                    $crate::properties::ledger_model::ledger_agrees_with_a_simple_model(
                        || $harness,
                        $cases,
                    );
                }
                #[test]
                fn lots_agree_with_a_simple_model() {
                    $crate::properties::lots_model::lots_agree_with_a_simple_model(
                        || $harness,
                        $cases,
                    );
                }
            }
            $(mod $area {
                $(#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let h: $crate::Harness = $harness;
                    $crate::cases::$area::$case(&h).await;
                })*
            })*
        }
    };
}
