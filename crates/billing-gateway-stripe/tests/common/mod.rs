//! Test support: the shared official Stripe data (spec, fixtures, events), domain objects, and
//! the check that every parameter we send exists in the official spec.
#![allow(dead_code, clippy::unwrap_used, missing_docs)]

use std::path::PathBuf;
use std::sync::OnceLock;

use billing_domain::entities::{
    Account, BillingProfile, Invoice, InvoiceLine, InvoiceLineKind, InvoiceStatus, Metadata,
    Payment, PaymentMethodConfig, PaymentMethodKind, PaymentStatus,
};
use billing_domain::ports::gateway::StartPayment;
use billing_domain::types::{
    AccountId, Address, BoundedText, CountryCode, CreditPackageId, Currency, Email, InvoiceId,
    InvoiceLineId, PaymentId, PaymentMethodConfigId,
};
use serde_json::Value;
use time::OffsetDateTime;

/// `shared/` beside the workspace (CARGO_MANIFEST_DIR/../../../shared), or a clear failure.
pub fn shared() -> PathBuf {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/gateway-specs/stripe");
    assert!(
        dir.is_dir(),
        "the official Stripe specs and fixtures are expected in {} (shared/ beside the workspace); it is missing",
        dir.display()
    );
    dir
}

pub fn read(name: &str) -> String {
    let p = shared().join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()))
}

/// An official fixture object from fixtures3.2026-07-29.json.
pub fn fixture(resource: &str) -> Value {
    static F: OnceLock<Value> = OnceLock::new();
    let all = F.get_or_init(|| serde_json::from_str(&read("fixtures3.2026-07-29.json")).unwrap());
    all["resources"][resource].clone()
}

/// The official event envelopes from events.derived.2026-07-29.json, keyed by type.
pub fn events() -> serde_json::Map<String, Value> {
    serde_json::from_str::<Value>(&read("events.derived.2026-07-29.json"))
        .unwrap()
        .as_object()
        .unwrap()
        .clone()
}

fn spec() -> &'static Value {
    static S: OnceLock<Value> = OnceLock::new();
    S.get_or_init(|| {
        serde_yaml::from_str(&read("spec3.2023-08-16.yaml"))
            .expect("the official spec parses as YAML")
    })
}

/// Parameters newer than the 2023-08-16 spec that we send on purpose. Empty today: every
/// parameter the adapter sends already existed in 2023-08-16. Add `(path, method, param)`
/// entries here, with the API version that introduced them, when that changes.
const NEWER_PARAMS: &[(&str, &str, &str)] = &[];

fn resolve(mut s: &Value) -> &Value {
    while let Some(r) = s.get("$ref").and_then(Value::as_str) {
        let name = r.trim_start_matches("#/components/schemas/");
        s = &spec()["components"]["schemas"][name];
    }
    s
}

/// Whether the bracketed path `segs` (`line_items`, `0`, `price_data`, `currency`) exists below `schema`.
fn exists(schema: &Value, segs: &[&str]) -> bool {
    let s = resolve(schema);
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(branches) = s.get(key).and_then(Value::as_array) {
            return branches.iter().any(|b| exists(b, segs));
        }
    }
    let Some((first, rest)) = segs.split_first() else {
        return true;
    };
    if let Some(items) = s.get("items") {
        return (first.is_empty() || first.parse::<usize>().is_ok()) && exists(items, rest);
    }
    if let Some(p) = s.get("properties").and_then(|p| p.get(*first)) {
        return exists(p, rest);
    }
    // Free-form maps such as metadata.
    matches!(
        s.get("additionalProperties"),
        Some(Value::Object(_)) | Some(Value::Bool(true))
    ) && rest.is_empty()
}

fn segments(key: &str) -> Vec<&str> {
    let (head, tail) = key.split_once('[').map_or((key, ""), |(h, t)| (h, t));
    let mut out = vec![head];
    if !tail.is_empty() {
        out.extend(tail.trim_end_matches(']').split("]["));
    }
    out
}

/// Panics unless every form (or query) parameter of a request exists for `spec_path` +
/// `method` in the official spec (or is whitelisted above).
pub fn assert_params_in_spec(spec_path: &str, method: &str, form: &[(String, String)]) {
    let op = &spec()["paths"][spec_path][method];
    assert!(
        op.is_object(),
        "{method} {spec_path} is not in the official spec"
    );
    for (key, _) in form {
        let segs = segments(key);
        if NEWER_PARAMS
            .iter()
            .any(|(p, m, k)| *p == spec_path && *m == method && *k == segs[0])
        {
            continue;
        }
        let ok = if method == "get" {
            op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|p| p["name"] == segs[0] && p["in"] == "query")
        } else {
            exists(
                &op["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"],
                &segs,
            )
        };
        assert!(
            ok,
            "{method} {spec_path}: parameter `{key}` is not in the official spec"
        );
    }
}

pub fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_790_000_000).unwrap()
}

fn text(s: &str) -> BoundedText {
    BoundedText::new(s, "f", 500).unwrap()
}

pub fn usd() -> Currency {
    Currency::parse("USD").unwrap()
}

pub fn account(with_customer: Option<&str>) -> Account {
    Account {
        id: AccountId::generate(t0()),
        name: text("Acme"),
        external_id: None,
        billing_profile: Some(BillingProfile {
            legal_name: text("Acme GmbH"),
            billing_email: Email::parse("billing@acme.example", "email").unwrap(),
            address: Address {
                line1: text("Hauptstr. 1"),
                line2: None,
                city: text("Berlin"),
                region: None,
                postal_code: Some(text("10115")),
                country: CountryCode::parse("DE").unwrap(),
            },
            tax_id: None,
            preferred_currency: None,
        }),
        low_balance_threshold: None,
        stripe_customer_id: with_customer.map(str::to_owned),
        metadata: Metadata::default(),
        created_at: t0(),
        updated_at: t0(),
    }
}

/// A purchase of a 100-credit package: 2 × 1500 minus a 500 discount = 2500 minor units.
pub fn purchase(account: &Account, discount: i64, price_id: Option<&str>) -> StartPayment {
    let amount = 2 * 1500 - discount;
    let line = InvoiceLine {
        id: InvoiceLineId::generate(t0()),
        kind: InvoiceLineKind::CreditPackage,
        description: "100 credits".into(),
        quantity: 2,
        unit_amount: 1500,
        discount_amount: discount,
        amount,
        credit_package_id: Some(CreditPackageId::generate(t0())),
        credits: Some(200),
        subscription_id: None,
        period_start: None,
        period_end: None,
        rollover: None,
    };
    let invoice = Invoice {
        id: InvoiceId::generate(t0()),
        account_id: account.id.clone(),
        number: Some("INV-2026-000001".into()),
        status: InvoiceStatus::Pending,
        billing_reason: billing_domain::entities::InvoiceReason::Manual,
        currency: usd(),
        lines: vec![line],
        subtotal: 3000,
        discount,
        total: amount,
        amount_paid: 0,
        amount_due: amount,
        due_at: None,
        billing_snapshot: account.billing_profile.clone(),
        status_reason: None,
        metadata: Metadata::default(),
        created_at: t0(),
        finalized_at: Some(t0()),
        paid_at: None,
        updated_at: t0(),
    };
    let config = PaymentMethodConfig {
        id: PaymentMethodConfigId::generate(t0()),
        country: None,
        method: PaymentMethodKind::Stripe,
        display_name: text("Card"),
        enabled: true,
        sort_order: 0,
        instructions: None,
        bank_details: None,
        wallet_details: None,
        currencies: Vec::new(),
        amount_limits: Vec::new(),
        created_at: t0(),
        updated_at: t0(),
    };
    StartPayment {
        payment: payment(account, &invoice, amount),
        invoice,
        account: account.clone(),
        config,
        stripe_price_id: price_id.map(str::to_owned),
        save_payment_method: false,
    }
}

pub fn payment(account: &Account, invoice: &Invoice, amount: i64) -> Payment {
    Payment {
        id: PaymentId::generate(t0()),
        account_id: account.id.clone(),
        invoice_id: invoice.id.clone(),
        method: PaymentMethodKind::Stripe,
        status: PaymentStatus::Pending,
        currency: usd(),
        amount,
        amount_received: 0,
        amount_refunded: 0,
        reference: None,
        gateway_reference: None,
        gateway_payment_id: None,
        failure_reason: None,
        expires_at: None,
        next_action: None,
        confirmation: None,
        history: Vec::new(),
        created_at: t0(),
        updated_at: t0(),
    }
}
