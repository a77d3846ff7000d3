//! Keeping a card without charging it: a Checkout Session in `setup` mode for a
//! subscription (a trial's card, or a new card later), and reading the card back from the
//! customer's completed setup sessions when the webhook did not say it.

use std::collections::HashMap;

use billing_domain::ports::gateway::StartSetup;
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionSetupIntentData,
};
use stripe_shared::{
    CheckoutSession, CheckoutSessionMode, CheckoutSessionStatus, SetupIntentStatus,
};

use crate::config::StripeConfig;
use crate::events::META_SUBSCRIPTION_ID;

/// The setup session for `request`: our subscription id as client reference and metadata
/// (on the session and its SetupIntent), the subscription's currency (Stripe then offers
/// the methods that can pay it), the configured return URLs.
pub fn session_request(
    config: &StripeConfig,
    request: &StartSetup,
    customer: &str,
) -> CreateCheckoutSession {
    let mut metadata = HashMap::new();
    metadata.insert(
        META_SUBSCRIPTION_ID.to_owned(),
        request.subscription_id.to_string(),
    );
    let mut intent = CreateCheckoutSessionSetupIntentData::new();
    intent.metadata = Some(metadata.clone());
    let currency: stripe_types::Currency = request
        .currency
        .code()
        .to_ascii_lowercase()
        .parse()
        .unwrap_or_else(|e: std::convert::Infallible| match e {});
    CreateCheckoutSession::new()
        .mode(CheckoutSessionMode::Setup)
        .customer(customer)
        .currency(currency)
        .client_reference_id(request.subscription_id.to_string())
        .metadata(metadata)
        .setup_intent_data(intent)
        .success_url(config.success_url.clone())
        .cancel_url(config.cancel_url.clone())
}

/// The card of the newest completed setup session for `subscription_id` among `sessions`
/// (listed with `data.setup_intent` expanded), if its SetupIntent succeeded.
pub fn saved_card(sessions: &[CheckoutSession], subscription_id: &str) -> Option<String> {
    sessions
        .iter()
        .filter(|s| {
            s.mode == CheckoutSessionMode::Setup
                && s.status == Some(CheckoutSessionStatus::Complete)
                && s.metadata
                    .as_ref()
                    .and_then(|m| m.get(META_SUBSCRIPTION_ID))
                    .is_some_and(|id| id == subscription_id)
        })
        .filter_map(|s| {
            let intent = s.setup_intent.as_ref()?.as_object()?;
            let pm = intent.payment_method.as_ref()?;
            (intent.status == SetupIntentStatus::Succeeded)
                .then(|| (s.created, pm.id().to_string()))
        })
        .max_by_key(|(created, _)| *created)
        .map(|(_, pm)| pm)
}
