//! Collecting an upgrade's invoice after its change committed: one off-session charge of the
//! kept card (key `<invoice>:attempt:1`), or the invoice sent with a pay link or bank
//! details. A failed charge is not dunned: the upgrade simply stays unpaid until it expires
//! (the plan is unchanged), and the payer gets a pay link to pay it on-session meanwhile.

use crate::entities::audit::RequestContext;
use crate::entities::{CollectionMethod, Invoice, NextAction, Subscription};
use crate::error::BillingResult;
use crate::ports::GatewayError;
use crate::ports::gateway::{GatewayOutcome, OffSessionCharge};
use crate::services::gateway_events::GatewayEventService;

use super::SubscriptionService;

impl SubscriptionService {
    /// Collects `invoice` (an upgrade's) and returns what the payer must do, if anything.
    pub(super) async fn collect_update(
        &self,
        sub: &Subscription,
        invoice: Invoice,
    ) -> BillingResult<Option<NextAction>> {
        let card = sub
            .gateway_payment_method
            .clone()
            .filter(|_| sub.collection_method == CollectionMethod::ChargeAutomatically);
        let Some(card) = card else {
            return self.issue(sub, invoice).await;
        };
        let gateway = self.deps.gateways.get(sub.payment_method)?;
        let ctx = RequestContext::system();
        let now = self.deps.clock.now();
        let payment =
            self.purchases
                .new_payment(&invoice, sub.payment_method, invoice.amount_due, &ctx, now);
        self.deps.repos.payments.insert(&payment).await?;
        let request = OffSessionCharge {
            payment: payment.clone(),
            invoice: invoice.clone(),
            account: self.account(sub).await?,
            payment_method: card,
            idempotency_key: format!("{}:attempt:1", invoice.id),
        };
        let events = GatewayEventService::new(self.deps.clone(), None);
        let reason = match gateway.charge_saved(&request).await {
            Ok(GatewayOutcome::Failed { reason }) => reason,
            Ok(outcome) => {
                // Paid (the settlement switches the plan) or still processing.
                events
                    .apply_outcome(&payment.id, &outcome, "gateway")
                    .await?;
                return Ok(None);
            }
            Err(GatewayError::Declined { message, .. }) => message,
            Err(e @ GatewayError::Misconfigured(_)) => e.to_string(),
            // An answer lost or unreadable may hide a charge: the janitor asks the gateway
            // (by our payment id); no second charge is made meanwhile.
            Err(e) => {
                self.mark_unknown(&payment, "gateway", &e.to_string())
                    .await?;
                return Ok(None);
            }
        };
        events
            .apply_outcome(&payment.id, &GatewayOutcome::Failed { reason }, "gateway")
            .await?;
        self.pay_link(sub, invoice).await
    }
}
