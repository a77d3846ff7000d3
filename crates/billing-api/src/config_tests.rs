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

#[test]
fn the_seller_comes_from_the_file_table_and_env_wins() {
    let file = "[seller]\nlegal_name = \"Nimbus Ltd\"\naddress = [\"1 Main St\", \"Dublin\"]\ntax_id = \"IE1\"\n";
    let c = Config::from_sources(Some(file), "f.toml", |_| None).expect("config");
    assert_eq!(c.seller.legal_name, "Nimbus Ltd");
    assert_eq!(c.seller.address, ["1 Main St", "Dublin"]);
    assert_eq!(c.seller.tax_id.as_deref(), Some("IE1"));
    assert_eq!(c.seller_logo, None);
    let env = |k: &str| match k {
        "BILLING_SELLER_NAME" => Some("Nimbus Cloud Software Ltd".to_owned()),
        "BILLING_SELLER_ADDRESS" => Some("1 Grand Canal Sq; Dublin D02 ;Ireland".to_owned()),
        "BILLING_SELLER_EMAIL" => Some("billing@nimbus.example".to_owned()),
        _ => None,
    };
    let c = Config::from_sources(Some(file), "f.toml", env).expect("config");
    assert_eq!(c.seller.legal_name, "Nimbus Cloud Software Ltd");
    assert_eq!(
        c.seller.address,
        ["1 Grand Canal Sq", "Dublin D02", "Ireland"]
    );
    assert_eq!(c.seller.email.as_deref(), Some("billing@nimbus.example"));
}

#[test]
fn a_bad_seller_email_or_logo_stops_the_start() {
    let bad = |k: &'static str, v: &'static str| {
        Config::from_sources(None, "", move |n| (n == k).then(|| v.to_owned()))
            .expect_err(k)
            .to_string()
    };
    assert!(bad("BILLING_SELLER_EMAIL", "not-mail").contains("seller.email"));
    assert!(bad("BILLING_SELLER_LOGO", "/nonexistent/logo.png").contains("/nonexistent/logo.png"));
    let dir = tempfile::tempdir().expect("temp dir");
    let gif = dir.path().join("logo.gif");
    std::fs::write(&gif, b"GIF89a").expect("write");
    let gif = gif.display().to_string();
    let e = Config::from_sources(None, "", |n| {
        (n == "BILLING_SELLER_LOGO").then(|| gif.clone())
    })
    .expect_err("gif");
    assert!(e.to_string().contains(".png, .jpg or .svg"), "{e}");
}

#[test]
fn mail_defaults_to_eml_files_from_the_seller_and_env_wins() {
    let c = Config::from_sources(None, "", |_| None).expect("config");
    assert!(c.mail.enabled);
    assert_eq!(c.mail.smtp_url, None);
    assert_eq!(c.mail.from, "billing@localhost");
    assert_eq!(c.mail.dir, std::path::PathBuf::from("data/outbox-mail"));
    let seller = "[seller]\nlegal_name = \"Nimbus \\\"Cloud\\\" Ltd\"\nemail = \"accounts@nimbus.example\"\n";
    let c = Config::from_sources(Some(seller), "f.toml", |_| None).expect("config");
    assert_eq!(
        c.mail.from,
        "\"Nimbus Cloud Ltd\" <accounts@nimbus.example>"
    );
    assert_eq!(c.mail.reply_to, None, "replies already reach the seller");
    let file =
        format!("{seller}[mail]\nfrom = \"billing@nimbus.example\"\ndir = \"/var/mail/out\"\n");
    let c = Config::from_sources(Some(&file), "f.toml", |_| None).expect("config");
    assert_eq!(c.mail.from, "billing@nimbus.example");
    assert_eq!(
        c.mail.reply_to.as_deref(),
        Some("\"Nimbus Cloud Ltd\" <accounts@nimbus.example>"),
        "replies go to the seller"
    );
    assert_eq!(c.mail.dir, std::path::PathBuf::from("/var/mail/out"));
    let env = |k: &str| match k {
        "BILLING_SMTP_URL" => Some("smtp+starttls://user:s3cret@mail.example:587".to_owned()),
        "BILLING_MAIL_REPLY_TO" => Some("help@nimbus.example".to_owned()),
        "BILLING_MAIL_ENABLED" => Some("false".to_owned()),
        _ => None,
    };
    let c = Config::from_sources(Some(&file), "f.toml", env).expect("config");
    assert!(!c.mail.enabled);
    assert_eq!(c.mail.reply_to.as_deref(), Some("help@nimbus.example"));
    let shown = format!("{:?}", c.mail);
    assert!(
        shown.contains("smtp+starttls://mail.example:587"),
        "{shown}"
    );
    assert!(
        !shown.contains("s3cret"),
        "the password is never shown: {shown}"
    );
}

#[test]
fn bad_mail_settings_stop_the_start_naming_the_setting() {
    let bad = |k: &'static str, v: &'static str| {
        Config::from_sources(None, "", move |n| (n == k).then(|| v.to_owned()))
            .expect_err(k)
            .to_string()
    };
    assert!(bad("BILLING_MAIL_FROM", "not an address").contains("BILLING_MAIL_FROM"));
    assert!(bad("BILLING_MAIL_REPLY_TO", "@@").contains("BILLING_MAIL_REPLY_TO"));
    assert!(bad("BILLING_SMTP_URL", "http://mail.example").contains("BILLING_SMTP_URL"));
    assert!(bad("BILLING_MAIL_ENABLED", "maybe").contains("BILLING_MAIL_ENABLED"));
}
