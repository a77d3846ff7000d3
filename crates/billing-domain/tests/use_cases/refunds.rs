//! The refund use case on the memory store with a scripted gateway: the refund is recorded
//! before the gateway is called, refusals reverse it, unknown outcomes wait for the janitor.

#[allow(unused_imports)]
use crate::prelude::*;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use time::{Duration, OffsetDateTime};
use tokio::sync::Notify;

use billing_domain::entities::audit::RequestContext;
use billing_domain::entities::{
    Account, ApiKeyScope, Invoice, InvoiceLine, InvoiceLineKind, InvoiceStatus, LedgerKind,
    Metadata, Payment, PaymentMethodKind, PaymentStatus, Principal, RefundStatus,
};
use billing_domain::error::BillingError;
use billing_domain::ports::gateway::{
    GatewayCapabilities, GatewayOutcome, GatewayRefund, GatewayRefundRequest, StartPayment,
    StartedPayment, VerifiedWebhook,
};
use billing_domain::ports::{
    Clock, FixedClock, GatewayError, LedgerFilter, PaymentGateway, Repositories,
};
use billing_domain::services::refunds::RefundInput;
use billing_domain::services::{
    GatewayAvailability, GatewayRegistry, PaymentServices, PaymentSettings, Services,
};
use billing_domain::types::{
    AccountId, BoundedText, Currency, InvoiceId, InvoiceLineId, PageRequest, PaymentId,
};
use billing_store_memory::MemoryStore;

const CREDITS: i64 = 1000;
const PRICE: i64 = 2000;

/// A gateway whose refund answers are scripted (then it accepts) and which can be held
/// inside the refund call until released.
#[derive(Default)]
struct RefundDesk {
    answers: Mutex<VecDeque<Result<GatewayRefund, GatewayError>>>,
    calls: Mutex<Vec<String>>,
    hold: Mutex<Option<(Arc<Notify>, Arc<Notify>)>>,
}

impl RefundDesk {
    fn answer(&self, a: Result<GatewayRefund, GatewayError>) {
        self.answers.lock().unwrap().push_back(a);
    }
}

fn accepted(id: &str) -> Result<GatewayRefund, GatewayError> {
    Ok(GatewayRefund {
        gateway_refund_id: Some(id.into()),
        settled: true,
    })
}

#[async_trait::async_trait]
impl PaymentGateway for RefundDesk {
    fn methods(&self) -> Vec<PaymentMethodKind> {
        vec![PaymentMethodKind::Stripe]
    }
    fn capabilities(&self) -> GatewayCapabilities {
        GatewayCapabilities {
            partial_refunds: true,
            needs_capture: false,
            needs_approval: false,
            setup_sessions: false,
        }
    }
    async fn start(&self, _: &StartPayment) -> Result<StartedPayment, GatewayError> {
        Err(GatewayError::Other("not scripted".into()))
    }
    async fn capture(&self, _: &Payment) -> Result<GatewayOutcome, GatewayError> {
        Err(GatewayError::Other("not scripted".into()))
    }
    async fn refund(&self, r: &GatewayRefundRequest) -> Result<GatewayRefund, GatewayError> {
        self.calls.lock().unwrap().push(r.refund_id.to_string());
        let hold = self.hold.lock().unwrap().take();
        if let Some((inside, release)) = hold {
            inside.notify_one();
            release.notified().await;
        }
        let next = self.answers.lock().unwrap().pop_front();
        next.unwrap_or_else(|| accepted("gw_default"))
    }
    async fn fetch_status(&self, _: &Payment) -> Result<GatewayOutcome, GatewayError> {
        Err(GatewayError::Other("not scripted".into()))
    }
    async fn verify_webhook(
        &self,
        _: &[(String, String)],
        _: &[u8],
    ) -> Result<VerifiedWebhook, GatewayError> {
        Err(GatewayError::InvalidWebhook("not scripted".into()))
    }
}

struct World {
    repos: Repositories,
    services: PaymentServices,
    desk: Arc<RefundDesk>,
    clock: Arc<FixedClock>,
    payment: PaymentId,
    account: AccountId,
}

fn admin() -> RequestContext {
    RequestContext {
        principal: Principal {
            key_id: None,
            scope: ApiKeyScope::Admin,
            account_id: None,
            portal_session: None,
        },
        request_id: None,
    }
}

/// A Stripe payment of `PRICE` that succeeded and granted `CREDITS`.
async fn world() -> World {
    let t0 = OffsetDateTime::from_unix_timestamp(1_790_000_000).unwrap();
    let store = MemoryStore::new();
    let repos = store.repositories();
    let clock = Arc::new(FixedClock::new(t0));
    let desk = Arc::new(RefundDesk::default());
    let core = Services::new(repos.clone(), clock.clone(), GatewayAvailability::all());
    let services = PaymentServices::new(
        &core,
        store.payment_flow(),
        GatewayRegistry::default().with(desk.clone()),
        PaymentSettings::default(),
    );
    let account = Account {
        id: AccountId::generate(t0),
        name: BoundedText::new("Acme", "name", 100).unwrap(),
        external_id: None,
        billing_profile: None,
        low_balance_threshold: None,
        stripe_customer_id: None,
        metadata: Metadata::default(),
        created_at: t0,
        updated_at: t0,
    };
    repos.accounts.insert(&account).await.unwrap();
    let usd = Currency::parse("USD").unwrap();
    let invoice = Invoice {
        id: InvoiceId::generate(t0),
        account_id: account.id.clone(),
        number: None,
        status: InvoiceStatus::Pending,
        billing_reason: billing_domain::entities::InvoiceReason::Manual,
        currency: usd,
        lines: vec![InvoiceLine {
            id: InvoiceLineId::generate(t0),
            kind: InvoiceLineKind::CreditPackage,
            description: "Pro".into(),
            quantity: 1,
            unit_amount: PRICE,
            discount_amount: 0,
            amount: PRICE,
            credit_package_id: None,
            credits: Some(CREDITS),
            subscription_id: None,
            period_start: None,
            period_end: None,
            rollover: None,
        }],
        subtotal: PRICE,
        discount: 0,
        total: PRICE,
        amount_paid: 0,
        amount_due: PRICE,
        due_at: None,
        billing_snapshot: None,
        status_reason: None,
        metadata: Metadata::default(),
        created_at: t0,
        finalized_at: Some(t0),
        paid_at: None,
        updated_at: t0,
    };
    let payment = Payment {
        id: PaymentId::generate(t0),
        account_id: account.id.clone(),
        invoice_id: invoice.id.clone(),
        method: PaymentMethodKind::Stripe,
        status: PaymentStatus::Pending,
        currency: usd,
        amount: PRICE,
        amount_received: 0,
        amount_refunded: 0,
        reference: None,
        gateway_reference: Some("cs_1".into()),
        gateway_payment_id: None,
        failure_reason: None,
        expires_at: None,
        next_action: None,
        confirmation: None,
        history: vec![],
        created_at: t0,
        updated_at: t0,
    };
    store
        .payment_flow()
        .create_invoice(
            &invoice,
            Some("INV".into()),
            Some(payment.clone()),
            None,
            None,
        )
        .await
        .unwrap();
    let paid = GatewayOutcome::Succeeded {
        amount_received: PRICE,
        gateway_payment_id: Some("pi_1".into()),
    };
    services
        .events
        .apply_outcome(&payment.id, &paid, "test")
        .await
        .unwrap();
    World {
        repos,
        services,
        desk,
        clock,
        payment: payment.id,
        account: account.id,
    }
}

impl World {
    async fn refund(&self, amount: i64) -> Result<billing_domain::entities::Refund, BillingError> {
        let input = RefundInput {
            amount: Some(amount),
            reason: Some("asked".into()),
        };
        self.services
            .refunds
            .refund(&admin(), self.payment.as_str(), input)
            .await
    }
    async fn payment(&self) -> Payment {
        self.repos
            .payments
            .get(&self.payment)
            .await
            .unwrap()
            .unwrap()
    }
    async fn balance(&self) -> i64 {
        let b = self
            .repos
            .ledger
            .balance(&self.account, self.clock.now())
            .await;
        b.unwrap().balance
    }
    async fn kinds(&self) -> Vec<LedgerKind> {
        let page = self
            .repos
            .ledger
            .list_entries(
                &self.account,
                &LedgerFilter::default(),
                &PageRequest::default(),
            )
            .await
            .unwrap();
        // Same instant on the fixed clock: compare as a set, not in order.
        let mut kinds: Vec<LedgerKind> = page.data.into_iter().map(|e| e.kind).collect();
        kinds.sort_by_key(|k| k.as_str());
        kinds
    }
}

#[tokio::test]
async fn a_declined_refund_is_recorded_failed_and_undone() {
    let w = world().await;
    w.desk.answer(Err(GatewayError::Declined {
        code: "charge_disputed".into(),
        message: "the charge is disputed".into(),
    }));
    let err = w.refund(PRICE).await.unwrap_err();
    assert!(
        matches!(&err, BillingError::Conflict { code, .. } if *code == "refund_declined"),
        "{err:?}"
    );
    let refunds = w.repos.payments.refunds_of(&w.payment).await.unwrap();
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0].status, RefundStatus::Failed);
    assert_eq!(refunds[0].credits_clawed_back, CREDITS);
    let p = w.payment().await;
    assert_eq!((p.status, p.amount_refunded), (PaymentStatus::Succeeded, 0));
    assert_eq!(w.balance().await, CREDITS, "clawed back, then given back");
    assert_eq!(
        w.kinds().await,
        vec![
            LedgerKind::PurchaseGrant,
            LedgerKind::RefundClawback,
            LedgerKind::RefundReversal
        ],
        "each once (sorted by name)"
    );
    // The amount is refundable again.
    w.desk.answer(accepted("gw_2"));
    assert_eq!(
        w.refund(PRICE).await.unwrap().status,
        RefundStatus::Succeeded
    );
    assert_eq!(w.payment().await.status, PaymentStatus::Refunded);
    assert_eq!(w.balance().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_refund_cannot_spend_what_the_first_has_reserved() {
    let w = Arc::new(world().await);
    let (inside, release) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    *w.desk.hold.lock().unwrap() = Some((inside.clone(), release.clone()));
    let first = {
        let w = w.clone();
        tokio::spawn(async move { w.refund(PRICE).await })
    };
    // The first refund is at the gateway: already recorded, its amount reserved.
    inside.notified().await;
    let err = w.refund(1).await.unwrap_err();
    assert!(
        matches!(&err, BillingError::Conflict { code, .. } if *code == "payment_not_refundable"),
        "{err:?}"
    );
    release.notify_one();
    assert_eq!(
        first.await.unwrap().unwrap().status,
        RefundStatus::Succeeded
    );
    assert_eq!(
        w.desk.calls.lock().unwrap().len(),
        1,
        "the gateway was asked once"
    );
    let p = w.payment().await;
    assert_eq!(
        (p.status, p.amount_refunded),
        (PaymentStatus::Refunded, PRICE)
    );
}

#[tokio::test]
async fn an_unknown_outcome_waits_for_the_janitor_which_asks_with_the_same_id() {
    let w = world().await;
    w.desk
        .answer(Err(GatewayError::Uncertain("timeout".into())));
    w.desk.answer(accepted("gw_late"));
    let pending = w.refund(500).await.unwrap();
    assert_eq!(pending.status, RefundStatus::Pending);
    assert_eq!(pending.gateway_refund_id, None);
    assert_eq!(
        w.payment().await.amount_refunded,
        500,
        "reserved while unknown"
    );

    let janitor = |min, max| w.services.refunds.retry_unacknowledged(min, max, 10);
    // Too young: not asked yet.
    assert_eq!(
        janitor(Duration::MINUTE, Duration::hours(23))
            .await
            .unwrap(),
        (0, 0)
    );
    w.clock.advance(Duration::minutes(2));
    assert_eq!(
        janitor(Duration::MINUTE, Duration::hours(23))
            .await
            .unwrap(),
        (1, 1)
    );
    let calls = w.desk.calls.lock().unwrap().clone();
    assert_eq!(calls, vec![pending.id.to_string(), pending.id.to_string()]);
    let refunds = w.repos.payments.refunds_of(&w.payment).await.unwrap();
    assert_eq!(refunds[0].status, RefundStatus::Succeeded);
    assert_eq!(refunds[0].gateway_refund_id.as_deref(), Some("gw_late"));
    // Known now: not asked again.
    assert_eq!(
        janitor(Duration::MINUTE, Duration::hours(23))
            .await
            .unwrap(),
        (0, 0)
    );
    assert_eq!(w.balance().await, CREDITS - 250);
}

#[tokio::test]
async fn the_janitor_leaves_refunds_older_than_the_gateways_memory_to_an_operator() {
    let w = world().await;
    w.desk
        .answer(Err(GatewayError::Uncertain("timeout".into())));
    w.refund(500).await.unwrap();
    w.clock.advance(Duration::hours(24));
    let asked = w
        .services
        .refunds
        .retry_unacknowledged(Duration::MINUTE, Duration::hours(23), 10)
        .await
        .unwrap();
    assert_eq!(asked, (0, 0));
    assert_eq!(w.desk.calls.lock().unwrap().len(), 1);
}
