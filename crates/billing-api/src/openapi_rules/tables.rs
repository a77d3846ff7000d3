//! The rule tables: what each input and query parameter takes, as the domain checks it.

use serde_json::{Value, json};

/// Text the domain's `BoundedText` accepts: something besides white space, no control
/// characters but tab and line breaks.
const TEXT: &str = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$";

/// Codes the domain parses case-insensitively: each in upper and lower case.
fn codes(all: &[&str]) -> Value {
    let mut v: Vec<String> = all.iter().map(|c| (*c).to_owned()).collect();
    v.extend(all.iter().map(|c| c.to_ascii_lowercase()));
    json!({ "type": "string", "enum": v })
}

pub(super) fn currency() -> Value {
    codes(billing_domain::types::Currency::all_codes())
}

pub(super) fn country() -> Value {
    codes(&billing_domain::types::CountryCode::all_codes())
}

pub(super) fn text(max: u64) -> Value {
    json!({ "minLength": 1, "maxLength": max, "pattern": TEXT })
}

/// A portal `return_url`: http(s), a host without credentials, printable ASCII without
/// spaces, quotes or angle brackets.
const RETURN_URL: &str = "^https?://[!$-.0-;=A-~]+([/?#][!#-;=?-~]*)?$";

/// Optional text: empty (or white space) means absent; otherwise as [`text`].
const OPT_TEXT: &str = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$";

fn opt_text(max: u64) -> Value {
    json!({ "maxLength": max, "pattern": OPT_TEXT })
}

/// An id as the domain parses it: the prefix, then a ULID (Crockford base 32, either case).
fn id(prefix: &str) -> Value {
    json!({ "type": "string", "pattern": format!("^{prefix}_[0-7][0-9a-hjkmnp-tv-zA-HJKMNP-TV-Z]{{25}}$") })
}

/// A slug: 1–64 of `a-z 0-9 -`, not starting or ending with `-`.
fn slug() -> Value {
    json!({ "type": "string", "pattern": "^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$" })
}

/// A gateway's object id as the catalog stores it; empty clears it.
fn gateway_id() -> Value {
    json!({ "type": "string", "pattern": "^[A-Za-z0-9_-]{0,255}$" })
}

/// A discount percentage: an integer 0–100, or a string of one with at most two decimals.
fn percent() -> Value {
    json!({ "oneOf": [
        { "type": "integer", "minimum": 0, "maximum": 100 },
        { "type": "string", "pattern": "^(100(\\.00?)?|[0-9]{1,2}(\\.[0-9]{1,2})?)$" }
    ] })
}

fn one_of(values: &[&str]) -> Value {
    json!({ "type": "string", "enum": values })
}

fn methods() -> Value {
    let all: Vec<&str> = billing_domain::entities::PaymentMethodKind::ALL
        .iter()
        .map(|m| m.as_str())
        .collect();
    one_of(&all)
}

/// Metadata as [`billing_domain::entities::Metadata`] takes it.
fn metadata() -> Value {
    json!({ "maxProperties": 50, "propertyNames": { "minLength": 1, "maxLength": 40 },
            "additionalProperties": { "type": "string", "maxLength": 500 } })
}

/// Rules per component: required fields, and keywords merged into each named property.
pub(super) fn component_rules() -> Vec<(&'static str, Vec<&'static str>, Value)> {
    let reference =
        json!({ "minLength": 1, "maxLength": 200, "pattern": "^\\s*[!-~]{1,200}\\s*$" });
    let credits = json!({ "minimum": 1, "maximum": 1_000_000_000_000_i64 });
    let sort_order = json!({ "minimum": -1_000_000, "maximum": 1_000_000 });
    let trial_days =
        json!({ "minimum": 0, "maximum": billing_domain::entities::plan::MAX_TRIAL_DAYS });
    let per_period =
        json!({ "minimum": 0, "maximum": billing_domain::entities::plan::MAX_CREDITS_PER_PERIOD });
    let threshold = json!({ "maximum": 1_000_000_000_000_i64 });
    let rules = [
        (
            "CreateAccountInput",
            &["name"][..],
            json!({ "name": text(200), "external_id": opt_text(200), "metadata": metadata(), "low_balance_threshold": threshold }),
        ),
        (
            "UpdateAccountInput",
            &[],
            json!({ "name": text(200), "external_id": opt_text(200), "metadata": metadata(), "low_balance_threshold": threshold }),
        ),
        (
            "BillingProfileInput",
            &["legal_name", "billing_email", "address"],
            json!({ "legal_name": text(200), "billing_email": { "format": "email", "maxLength": 254 }, "preferred_currency": currency() }),
        ),
        (
            "TaxIdInput",
            &[],
            json!({ "value": { "pattern": "^[A-Za-z0-9 ./-]{1,64}$" } }),
        ),
        (
            "AddressInput",
            &["line1", "city", "country"],
            json!({ "line1": text(200), "city": text(100), "line2": opt_text(200), "region": opt_text(100), "postal_code": opt_text(20), "country": country() }),
        ),
        (
            "CreateApiKeyInput",
            &["scope"],
            json!({ "scope": one_of(&["admin", "service", "account"]), "name": text(100), "account_id": id("acct") }),
        ),
        (
            "DebitInput",
            &["credits", "operation", "reference"],
            json!({ "credits": credits, "operation": text(200), "reference": reference, "metadata": metadata() }),
        ),
        (
            "AdjustmentInput",
            &["credits", "reason"],
            json!({ "credits": { "minimum": -1_000_000_000_000_i64, "maximum": 1_000_000_000_000_i64, "not": { "const": 0 } }, "reason": text(500), "reference": reference }),
        ),
        (
            "HoldInput",
            &["credits", "reference"],
            json!({ "credits": credits, "reference": reference, "metadata": metadata(), "expires_in_seconds": { "minimum": 1, "maximum": 604_800 } }),
        ),
        (
            "PriceInput",
            &["amount", "currency"],
            json!({ "currency": currency(), "amount": { "minimum": 0, "maximum": 1_000_000_000_000_000_i64 } }),
        ),
        (
            "InvoiceLineInput",
            &["description", "unit_amount"],
            json!({ "description": text(500), "quantity": { "minimum": 1, "maximum": 1_000_000 }, "unit_amount": { "minimum": 0, "maximum": 1_000_000_000_000_000_i64 }, "discount_amount": { "minimum": 0 }, "credits": credits, "kind": one_of(&["manual", "adjustment"]) }),
        ),
        (
            "ManualInvoiceInput",
            &["account_id", "currency", "lines"],
            json!({ "account_id": id("acct"), "currency": currency(), "lines": { "minItems": 1 }, "metadata": metadata() }),
        ),
        (
            "AmountLimitInput",
            &[],
            json!({ "currency": currency(), "min": { "minimum": 0, "maximum": 1_000_000_000_000_000_i64 }, "max": { "minimum": 0, "maximum": 1_000_000_000_000_000_i64 } }),
        ),
        (
            "WalletDetailsInput",
            &["provider", "account_name", "account_number"],
            json!({ "provider": text(100), "account_name": text(200), "account_number": text(64), "qr_code_url": opt_text(500) }),
        ),
        (
            "BankDetailsInput",
            &["bank_name", "account_holder"],
            json!({ "bank_name": text(200), "account_holder": text(200), "iban": opt_text(34), "account_number": opt_text(64), "bic": opt_text(11), "routing_code": opt_text(64), "bank_address": opt_text(300) }),
        ),
        (
            "PurchaseInput",
            &["credit_package_id", "payment_method"],
            json!({ "credit_package_id": id("cpkg"), "payment_method": methods(), "currency": currency() }),
        ),
        (
            "PayInvoiceInput",
            &["payment_method"],
            json!({ "payment_method": methods() }),
        ),
        (
            "CreateSubscriptionInput",
            &["plan_id", "payment_method"],
            json!({ "plan_id": id("plan"), "payment_method": methods(), "currency": currency(), "metadata": metadata(), "trial_days": trial_days }),
        ),
        ("CancelInput", &[], json!({ "reason": opt_text(500) })),
        ("RefundInput", &["reason"], json!({ "reason": text(500) })),
        ("ReasonInput", &[], json!({ "reason": text(500) })),
        (
            "OptionalReasonInput",
            &[],
            json!({ "reason": opt_text(500) }),
        ),
        (
            "TaxExemptionInput",
            &["reason"],
            json!({ "reason": text(500) }),
        ),
        (
            "TaxRateInput",
            &[],
            json!({ "display_name": text(50), "country": country(), "region": opt_text(100), "percentage": { "type": "string", "pattern": "^(100(\\.0{1,4})?|[0-9]{1,2}(\\.[0-9]{1,4})?)$" } }),
        ),
        (
            "CreatePortalSessionInput",
            &["account_id", "return_url"],
            json!({ "account_id": id("acct"), "return_url": { "type": "string", "maxLength": 2000, "pattern": RETURN_URL } }),
        ),
        (
            "PortalFlowInput",
            &["type"],
            json!({ "type": one_of(&["buy_credits", "pay_invoice", "manual_payment", "subscription"]), "invoice_id": id("inv"), "payment_id": id("pay") }),
        ),
        ("ApproveInput", &[], json!({ "note": opt_text(1000) })),
        (
            "ConfirmationBody",
            &["reference", "amount", "paid_on", "payer_name"],
            json!({ "payer_name": text(200), "paid_on": { "format": "date" }, "note": opt_text(1000) }),
        ),
        (
            "ProofFileInput",
            &[],
            json!({ "content_base64": { "pattern": "^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$" } }),
        ),
        (
            "CreditPackageInput",
            &[],
            json!({ "name": text(100), "slug": slug(), "credits": credits, "prices": { "minItems": 1, "maxItems": 50 }, "description": opt_text(1000), "stripe_price_id": gateway_id(), "paypal_product_id": gateway_id(), "discount_percent": percent(), "sort_order": sort_order }),
        ),
        (
            "PlanInput",
            &[],
            json!({ "name": text(100), "slug": slug(), "prices": { "minItems": 1, "maxItems": 50 }, "description": opt_text(1000), "interval": one_of(&["week", "month", "year"]), "interval_count": { "minimum": 1, "maximum": 104 }, "stripe_product_id": gateway_id(), "paypal_product_id": gateway_id(), "sort_order": sort_order, "trial_days": trial_days, "credits_per_period": per_period,
                    "features": { "maxItems": billing_domain::entities::plan::MAX_FEATURES, "uniqueItems": true, "items": { "type": "string", "pattern": "^[a-z][a-z0-9_.:-]{0,63}$" } } }),
        ),
        (
            "RolloverInput",
            &["kind"],
            json!({ "kind": one_of(&["none", "capped"]), "max": { "minimum": 0, "maximum": 1_000_000_000_000_000_i64 } }),
        ),
        (
            "DunningInput",
            &[],
            json!({ "final_action": one_of(&["cancel", "unpaid", "leave_past_due"]), "retry_days": { "maxItems": 10, "items": { "type": "integer", "minimum": 1, "maximum": 60 } } }),
        ),
        (
            "PaymentMethodConfigInput",
            &[],
            json!({ "method": methods(), "display_name": text(100), "country": country(), "instructions": opt_text(2000), "currencies": { "items": currency() }, "sort_order": sort_order }),
        ),
    ];
    rules
        .into_iter()
        .map(|(name, required, props)| (name, required.to_vec(), props))
        .collect()
}

/// Rules across the fields of one component, as JSON Schema keywords on the object.
pub(super) fn object_rules() -> Vec<(&'static str, Value)> {
    let nonempty = |field: &str| json!({ "required": [field], "properties": { field: { "type": "string", "pattern": TEXT } } });
    vec![
        // A new count needs the unit it counts (a null count changes nothing).
        (
            "PlanInput",
            json!({
                "if": { "required": ["interval_count"], "properties": { "interval_count": { "type": "integer" } } },
                "then": { "required": ["interval"], "properties": { "interval": { "type": "string" } } }
            }),
        ),
        // Bank details name the account by IBAN or by account number.
        (
            "BankDetailsInput",
            json!({ "anyOf": [nonempty("iban"), nonempty("account_number")] }),
        ),
        // A flow names the invoice or the payment its type needs, and nothing else.
        (
            "PortalFlowInput",
            json!({ "oneOf": [
                { "properties": { "type": { "enum": ["buy_credits", "subscription"] }, "invoice_id": { "type": "null" }, "payment_id": { "type": "null" } } },
                { "properties": { "type": { "const": "pay_invoice" }, "invoice_id": { "type": "string" }, "payment_id": { "type": "null" } }, "required": ["invoice_id"] },
                { "properties": { "type": { "const": "manual_payment" }, "payment_id": { "type": "string" }, "invoice_id": { "type": "null" } }, "required": ["payment_id"] }
            ] }),
        ),
        // Only account keys are bound to an account, and they must be.
        (
            "CreateApiKeyInput",
            json!({
                "if": { "properties": { "scope": { "const": "account" } }, "required": ["scope"] },
                "then": { "required": ["account_id"], "properties": { "account_id": { "type": "string" } } },
                "else": { "properties": { "account_id": { "type": "null" } } }
            }),
        ),
    ]
}

/// Query parameters whose values the server checks, by operation path (`None`: every path).
pub(super) fn query_rules() -> Vec<(Option<&'static str>, &'static str, Value)> {
    use billing_domain::entities::{
        EmailKind, InvoiceStatus, LedgerKind, PaymentStatus, SubscriptionStatus,
    };
    fn with_empty(mut v: Vec<&'static str>) -> Value {
        v.push("");
        json!({ "type": "string", "enum": v })
    }
    let kinds: Vec<&str> = LedgerKind::ALL.iter().map(|k| k.as_str()).collect();
    let kind = format!("^$|^({0})(,({0}))*$", kinds.join("|"));
    let payment_status = with_empty(PaymentStatus::ALL.iter().map(|s| s.as_str()).collect());
    let mut method = methods();
    if let Some(values) = method["enum"].as_array_mut() {
        values.push(json!(""));
    }
    let with_empty_id = |prefix: &str| {
        let mut v = id(prefix);
        let p = v["pattern"].as_str().unwrap_or_default().to_owned();
        v["pattern"] = json!(format!("^$|{p}"));
        v
    };
    vec![
        (
            Some("/v1/admin/invoices"),
            "status",
            with_empty(InvoiceStatus::ALL.iter().map(|s| s.as_str()).collect()),
        ),
        (
            Some("/v1/accounts/{id}/invoices"),
            "status",
            with_empty(InvoiceStatus::ALL.iter().map(|s| s.as_str()).collect()),
        ),
        (Some("/v1/admin/payments"), "status", payment_status.clone()),
        (Some("/v1/accounts/{id}/payments"), "status", payment_status),
        (
            Some("/v1/admin/subscriptions"),
            "status",
            with_empty(SubscriptionStatus::ALL.iter().map(|s| s.as_str()).collect()),
        ),
        (
            Some("/v1/accounts/{id}/credits/ledger"),
            "kind",
            json!({ "type": "string", "pattern": kind }),
        ),
        (
            Some("/v1/admin/emails"),
            "kind",
            with_empty(EmailKind::ALL.iter().map(|k| k.as_str()).collect()),
        ),
        (
            Some("/v1/admin/emails"),
            "status",
            with_empty(vec!["queued", "sent", "failed"]),
        ),
        (None, "method", method),
        (None, "order", with_empty(vec!["asc", "desc"])),
        (None, "account_id", with_empty_id("acct")),
        (None, "plan_id", with_empty_id("plan")),
    ]
}

/// Rules per operation whose body type also serves another operation: the fields this one
/// requires.
pub(super) const OPERATION_REQUIRED: &[(&str, &str, &[&str])] = &[
    (
        "post",
        "/v1/admin/plans",
        &["name", "slug", "prices", "interval", "credits_per_period"],
    ),
    (
        "post",
        "/v1/admin/credit-packages",
        &["name", "slug", "credits", "prices"],
    ),
    (
        "post",
        "/v1/admin/payment-method-configs",
        &["method", "display_name"],
    ),
    ("post", "/v1/admin/invoices/{id}/void", &["reason"]),
    (
        "post",
        "/v1/admin/tax-rates",
        &["display_name", "country", "percentage"],
    ),
    ("post", "/v1/admin/payments/{id}/reject", &["reason"]),
];
