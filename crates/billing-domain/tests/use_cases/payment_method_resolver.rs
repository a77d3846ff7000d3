#[allow(unused_imports)]
use crate::prelude::*;
use time::OffsetDateTime;

use billing_domain::entities::PaymentMethodConfig;
use billing_domain::entities::{AmountLimit, PaymentMethodKind};
use billing_domain::types::CountryCode;
use billing_domain::types::{BoundedText, PaymentMethodConfigId};

fn cfg(country: Option<&str>, method: PaymentMethodKind, order: i32) -> PaymentMethodConfig {
    let now = OffsetDateTime::UNIX_EPOCH;
    PaymentMethodConfig {
        id: PaymentMethodConfigId::generate(now),
        country: country.map(|c| CountryCode::parse(c).unwrap()),
        method,
        display_name: BoundedText::new(method.as_str(), "d", 100).unwrap(),
        enabled: true,
        sort_order: order,
        instructions: None,
        bank_details: None,
        wallet_details: None,
        currencies: vec![],
        amount_limits: vec![],
        created_at: now,
        updated_at: now,
    }
}

fn cc(c: &str) -> Option<CountryCode> {
    Some(CountryCode::parse(c).unwrap())
}

fn usd() -> Currency {
    Currency::parse("USD").unwrap()
}

fn offered(d: &[MethodDecision]) -> Vec<PaymentMethodKind> {
    d.iter()
        .filter(|x| x.offered)
        .map(|x| x.config.method)
        .collect()
}

#[test]
fn country_configs_and_defaults_combine_in_sort_order() {
    let configs = vec![
        cfg(None, PaymentMethodKind::Paypal, 2),
        cfg(Some("DE"), PaymentMethodKind::BankTransfer, 1),
        cfg(Some("KE"), PaymentMethodKind::LocalWallet, 0),
    ];
    let d = resolve(cc("DE"), usd(), None, &configs, &GatewayAvailability::all());
    assert_eq!(
        offered(&d),
        vec![PaymentMethodKind::BankTransfer, PaymentMethodKind::Paypal]
    );
    let ke = d
        .iter()
        .find(|x| x.config.method == PaymentMethodKind::LocalWallet)
        .unwrap();
    assert_eq!(
        ke.reason,
        Some(ExclusionReason::OtherCountry {
            country: CountryCode::parse("KE").unwrap()
        })
    );
}

#[test]
fn a_country_config_overrides_the_default_of_its_method() {
    let mut de_paypal = cfg(Some("DE"), PaymentMethodKind::Paypal, 0);
    de_paypal.enabled = false;
    let configs = vec![cfg(None, PaymentMethodKind::Paypal, 0), de_paypal];
    let d = resolve(cc("DE"), usd(), None, &configs, &GatewayAvailability::all());
    assert!(offered(&d).is_empty());
    let reasons: Vec<_> = d.iter().map(|x| x.reason.clone().unwrap()).collect();
    assert!(reasons.contains(&ExclusionReason::Disabled));
    assert!(reasons.contains(&ExclusionReason::OverriddenByCountryConfig));
    // Another country still gets the default.
    assert_eq!(
        offered(&resolve(
            cc("FR"),
            usd(),
            None,
            &configs,
            &GatewayAvailability::all()
        )),
        vec![PaymentMethodKind::Paypal]
    );
}

#[test]
fn without_a_country_only_defaults_apply() {
    let configs = vec![
        cfg(None, PaymentMethodKind::Stripe, 0),
        cfg(Some("US"), PaymentMethodKind::Paypal, 0),
    ];
    let d = resolve(None, usd(), None, &configs, &GatewayAvailability::all());
    assert_eq!(offered(&d), vec![PaymentMethodKind::Stripe]);
    assert_eq!(d[1].reason, Some(ExclusionReason::NoBillingCountry));
}

#[test]
fn currency_limits_and_gateways_exclude_with_reasons() {
    let mut eur_only = cfg(None, PaymentMethodKind::BankTransfer, 0);
    eur_only.currencies = vec![Currency::parse("EUR").unwrap()];
    let mut limited = cfg(None, PaymentMethodKind::LocalWallet, 0);
    limited.amount_limits = vec![AmountLimit {
        currency: usd(),
        min: Some(500),
        max: Some(10_000),
    }];
    let stripe = cfg(None, PaymentMethodKind::Stripe, 0);
    let gateways = GatewayAvailability::all().without(
        PaymentMethodKind::Stripe,
        "Stripe is not configured (no BILLING_STRIPE_SECRET_KEY)",
    );
    let configs = vec![eur_only, limited, stripe];

    let d = resolve(cc("US"), usd(), Some(100), &configs, &gateways);
    assert!(offered(&d).is_empty());
    let reason = |m: PaymentMethodKind| {
        d.iter()
            .find(|x| x.config.method == m)
            .unwrap()
            .reason
            .clone()
            .unwrap()
    };
    assert!(matches!(
        reason(PaymentMethodKind::BankTransfer),
        ExclusionReason::CurrencyNotAccepted { .. }
    ));
    assert_eq!(
        reason(PaymentMethodKind::LocalWallet),
        ExclusionReason::BelowMinimum { min: 500 }
    );
    assert!(matches!(
        reason(PaymentMethodKind::Stripe),
        ExclusionReason::GatewayUnavailable { .. }
    ));

    let d = resolve(cc("US"), usd(), Some(20_000), &configs, &gateways);
    assert_eq!(
        d.iter()
            .find(|x| x.config.method == PaymentMethodKind::LocalWallet)
            .unwrap()
            .reason,
        Some(ExclusionReason::AboveMaximum { max: 10_000 })
    );
    // Limits in another currency do not apply.
    let eur = Currency::parse("EUR").unwrap();
    assert_eq!(
        offered(&resolve(cc("US"), eur, Some(1), &configs, &gateways)),
        vec![
            PaymentMethodKind::BankTransfer,
            PaymentMethodKind::LocalWallet
        ]
    );
}

#[test]
fn order_is_total_and_stable() {
    let a = cfg(None, PaymentMethodKind::Stripe, 5);
    let b = cfg(Some("US"), PaymentMethodKind::Paypal, 5);
    let c = cfg(None, PaymentMethodKind::BankTransfer, 1);
    let d1 = resolve(
        cc("US"),
        usd(),
        None,
        &[a.clone(), b.clone(), c.clone()],
        &GatewayAvailability::all(),
    );
    let d2 = resolve(
        cc("US"),
        usd(),
        None,
        &[c, b, a],
        &GatewayAvailability::all(),
    );
    assert_eq!(
        offered(&d1),
        vec![
            PaymentMethodKind::BankTransfer,
            PaymentMethodKind::Paypal,
            PaymentMethodKind::Stripe
        ]
    );
    assert_eq!(d1, d2);
}
