//! Buying credits: invoice + payment in one transaction, then the gateway is asked to start
//! (outside any transaction), then the payment records what the payer must do next.
//! The same path serves Stripe, PayPal and the manual methods.

use serde::{Deserialize, Serialize};

use crate::entities::audit::RequestContext;
use crate::entities::{
    CreditPackage, Invoice, InvoiceLine, InvoiceLineKind, InvoiceStatus, Metadata, NextAction,
    Payment, PaymentMethodKind, PaymentStatus,
};
use crate::error::{BillingError, BillingResult, RepoError, ValidationError};
use crate::ports::gateway::StartPayment;
use crate::ports::{GatewayError, PaymentChange};
use crate::services::credit_packages::CreditPackageService;
use crate::services::input::required;
use crate::services::payment_context::{PaymentDeps, transition};
use crate::services::payment_method_configs::PaymentMethodConfigService;
use crate::types::{AccountId, Currency, InvoiceId, InvoiceLineId, Money, PaymentId};

mod offer;

/// A purchase as sent.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PurchaseInput {
    /// The package to buy.
    pub credit_package_id: Option<String>,
    /// `stripe`, `paypal`, `bank_transfer` or `local_wallet`; must be offered to the account.
    pub payment_method: Option<String>,
    /// Optional ISO 4217 code; one of the package's prices (no conversion). Absent: the
    /// account's preferred currency, else the first price the method accepts.
    pub currency: Option<String>,
}

/// Paying an existing invoice (a manual invoice, or the rest of a partly paid one).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PayInvoiceInput {
    /// The method; must be offered to the account for the amount due.
    pub payment_method: Option<String>,
}

/// What a purchase returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PurchaseResult {
    /// The finalized invoice.
    pub invoice: Invoice,
    /// The payment.
    pub payment: Payment,
    /// What the payer must do next.
    pub next_action: Option<NextAction>,
}

/// Purchase use cases.
#[derive(Clone)]
pub struct PurchaseService {
    deps: PaymentDeps,
    packages: CreditPackageService,
    methods: PaymentMethodConfigService,
}

impl PurchaseService {
    /// Wires the service.
    pub fn new(
        deps: PaymentDeps,
        packages: CreditPackageService,
        methods: PaymentMethodConfigService,
    ) -> Self {
        Self {
            deps,
            packages,
            methods,
        }
    }

    /// Buys a credit package: checks the method is offered to the account (country, currency,
    /// amount), creates the finalized invoice (price minus discount) and the payment, and starts it.
    pub async fn purchase(
        &self,
        ctx: &RequestContext,
        account_id: &str,
        input: PurchaseInput,
    ) -> BillingResult<PurchaseResult> {
        let id = AccountId::parse(account_id, "id")?;
        ctx.principal.ensure_account(&id)?;
        let package = self
            .packages
            .purchasable(
                required(input.credit_package_id.as_deref(), "credit_package_id")?,
                "credit_package_id",
            )
            .await?;
        let method = parse_method(input.payment_method.as_deref())?;
        let requested = input.currency.as_deref().map(Currency::parse).transpose()?;
        let (account, profile) = self.deps.payer(&id, "buying").await?;
        let candidates = package
            .prices
            .candidates(requested, profile.preferred_currency)?;
        let (price, config) = self
            .first_offered(ctx, &id, method, &package, &candidates)
            .await?;
        let now = self.deps.clock.now();
        let line = package_line(&package, price, now);
        let (subtotal, discount, total, due) = Invoice::totals(std::slice::from_ref(&line), 0)
            .ok_or_else(|| BillingError::Internal("package total overflow".into()))?;
        let invoice = Invoice {
            id: InvoiceId::generate(now),
            account_id: id.clone(),
            number: None,
            status: InvoiceStatus::Pending,
            billing_reason: crate::entities::InvoiceReason::Purchase,
            currency: price.currency,
            lines: vec![line],
            subtotal,
            discount,
            total,
            amount_paid: 0,
            amount_due: due,
            due_at: Some(now + time::Duration::days(self.deps.settings.invoice_due_days)),
            billing_snapshot: Some(profile),
            status_reason: None,
            metadata: Metadata::default(),
            created_at: now,
            finalized_at: Some(now),
            paid_at: None,
            updated_at: now,
        };
        let payment = self.new_payment(&invoice, method, total, ctx, now);
        let invoice = self
            .deps
            .flow
            .create_invoice(
                &invoice,
                Some(self.deps.settings.invoice_prefix.clone()),
                Some(payment.clone()),
                None,
                None,
            )
            .await?;
        self.start(
            ctx,
            invoice,
            payment,
            account,
            config,
            // A Stripe Price has one currency: the package's first.
            package
                .stripe_price_id
                .clone()
                .filter(|_| price.currency == package.prices.first().currency),
        )
        .await
    }

    /// Starts a payment of the amount due on a pending (or uncollectible) invoice.
    pub async fn pay_invoice(
        &self,
        ctx: &RequestContext,
        account_id: &str,
        invoice_id: &str,
        input: PayInvoiceInput,
    ) -> BillingResult<PurchaseResult> {
        let id = AccountId::parse(account_id, "id")?;
        ctx.principal.ensure_account(&id)?;
        let iid = InvoiceId::parse(invoice_id, "invoice_id")?;
        let invoice = self
            .deps
            .repos
            .invoices
            .get(&iid)
            .await?
            .filter(|i| i.account_id == id)
            .ok_or_else(|| BillingError::not_found("invoice", &iid))?;
        // The body is judged once the invoice is known to be this account's.
        let method = parse_method(input.payment_method.as_deref())?;
        if !matches!(
            invoice.status,
            InvoiceStatus::Pending | InvoiceStatus::Uncollectible
        ) || invoice.amount_due == 0
        {
            return Err(BillingError::conflict(
                "invoice_not_payable",
                format!(
                    "invoice {} is {} with {} due",
                    invoice.id, invoice.status, invoice.amount_due
                ),
            ));
        }
        let account = self
            .deps
            .repos
            .accounts
            .get(&id)
            .await?
            .ok_or_else(|| BillingError::not_found("account", &id))?;
        let config = self
            .offered_config(ctx, &id, method, invoice.currency, invoice.amount_due)
            .await?;
        let now = self.deps.clock.now();
        let payment = self.new_payment(&invoice, method, invoice.amount_due, ctx, now);
        self.deps.repos.payments.insert(&payment).await?;
        self.start(ctx, invoice, payment, account, config, None)
            .await
    }

    pub(crate) fn new_payment(
        &self,
        invoice: &Invoice,
        method: PaymentMethodKind,
        amount: i64,
        ctx: &RequestContext,
        now: time::OffsetDateTime,
    ) -> Payment {
        let expires = method
            .is_manual()
            .then(|| now + time::Duration::days(self.deps.settings.manual_payment_expiry_days));
        Payment {
            id: PaymentId::generate(now),
            account_id: invoice.account_id.clone(),
            invoice_id: invoice.id.clone(),
            method,
            status: PaymentStatus::Pending,
            currency: invoice.currency,
            amount,
            amount_received: 0,
            amount_refunded: 0,
            reference: None,
            gateway_reference: None,
            gateway_payment_id: None,
            failure_reason: None,
            expires_at: expires,
            next_action: None,
            confirmation: None,
            history: vec![crate::entities::StatusChange {
                status: PaymentStatus::Pending,
                at: now,
                actor: ctx.principal.actor(),
                note: None,
            }],
            created_at: now,
            updated_at: now,
        }
    }

    /// Asks the gateway to start (no transaction open), then records the outcome. A timeout
    /// leaves the payment `unknown` for the janitor; a refusal marks it failed.
    pub(crate) async fn start(
        &self,
        ctx: &RequestContext,
        invoice: Invoice,
        payment: Payment,
        account: crate::entities::Account,
        config: crate::entities::PaymentMethodConfig,
        stripe_price_id: Option<String>,
    ) -> BillingResult<PurchaseResult> {
        let gateway = self.deps.gateways.get(payment.method)?;
        let actor = ctx.principal.actor();
        for _ in 0..3 {
            let request = StartPayment {
                payment: payment.clone(),
                invoice: invoice.clone(),
                account: account.clone(),
                config: config.clone(),
                stripe_price_id: stripe_price_id.clone(),
                // A subscription's invoice keeps the card for the renewals.
                save_payment_method: invoice.subscription_period().is_some(),
            };
            let started = gateway.start(&request).await;
            let now = self.deps.clock.now();
            let mut next = payment.clone();
            let error = match started {
                Ok(s) => {
                    if let Some(customer) = s.customer_id.clone() {
                        remember_customer(&self.deps, &account, customer).await?;
                    }
                    let to = if payment.method.is_manual() {
                        PaymentStatus::AwaitingTransfer
                    } else {
                        PaymentStatus::Processing
                    };
                    transition(&mut next, to, &actor, None, now)?;
                    next.reference = s.reference;
                    next.gateway_reference = s.gateway_reference;
                    next.next_action = Some(s.next_action);
                    None
                }
                Err(GatewayError::Uncertain(m)) => {
                    transition(&mut next, PaymentStatus::Unknown, "gateway", Some(m), now)?;
                    None
                }
                Err(e) => {
                    transition(
                        &mut next,
                        PaymentStatus::Failed,
                        "gateway",
                        Some(e.to_string()),
                        now,
                    )?;
                    next.failure_reason = Some(e.to_string());
                    Some(e)
                }
            };
            let mut change = PaymentChange::payment_only(next.clone(), &payment);
            if next.status == PaymentStatus::AwaitingTransfer {
                // The instructions e-mail.
                change.events = vec![crate::services::payment_events::awaiting_transfer(
                    &next, now,
                )];
            }
            match self.deps.flow.apply_payment_change(&change).await {
                // A manual reference collided with another payment's (unique): draw again.
                Err(RepoError::Conflict(_)) if payment.method.is_manual() => continue,
                Err(e) => return Err(e.into()),
                Ok(_) => {}
            }
            if let Some(e) = error {
                return Err(match e {
                    GatewayError::Declined { message, .. } => {
                        BillingError::conflict("payment_declined", message)
                    }
                    GatewayError::Misconfigured(m) => BillingError::Unavailable(m),
                    other => BillingError::Unavailable(other.to_string()),
                });
            }
            return Ok(PurchaseResult {
                invoice,
                next_action: next.next_action.clone(),
                payment: next,
            });
        }
        Err(BillingError::Internal(
            "could not draw a unique payment reference".into(),
        ))
    }
}

pub(crate) fn parse_method(v: Option<&str>) -> Result<PaymentMethodKind, ValidationError> {
    PaymentMethodKind::parse(required(v, "payment_method")?).ok_or_else(|| {
        ValidationError::new(
            "payment_method",
            "must be one of stripe, paypal, bank_transfer, local_wallet",
        )
    })
}

fn package_line(p: &CreditPackage, price: Money, now: time::OffsetDateTime) -> InvoiceLine {
    let discount = p.discount_on(price);
    InvoiceLine {
        id: InvoiceLineId::generate(now),
        kind: InvoiceLineKind::CreditPackage,
        description: format!("{} — {} credits", p.name, p.credits),
        quantity: 1,
        unit_amount: price.amount,
        discount_amount: discount.amount,
        amount: price.amount - discount.amount,
        credit_package_id: Some(p.id.clone()),
        credits: Some(p.credits.get()),
        subscription_id: None,
        period_start: None,
        period_end: None,
        rollover: None,
    }
}

/// Stores the gateway customer created for `account` (once: a customer already stored is
/// kept), so the next payment or setup reuses it.
pub(crate) async fn remember_customer(
    deps: &PaymentDeps,
    account: &crate::entities::Account,
    customer: String,
) -> BillingResult<()> {
    if account.stripe_customer_id.as_ref() == Some(&customer) {
        return Ok(());
    }
    let mut a = account.clone();
    a.stripe_customer_id = Some(customer);
    a.updated_at = deps.clock.now();
    deps.repos.accounts.update(&a, None).await?;
    Ok(())
}
