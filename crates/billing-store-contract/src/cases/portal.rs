//! PortalSessionRepository: one-time links, live sessions, revocation.

use std::sync::Arc;

use billing_domain::entities::{PortalFlow, PortalLink};
use billing_domain::ports::NewPortalSession;
use billing_domain::types::{AccountId, InvoiceId, PortalSessionId};
use time::Duration;

use crate::Harness;
use crate::fixtures::*;

fn link(account: &AccountId, hash: &str, flow: Option<PortalFlow>) -> PortalLink {
    PortalLink {
        token_hash: hash.to_owned(),
        account_id: account.clone(),
        return_url: "https://app.example/settings".into(),
        flow,
        created_at: at(0),
        expires_at: at(0) + Duration::minutes(10),
        used_at: None,
    }
}

fn new_session(ms: i64, hash: &str) -> NewPortalSession {
    NewPortalSession {
        id: PortalSessionId::generate(at(ms)),
        token_hash: hash.to_owned(),
        csrf_token: format!("csrf-{hash}"),
        created_at: at(ms),
        idle_expires_at: at(ms) + Duration::minutes(30),
        expires_at: at(ms) + Duration::hours(4),
    }
}

async fn insert(h: &Harness, l: &PortalLink) {
    let entry = audit(at(0), "portal_link.create", l.account_id.as_str());
    h.repos
        .portal_sessions
        .insert_link(l, &entry)
        .await
        .unwrap();
}

pub async fn portal_link_opens_once_with_its_flow(h: &Harness) {
    let acct = h.account().await;
    let flow = PortalFlow::PayInvoice {
        invoice_id: InvoiceId::generate(at(0)),
    };
    insert(h, &link(&acct, "link-1", Some(flow.clone()))).await;
    assert_eq!(audit_count(h).await, 1);
    let repo = &h.repos.portal_sessions;
    let s = repo
        .redeem_link("link-1", at(1000), &new_session(1000, "cookie-1"))
        .await
        .unwrap()
        .expect("a fresh link opens");
    assert_eq!(s.account_id, acct);
    assert_eq!(s.flow, Some(flow));
    assert_eq!(s.return_url, "https://app.example/settings");
    assert_eq!(s.csrf_token, "csrf-cookie-1");
    assert_eq!(s.revoked_at, None);
    let again = repo
        .redeem_link("link-1", at(2000), &new_session(2000, "cookie-2"))
        .await
        .unwrap();
    assert_eq!(again, None, "a used link opens nothing");
    assert_eq!(
        repo.touch_session("cookie-2", at(2000), at(3000))
            .await
            .unwrap(),
        None,
        "the refused opening created no session"
    );
    let unknown = repo
        .redeem_link("nope", at(0), &new_session(0, "cookie-3"))
        .await
        .unwrap();
    assert_eq!(unknown, None);
}

pub async fn portal_expired_link_opens_nothing(h: &Harness) {
    let acct = h.account().await;
    insert(h, &link(&acct, "link-old", None)).await;
    let late = at(0) + Duration::minutes(10);
    let s = h
        .repos
        .portal_sessions
        .redeem_link("link-old", late, &new_session(0, "cookie-late"))
        .await
        .unwrap();
    assert_eq!(s, None, "a link at its expiry instant is expired");
}

pub async fn portal_concurrent_openings_create_one_session(h: &Harness) {
    let acct = h.account().await;
    insert(h, &link(&acct, "link-race", None)).await;
    let repo = Arc::clone(&h.repos.portal_sessions);
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let repo = Arc::clone(&repo);
            tokio::spawn(async move {
                repo.redeem_link(
                    "link-race",
                    at(100),
                    &new_session(100 + i, &format!("c{i}")),
                )
                .await
                .unwrap()
            })
        })
        .collect();
    let mut opened = 0;
    for t in tasks {
        opened += usize::from(t.await.unwrap().is_some());
    }
    assert_eq!(opened, 1, "exactly one of eight openings wins");
}

pub async fn portal_session_idle_and_absolute_timeouts(h: &Harness) {
    let acct = h.account().await;
    insert(h, &link(&acct, "link-t", None)).await;
    let repo = &h.repos.portal_sessions;
    let s = repo
        .redeem_link("link-t", at(0), &new_session(0, "cookie-t"))
        .await
        .unwrap()
        .unwrap();
    // A request 20 minutes in renews the idle timeout to 50 minutes.
    let t20 = at(0) + Duration::minutes(20);
    let touched = repo
        .touch_session("cookie-t", t20, t20 + Duration::minutes(30))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(touched.idle_expires_at, t20 + Duration::minutes(30));
    assert_eq!(touched.id, s.id);
    // A request 30 seconds later moves the timeout by less than a minute: nothing written.
    let t20b = t20 + Duration::seconds(30);
    let same = repo
        .touch_session("cookie-t", t20b, t20b + Duration::minutes(30))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(same.idle_expires_at, t20 + Duration::minutes(30));
    // 45 minutes in: still live (renewed), and renewal is capped at the absolute lifetime.
    let t45 = at(0) + Duration::minutes(45);
    let capped = repo
        .touch_session("cookie-t", t45, at(0) + Duration::hours(9))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(capped.idle_expires_at, s.expires_at);
    // An idle gap past the timeout ends it.
    let fresh = repo
        .redeem_link("link-t", at(0), &new_session(0, "x"))
        .await
        .unwrap();
    assert_eq!(fresh, None);
    insert(h, &link(&acct, "link-i", None)).await;
    repo.redeem_link("link-i", at(0), &new_session(1, "cookie-i"))
        .await
        .unwrap()
        .unwrap();
    let t31 = at(1) + Duration::minutes(31);
    assert_eq!(
        repo.touch_session("cookie-i", t31, t31 + Duration::minutes(30))
            .await
            .unwrap(),
        None,
        "idle for 31 minutes: ended"
    );
    // Past the absolute lifetime nothing revives it.
    let t5h = at(0) + Duration::hours(5);
    assert_eq!(
        repo.touch_session("cookie-t", t5h, t5h).await.unwrap(),
        None
    );
}

pub async fn portal_sign_out_and_revoke_all(h: &Harness) {
    let acct = h.account().await;
    let other = h.account().await;
    let repo = &h.repos.portal_sessions;
    let mut ids = Vec::new();
    for (i, a) in [(0, &acct), (1, &acct), (2, &other)] {
        insert(h, &link(a, &format!("l{i}"), None)).await;
        let s = repo
            .redeem_link(&format!("l{i}"), at(0), &new_session(i, &format!("k{i}")))
            .await
            .unwrap()
            .unwrap();
        ids.push(s.id);
    }
    repo.revoke_session(&ids[0], at(10)).await.unwrap();
    repo.revoke_session(&ids[0], at(20)).await.unwrap();
    assert_eq!(
        repo.touch_session("k0", at(30), at(60)).await.unwrap(),
        None
    );
    let entry = audit(at(40), "portal_sessions.revoke", acct.as_str());
    let before = audit_count(h).await;
    assert_eq!(
        repo.revoke_account_sessions(&acct, at(40), &entry)
            .await
            .unwrap(),
        1,
        "only the one still live"
    );
    assert_eq!(audit_count(h).await, before + 1);
    assert_eq!(
        repo.touch_session("k1", at(50), at(60)).await.unwrap(),
        None
    );
    assert!(
        repo.touch_session("k2", at(50), at(60))
            .await
            .unwrap()
            .is_some(),
        "another account's session is untouched"
    );
    // Pruning a day later removes the ended rows and keeps the live one.
    let gone = repo.prune(at(0) + Duration::hours(5)).await.unwrap();
    assert!(
        gone >= 4,
        "three links and two revoked sessions at least: {gone}"
    );
}
