//! SubscriptionRepository: one guarded step per call (version, period key, invoice guards),
//! one live subscription per account and plan, exclusive scheduler claims.

use billing_domain::RepoError;
use billing_domain::entities::{
    BilledSpan, CollectionMethod, InvoiceReason, InvoiceStatus, Metadata, OutboxEvent,
    PaymentMethodKind, PendingChange, ScheduledChange, Subscription, SubscriptionPeriod,
    SubscriptionStatus,
};
use billing_domain::ports::subscriptions::ALREADY_SUBSCRIBED;
use billing_domain::ports::{
    InvoiceChange, NewInvoice, SubscriptionChange, SubscriptionChangeOutcome, SubscriptionFilter,
};
use billing_domain::types::{AccountId, BillingInterval, EventId, PlanId, SubscriptionId};
use time::OffsetDateTime;

use crate::Harness;
use crate::fixtures::*;

/// An active monthly subscription of `account` to `plan`, anchored at `when`.
pub fn subscription(account: &AccountId, plan: &PlanId, when: OffsetDateTime) -> Subscription {
    let (start, end) = BillingInterval::MONTHLY.period(when, 0).unwrap();
    Subscription {
        id: SubscriptionId::generate(when),
        account_id: account.clone(),
        plan_id: plan.clone(),
        status: SubscriptionStatus::Active,
        currency: usd(),
        interval: BillingInterval::MONTHLY,
        payment_method: PaymentMethodKind::Stripe,
        collection_method: CollectionMethod::ChargeAutomatically,
        gateway_payment_method: Some("pm_card_visa".into()),
        anchor: when,
        period_index: 0,
        current_period_start: start,
        current_period_end: end,
        trial_end: None,
        cancel_at_period_end: false,
        trial_reminded: false,
        canceled_at: None,
        latest_invoice_id: None,
        attempt_count: 0,
        next_retry_at: None,
        next_action_at: Some(end),
        billed: Some(BilledSpan {
            amount: 1900,
            from: start,
        }),
        pending_change: None,
        metadata: Metadata::default(),
        created_at: when,
        updated_at: when,
        version: 0,
    }
}

fn period(sub: &Subscription, index: u32) -> SubscriptionPeriod {
    let (start, end) = sub.interval.period(sub.anchor, index).unwrap();
    SubscriptionPeriod {
        subscription_id: sub.id.clone(),
        index,
        start,
        end,
        plan_id: sub.plan_id.clone(),
        amount: 1900,
        currency: sub.currency,
        credits: 500,
        invoice_id: None,
        charged: true,
        created_at: start,
    }
}

fn event(account: &AccountId, kind: &str, when: OffsetDateTime) -> OutboxEvent {
    OutboxEvent {
        id: EventId::generate(when),
        kind: kind.into(),
        account_id: Some(account.clone()),
        payload: serde_json::json!({ "k": kind }),
        created_at: when,
        delivered_at: None,
    }
}

pub(crate) fn insert(sub: &Subscription) -> SubscriptionChange {
    SubscriptionChange {
        expected_version: None,
        ..SubscriptionChange::of(sub.clone(), sub)
    }
}

pub(crate) async fn apply(h: &Harness, c: &SubscriptionChange) -> SubscriptionChangeOutcome {
    h.repos.subscriptions.apply(c).await.unwrap()
}

pub(crate) fn stored(o: SubscriptionChangeOutcome) -> Subscription {
    match o {
        SubscriptionChangeOutcome::Applied { subscription, .. } => subscription,
        other => panic!("expected applied, got {other:?}"),
    }
}

/// An account and a stored plan.
pub(crate) async fn setup(h: &Harness) -> (AccountId, PlanId) {
    let account = h.account().await;
    let plan = crate::cases::plans::plan(t0(), &format!("p-{}", rand::random::<u32>()), true);
    h.repos
        .plans
        .insert(&plan, &audit(t0(), "plan.create", plan.id.as_str()))
        .await
        .unwrap();
    (account, plan.id)
}

pub async fn subscription_insert_get_list_and_versioned_updates(h: &Harness) {
    let (account, plan) = setup(h).await;
    let sub = subscription(&account, &plan, at(10));
    let mut c = insert(&sub);
    c.events = vec![event(&account, "subscription.created", at(10))];
    c.audit = Some(audit(at(10), "subscription.create", sub.id.as_str()));
    let v1 = stored(apply(h, &c).await);
    assert_eq!(v1.version, 1);
    assert_eq!(
        h.repos.subscriptions.get(&sub.id).await.unwrap().unwrap(),
        v1
    );
    assert_eq!(audit_count_of(h, "subscription.create").await, 1);
    let events = h
        .repos
        .outbox
        .list(
            Some(account.clone()),
            Some("subscription.created".into()),
            &page(10, None),
        )
        .await
        .unwrap();
    assert_eq!(events.data.len(), 1);

    // An update decided on version 1 applies once; a second one decided on it is stale.
    let mut next = v1.clone();
    next.cancel_at_period_end = true;
    next.created_at = at(99_999); // never rewritten
    next.billed = Some(BilledSpan {
        amount: 950,
        from: at(15),
    });
    next.pending_change = Some(PendingChange::AtPeriodEnd(ScheduledChange {
        plan_id: plan.clone(),
        currency: usd(),
        interval: BillingInterval::MONTHLY,
        effective_at: v1.current_period_end,
    }));
    let v2 = stored(apply(h, &SubscriptionChange::of(next.clone(), &v1)).await);
    assert_eq!(
        (v2.version, v2.cancel_at_period_end, v2.created_at),
        (2, true, at(10))
    );
    assert_eq!(
        (&v2.billed, &v2.pending_change),
        (&next.billed, &next.pending_change),
        "the billed span and a pending change are stored as given"
    );
    assert_eq!(
        apply(h, &SubscriptionChange::of(next, &v1)).await,
        SubscriptionChangeOutcome::Stale
    );
    assert_eq!(
        h.repos
            .subscriptions
            .get(&sub.id)
            .await
            .unwrap()
            .unwrap()
            .version,
        2
    );
    let missing = subscription(&account, &plan, at(11));
    assert_eq!(
        apply(h, &SubscriptionChange::of(missing.clone(), &missing)).await,
        SubscriptionChangeOutcome::Stale
    );

    // Listings filter by account, status, plan and creation time, newest first.
    let (other_account, other_plan) = setup(h).await;
    let mut canceled = subscription(&other_account, &other_plan, at(20));
    canceled.status = SubscriptionStatus::Canceled;
    stored(apply(h, &insert(&canceled)).await);
    let all = h
        .repos
        .subscriptions
        .list(&SubscriptionFilter::default(), &page(10, None))
        .await
        .unwrap();
    let ids: Vec<_> = all.data.iter().map(|s| s.id.clone()).collect();
    assert_eq!(ids, vec![canceled.id.clone(), sub.id.clone()]);
    let f = |status, plan: Option<&PlanId>, from| SubscriptionFilter {
        status,
        plan_id: plan.cloned(),
        from,
        ..SubscriptionFilter::default()
    };
    for (filter, want) in [
        (
            f(Some(SubscriptionStatus::Canceled), None, None),
            vec![canceled.id.clone()],
        ),
        (f(None, Some(&plan), None), vec![sub.id.clone()]),
        (f(None, None, Some(at(15))), vec![canceled.id.clone()]),
        (
            SubscriptionFilter {
                account_id: Some(account.clone()),
                ..SubscriptionFilter::default()
            },
            vec![sub.id.clone()],
        ),
    ] {
        let got: Vec<_> = h
            .repos
            .subscriptions
            .list(&filter, &page(10, None))
            .await
            .unwrap()
            .data
            .into_iter()
            .map(|s| s.id)
            .collect();
        assert_eq!(got, want, "{filter:?}");
    }
    for (card, want) in [
        ("pm_card_visa", vec![canceled.id.clone(), sub.id.clone()]),
        ("pm_other", vec![]),
    ] {
        let filter = SubscriptionFilter {
            gateway_payment_method: Some(card.into()),
            ..SubscriptionFilter::default()
        };
        let got: Vec<_> = h
            .repos
            .subscriptions
            .list(&filter, &page(10, None))
            .await
            .unwrap()
            .data
            .into_iter()
            .map(|s| s.id)
            .collect();
        assert_eq!(got, want, "{card}");
    }
    let first = h
        .repos
        .subscriptions
        .list(&SubscriptionFilter::default(), &page(1, None))
        .await
        .unwrap();
    assert!(first.has_more);
    let second = h
        .repos
        .subscriptions
        .list(
            &SubscriptionFilter::default(),
            &page(1, Some(first.data[0].id.as_str())),
        )
        .await
        .unwrap();
    assert_eq!(second.data[0].id, sub.id);
    assert!(!second.has_more);
}

pub async fn one_live_subscription_per_account_and_plan(h: &Harness) {
    let (account, plan) = setup(h).await;
    let first = stored(apply(h, &insert(&subscription(&account, &plan, at(1)))).await);
    let second = subscription(&account, &plan, at(2));
    let mut c = insert(&second);
    c.events = vec![event(&account, "subscription.created", at(2))];
    match h.repos.subscriptions.apply(&c).await {
        Err(RepoError::Conflict(m)) => assert_eq!(m, ALREADY_SUBSCRIBED),
        other => panic!("expected the live-subscription conflict, got {other:?}"),
    }
    assert!(
        h.repos
            .subscriptions
            .get(&second.id)
            .await
            .unwrap()
            .is_none(),
        "nothing written"
    );
    assert_eq!(
        h.repos
            .outbox
            .list(Some(account.clone()), None, &page(10, None))
            .await
            .unwrap()
            .data
            .len(),
        0
    );
    // Once the first has ended, the account may subscribe again.
    let mut ended = first.clone();
    ended.status = SubscriptionStatus::Canceled;
    stored(apply(h, &SubscriptionChange::of(ended, &first)).await);
    stored(apply(h, &insert(&second)).await);
    // An unknown account or plan is not found.
    let ghost = subscription(&AccountId::generate(at(3)), &plan, at(3));
    assert!(matches!(
        h.repos.subscriptions.apply(&insert(&ghost)).await,
        Err(RepoError::NotFound)
    ));
}

pub async fn a_period_is_billed_once_with_its_invoice(h: &Harness) {
    let (account, plan) = setup(h).await;
    let sub = stored(apply(h, &insert(&subscription(&account, &plan, at(1)))).await);
    let mut inv = finalized_invoice(&account, at(5));
    inv.billing_reason = InvoiceReason::SubscriptionCycle;
    let mut p = period(&sub, 1);
    p.invoice_id = Some(inv.id.clone());
    let mut next = sub.clone();
    next.period_index = 1;
    next.latest_invoice_id = Some(inv.id.clone());
    let mut c = SubscriptionChange::of(next.clone(), &sub);
    c.period = Some(p.clone());
    c.invoice = Some(NewInvoice {
        invoice: inv.clone(),
        number_prefix: "SUB".into(),
        payment: None,
    });
    c.events = vec![event(&account, "subscription.renewed", at(5))];
    let (v2, stored_inv) = match apply(h, &c).await {
        SubscriptionChangeOutcome::Applied {
            subscription,
            invoice,
        } => (subscription, invoice.unwrap()),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        stored_inv.number.as_deref(),
        Some(format!("SUB-{}-000001", at(5).year()).as_str())
    );
    assert_eq!(
        h.repos.invoices.get(&inv.id).await.unwrap().unwrap().number,
        stored_inv.number
    );
    assert_eq!(
        h.repos.subscriptions.periods(&sub.id).await.unwrap(),
        vec![p.clone()]
    );
    // The same period again (another process, a rerun), even decided on the new version:
    // nothing is written, no number is taken.
    let mut again = c.clone();
    again.expected_version = Some(v2.version);
    again.invoice = Some(NewInvoice {
        invoice: finalized_invoice(&account, at(6)),
        number_prefix: "SUB".into(),
        payment: None,
    });
    again.events = vec![event(&account, "subscription.renewed", at(6))];
    assert_eq!(
        apply(h, &again).await,
        SubscriptionChangeOutcome::PeriodTaken
    );
    assert_eq!(
        h.repos.subscriptions.periods(&sub.id).await.unwrap().len(),
        1
    );
    assert_eq!(
        h.repos
            .outbox
            .list(
                Some(account.clone()),
                Some("subscription.renewed".into()),
                &page(10, None)
            )
            .await
            .unwrap()
            .data
            .len(),
        1
    );
    assert_eq!(
        h.repos
            .subscriptions
            .get(&sub.id)
            .await
            .unwrap()
            .unwrap()
            .version,
        v2.version
    );
    let next_number = h
        .payment_flow()
        .create_invoice(
            &finalized_invoice(&account, at(7)),
            Some("SUB".into()),
            None,
            None,
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        next_number.number.as_deref(),
        Some(format!("SUB-{}-000002", at(5).year()).as_str()),
        "no gap"
    );
}

pub async fn guarded_invoice_changes_and_free_period_grants(h: &Harness) {
    let (account, plan) = setup(h).await;
    let sub = stored(apply(h, &insert(&subscription(&account, &plan, at(1)))).await);
    let inv = h
        .payment_flow()
        .create_invoice(
            &finalized_invoice(&account, at(2)),
            Some("INV".into()),
            None,
            None,
            None,
        )
        .await
        .unwrap();
    let mut void = inv.clone();
    void.status = InvoiceStatus::Void;
    void.amount_due = 0;
    void.status_reason = Some("subscription canceled".into());
    let guarded = |expected| InvoiceChange {
        invoice: void.clone(),
        expected_status: expected,
        expected_amount_paid: 0,
    };
    let mut canceled = sub.clone();
    canceled.status = SubscriptionStatus::Canceled;
    // A guard that no longer holds: nothing at all is written.
    let mut c = SubscriptionChange::of(canceled.clone(), &sub);
    c.invoice_changes = vec![guarded(InvoiceStatus::Draft)];
    assert_eq!(apply(h, &c).await, SubscriptionChangeOutcome::Stale);
    assert_eq!(
        h.repos
            .subscriptions
            .get(&sub.id)
            .await
            .unwrap()
            .unwrap()
            .status,
        SubscriptionStatus::Active
    );
    assert_eq!(
        h.repos.invoices.get(&inv.id).await.unwrap().unwrap().status,
        InvoiceStatus::Pending
    );
    // A free period's grant is posted with the change, once per period source.
    let mut renewed = sub.clone();
    renewed.period_index = 1;
    let mut free = SubscriptionChange::of(renewed, &sub);
    free.period = Some(period(&sub, 1));
    free.posting = Some(posting(&account, 500, "subscription:x:1", at(3)));
    let v2 = stored(apply(h, &free).await);
    assert_eq!(
        h.repos
            .ledger
            .balance(&account, at(4))
            .await
            .unwrap()
            .balance,
        500
    );
    let mut c = SubscriptionChange::of(canceled, &v2);
    c.invoice_changes = vec![guarded(InvoiceStatus::Pending)];
    let v3 = stored(apply(h, &c).await);
    assert_eq!(v3.status, SubscriptionStatus::Canceled);
    let stored_inv = h.repos.invoices.get(&inv.id).await.unwrap().unwrap();
    assert_eq!(
        (stored_inv.status, stored_inv.status_reason.as_deref()),
        (InvoiceStatus::Void, Some("subscription canceled"))
    );
}
