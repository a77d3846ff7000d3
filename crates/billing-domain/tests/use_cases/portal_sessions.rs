//! Portal links and sessions on the in-memory store: who may make a link, what a return URL
//! may be, single use, timeouts, sign out, and the principal a session acts as.

use std::sync::Arc;

use billing_domain::services::accounts::CreateAccountInput;
use billing_domain::services::portal_sessions::{
    CreatePortalSessionInput, PortalFlowInput, PortalSessionService,
};

use billing_domain::entities::audit::RequestContext;

use crate::prelude::*;

struct World {
    portal: PortalSessionService,
    clock: Arc<TestClock>,
    account: String,
}

async fn world(settings: PortalSettings) -> World {
    let repos = billing_store_memory::MemoryStore::new().repositories();
    let clock = Arc::new(TestClock::new());
    let services = Services::new(repos.clone(), clock.clone(), GatewayAvailability::all());
    let account = services
        .accounts
        .create(
            &RequestContext::system(),
            CreateAccountInput {
                name: Some("Kunde".into()),
                ..CreateAccountInput::default()
            },
        )
        .await
        .unwrap()
        .id
        .to_string();
    World {
        portal: PortalSessionService::new(repos, clock.clone(), settings),
        clock,
        account,
    }
}

fn input(account: &str, url: &str) -> CreatePortalSessionInput {
    CreatePortalSessionInput {
        account_id: Some(account.to_owned()),
        return_url: Some(url.to_owned()),
        flow: None,
    }
}

fn field(e: BillingError) -> String {
    match e {
        BillingError::Validation(v) => v.field,
        other => panic!("not a validation error: {other:?}"),
    }
}

fn account_ctx(account: &str) -> RequestContext {
    RequestContext {
        principal: Principal {
            key_id: Some(ApiKeyId::generate(time::OffsetDateTime::now_utc())),
            scope: ApiKeyScope::Account,
            account_id: Some(AccountId::from_trusted(account.to_owned())),
            portal_session: None,
        },
        request_id: None,
    }
}

#[tokio::test]
async fn only_the_platform_makes_links_and_return_urls_are_checked() {
    let w = world(PortalSettings {
        return_origins: vec!["https://app.example.com".into()],
        ..PortalSettings::default()
    })
    .await;
    let sys = RequestContext::system();
    let e = w
        .portal
        .create_link(
            &account_ctx(&w.account),
            input(&w.account, "https://app.example.com/x"),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, BillingError::Forbidden(_)), "{e:?}");
    for bad in [
        "ftp://app.example.com/",
        "app.example.com/settings",
        "https://user:pw@app.example.com/",
        "https:///path",
        "https://app.example.com/a b",
        "https://app.example.com.evil.example/",
        "https://evil.example/?https://app.example.com",
    ] {
        let e = w
            .portal
            .create_link(&sys, input(&w.account, bad))
            .await
            .unwrap_err();
        assert_eq!(field(e), "return_url", "{bad}");
    }
    let e = w
        .portal
        .create_link(
            &sys,
            input(
                "acct_01m8zbj25t5hyzr8a3wt3gx93g",
                "https://app.example.com/",
            ),
        )
        .await
        .unwrap_err();
    assert_eq!(field(e), "account_id");
    let mut flow = input(&w.account, "https://app.example.com/billing");
    flow.flow = Some(PortalFlowInput {
        kind: Some("pay_invoice".into()),
        ..PortalFlowInput::default()
    });
    assert_eq!(
        field(w.portal.create_link(&sys, flow).await.unwrap_err()),
        "flow.invoice_id"
    );
    let mut flow = input(&w.account, "https://app.example.com/billing");
    flow.flow = Some(PortalFlowInput {
        kind: Some("buy_credits".into()),
        payment_id: Some("pay_x".into()),
        ..PortalFlowInput::default()
    });
    assert_eq!(
        field(w.portal.create_link(&sys, flow).await.unwrap_err()),
        "flow.payment_id"
    );
    let (token, link) = w
        .portal
        .create_link(
            &sys,
            input(&w.account, "https://app.example.com/billing?tab=1"),
        )
        .await
        .unwrap();
    assert_eq!(link.token_hash, token.hash());
    assert_eq!(link.expires_at - link.created_at, Duration::minutes(10));
}

#[tokio::test]
async fn a_link_opens_one_session_that_times_out_and_signs_out() {
    let w = world(PortalSettings::default()).await;
    let sys = RequestContext::system();
    let (token, _) = w
        .portal
        .create_link(&sys, input(&w.account, "https://app.example.com/"))
        .await
        .unwrap();
    let (cookie, session) = w.portal.open(&token.0).await.unwrap();
    assert!(matches!(
        w.portal.open(&token.0).await.unwrap_err(),
        BillingError::Unauthenticated(_)
    ));
    let ctx = PortalSessionService::context(&session, None);
    assert_eq!(ctx.principal.scope, ApiKeyScope::Account);
    assert_eq!(
        ctx.principal.account_id.as_ref().map(|a| a.to_string()),
        Some(w.account.clone())
    );
    assert_eq!(ctx.principal.actor(), format!("portal:{}", session.id));
    assert!(
        ctx.principal.ensure_service().is_err(),
        "a session is no platform"
    );

    // Busy every 20 minutes: alive past the idle timeout; 31 minutes idle: ended.
    for _ in 0..3 {
        w.clock.advance(Duration::minutes(20));
        assert!(w.portal.authenticate(&cookie.0).await.unwrap().is_some());
    }
    w.clock.advance(Duration::minutes(31));
    assert!(w.portal.authenticate(&cookie.0).await.unwrap().is_none());

    // Signing out ends another session at once; a made-up cookie finds nothing.
    let (token, _) = w
        .portal
        .create_link(&sys, input(&w.account, "https://app.example.com/"))
        .await
        .unwrap();
    let (cookie, session) = w.portal.open(&token.0).await.unwrap();
    w.portal.sign_out(&session).await.unwrap();
    assert!(w.portal.authenticate(&cookie.0).await.unwrap().is_none());
    assert!(
        w.portal
            .authenticate("not-a-cookie")
            .await
            .unwrap()
            .is_none()
    );

    // A link not opened within 10 minutes opens nothing.
    let (late, _) = w
        .portal
        .create_link(&sys, input(&w.account, "https://app.example.com/"))
        .await
        .unwrap();
    w.clock.advance(Duration::minutes(10));
    assert!(w.portal.open(&late.0).await.is_err());
}
