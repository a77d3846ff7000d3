//! Webhooks, returns and the janitor on the memory store, with a scripted fake gateway.
#![allow(clippy::unwrap_used)]

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use time::OffsetDateTime;

use super::*;
use crate::entities::audit::RequestContext;
use crate::entities::{
    Account, ApiKeyScope, AuditEntry, Invoice, InvoiceLine, InvoiceLineKind, InvoiceStatus,
    Metadata, Principal, StatusChange,
};
use crate::error::RepoError;
use crate::memory::MemoryStore;
use crate::ports::gateway::{
    GatewayCapabilities, GatewayRefund, GatewayRefundRequest, StartPayment, StartedPayment,
    VerifiedWebhook,
};
use crate::ports::{Clock, FixedClock, PaymentFlowRepository, PaymentGateway};
use crate::ports::{PaymentChange, PaymentChangeOutcome};
use crate::services::{
    GatewayAvailability, GatewayRegistry, PaymentServices, PaymentSettings, Services,
};
use crate::types::{AccountId, BoundedText, Currency, InvoiceId, InvoiceLineId};

fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_790_000_000).unwrap()
}

/// A gateway whose webhooks are looked up by body, and whose capture and fetch answers are
/// scripted (the last answer repeats). Counts capture and fetch calls.
struct Fake {
    method: PaymentMethodKind,
    events: Mutex<HashMap<String, VerifiedWebhook>>,
    captures: Mutex<VecDeque<Result<GatewayOutcome, GatewayError>>>,
    fetches: Mutex<VecDeque<Result<GatewayOutcome, GatewayError>>>,
    capture_calls: AtomicUsize,
    fetch_calls: AtomicUsize,
}

impl Fake {
    fn new(method: PaymentMethodKind) -> Arc<Self> {
        Arc::new(Self {
            method,
            events: Mutex::default(),
            captures: Mutex::default(),
            fetches: Mutex::default(),
            capture_calls: AtomicUsize::new(0),
            fetch_calls: AtomicUsize::new(0),
        })
    }
    fn event(&self, body: &str, effect: Option<WebhookEffect>) {
        self.events.lock().unwrap().insert(
            body.into(),
            VerifiedWebhook {
                event_id: format!("evt_{body}"),
                event_type: body.into(),
                effect,
            },
        );
    }
    fn next(
        q: &Mutex<VecDeque<Result<GatewayOutcome, GatewayError>>>,
    ) -> Result<GatewayOutcome, GatewayError> {
        let mut q = q.lock().unwrap();
        if q.len() > 1 {
            q.pop_front().unwrap()
        } else {
            q.front().cloned().unwrap_or(Ok(GatewayOutcome::Processing))
        }
    }
}

#[async_trait::async_trait]
impl PaymentGateway for Fake {
    fn methods(&self) -> Vec<PaymentMethodKind> {
        vec![self.method]
    }
    fn capabilities(&self) -> GatewayCapabilities {
        GatewayCapabilities {
            partial_refunds: true,
            needs_capture: self.method == PaymentMethodKind::Paypal,
            needs_approval: false,
        }
    }
    async fn start(&self, _: &StartPayment) -> Result<StartedPayment, GatewayError> {
        Err(GatewayError::Other("not scripted".into()))
    }
    async fn capture(&self, _: &Payment) -> Result<GatewayOutcome, GatewayError> {
        self.capture_calls.fetch_add(1, Ordering::SeqCst);
        Self::next(&self.captures)
    }
    async fn refund(&self, r: &GatewayRefundRequest) -> Result<GatewayRefund, GatewayError> {
        Ok(GatewayRefund {
            gateway_refund_id: Some(format!("gw_{}", r.amount)),
            settled: false,
        })
    }
    async fn fetch_status(&self, _: &Payment) -> Result<GatewayOutcome, GatewayError> {
        self.fetch_calls.fetch_add(1, Ordering::SeqCst);
        Self::next(&self.fetches)
    }
    async fn verify_webhook(
        &self,
        _: &[(String, String)],
        body: &[u8],
    ) -> Result<VerifiedWebhook, GatewayError> {
        let body = String::from_utf8_lossy(body).into_owned();
        self.events
            .lock()
            .unwrap()
            .get(&body)
            .cloned()
            .ok_or_else(|| GatewayError::InvalidWebhook("bad signature".into()))
    }
}

/// A payment-flow store that fails the next payment write when told to.
struct Flaky {
    inner: Arc<dyn PaymentFlowRepository>,
    fail: AtomicBool,
}

#[async_trait::async_trait]
impl PaymentFlowRepository for Flaky {
    async fn create_invoice(
        &self,
        i: &Invoice,
        n: Option<String>,
        p: Option<Payment>,
        a: Option<AuditEntry>,
    ) -> Result<Invoice, RepoError> {
        self.inner.create_invoice(i, n, p, a).await
    }
    async fn finalize_invoice(
        &self,
        i: &Invoice,
        n: String,
        a: Option<AuditEntry>,
    ) -> Result<Option<Invoice>, RepoError> {
        self.inner.finalize_invoice(i, n, a).await
    }
    async fn update_invoice_status(
        &self,
        i: &Invoice,
        e: InvoiceStatus,
        a: Option<AuditEntry>,
    ) -> Result<bool, RepoError> {
        self.inner.update_invoice_status(i, e, a).await
    }
    async fn apply_payment_change(
        &self,
        c: &PaymentChange,
    ) -> Result<PaymentChangeOutcome, RepoError> {
        if self.fail.swap(false, Ordering::SeqCst) {
            return Err(RepoError::Unavailable("database down".into()));
        }
        self.inner.apply_payment_change(c).await
    }
    async fn payments_due_for_expiry(
        &self,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<Payment>, RepoError> {
        self.inner.payments_due_for_expiry(now, limit).await
    }
    async fn payments_to_reconcile(
        &self,
        s: Vec<PaymentStatus>,
        before: OffsetDateTime,
        limit: u32,
        due: OffsetDateTime,
    ) -> Result<Vec<Payment>, RepoError> {
        self.inner
            .payments_to_reconcile(s, before, limit, due)
            .await
    }
    async fn settle_refund(
        &self,
        id: Option<RefundId>,
        g: Option<String>,
        s: RefundStatus,
        at: OffsetDateTime,
    ) -> Result<Option<Refund>, RepoError> {
        self.inner.settle_refund(id, g, s, at).await
    }
    async fn find_refund(
        &self,
        id: Option<RefundId>,
        g: Option<String>,
    ) -> Result<Option<Refund>, RepoError> {
        self.inner.find_refund(id, g).await
    }
    async fn unacknowledged_refunds(
        &self,
        after: OffsetDateTime,
        before: OffsetDateTime,
        limit: u32,
        due: OffsetDateTime,
    ) -> Result<Vec<Refund>, RepoError> {
        self.inner
            .unacknowledged_refunds(after, before, limit, due)
            .await
    }
    async fn defer_retry(
        &self,
        subject: &str,
        error: &str,
        now: OffsetDateTime,
        backoff: crate::ports::RetryBackoff,
    ) -> Result<u32, RepoError> {
        self.inner.defer_retry(subject, error, now, backoff).await
    }
    async fn clear_retry(&self, subject: &str) -> Result<(), RepoError> {
        self.inner.clear_retry(subject).await
    }
}

use crate::entities::Refund;

struct World {
    store: MemoryStore,
    services: PaymentServices,
    gateway: Arc<Fake>,
    flaky: Arc<Flaky>,
    clock: Arc<FixedClock>,
    payment: Payment,
    invoice: Invoice,
}

const CREDITS: i64 = 1000;

async fn world(method: PaymentMethodKind, status: PaymentStatus) -> World {
    let store = MemoryStore::new();
    let repos = store.repositories();
    let clock = Arc::new(FixedClock::new(t0()));
    let gateway = Fake::new(method);
    let flaky = Arc::new(Flaky {
        inner: store.payment_flow(),
        fail: AtomicBool::new(false),
    });
    let core = Services::new(repos.clone(), clock.clone(), GatewayAvailability::all());
    let services = PaymentServices::new(
        &core,
        flaky.clone(),
        GatewayRegistry::default().with(gateway.clone()),
        PaymentSettings::default(),
    )
    .with_webhook_events(store.webhook_events());
    let account = Account {
        id: AccountId::generate(t0()),
        name: BoundedText::new("Acme", "name", 100).unwrap(),
        external_id: None,
        billing_profile: None,
        low_balance_threshold: None,
        stripe_customer_id: None,
        metadata: Metadata::default(),
        created_at: t0(),
        updated_at: t0(),
    };
    repos.accounts.insert(&account).await.unwrap();
    let usd = Currency::parse("USD").unwrap();
    let line = InvoiceLine {
        id: InvoiceLineId::generate(t0()),
        kind: InvoiceLineKind::CreditPackage,
        description: "Pro — 1000 credits".into(),
        quantity: 1,
        unit_amount: 1900,
        discount_amount: 0,
        amount: 1900,
        credit_package_id: None,
        credits: Some(CREDITS),
    };
    let invoice = Invoice {
        id: InvoiceId::generate(t0()),
        account_id: account.id.clone(),
        number: None,
        status: InvoiceStatus::Pending,
        currency: usd,
        lines: vec![line],
        subtotal: 1900,
        discount: 0,
        total: 1900,
        amount_paid: 0,
        amount_due: 1900,
        due_at: None,
        billing_snapshot: None,
        status_reason: None,
        metadata: Metadata::default(),
        created_at: t0(),
        finalized_at: Some(t0()),
        paid_at: None,
        updated_at: t0(),
    };
    let payment = Payment {
        id: PaymentId::generate(t0()),
        account_id: account.id.clone(),
        invoice_id: invoice.id.clone(),
        method,
        status,
        currency: usd,
        amount: 1900,
        amount_received: 0,
        amount_refunded: 0,
        reference: None,
        gateway_reference: Some("ref_1".into()),
        gateway_payment_id: None,
        failure_reason: None,
        expires_at: None,
        next_action: None,
        confirmation: None,
        history: vec![StatusChange {
            status,
            at: t0(),
            actor: "test".into(),
            note: None,
        }],
        created_at: t0(),
        updated_at: t0(),
    };
    let invoice = store
        .payment_flow()
        .create_invoice(&invoice, Some("INV".into()), Some(payment.clone()), None)
        .await
        .unwrap();
    World {
        store,
        services,
        gateway,
        flaky,
        clock,
        payment,
        invoice,
    }
}

impl World {
    async fn deliver(&self, body: &str) -> BillingResult<WebhookReceipt> {
        self.services
            .events
            .handle_webhook(
                self.gateway.method,
                &[("sig".into(), "x".into())],
                body.as_bytes(),
            )
            .await
    }
    async fn payment(&self) -> Payment {
        self.store
            .repositories()
            .payments
            .get(&self.payment.id)
            .await
            .unwrap()
            .unwrap()
    }
    async fn invoice(&self) -> Invoice {
        self.store
            .repositories()
            .invoices
            .get(&self.invoice.id)
            .await
            .unwrap()
            .unwrap()
    }
    async fn balance(&self) -> i64 {
        self.store
            .repositories()
            .ledger
            .balance(&self.payment.account_id, self.clock.now())
            .await
            .unwrap()
            .balance
    }
    fn outcome(&self, body: &str, payment_id: bool, reference: bool, outcome: GatewayOutcome) {
        let effect = WebhookEffect::PaymentOutcome {
            payment_id: payment_id.then(|| self.payment.id.to_string()),
            gateway_reference: reference.then(|| "ref_1".to_owned()),
            outcome,
        };
        self.gateway.event(body, Some(effect));
    }
}

fn paid(gpid: &str) -> GatewayOutcome {
    GatewayOutcome::Succeeded {
        amount_received: 1900,
        gateway_payment_id: Some(gpid.into()),
    }
}

fn admin() -> RequestContext {
    RequestContext {
        principal: Principal {
            key_id: None,
            scope: ApiKeyScope::Admin,
            account_id: None,
        },
        request_id: None,
    }
}

#[tokio::test]
async fn the_same_success_event_a_hundred_times_grants_once() {
    let w = world(PaymentMethodKind::Stripe, PaymentStatus::Processing).await;
    w.outcome("checkout.session.completed", true, true, paid("pi_1"));
    let first = w.deliver("checkout.session.completed").await.unwrap();
    assert_eq!(first.disposition, WebhookDisposition::Applied);
    for _ in 0..99 {
        assert_eq!(
            w.deliver("checkout.session.completed")
                .await
                .unwrap()
                .disposition,
            WebhookDisposition::Duplicate
        );
    }
    let p = w.payment().await;
    assert_eq!(
        (p.status, p.amount_received, p.gateway_payment_id.as_deref()),
        (PaymentStatus::Succeeded, 1900, Some("pi_1"))
    );
    let inv = w.invoice().await;
    assert_eq!(
        (inv.status, inv.amount_paid, inv.amount_due),
        (InvoiceStatus::Paid, 1900, 0)
    );
    assert_eq!(w.balance().await, CREDITS);
    let stored = w
        .store
        .webhook_events()
        .get(PaymentMethodKind::Stripe, "evt_checkout.session.completed")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (stored.payload.as_str(), stored.processed_at.is_some()),
        ("checkout.session.completed", true)
    );
}

#[tokio::test]
async fn shuffled_events_and_a_refund_reach_the_same_end() {
    let w = world(PaymentMethodKind::Stripe, PaymentStatus::Processing).await;
    // payment_intent.succeeded (our id only) before checkout.session.completed (reference only).
    w.outcome("payment_intent.succeeded", true, false, paid("pi_1"));
    w.outcome(
        "checkout.session.completed",
        false,
        true,
        GatewayOutcome::Succeeded {
            amount_received: 1900,
            gateway_payment_id: None,
        },
    );
    w.outcome(
        "payment_intent.payment_failed",
        true,
        false,
        GatewayOutcome::Failed {
            reason: "card declined".into(),
        },
    );
    assert_eq!(
        w.deliver("payment_intent.succeeded")
            .await
            .unwrap()
            .disposition,
        WebhookDisposition::Applied
    );
    w.deliver("checkout.session.completed").await.unwrap();
    w.deliver("payment_intent.payment_failed").await.unwrap(); // a late failure never undoes money
    assert_eq!(w.gateway.fetch_calls.load(Ordering::SeqCst), 0);
    assert_eq!(w.payment().await.status, PaymentStatus::Succeeded);
    assert_eq!(w.balance().await, CREDITS);

    // A partial refund, settled by its webhook, then reported failed (cards can fail after
    // success; failed is final at the gateway, so the failure wins in either order); then the
    // payment events again, late.
    let refund = w
        .services
        .refunds
        .refund(
            &admin(),
            w.payment.id.as_str(),
            crate::services::refunds::RefundInput {
                amount: Some(950),
                reason: Some("asked".into()),
            },
        )
        .await
        .unwrap();
    assert_eq!(refund.status, RefundStatus::Pending);
    w.gateway.event(
        "refund.updated",
        Some(WebhookEffect::RefundOutcome {
            refund_id: None,
            gateway_refund_id: Some("gw_950".into()),
            succeeded: true,
        }),
    );
    w.gateway.event(
        "refund.failed.after.success",
        Some(WebhookEffect::RefundOutcome {
            refund_id: Some(refund.id.to_string()),
            gateway_refund_id: None,
            succeeded: false,
        }),
    );
    w.gateway.event(
        "refund.unknown",
        Some(WebhookEffect::RefundOutcome {
            refund_id: None,
            gateway_refund_id: Some("gw_other".into()),
            succeeded: true,
        }),
    );
    assert_eq!(
        w.deliver("refund.updated").await.unwrap().disposition,
        WebhookDisposition::Applied
    );
    w.deliver("refund.failed.after.success").await.unwrap();
    w.gateway.event(
        "refund.failed.again",
        Some(WebhookEffect::RefundOutcome {
            refund_id: None,
            gateway_refund_id: Some("gw_950".into()),
            succeeded: false,
        }),
    );
    w.deliver("refund.failed.again").await.unwrap(); // a second report changes nothing
    assert_eq!(
        w.deliver("refund.unknown").await.unwrap().disposition,
        WebhookDisposition::Ignored
    );
    w.outcome("payment_intent.succeeded.again", true, true, paid("pi_1"));
    w.deliver("payment_intent.succeeded.again").await.unwrap();
    let refunds = w
        .store
        .repositories()
        .payments
        .refunds_of(&w.payment.id)
        .await
        .unwrap();
    assert_eq!(
        refunds.iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![RefundStatus::Failed]
    );
    let p = w.payment().await;
    assert_eq!((p.status, p.amount_refunded), (PaymentStatus::Succeeded, 0));
    assert_eq!(
        w.balance().await,
        CREDITS,
        "the clawback was given back once"
    );
    assert_eq!(w.invoice().await.status, InvoiceStatus::Paid);
}

#[tokio::test]
async fn a_failure_webhook_is_confirmed_with_the_gateway_first() {
    let w = world(PaymentMethodKind::Stripe, PaymentStatus::Processing).await;
    w.outcome(
        "payment_intent.payment_failed",
        true,
        false,
        GatewayOutcome::Failed {
            reason: "card declined".into(),
        },
    );
    w.gateway
        .fetches
        .lock()
        .unwrap()
        .push_back(Ok(GatewayOutcome::Processing)); // the session is still open
    w.deliver("payment_intent.payment_failed").await.unwrap();
    assert_eq!(
        (
            w.gateway.fetch_calls.load(Ordering::SeqCst),
            w.payment().await.status
        ),
        (1, PaymentStatus::Processing)
    );
    w.outcome(
        "checkout.session.async_payment_failed",
        true,
        true,
        GatewayOutcome::Failed {
            reason: "gone".into(),
        },
    );
    *w.gateway.fetches.lock().unwrap() = VecDeque::from([Ok(GatewayOutcome::Failed {
        reason: "expired".into(),
    })]);
    w.deliver("checkout.session.async_payment_failed")
        .await
        .unwrap();
    let p = w.payment().await;
    assert_eq!(
        (p.status, p.failure_reason.as_deref()),
        (PaymentStatus::Failed, Some("expired"))
    );
    assert_eq!(w.balance().await, 0);
}

#[tokio::test]
async fn paypal_completed_before_approved_captures_nothing_and_grants_once() {
    let w = world(PaymentMethodKind::Paypal, PaymentStatus::Processing).await;
    w.gateway
        .captures
        .lock()
        .unwrap()
        .push_back(Ok(paid("CAP1")));
    w.outcome("PAYMENT.CAPTURE.COMPLETED", true, true, paid("CAP1"));
    w.gateway.event(
        "CHECKOUT.ORDER.APPROVED",
        Some(WebhookEffect::CaptureRequested {
            payment_id: Some(w.payment.id.to_string()),
            gateway_reference: Some("ref_1".into()),
        }),
    );
    w.deliver("PAYMENT.CAPTURE.COMPLETED").await.unwrap();
    w.deliver("CHECKOUT.ORDER.APPROVED").await.unwrap();
    assert_eq!(
        w.services
            .events
            .paypal_return("ref_1")
            .await
            .unwrap()
            .status,
        PaymentStatus::Succeeded
    );
    assert_eq!(w.gateway.capture_calls.load(Ordering::SeqCst), 0);
    assert_eq!(w.balance().await, CREDITS);
}

#[tokio::test]
async fn paypal_approved_then_return_then_completed_captures_once() {
    let w = world(PaymentMethodKind::Paypal, PaymentStatus::Processing).await;
    w.gateway
        .captures
        .lock()
        .unwrap()
        .push_back(Ok(paid("CAP1")));
    w.gateway.event(
        "CHECKOUT.ORDER.APPROVED",
        Some(WebhookEffect::CaptureRequested {
            payment_id: None,
            gateway_reference: Some("ref_1".into()),
        }),
    );
    w.outcome("PAYMENT.CAPTURE.COMPLETED", true, true, paid("CAP1"));
    assert_eq!(
        w.deliver("CHECKOUT.ORDER.APPROVED")
            .await
            .unwrap()
            .disposition,
        WebhookDisposition::Applied
    );
    let p = w.services.events.paypal_return("ref_1").await.unwrap();
    assert_eq!(
        (p.status, p.gateway_payment_id.as_deref()),
        (PaymentStatus::Succeeded, Some("CAP1"))
    );
    w.deliver("PAYMENT.CAPTURE.COMPLETED").await.unwrap();
    assert_eq!(w.gateway.capture_calls.load(Ordering::SeqCst), 1);
    assert_eq!(w.balance().await, CREDITS);
    assert!(matches!(
        w.services.events.paypal_return("nope").await,
        Err(BillingError::NotFound { .. })
    ));
}

#[tokio::test]
async fn paypal_return_when_paypal_times_out_changes_nothing() {
    let w = world(PaymentMethodKind::Paypal, PaymentStatus::Processing).await;
    w.gateway
        .captures
        .lock()
        .unwrap()
        .push_back(Err(GatewayError::Uncertain("timeout".into())));
    assert!(matches!(
        w.services.events.paypal_return("ref_1").await,
        Err(BillingError::Unavailable(_))
    ));
    assert_eq!(w.payment().await.status, PaymentStatus::Processing);
}

#[tokio::test]
async fn a_forged_webhook_is_400_and_stores_nothing() {
    let w = world(PaymentMethodKind::Stripe, PaymentStatus::Processing).await;
    let err = w.deliver("forged").await.unwrap_err();
    assert!(matches!(err, BillingError::Validation(_)), "{err:?}");
    assert_eq!(
        w.store
            .webhook_events()
            .get(PaymentMethodKind::Stripe, "evt_forged")
            .await
            .unwrap(),
        None
    );
    assert_eq!(w.payment().await.status, PaymentStatus::Processing);
}

#[tokio::test]
async fn an_apply_failure_leaves_the_event_unprocessed_and_the_retry_applies_once() {
    let w = world(PaymentMethodKind::Stripe, PaymentStatus::Processing).await;
    w.outcome("checkout.session.completed", true, true, paid("pi_1"));
    w.flaky.fail.store(true, Ordering::SeqCst);
    assert!(matches!(
        w.deliver("checkout.session.completed").await,
        Err(BillingError::Unavailable(_))
    ));
    let stored = w
        .store
        .webhook_events()
        .get(PaymentMethodKind::Stripe, "evt_checkout.session.completed")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.processed_at, None);
    assert_eq!(
        (w.payment().await.status, w.balance().await),
        (PaymentStatus::Processing, 0)
    );
    assert_eq!(
        w.deliver("checkout.session.completed")
            .await
            .unwrap()
            .disposition,
        WebhookDisposition::Applied
    );
    assert_eq!(
        w.deliver("checkout.session.completed")
            .await
            .unwrap()
            .disposition,
        WebhookDisposition::Duplicate
    );
    assert_eq!(
        (w.payment().await.status, w.balance().await),
        (PaymentStatus::Succeeded, CREDITS)
    );
}

#[tokio::test]
async fn an_unknown_event_is_recorded_and_ignored() {
    let w = world(PaymentMethodKind::Stripe, PaymentStatus::Processing).await;
    w.gateway.event("customer.created", None);
    assert_eq!(
        w.deliver("customer.created").await.unwrap().disposition,
        WebhookDisposition::Ignored
    );
    assert!(
        w.store
            .webhook_events()
            .get(PaymentMethodKind::Stripe, "evt_customer.created")
            .await
            .unwrap()
            .unwrap()
            .processed_at
            .is_some()
    );
}

#[tokio::test]
async fn the_janitor_resolves_an_unknown_payment_once_the_gateway_answers() {
    let w = world(PaymentMethodKind::Stripe, PaymentStatus::Unknown).await;
    *w.gateway.fetches.lock().unwrap() = VecDeque::from([
        Err(GatewayError::Uncertain("timeout".into())),
        Ok(paid("pi_1")),
    ]);
    let first = w.services.events.resolve_uncertain(10).await.unwrap();
    assert_eq!(
        first,
        ReconcileReport {
            examined: 1,
            resolved: 0,
            remaining: 1
        }
    );
    assert_eq!(w.payment().await.status, PaymentStatus::Unknown);
    // Backoff: not asked again for 5 s.
    w.clock.advance(time::Duration::seconds(4));
    assert_eq!(
        w.services.events.resolve_uncertain(10).await.unwrap(),
        ReconcileReport::default()
    );
    w.clock.advance(time::Duration::seconds(1));
    let second = w.services.events.resolve_uncertain(10).await.unwrap();
    assert_eq!(
        second,
        ReconcileReport {
            examined: 1,
            resolved: 1,
            remaining: 0
        }
    );
    assert_eq!(
        (w.payment().await.status, w.balance().await),
        (PaymentStatus::Succeeded, CREDITS)
    );
    assert_eq!(
        w.services.events.resolve_uncertain(10).await.unwrap(),
        ReconcileReport::default()
    );
    assert_eq!(w.gateway.fetch_calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn the_janitor_captures_an_approved_order_nobody_captured() {
    let w = world(PaymentMethodKind::Paypal, PaymentStatus::Unknown).await;
    *w.gateway.fetches.lock().unwrap() = VecDeque::from([Ok(GatewayOutcome::Approved)]);
    *w.gateway.captures.lock().unwrap() = VecDeque::from([
        Err(GatewayError::Uncertain("timeout".into())),
        Ok(paid("cap_1")),
    ]);
    let first = w.services.events.resolve_uncertain(10).await.unwrap();
    assert_eq!((first.resolved, first.remaining), (0, 1));
    w.clock.advance(time::Duration::seconds(5));
    let second = w.services.events.resolve_uncertain(10).await.unwrap();
    assert_eq!((second.resolved, second.remaining), (1, 0));
    assert_eq!(
        (w.payment().await.status, w.balance().await),
        (PaymentStatus::Succeeded, CREDITS)
    );
    w.clock.advance(time::Duration::hours(2));
    assert_eq!(
        w.services.events.resolve_uncertain(10).await.unwrap(),
        ReconcileReport::default()
    );
    assert_eq!(w.gateway.capture_calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn the_janitor_leaves_fresh_processing_payments_alone() {
    let w = world(PaymentMethodKind::Stripe, PaymentStatus::Processing).await;
    w.gateway
        .fetches
        .lock()
        .unwrap()
        .push_back(Ok(GatewayOutcome::Canceled));
    assert_eq!(
        w.services
            .events
            .resolve_uncertain(10)
            .await
            .unwrap()
            .examined,
        0
    );
    w.clock.advance(PROCESSING_GRACE + Duration::seconds(1));
    assert_eq!(
        w.services
            .events
            .resolve_uncertain(10)
            .await
            .unwrap()
            .resolved,
        1
    );
    assert_eq!(w.payment().await.status, PaymentStatus::Canceled);
}
