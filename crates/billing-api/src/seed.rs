//! Sample data for a fresh installation (`billing seed`): the four credit packages, five
//! subscription plans (Free, Starter, Pro monthly and yearly, Business), each priced in every
//! seeded method's currency (USD, EUR, KES, NGN, PHP, at real-looking local amounts), and
//! payment method configs for the US (card via Stripe, PayPal), Germany (SEPA transfer),
//! Kenya (M-Pesa paybill), Nigeria (bank transfer) and the Philippines (GCash), plus a card
//! default for every other country. Idempotent: packages and plans are matched by slug and
//! configs by (country, method), so a second run creates nothing.

use std::collections::BTreeMap;

use billing_domain::BillingResult;
use billing_domain::entities::audit::RequestContext;
use billing_domain::services::Services;
use billing_domain::services::credit_packages::CreditPackageInput;
use billing_domain::services::payment_method_configs::{
    AmountLimitInput, BankDetailsInput, PaymentMethodConfigInput, WalletDetailsInput,
};
use billing_domain::services::plans::PlanInput;
use billing_domain::types::PriceInput;

/// What a seed run created.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SeedReport {
    /// New credit packages.
    pub packages_created: usize,
    /// New payment method configs.
    pub payment_method_configs_created: usize,
    /// New plans.
    pub plans_created: usize,
}

/// Prices in the seeded currencies, in this order: USD, EUR, NGN, KES, PHP (minor units).
fn prices(usd: i64, eur: i64, ngn: i64, kes: i64, php: i64) -> Vec<PriceInput> {
    [
        (usd, "USD"),
        (eur, "EUR"),
        (ngn, "NGN"),
        (kes, "KES"),
        (php, "PHP"),
    ]
    .into_iter()
    .map(|(amount, currency)| PriceInput {
        amount: Some(amount),
        currency: Some(currency.into()),
    })
    .collect()
}

#[allow(clippy::too_many_arguments)] // one row of the sample catalog, read as a table
fn plan(
    name: &str,
    slug: &str,
    interval: &str,
    credits: i64,
    prices: Vec<PriceInput>,
    features: &[&str],
    trial_days: i64,
    featured: bool,
    sort: i64,
) -> PlanInput {
    PlanInput {
        name: Some(name.into()),
        slug: Some(slug.into()),
        description: Some(format!("{credits} credits every {interval}")),
        prices: Some(prices),
        interval: Some(interval.into()),
        credits_per_period: Some(credits),
        features: Some(features.iter().map(|f| (*f).to_owned()).collect()),
        trial_days: Some(trial_days),
        featured: Some(featured),
        sort_order: Some(sort),
        ..PlanInput::default()
    }
}

/// The sample plans. Local prices are rounded the way local price lists are, not converted
/// to the cent; the yearly plan costs ten months.
pub fn plans() -> Vec<PlanInput> {
    vec![
        plan(
            "Free",
            "free",
            "month",
            100,
            prices(0, 0, 0, 0, 0),
            &["api_access"],
            0,
            false,
            1,
        ),
        plan(
            "Starter",
            "starter-monthly",
            "month",
            500,
            prices(900, 900, 1_400_000, 120_000, 52_000),
            &["api_access", "seats:1"],
            0,
            false,
            2,
        ),
        plan(
            "Pro",
            "pro-monthly",
            "month",
            2_000,
            prices(2_900, 2_700, 4_500_000, 375_000, 169_000),
            &["api_access", "priority_support", "seats:5"],
            14,
            true,
            3,
        ),
        plan(
            "Pro (yearly)",
            "pro-yearly",
            "year",
            24_000,
            prices(29_000, 27_000, 45_000_000, 3_750_000, 1_690_000),
            &["api_access", "priority_support", "seats:5"],
            14,
            false,
            4,
        ),
        plan(
            "Business",
            "business-monthly",
            "month",
            5_000,
            prices(6_900, 6_400, 10_500_000, 890_000, 399_000),
            &["api_access", "priority_support", "sso", "seats:20"],
            0,
            false,
            5,
        ),
    ]
}

fn package(
    name: &str,
    slug: &str,
    credits: i64,
    prices: Vec<PriceInput>,
    discount: i64,
    featured: bool,
    sort: i64,
) -> CreditPackageInput {
    CreditPackageInput {
        name: Some(name.into()),
        slug: Some(slug.into()),
        description: Some(format!("{credits} credits")),
        credits: Some(credits),
        prices: Some(prices),
        discount_percent: Some(serde_json::json!(discount)),
        featured: Some(featured),
        active: Some(true),
        sort_order: Some(sort),
        ..CreditPackageInput::default()
    }
}

fn s(v: &str) -> Option<String> {
    Some(v.to_owned())
}

fn config(
    country: Option<&str>,
    method: &str,
    name: &str,
    sort: i64,
    currencies: &[&str],
) -> PaymentMethodConfigInput {
    PaymentMethodConfigInput {
        country: country.map(str::to_owned),
        method: s(method),
        display_name: s(name),
        enabled: Some(true),
        sort_order: Some(sort),
        currencies: Some(currencies.iter().map(|c| (*c).to_owned()).collect()),
        ..PaymentMethodConfigInput::default()
    }
}

/// The sample packages, priced like the plans in every seeded currency.
pub fn packages() -> Vec<CreditPackageInput> {
    vec![
        package(
            "Starter",
            "starter",
            500,
            prices(900, 900, 1_400_000, 120_000, 52_000),
            0,
            false,
            1,
        ),
        package(
            "Pro",
            "pro",
            2000,
            prices(2_900, 2_700, 4_500_000, 375_000, 169_000),
            10,
            true,
            2,
        ),
        package(
            "Business",
            "business",
            5000,
            prices(6_900, 6_400, 10_500_000, 890_000, 399_000),
            15,
            false,
            3,
        ),
        package(
            "Enterprise",
            "enterprise",
            20000,
            prices(24_900, 22_900, 38_500_000, 3_200_000, 1_449_000),
            20,
            false,
            4,
        ),
    ]
}

/// The sample payment method configs.
pub fn payment_method_configs() -> Vec<PaymentMethodConfigInput> {
    let mut us_card = config(Some("US"), "stripe", "Credit or debit card", 1, &["USD"]);
    us_card.instructions = s(
        "Pay securely by card through Stripe Checkout. Credits are added as soon as the payment succeeds.",
    );
    let mut us_paypal = config(Some("US"), "paypal", "PayPal", 2, &["USD"]);
    us_paypal.instructions =
        s("You will be redirected to PayPal to approve the payment, then returned here.");

    let mut de_sepa = config(
        Some("DE"),
        "bank_transfer",
        "SEPA bank transfer",
        2,
        &["EUR", "USD"],
    );
    de_sepa.instructions = s(
        "Transfer the exact invoice amount to the account below. Put the payment reference (e.g. BP-7K3M-Q9) in the \"Verwendungszweck\" field; \
transfers without it cannot be matched. SEPA transfers arrive within 1-2 business days; credits are added once an operator confirms receipt.",
    );
    de_sepa.bank_details = Some(BankDetailsInput {
        bank_name: s("Commerzbank AG"),
        account_holder: s("Billing Platform GmbH"),
        iban: s("DE89370400440532013000"),
        bic: s("COBADEFFXXX"),
        bank_address: s("Kaiserplatz, 60311 Frankfurt am Main, Germany"),
        ..BankDetailsInput::default()
    });
    de_sepa.amount_limits = Some(vec![AmountLimitInput {
        currency: "EUR".into(),
        min: Some(500),
        max: Some(5_000_000),
    }]);
    let mut de_card = config(
        Some("DE"),
        "stripe",
        "Karte (Visa, Mastercard)",
        1,
        &["EUR", "USD"],
    );
    de_card.instructions = s("Pay by card through Stripe Checkout.");

    let mut ke_mpesa = config(
        Some("KE"),
        "local_wallet",
        "M-Pesa (Lipa na M-Pesa Paybill)",
        1,
        &["KES"],
    );
    ke_mpesa.instructions = s(
        "On your phone: M-PESA > Lipa na M-PESA > Pay Bill. Business number: 522533. Account number: your payment reference \
(e.g. BP-7K3M-Q9). Enter the exact amount in KES and your M-PESA PIN. Submit the M-PESA confirmation code (e.g. SFG4H7K2LQ) as proof; \
credits are added once an operator confirms it.",
    );
    ke_mpesa.wallet_details = Some(WalletDetailsInput {
        provider: s("M-Pesa"),
        account_name: s("Billing Platform Kenya Ltd"),
        account_number: s("522533"),
        qr_code_url: None,
    });
    ke_mpesa.amount_limits = Some(vec![AmountLimitInput {
        currency: "KES".into(),
        min: Some(1_000),
        max: Some(15_000_000),
    }]);

    let mut ng_bank = config(
        Some("NG"),
        "bank_transfer",
        "Bank transfer (NIP)",
        1,
        &["NGN"],
    );
    ng_bank.instructions = s(
        "Send the exact amount in NGN by instant transfer (NIP) from any Nigerian bank or app to the account below, \
with your payment reference (e.g. BP-7K3M-Q9) as the narration. Upload the transfer receipt; credits are added once an operator confirms it.",
    );
    ng_bank.bank_details = Some(BankDetailsInput {
        bank_name: s("Zenith Bank Plc"),
        account_holder: s("Billing Platform Nigeria Ltd"),
        account_number: s("1014825367"),
        bic: s("ZEIBNGLA"),
        routing_code: s("057150013"),
        bank_address: s("Plot 84 Ajose Adeogun Street, Victoria Island, Lagos"),
        ..BankDetailsInput::default()
    });

    let mut ph_gcash = config(Some("PH"), "local_wallet", "GCash", 1, &["PHP"]);
    ph_gcash.instructions = s(
        "Open GCash > Send Money > Express Send to 0917 482 5367 (BILLING PLATFORM PH INC.). Put your payment reference \
(e.g. BP-7K3M-Q9) in the message and send a screenshot of the receipt; credits are added once an operator confirms it.",
    );
    ph_gcash.wallet_details = Some(WalletDetailsInput {
        provider: s("GCash"),
        account_name: s("BILLING PLATFORM PH INC."),
        account_number: s("09174825367"),
        qr_code_url: None,
    });
    ph_gcash.amount_limits = Some(vec![AmountLimitInput {
        currency: "PHP".into(),
        min: Some(10_000),
        max: Some(10_000_000),
    }]);

    let mut default_card = config(None, "stripe", "Credit or debit card", 10, &[]);
    default_card.instructions = s("Pay securely by card through Stripe Checkout.");

    vec![
        us_card,
        us_paypal,
        de_card,
        de_sepa,
        ke_mpesa,
        ng_bank,
        ph_gcash,
        default_card,
    ]
}

/// Creates whatever sample data is missing.
pub async fn run(services: &Services) -> BillingResult<SeedReport> {
    let ctx = RequestContext::system();
    let mut report = SeedReport::default();
    let existing: BTreeMap<String, ()> = services
        .packages
        .list_all(&ctx)
        .await?
        .into_iter()
        .map(|p| (p.slug.to_string(), ()))
        .collect();
    for p in packages() {
        if !existing.contains_key(p.slug.as_deref().unwrap_or_default()) {
            services.packages.create(&ctx, p).await?;
            report.packages_created += 1;
        }
    }
    let existing_plans: Vec<String> = services
        .plans
        .list_all(&ctx)
        .await?
        .into_iter()
        .map(|p| p.slug.to_string())
        .collect();
    for p in plans() {
        if !existing_plans
            .iter()
            .any(|s| Some(s.as_str()) == p.slug.as_deref())
        {
            services.plans.create(&ctx, p).await?;
            report.plans_created += 1;
        }
    }
    let configs = services.payment_methods.list(&ctx, None).await?;
    for c in payment_method_configs() {
        let country = c.country.as_deref();
        let exists = configs.iter().any(|x| {
            x.country.map(|cc| cc.to_string()).as_deref() == country
                && Some(x.method.as_str()) == c.method.as_deref()
        });
        if !exists {
            services.payment_methods.create(&ctx, c).await?;
            report.payment_method_configs_created += 1;
        }
    }
    Ok(report)
}
