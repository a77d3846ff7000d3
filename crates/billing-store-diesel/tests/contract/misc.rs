//! AuditRepository, OutboxRepository, StoreHealth, migrations and timestamps.

use billing_domain::entities::OutboxEvent;
use billing_domain::ports::AuditFilter;
use billing_domain::types::{AccountId, EventId};
use time::OffsetDateTime;

use crate::support::*;

pub async fn audit_insert_and_list_filters(h: &Harness) {
    let a = audit(at(0), "credit_package.update", "cpkg_1");
    let mut b = audit(at(10), "account.update", "acct_1");
    b.actor = "key_other".into();
    b.before = Some(serde_json::json!({"name": "old"}));
    let c = audit(at(20), "credit_package.update", "cpkg_2");
    for e in [&a, &b, &c] {
        h.repos.audit.insert(e).await.unwrap();
    }
    let all = h
        .repos
        .audit
        .list(&AuditFilter::default(), &page(10, None))
        .await
        .unwrap();
    assert_eq!(all.data, vec![c.clone(), b.clone(), a.clone()]);
    let f = AuditFilter {
        action: Some("credit_package.update".into()),
        ..Default::default()
    };
    assert_eq!(
        h.repos.audit.list(&f, &page(10, None)).await.unwrap().data,
        vec![c.clone(), a.clone()]
    );
    let f = AuditFilter {
        actor: Some("key_other".into()),
        ..Default::default()
    };
    assert_eq!(
        h.repos.audit.list(&f, &page(10, None)).await.unwrap().data,
        vec![b.clone()]
    );
    let f = AuditFilter {
        target_type: Some("credit_package".into()),
        target_id: Some("cpkg_2".into()),
        ..Default::default()
    };
    assert_eq!(
        h.repos.audit.list(&f, &page(10, None)).await.unwrap().data,
        vec![c.clone()]
    );
    let f = AuditFilter {
        from: Some(at(10)),
        to: Some(at(20)),
        ..Default::default()
    };
    assert_eq!(
        h.repos.audit.list(&f, &page(10, None)).await.unwrap().data,
        vec![b.clone()]
    );
    let p = h
        .repos
        .audit
        .list(&AuditFilter::default(), &page(2, Some(c.id.as_str())))
        .await
        .unwrap();
    assert_eq!((p.data, p.has_more), (vec![b, a], false));
}

fn event(account: Option<&AccountId>, kind: &str, ms: i64) -> OutboxEvent {
    OutboxEvent {
        id: EventId::generate(at(ms)),
        kind: kind.into(),
        account_id: account.cloned(),
        payload: serde_json::json!({"n": ms, "nested": {"ok": true}}),
        created_at: at(ms),
        delivered_at: None,
    }
}

pub async fn outbox_list_undelivered_mark_delivered(h: &Harness) {
    let acct = AccountId::generate(at(0));
    let e1 = event(Some(&acct), "invoice.paid", 1);
    let e2 = event(None, "credits.low_balance", 2);
    let e3 = event(Some(&acct), "credits.low_balance", 3);
    for e in [&e1, &e2, &e3] {
        h.repos.outbox.insert(e).await.unwrap();
    }
    let all = h
        .repos
        .outbox
        .list(None, None, &page(10, None))
        .await
        .unwrap();
    assert_eq!(all.data, vec![e3.clone(), e2.clone(), e1.clone()]);
    let mine = h
        .repos
        .outbox
        .list(Some(acct.clone()), None, &page(10, None))
        .await
        .unwrap();
    assert_eq!(mine.data, vec![e3.clone(), e1.clone()]);
    let low = h
        .repos
        .outbox
        .list(
            Some(acct),
            Some("credits.low_balance".into()),
            &page(10, None),
        )
        .await
        .unwrap();
    assert_eq!(low.data, vec![e3.clone()]);
    let p = h
        .repos
        .outbox
        .list(None, None, &page(1, Some(e3.id.as_str())))
        .await
        .unwrap();
    assert_eq!((p.data, p.has_more), (vec![e2.clone()], true));

    assert_eq!(
        h.repos.outbox.undelivered(2).await.unwrap(),
        vec![e1.clone(), e2.clone()]
    );
    h.repos
        .outbox
        .mark_delivered(&[e1.id.clone(), e2.id.clone()], at(100))
        .await
        .unwrap();
    h.repos
        .outbox
        .mark_delivered(std::slice::from_ref(&e1.id), at(200))
        .await
        .unwrap();
    h.repos.outbox.mark_delivered(&[], at(300)).await.unwrap();
    assert_eq!(h.repos.outbox.undelivered(10).await.unwrap(), vec![e3]);
    let delivered = h
        .repos
        .outbox
        .list(None, Some("invoice.paid".into()), &page(10, None))
        .await
        .unwrap();
    assert_eq!(
        delivered.data[0].delivered_at,
        Some(at(100)),
        "first delivery time kept"
    );
}

pub async fn health_ping(h: &Harness) {
    h.repos.health.ping().await.unwrap();
}

pub async fn migrate_twice_is_a_no_op(h: &Harness) {
    h.db.store.migrate().unwrap();
    h.db.store.migrate().unwrap();
    let id = h.account().await;
    assert!(h.repos.accounts.get(&id).await.unwrap().is_some());
}

pub async fn timestamps_keep_microseconds_in_utc(h: &Harness) {
    let when = OffsetDateTime::from_unix_timestamp_nanos(1_790_000_000_123_456_789).unwrap();
    let offset = when.to_offset(time::macros::offset!(+05:30));
    let mut e = audit(offset, "x.y", "t");
    e.id = billing_domain::types::AuditEntryId::generate(when);
    h.repos.audit.insert(&e).await.unwrap();
    let got = h
        .repos
        .audit
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
        h.repos
            .audit
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
    assert_eq!(
        h.repos
            .audit
            .list(&f, &page(1, None))
            .await
            .unwrap()
            .data
            .len(),
        1
    );
}

/// Every column `schema.rs` names exists in this backend's migrations.
pub async fn every_table_matches_schema_rs(h: &Harness) {
    use billing_store_diesel::schema::*;
    use diesel::{QueryDsl, RunQueryDsl};
    let mut conn = h.raw();
    macro_rules! check {
        ($($t:ident),*) => {$(
            $t::table.select($t::all_columns).limit(0).execute(&mut conn)
                .unwrap_or_else(|e| panic!("{} on {}: {e}", stringify!($t), h.backend()));
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
