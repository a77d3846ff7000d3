//! The sample account `make run` opens the portal for: a German business paying in euros,
//! so the seeded EUR packages and the German methods (card, SEPA transfer) apply.

use billing_domain::BillingResult;
use billing_domain::entities::audit::RequestContext;
use billing_domain::services::Services;
use billing_domain::services::accounts::{BillingProfileInput, CreateAccountInput, TaxIdInput};
use billing_domain::types::address::AddressInput;
use billing_domain::types::{AccountId, PageRequest, TaxIdKind};

/// The sample account's external id (the platform's own id for it).
pub const SAMPLE_EXTERNAL_ID: &str = "sample-customer";

/// The sample account, created on first call.
pub async fn sample_account(services: &Services) -> BillingResult<AccountId> {
    let ctx = RequestContext::system();
    let found = services
        .accounts
        .list(&ctx, &PageRequest::default(), Some(SAMPLE_EXTERNAL_ID))
        .await?;
    if let Some(a) = found.data.into_iter().next() {
        return Ok(a.id);
    }
    let input = CreateAccountInput {
        name: Some("Beispiel Software GmbH".into()),
        external_id: Some(SAMPLE_EXTERNAL_ID.into()),
        billing_profile: Some(BillingProfileInput {
            legal_name: Some("Beispiel Software GmbH".into()),
            billing_email: Some("billing@beispiel.example".into()),
            address: Some(AddressInput {
                line1: Some("Friedrichstraße 68".into()),
                line2: None,
                city: Some("Berlin".into()),
                region: None,
                postal_code: Some("10117".into()),
                country: Some("DE".into()),
            }),
            tax_id: Some(TaxIdInput {
                kind: TaxIdKind::EuVat,
                value: "DE123456788".into(),
            }),
            preferred_currency: Some("EUR".into()),
        }),
        low_balance_threshold: Some(100),
        metadata: None,
    };
    Ok(services.accounts.create(&ctx, input).await?.id)
}
