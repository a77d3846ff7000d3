//! Hand-written schema in the subset both backends share (see `migrations/`). Instants use
//! [`UtcTimestamp`](crate::sql_types::UtcTimestamp); JSON is `Text`.
#![allow(missing_docs)]

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::UtcTimestamp;

    accounts (id) {
        id -> Text,
        name -> Text,
        external_id -> Nullable<Text>,
        billing_profile -> Nullable<Text>,
        low_balance_threshold -> Nullable<BigInt>,
        stripe_customer_id -> Nullable<Text>,
        metadata -> Text,
        created_at -> UtcTimestamp,
        updated_at -> UtcTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::UtcTimestamp;

    credit_balances (account_id) {
        account_id -> Text,
        balance -> BigInt,
        held -> BigInt,
        low_balance_threshold -> Nullable<BigInt>,
        updated_at -> UtcTimestamp,
        head_lot -> Nullable<Text>,
        head_avail -> BigInt,
        head_spent -> BigInt,
        lots_next_expiry -> Nullable<UtcTimestamp>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::UtcTimestamp;

    ledger_entries (id) {
        id -> Text,
        account_id -> Text,
        kind -> Text,
        amount -> BigInt,
        held_delta -> BigInt,
        balance_after -> BigInt,
        held_after -> BigInt,
        source_ref -> Text,
        reservation_id -> Nullable<Text>,
        description -> Text,
        metadata -> Text,
        actor -> Text,
        created_at -> UtcTimestamp,
        lot_id -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::UtcTimestamp;

    reservations (id) {
        id -> Text,
        account_id -> Text,
        amount -> BigInt,
        committed_amount -> BigInt,
        status -> Text,
        reference -> Text,
        metadata -> Text,
        expires_at -> UtcTimestamp,
        created_at -> UtcTimestamp,
        updated_at -> UtcTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::UtcTimestamp;

    credit_packages (id) {
        id -> Text,
        name -> Text,
        slug -> Text,
        description -> Nullable<Text>,
        credits -> BigInt,
        prices -> Text,
        discount_bps -> Integer,
        featured -> Bool,
        active -> Bool,
        sort_order -> Integer,
        stripe_price_id -> Nullable<Text>,
        paypal_product_id -> Nullable<Text>,
        created_at -> UtcTimestamp,
        updated_at -> UtcTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::UtcTimestamp;

    plans (id) {
        id -> Text,
        name -> Text,
        slug -> Text,
        description -> Nullable<Text>,
        prices -> Text,
        interval_unit -> Text,
        interval_count -> Integer,
        credits_per_period -> BigInt,
        features -> Text,
        trial_days -> Integer,
        retry_days -> Text,
        final_action -> Text,
        active -> Bool,
        featured -> Bool,
        sort_order -> Integer,
        stripe_product_id -> Nullable<Text>,
        paypal_product_id -> Nullable<Text>,
        created_at -> UtcTimestamp,
        updated_at -> UtcTimestamp,
        rollover_max -> Nullable<BigInt>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::UtcTimestamp;

    payment_method_configs (id) {
        id -> Text,
        country -> Nullable<Text>,
        method -> Text,
        display_name -> Text,
        enabled -> Bool,
        sort_order -> Integer,
        instructions -> Nullable<Text>,
        bank_details -> Nullable<Text>,
        wallet_details -> Nullable<Text>,
        currencies -> Text,
        amount_limits -> Text,
        created_at -> UtcTimestamp,
        updated_at -> UtcTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::UtcTimestamp;

    api_keys (id) {
        id -> Text,
        name -> Text,
        scope -> Text,
        account_id -> Nullable<Text>,
        prefix -> Text,
        secret_hash -> Text,
        created_at -> UtcTimestamp,
        revoked_at -> Nullable<UtcTimestamp>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::UtcTimestamp;

    idempotency_keys (principal, idempotency_key) {
        principal -> Text,
        idempotency_key -> Text,
        request_hash -> Text,
        response_status -> Nullable<Integer>,
        response_body -> Nullable<Binary>,
        created_at -> UtcTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::UtcTimestamp;

    invoices (id) {
        id -> Text,
        account_id -> Text,
        number -> Nullable<Text>,
        status -> Text,
        billing_reason -> Text,
        currency -> Text,
        subtotal -> BigInt,
        discount -> BigInt,
        total -> BigInt,
        amount_paid -> BigInt,
        amount_due -> BigInt,
        due_at -> Nullable<UtcTimestamp>,
        billing_snapshot -> Nullable<Text>,
        status_reason -> Nullable<Text>,
        metadata -> Text,
        created_at -> UtcTimestamp,
        finalized_at -> Nullable<UtcTimestamp>,
        paid_at -> Nullable<UtcTimestamp>,
        updated_at -> UtcTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::UtcTimestamp;

    invoice_lines (id) {
        id -> Text,
        invoice_id -> Text,
        position -> Integer,
        kind -> Text,
        description -> Text,
        quantity -> BigInt,
        unit_amount -> BigInt,
        discount_amount -> BigInt,
        amount -> BigInt,
        credit_package_id -> Nullable<Text>,
        credits -> Nullable<BigInt>,
        subscription_id -> Nullable<Text>,
        period_start -> Nullable<UtcTimestamp>,
        period_end -> Nullable<UtcTimestamp>,
        rollover_max -> Nullable<BigInt>,
        rollover_until -> Nullable<UtcTimestamp>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::UtcTimestamp;

    payments (id) {
        id -> Text,
        account_id -> Text,
        invoice_id -> Text,
        method -> Text,
        status -> Text,
        currency -> Text,
        amount -> BigInt,
        amount_received -> BigInt,
        amount_refunded -> BigInt,
        reference -> Nullable<Text>,
        gateway_reference -> Nullable<Text>,
        gateway_payment_id -> Nullable<Text>,
        failure_reason -> Nullable<Text>,
        expires_at -> Nullable<UtcTimestamp>,
        next_action -> Nullable<Text>,
        confirmation -> Nullable<Text>,
        history -> Text,
        created_at -> UtcTimestamp,
        updated_at -> UtcTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::UtcTimestamp;

    invoice_documents (invoice_id, key) {
        invoice_id -> Text,
        key -> Text,
        pdf -> Binary,
        created_at -> UtcTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::UtcTimestamp;

    proof_files (id) {
        id -> Text,
        payment_id -> Text,
        filename -> Text,
        content_type -> Text,
        sha256 -> Text,
        data -> Binary,
        created_at -> UtcTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::UtcTimestamp;

    refunds (id) {
        id -> Text,
        payment_id -> Text,
        account_id -> Text,
        status -> Text,
        currency -> Text,
        amount -> BigInt,
        reason -> Text,
        gateway_refund_id -> Nullable<Text>,
        credits_clawed_back -> BigInt,
        credits_deficit -> BigInt,
        actor -> Text,
        created_at -> UtcTimestamp,
        updated_at -> UtcTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::UtcTimestamp;

    audit_log (id) {
        id -> Text,
        actor -> Text,
        action -> Text,
        target_type -> Text,
        target_id -> Text,
        reason -> Nullable<Text>,
        before_state -> Nullable<Text>,
        after_state -> Nullable<Text>,
        request_id -> Nullable<Text>,
        created_at -> UtcTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::UtcTimestamp;

    outbox_events (id) {
        id -> Text,
        kind -> Text,
        account_id -> Nullable<Text>,
        payload -> Text,
        created_at -> UtcTimestamp,
        delivered_at -> Nullable<UtcTimestamp>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::UtcTimestamp;

    webhook_events (id) {
        id -> Text,
        gateway -> Text,
        event_id -> Text,
        event_type -> Text,
        payload -> Text,
        received_at -> UtcTimestamp,
        processed_at -> Nullable<UtcTimestamp>,
    }
}

diesel::table! {
    invoice_number_sequences (prefix, year) {
        prefix -> Text,
        year -> Integer,
        next_value -> BigInt,
    }
}

diesel::joinable!(credit_balances -> accounts (account_id));
diesel::joinable!(ledger_entries -> accounts (account_id));
diesel::joinable!(reservations -> accounts (account_id));
diesel::joinable!(invoice_lines -> invoices (invoice_id));
diesel::joinable!(payments -> invoices (invoice_id));
diesel::joinable!(refunds -> payments (payment_id));
diesel::joinable!(proof_files -> payments (payment_id));
diesel::joinable!(invoice_documents -> invoices (invoice_id));

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::UtcTimestamp;

    emails (id) {
        id -> Text,
        account_id -> Text,
        event_id -> Text,
        kind -> Text,
        dedupe_key -> Text,
        to_address -> Text,
        to_name -> Nullable<Text>,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        invoice_id -> Nullable<Text>,
        message_id -> Text,
        status -> Text,
        attempts -> Text,
        next_attempt_at -> UtcTimestamp,
        lease_until -> Nullable<UtcTimestamp>,
        resent_from -> Nullable<Text>,
        created_at -> UtcTimestamp,
        updated_at -> UtcTimestamp,
        sent_at -> Nullable<UtcTimestamp>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::UtcTimestamp;

    gateway_retries (subject_id) {
        subject_id -> Text,
        attempts -> Integer,
        next_at -> UtcTimestamp,
        last_error -> Text,
        updated_at -> UtcTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::UtcTimestamp;

    subscriptions (id) {
        id -> Text,
        account_id -> Text,
        plan_id -> Text,
        status -> Text,
        currency -> Text,
        interval_unit -> Text,
        interval_count -> Integer,
        payment_method -> Text,
        collection_method -> Text,
        gateway_payment_method -> Nullable<Text>,
        anchor -> UtcTimestamp,
        period_index -> BigInt,
        current_period_start -> UtcTimestamp,
        current_period_end -> UtcTimestamp,
        trial_end -> Nullable<UtcTimestamp>,
        cancel_at_period_end -> Bool,
        trial_reminded -> Bool,
        canceled_at -> Nullable<UtcTimestamp>,
        latest_invoice_id -> Nullable<Text>,
        attempt_count -> BigInt,
        next_retry_at -> Nullable<UtcTimestamp>,
        next_action_at -> Nullable<UtcTimestamp>,
        metadata -> Text,
        created_at -> UtcTimestamp,
        updated_at -> UtcTimestamp,
        version -> BigInt,
        claimed_until -> Nullable<UtcTimestamp>,
        billed_amount -> Nullable<BigInt>,
        billed_from -> Nullable<UtcTimestamp>,
        pending_change -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::UtcTimestamp;

    subscription_periods (subscription_id, period_start) {
        subscription_id -> Text,
        period_start -> UtcTimestamp,
        period_index -> BigInt,
        period_end -> UtcTimestamp,
        plan_id -> Text,
        amount -> BigInt,
        currency -> Text,
        credits -> BigInt,
        invoice_id -> Nullable<Text>,
        charged -> Bool,
        created_at -> UtcTimestamp,
    }
}

diesel::table! {
    use crate::sql_types::UtcTimestamp;
    use diesel::sql_types::*;

    job_leases (job) {
        job -> Text,
        holder -> Text,
        leased_until -> UtcTimestamp,
    }
}

diesel::table! {
    use crate::sql_types::UtcTimestamp;
    use diesel::sql_types::*;

    portal_links (token_hash) {
        token_hash -> Text,
        account_id -> Text,
        return_url -> Text,
        flow_kind -> Nullable<Text>,
        flow_target -> Nullable<Text>,
        created_at -> UtcTimestamp,
        expires_at -> UtcTimestamp,
        used_at -> Nullable<UtcTimestamp>,
    }
}

diesel::table! {
    use crate::sql_types::UtcTimestamp;
    use diesel::sql_types::*;

    portal_sessions (id) {
        id -> Text,
        token_hash -> Text,
        account_id -> Text,
        return_url -> Text,
        flow_kind -> Nullable<Text>,
        flow_target -> Nullable<Text>,
        csrf_token -> Text,
        created_at -> UtcTimestamp,
        idle_expires_at -> UtcTimestamp,
        expires_at -> UtcTimestamp,
        revoked_at -> Nullable<UtcTimestamp>,
    }
}

diesel::table! {
    use crate::sql_types::UtcTimestamp;
    use diesel::sql_types::*;

    tax_rates (id) {
        id -> Text,
        display_name -> Text,
        country -> Text,
        region -> Nullable<Text>,
        percentage -> Text,
        inclusive -> Bool,
        active -> Bool,
        created_at -> UtcTimestamp,
        updated_at -> UtcTimestamp,
    }
}

diesel::table! {
    use crate::sql_types::UtcTimestamp;
    use diesel::sql_types::*;

    tax_exemptions (account_id) {
        account_id -> Text,
        reason -> Text,
        updated_at -> UtcTimestamp,
    }
}

diesel::joinable!(subscription_periods -> subscriptions (subscription_id));

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::UtcTimestamp;

    credit_lots (id) {
        id -> Text,
        account_id -> Text,
        source -> Text,
        entry_id -> Nullable<Text>,
        amount -> BigInt,
        remaining -> BigInt,
        held -> BigInt,
        priority -> SmallInt,
        expires_at -> Nullable<UtcTimestamp>,
        expired_at -> Nullable<UtcTimestamp>,
        rollover_max -> Nullable<BigInt>,
        rollover_until -> Nullable<UtcTimestamp>,
        created_at -> UtcTimestamp,
    }
}

diesel::table! {
    lot_allocations (entry_id, lot_id) {
        entry_id -> Text,
        lot_id -> Text,
        account_id -> Text,
        amount -> BigInt,
        held -> BigInt,
    }
}

diesel::joinable!(lot_allocations -> credit_lots (lot_id));

diesel::allow_tables_to_appear_in_same_query!(
    subscriptions,
    subscription_periods,
    accounts,
    credit_balances,
    ledger_entries,
    reservations,
    credit_packages,
    plans,
    payment_method_configs,
    api_keys,
    idempotency_keys,
    invoices,
    invoice_lines,
    payments,
    proof_files,
    invoice_documents,
    emails,
    refunds,
    audit_log,
    outbox_events,
    webhook_events,
    invoice_number_sequences,
    gateway_retries,
    job_leases,
    portal_links,
    portal_sessions,
    tax_rates,
    tax_exemptions,
    credit_lots,
    lot_allocations,
);
