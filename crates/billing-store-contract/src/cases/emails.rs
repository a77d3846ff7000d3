//! EmailRepository: a message is queued once per dedupe key, leased by one worker at a time,
//! and its outcome written only under the lease it was claimed with.

use std::collections::HashSet;
use std::sync::Arc;

use billing_domain::entities::{
    AttemptOutcome, EmailAttempt, EmailKind, EmailStatus, OutgoingEmail,
};
use billing_domain::ports::EmailFilter;
use billing_domain::types::{AccountId, EmailId, EventId};

use crate::Harness;
use crate::fixtures::*;

/// A queued message of `kind` for `account`, due at `due_ms`.
fn queued(account: &AccountId, kind: EmailKind, key: &str, due_ms: i64) -> OutgoingEmail {
    let when = at(due_ms);
    OutgoingEmail {
        id: EmailId::generate(when),
        account_id: account.clone(),
        event_id: EventId::generate(when),
        kind,
        dedupe_key: key.into(),
        to: "billing@example.com".into(),
        to_name: Some("Müller & Söhne GmbH".into()),
        subject: "Receipt for INV-1".into(),
        text: "Thank you.".into(),
        html: "<p>Thank you.</p>".into(),
        invoice_id: None,
        message_id: format!("{key}@billing.test"),
        status: EmailStatus::Queued,
        attempts: vec![],
        next_attempt_at: when,
        lease_until: None,
        resent_from: None,
        created_at: when,
        updated_at: when,
        sent_at: None,
    }
}

async fn list(h: &Harness, filter: EmailFilter) -> Vec<EmailId> {
    h.repos
        .emails
        .list(&filter, &page(100, None))
        .await
        .unwrap()
        .data
        .into_iter()
        .map(|e| e.id)
        .collect()
}

pub async fn emails_are_queued_once_per_key_and_listed_by_filter(h: &Harness) {
    let (a, b) = (h.account().await, h.account().await);
    let e1 = queued(&a, EmailKind::PaymentReceipt, "evt_1:payment_receipt", 1);
    let e2 = queued(&a, EmailKind::LowBalance, "evt_2:low_balance", 2);
    let e3 = queued(&b, EmailKind::PaymentReceipt, "evt_3:payment_receipt", 3);
    for e in [&e1, &e2, &e3] {
        assert!(h.repos.emails.enqueue(e, None).await.unwrap());
    }
    // The same event handled again (another id, same key): nothing written.
    let again = queued(&a, EmailKind::PaymentReceipt, "evt_1:payment_receipt", 4);
    let resend = Some(audit(at(4), "email.resend", e1.id.as_str()));
    assert!(
        !h.repos
            .emails
            .enqueue(&again, resend.clone())
            .await
            .unwrap()
    );
    assert_eq!(
        audit_count(h).await,
        0,
        "nothing written, the audit entry neither"
    );
    assert_eq!(h.repos.emails.get(&again.id).await.unwrap(), None);
    assert_eq!(h.repos.emails.get(&e1.id).await.unwrap(), Some(e1.clone()));
    assert!(
        h.repos
            .emails
            .enqueue(
                &queued(&AccountId::generate(at(5)), EmailKind::LowBalance, "k", 5),
                None
            )
            .await
            .is_err(),
        "an unknown account"
    );
    let copy = queued(&b, EmailKind::PaymentReceipt, "resend:evt_3", 6);
    assert!(h.repos.emails.enqueue(&copy, resend).await.unwrap());
    assert_eq!(audit_count_of(h, "email.resend").await, 1);
    let all = EmailFilter::default();
    assert_eq!(
        list(h, all).await,
        vec![copy.id.clone(), e3.id.clone(), e2.id.clone(), e1.id.clone()]
    );
    let of_a = EmailFilter {
        account_id: Some(a.clone()),
        ..Default::default()
    };
    assert_eq!(list(h, of_a).await, vec![e2.id.clone(), e1.id.clone()]);
    let receipts = EmailFilter {
        kind: Some(EmailKind::PaymentReceipt),
        ..Default::default()
    };
    assert_eq!(
        list(h, receipts).await,
        vec![copy.id.clone(), e3.id.clone(), e1.id.clone()]
    );
    let sent = EmailFilter {
        status: Some(EmailStatus::Sent),
        ..Default::default()
    };
    assert_eq!(list(h, sent).await, vec![]);
    let page1 = h
        .repos
        .emails
        .list(&EmailFilter::default(), &page(2, None))
        .await
        .unwrap();
    assert!(page1.has_more);
    let rest = h
        .repos
        .emails
        .list(&EmailFilter::default(), &page(2, Some(e2.id.as_str())))
        .await
        .unwrap();
    assert_eq!(rest.data, vec![e1]);
}

pub async fn email_claims_are_leased_and_finished_under_their_lease(h: &Harness) {
    let a = h.account().await;
    let due = queued(&a, EmailKind::PaymentReceipt, "due", 10);
    let later = queued(&a, EmailKind::LowBalance, "later", 1_000);
    for e in [&due, &later] {
        h.repos.emails.enqueue(e, None).await.unwrap();
    }
    let emails = &h.repos.emails;
    let claimed = emails.claim_due(at(100), at(200), 10).await.unwrap();
    assert_eq!(
        claimed.iter().map(|e| &e.id).collect::<Vec<_>>(),
        vec![&due.id]
    );
    assert_eq!(claimed[0].lease_until, Some(at(200)));
    assert_eq!(
        emails.claim_due(at(150), at(250), 10).await.unwrap(),
        vec![],
        "leased"
    );
    // The lease ran out (the worker died): another worker takes it over.
    let retaken = emails.claim_due(at(200), at(300), 10).await.unwrap();
    assert_eq!(retaken.len(), 1);
    let mut done = retaken[0].clone();
    done.status = EmailStatus::Sent;
    done.sent_at = Some(at(210));
    done.updated_at = at(210);
    done.attempts.push(EmailAttempt {
        at: at(210),
        outcome: AttemptOutcome::Sent,
        detail: None,
    });
    assert!(
        !emails.finish(&done, at(200)).await.unwrap(),
        "the first worker's lease"
    );
    assert!(emails.finish(&done, at(300)).await.unwrap());
    let stored = emails.get(&due.id).await.unwrap().unwrap();
    assert_eq!(
        (
            stored.status,
            stored.sent_at,
            stored.lease_until,
            stored.attempts.len()
        ),
        (EmailStatus::Sent, Some(at(210)), None, 1)
    );
    assert_eq!(
        stored.subject, due.subject,
        "the content is never rewritten"
    );
    assert!(!emails.finish(&done, at(300)).await.unwrap(), "once");
    // A temporary failure: queued again for later, claimable once due.
    let mut l = emails.claim_due(at(2_000), at(2_100), 10).await.unwrap();
    assert_eq!(l.len(), 1);
    let mut deferred = l.remove(0);
    deferred.next_attempt_at = at(5_000);
    deferred.updated_at = at(2_010);
    assert!(emails.finish(&deferred, at(2_100)).await.unwrap());
    assert_eq!(
        emails.claim_due(at(4_999), at(6_000), 10).await.unwrap(),
        vec![]
    );
    assert_eq!(
        emails
            .claim_due(at(5_000), at(6_000), 10)
            .await
            .unwrap()
            .len(),
        1
    );
}

pub async fn concurrent_email_claims_never_share_a_message(h: &Harness) {
    let a = h.account().await;
    for i in 0..24 {
        let e = queued(&a, EmailKind::LowBalance, &format!("k{i}"), i);
        h.repos.emails.enqueue(&e, None).await.unwrap();
    }
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let emails = Arc::clone(&h.repos.emails);
            tokio::spawn(async move {
                let mut mine = Vec::new();
                for _ in 0..4 {
                    let got = emails.claim_due(at(100), at(10_000), 2).await.unwrap();
                    mine.extend(got.into_iter().map(|e| e.id));
                }
                mine
            })
        })
        .collect();
    let mut seen = HashSet::new();
    let mut total = 0;
    for t in tasks {
        for id in t.await.unwrap() {
            total += 1;
            assert!(seen.insert(id.clone()), "{id} claimed twice");
        }
    }
    assert_eq!((total, seen.len()), (24, 24));
}
