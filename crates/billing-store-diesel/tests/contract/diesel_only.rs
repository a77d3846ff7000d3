//! Cases only a SQL store has: migrations, timestamp precision, the schema.

use billing_domain::ports::AuditFilter;
use billing_store_contract::fixtures::*;
use billing_store_diesel::testing::TestStore;
use time::OffsetDateTime;

pub async fn migrate_twice_is_a_no_op(db: &TestStore) {
    db.store.migrate().unwrap();
    db.store.migrate().unwrap();
    let repos = db.store.repositories();
    let a = account_at(t0(), None);
    repos.accounts.insert(&a).await.unwrap();
    assert!(repos.accounts.get(&a.id).await.unwrap().is_some());
}

pub async fn timestamps_keep_microseconds_in_utc(db: &TestStore) {
    let when = OffsetDateTime::from_unix_timestamp_nanos(1_790_000_000_123_456_789).unwrap();
    let offset = when.to_offset(time::macros::offset!(+05:30));
    let mut e = audit(offset, "x.y", "t");
    e.id = billing_domain::types::AuditEntryId::generate(when);
    let audit = db.store.repositories().audit;
    audit.insert(&e).await.unwrap();
    let got = audit
        .list(&AuditFilter::default(), &page(1, None))
        .await
        .unwrap()
        .data
        .remove(0);
    let expected = OffsetDateTime::from_unix_timestamp_nanos(1_790_000_000_123_456_000).unwrap();
    assert_eq!(got.created_at, expected);
    assert_eq!(got.created_at.offset(), time::UtcOffset::UTC);
    // Range filters compare instants, not text: an instant a microsecond later is excluded.
    let f = AuditFilter {
        from: Some(expected + time::Duration::microseconds(1)),
        ..Default::default()
    };
    assert!(
        audit
            .list(&f, &page(1, None))
            .await
            .unwrap()
            .data
            .is_empty()
    );
    let f = AuditFilter {
        from: Some(expected - time::Duration::seconds(1)),
        to: Some(expected + time::Duration::seconds(1)),
        ..Default::default()
    };
    assert_eq!(audit.list(&f, &page(1, None)).await.unwrap().data.len(), 1);
}

/// Every column `schema.rs` names exists in this backend's migrations.
pub async fn every_table_matches_schema_rs(db: &TestStore) {
    use billing_store_diesel::schema::*;
    use diesel::{QueryDsl, RunQueryDsl};
    let mut conn = crate::raw(&db.url);
    macro_rules! check {
        ($($t:ident),*) => {$(
            $t::table.select($t::all_columns).limit(0).execute(&mut conn)
                .unwrap_or_else(|e| panic!("{} on {}: {e}", stringify!($t), db.store.backend()));
        )*};
    }
    check!(
        accounts,
        credit_balances,
        ledger_entries,
        reservations,
        credit_packages,
        payment_method_configs,
        api_keys,
        idempotency_keys,
        invoices,
        invoice_lines,
        payments,
        proof_files,
        refunds,
        audit_log,
        outbox_events,
        webhook_events,
        invoice_number_sequences,
        gateway_retries
    );
}
