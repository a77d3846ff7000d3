//! The repository contract suite: every case runs against SQLite and PostgreSQL, each on a
//! fresh database, and is named `<backend>::<area>::<case>`.
#![allow(clippy::unwrap_used, missing_docs)]

mod support;

mod accounts;
mod billing;
mod catalog;
mod concurrency;
mod flow;
mod gateway_events;
mod holds;
mod keys;
mod ledger;
mod ledger_reads;
mod misc;
mod refund_flow;

/// Generates `sqlite::<area>::<case>` and `postgres::<area>::<case>` tests calling
/// `crate::<area>::<case>(&Harness)`.
macro_rules! contract {
    ($($area:ident { $($case:ident),* $(,)? })*) => {
        mod sqlite {
            $(mod $area {
                $(#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let h = crate::support::Harness::sqlite();
                    crate::$area::$case(&h).await;
                })*
            })*
        }
        mod postgres {
            $(mod $area {
                $(#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let h = crate::support::Harness::postgres();
                    crate::$area::$case(&h).await;
                })*
            })*
        }
    };
}

contract! {
    accounts {
        insert_and_get_round_trip,
        insert_creates_a_zero_balance,
        list_pages_newest_first,
        update_writes_fields_and_audit_atomically,
        update_of_a_missing_account_is_not_found,
        external_id_is_unique,
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
        api_key_hash_is_unique,
        idempotency_begin_complete_existing,
        idempotency_abandon_allows_a_retry,
        idempotency_purge_before,
        idempotency_concurrent_begins_start_once,
    }
    ledger {
        grant_and_debit,
        insufficient_debit_writes_nothing,
        duplicate_source_ref_returns_the_original,
        up_to_available_clawback,
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
    billing {
        invoice_insert_get_with_lines,
        invoice_list_filters_and_pages,
        invoice_number_is_unique,
        payment_insert_get_list_filters,
        payment_reference_lookup_and_uniqueness,
        refunds_insert_and_list,
        proof_files_round_trip,
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
        payment_change_applies_once,
        refund_change_records_the_clawback,
        stale_or_missing_writes_nothing,
        payments_due_for_expiry,
    }
    refund_flow {
        refund_reversal_is_guarded_by_the_refund_status,
        refunds_found_by_either_id_and_unacknowledged_listed,
        gateway_refund_ids_are_unique_and_payments_found_by_gateway_payment_id,
    }
    misc {
        audit_insert_and_list_filters,
        outbox_list_undelivered_mark_delivered,
        health_ping,
        migrate_twice_is_a_no_op,
        timestamps_keep_microseconds_in_utc,
        every_table_matches_schema_rs,
    }
}
