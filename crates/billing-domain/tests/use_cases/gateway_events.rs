//! The world the gateway-event tests run in: the memory store, a scripted fake gateway, a
//! payment-flow store that fails on demand, and helpers. The tests are in
//! `gateway_webhook_tests.rs` and `gateway_janitor_tests.rs`.

#[allow(unused_imports)]
use crate::prelude::*;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use time::OffsetDateTime;

use billing_domain::entities::RefundStatus;
use billing_domain::entities::audit::RequestContext;
use billing_domain::entities::{
    Account, ApiKeyScope, AuditEntry, Invoice, InvoiceLine, InvoiceLineKind, InvoiceStatus,
    Metadata, OutboxEvent, Principal, StatusChange,
};
use billing_domain::error::RepoError;
use billing_domain::ports::gateway::{
    GatewayCapabilities, GatewayRefund, GatewayRefundRequest, StartPayment, StartedPayment,
    VerifiedWebhook,
};
use billing_domain::ports::{Clock, FixedClock, PaymentFlowRepository, PaymentGateway};
use billing_domain::ports::{PaymentChange, PaymentChangeOutcome};
use billing_domain::services::{
    GatewayAvailability, GatewayRegistry, PaymentServices, PaymentSettings, Services,
};
use billing_domain::types::RefundId;
use billing_domain::types::{AccountId, BoundedText, Currency, InvoiceId, InvoiceLineId};
use billing_store_memory::MemoryStore;

pub(crate) fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_790_000_000).unwrap()
}

/// A gateway whose webhooks are looked up by body, and whose capture and fetch answers are
/// scripted (the last answer repeats). Counts capture and fetch calls.
pub(crate) struct Fake {
    pub(crate) method: PaymentMethodKind,
    pub(crate) events: Mutex<HashMap<String, VerifiedWebhook>>,
    pub(crate) captures: Mutex<VecDeque<Result<GatewayOutcome, GatewayError>>>,
    pub(crate) fetches: Mutex<VecDeque<Result<GatewayOutcome, GatewayError>>>,
    pub(crate) capture_calls: AtomicUsize,
    pub(crate) fetch_calls: AtomicUsize,
}

impl Fake {
    pub(crate) fn new(method: PaymentMethodKind) -> Arc<Self> {
        Arc::new(Self {
            method,
            events: Mutex::default(),
            captures: Mutex::default(),
            fetches: Mutex::default(),
            capture_calls: AtomicUsize::new(0),
            fetch_calls: AtomicUsize::new(0),
        })
    }
    pub(crate) fn event(&self, body: &str, effect: Option<WebhookEffect>) {
        self.events.lock().unwrap().insert(
            body.into(),
            VerifiedWebhook {
                event_id: format!("evt_{body}"),
                event_type: body.into(),
                effect,
            },
        );
    }
    pub(crate) fn next(
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
            setup_sessions: false,
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
pub(crate) struct Flaky {
    pub(crate) inner: Arc<dyn PaymentFlowRepository>,
    pub(crate) fail: AtomicBool,
}

#[async_trait::async_trait]
impl PaymentFlowRepository for Flaky {
    async fn create_invoice(
        &self,
        i: &Invoice,
        n: Option<String>,
        p: Option<Payment>,
        a: Option<AuditEntry>,
        e: Option<OutboxEvent>,
    ) -> Result<Invoice, RepoError> {
        self.inner.create_invoice(i, n, p, a, e).await
    }
    async fn finalize_invoice(
        &self,
        i: &Invoice,
        n: String,
        a: Option<AuditEntry>,
        e: Option<OutboxEvent>,
    ) -> Result<Option<Invoice>, RepoError> {
        self.inner.finalize_invoice(i, n, a, e).await
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
        e: Option<OutboxEvent>,
    ) -> Result<Option<Refund>, RepoError> {
        self.inner.settle_refund(id, g, s, at, e).await
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
        backoff: billing_domain::ports::RetryBackoff,
    ) -> Result<u32, RepoError> {
        self.inner.defer_retry(subject, error, now, backoff).await
    }
    async fn clear_retry(&self, subject: &str) -> Result<(), RepoError> {
        self.inner.clear_retry(subject).await
    }
}

use billing_domain::entities::Refund;

pub(crate) struct World {
    pub(crate) store: MemoryStore,
    pub(crate) services: PaymentServices,
    pub(crate) gateway: Arc<Fake>,
    pub(crate) flaky: Arc<Flaky>,
    pub(crate) clock: Arc<FixedClock>,
    pub(crate) payment: Payment,
    pub(crate) invoice: Invoice,
}

pub(crate) const CREDITS: i64 = 1000;

pub(crate) async fn world(method: PaymentMethodKind, status: PaymentStatus) -> World {
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
        subscription_id: None,
        period_start: None,
        period_end: None,
        rollover: None,
    };
    let invoice = Invoice {
        id: InvoiceId::generate(t0()),
        account_id: account.id.clone(),
        number: None,
        status: InvoiceStatus::Pending,
        billing_reason: billing_domain::entities::InvoiceReason::Manual,
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
        .create_invoice(
            &invoice,
            Some("INV".into()),
            Some(payment.clone()),
            None,
            None,
        )
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
    pub(crate) async fn deliver(&self, body: &str) -> BillingResult<WebhookReceipt> {
        self.services
            .events
            .handle_webhook(
                self.gateway.method,
                &[("sig".into(), "x".into())],
                body.as_bytes(),
            )
            .await
    }
    pub(crate) async fn payment(&self) -> Payment {
        self.store
            .repositories()
            .payments
            .get(&self.payment.id)
            .await
            .unwrap()
            .unwrap()
    }
    pub(crate) async fn invoice(&self) -> Invoice {
        self.store
            .repositories()
            .invoices
            .get(&self.invoice.id)
            .await
            .unwrap()
            .unwrap()
    }
    pub(crate) async fn balance(&self) -> i64 {
        self.store
            .repositories()
            .ledger
            .balance(&self.payment.account_id, self.clock.now())
            .await
            .unwrap()
            .balance
    }
    pub(crate) fn outcome(
        &self,
        body: &str,
        payment_id: bool,
        reference: bool,
        outcome: GatewayOutcome,
    ) {
        let effect = WebhookEffect::PaymentOutcome {
            payment_id: payment_id.then(|| self.payment.id.to_string()),
            gateway_reference: reference.then(|| "ref_1".to_owned()),
            outcome,
        };
        self.gateway.event(body, Some(effect));
    }
}

pub(crate) fn paid(gpid: &str) -> GatewayOutcome {
    GatewayOutcome::Succeeded {
        amount_received: 1900,
        gateway_payment_id: Some(gpid.into()),
    }
}

pub(crate) fn admin() -> RequestContext {
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
