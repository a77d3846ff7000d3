//! SubscriptionRepository's scheduler claims: earliest due first, exclusive, released by a
//! change or when they run out, never shared between concurrent claimers.

use billing_domain::entities::SubscriptionStatus;
use time::Duration;

use crate::Harness;
use crate::cases::subscriptions::{apply, insert, setup, stored, subscription};
use crate::fixtures::*;
use billing_domain::ports::SubscriptionChange;

pub async fn claims_are_exclusive_and_released_by_a_change(h: &Harness) {
    let (account, plan) = setup(h).await;
    let base = at(0);
    let mut subs = Vec::new();
    for i in 0..3 {
        let (a, p) = if i == 0 {
            (account.clone(), plan.clone())
        } else {
            setup(h).await
        };
        let mut s = subscription(&a, &p, base + Duration::seconds(i));
        s.next_action_at = Some(base + Duration::days(30 + i));
        subs.push(stored(apply(h, &insert(&s)).await));
    }
    let mut never = subscription(&account, &plan, base);
    never.status = SubscriptionStatus::Canceled;
    never.next_action_at = None;
    stored(apply(h, &insert(&never)).await);
    let day = |d| base + Duration::days(d);
    assert!(
        h.repos
            .subscriptions
            .claim_due(day(29), day(30), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        h.repos
            .subscriptions
            .next_action_after(day(0))
            .await
            .unwrap(),
        Some(day(30))
    );
    assert_eq!(
        h.repos
            .subscriptions
            .next_action_after(day(30))
            .await
            .unwrap(),
        Some(day(31))
    );
    assert_eq!(
        h.repos
            .subscriptions
            .next_action_after(day(32))
            .await
            .unwrap(),
        None
    );
    // Earliest due first, up to the limit; a claimed one is not handed out again.
    let first = h
        .repos
        .subscriptions
        .claim_due(day(40), day(41), 2)
        .await
        .unwrap();
    let ids: Vec<_> = first.iter().map(|s| s.id.clone()).collect();
    assert_eq!(ids, vec![subs[0].id.clone(), subs[1].id.clone()]);
    let rest = h
        .repos
        .subscriptions
        .claim_due(day(40), day(41), 10)
        .await
        .unwrap();
    assert_eq!(
        rest.iter().map(|s| s.id.clone()).collect::<Vec<_>>(),
        vec![subs[2].id.clone()]
    );
    assert!(
        h.repos
            .subscriptions
            .claim_due(day(40), day(41), 10)
            .await
            .unwrap()
            .is_empty()
    );
    // Released explicitly, by a change, or when the claim runs out.
    h.repos.subscriptions.release(&subs[0].id).await.unwrap();
    let mut moved = first[1].clone();
    moved.next_action_at = Some(day(35));
    stored(apply(h, &SubscriptionChange::of(moved, &first[1])).await);
    let again: Vec<_> = h
        .repos
        .subscriptions
        .claim_due(day(40), day(41), 10)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(again, vec![subs[0].id.clone(), subs[1].id.clone()]);
    let later = h
        .repos
        .subscriptions
        .claim_due(day(41), day(42), 10)
        .await
        .unwrap();
    assert_eq!(later.len(), 3, "every claim ran out at day 41");
}

pub async fn concurrent_claims_never_share_a_subscription(h: &Harness) {
    let base = at(0);
    for i in 0..12 {
        let (a, p) = setup(h).await;
        let mut s = subscription(&a, &p, base + Duration::seconds(i));
        s.next_action_at = Some(base + Duration::seconds(i));
        stored(apply(h, &insert(&s)).await);
    }
    let now = base + Duration::days(1);
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let repo = h.repos.subscriptions.clone();
            tokio::spawn(async move {
                let mut mine = Vec::new();
                loop {
                    let got = repo
                        .claim_due(now, now + Duration::minutes(5), 2)
                        .await
                        .unwrap();
                    if got.is_empty() {
                        return mine;
                    }
                    mine.extend(got.into_iter().map(|s| s.id));
                }
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let n = all.len();
    all.sort();
    all.dedup();
    assert_eq!(
        (n, all.len()),
        (12, 12),
        "each subscription claimed exactly once"
    );
}
