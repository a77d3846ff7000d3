//! Configuration tests: precedence, defaults, bad values, payment settings.

use super::*;

#[test]
fn env_overrides_file_and_file_overrides_defaults() {
    let file = "database_url = \"postgres://file/db\"\nbind = \"0.0.0.0:9000\"\nworkers = 3\n";
    let env = |k: &str| match k {
        "BILLING_BIND" => Some("127.0.0.1:7000".to_owned()),
        "BILLING_LOG_FORMAT" => Some("json".to_owned()),
        _ => None,
    };
    let c = Config::from_sources(Some(file), "f.toml", env).expect("config");
    assert_eq!(c.database_url, "postgres://file/db");
    assert_eq!(c.bind, "127.0.0.1:7000");
    assert_eq!(c.workers, 3);
    assert_eq!(c.log_format, LogFormat::Json);
}

#[test]
fn nothing_configured_means_sqlite_under_data() {
    let c = Config::from_sources(None, "", |_| None).expect("config");
    assert_eq!(c.database_url, DEFAULT_DATABASE_URL);
    assert_eq!(c.bind, DEFAULT_BIND);
}

#[test]
fn bad_values_are_named() {
    match Config::from_sources(None, "", |k| {
        (k == "BILLING_WORKERS").then(|| "many".to_owned())
    }) {
        Err(e) => assert!(e.to_string().contains("BILLING_WORKERS")),
        Ok(c) => panic!("accepted {c:?}"),
    }
    assert!(Config::from_sources(Some("nope = 1"), "f", |_| None).is_err());
    for (k, v) in [
        ("BILLING_INVOICE_PREFIX", "IN V"),
        ("BILLING_MANUAL_PAYMENT_EXPIRY_DAYS", "0"),
        ("BILLING_INVOICE_DUE_DAYS", "soon"),
        ("BILLING_MAX_PROOF_BYTES", "1"),
    ] {
        let r = Config::from_sources(None, "", |n| (n == k).then(|| v.to_owned()));
        assert!(r.is_err(), "{k}={v} accepted");
    }
}

#[test]
fn payment_settings_from_file_and_env() {
    let c = Config::from_sources(None, "", |_| None).expect("config");
    assert_eq!(c.payments, PaymentSettings::default());
    assert_eq!(c.payments.invoice_prefix, "INV");
    assert_eq!(c.payments.max_proof_bytes, 5 * 1024 * 1024);
    let file = "invoice_prefix = \"BILL\"\ninvoice_due_days = 30\nsubscription_due_days = 3\nmax_proof_bytes = 2048\n";
    let env = |k: &str| (k == "BILLING_MANUAL_PAYMENT_EXPIRY_DAYS").then(|| "3".to_owned());
    let c = Config::from_sources(Some(file), "f.toml", env).expect("config");
    assert_eq!(c.payments.invoice_prefix, "BILL");
    assert_eq!(c.payments.invoice_due_days, 30);
    assert_eq!(c.payments.subscription_due_days, 3);
    assert_eq!(c.payments.max_proof_bytes, 2048);
    assert_eq!(c.payments.manual_payment_expiry_days, 3);
}

#[test]
fn gateway_settings_come_from_the_environment_and_never_show_in_debug() {
    let env = |k: &str| match k {
        "BILLING_STRIPE_SECRET_KEY" => Some("sk_test_secret_value".to_owned()),
        "BILLING_PAYPAL_CLIENT_SECRET" => Some("paypal-secret-value".to_owned()),
        "BILLING_PAYPAL_RETURN_PAGE" => Some("https://shop.example/thanks".to_owned()),
        "BILLING_UNRELATED" => Some("x".to_owned()),
        _ => None,
    };
    let c = Config::from_sources(None, "", env).expect("config");
    assert_eq!(
        c.gateway_env.get("BILLING_STRIPE_SECRET_KEY").as_deref(),
        Some("sk_test_secret_value")
    );
    assert_eq!(c.gateway_env.0.len(), 2);
    assert_eq!(
        c.paypal_return_page.as_deref(),
        Some("https://shop.example/thanks")
    );
    let shown = format!("{c:?}");
    assert!(shown.contains("BILLING_STRIPE_SECRET_KEY"), "{shown}");
    assert!(
        !shown.contains("sk_test_secret_value") && !shown.contains("paypal-secret-value"),
        "{shown}"
    );
}

#[test]
fn unconfigured_gateways_are_off_and_say_why() {
    use billing_domain::entities::PaymentMethodKind;
    let mut c = Config::for_tests("memory:");
    c.gateway_env.set("BILLING_PAYPAL_CLIENT_ID", "id");
    let (registry, availability) = crate::app::gateways(&c);
    let paypal = availability
        .reason_unavailable(PaymentMethodKind::Paypal)
        .expect("PayPal is off");
    assert!(
        paypal.contains("not configured in this deployment")
            && paypal.contains("BILLING_PAYPAL_CLIENT_SECRET")
            && !paypal.contains("BILLING_PAYPAL_CLIENT_ID,"),
        "{paypal}"
    );
    assert!(
        availability
            .reason_unavailable(PaymentMethodKind::Stripe)
            .is_some()
    );
    assert!(registry.get(PaymentMethodKind::Stripe).is_err());
    c.gateway_env.set("BILLING_STRIPE_SECRET_KEY", "sk_test_1");
    c.gateway_env
        .set("BILLING_STRIPE_SUCCESS_URL", "https://shop.example/ok");
    c.gateway_env
        .set("BILLING_STRIPE_CANCEL_URL", "https://shop.example/no");
    let (registry, availability) = crate::app::gateways(&c);
    assert!(
        availability
            .reason_unavailable(PaymentMethodKind::Stripe)
            .is_none()
    );
    assert!(registry.get(PaymentMethodKind::Stripe).is_ok());
}
