//! What the server enforces that the generated schemas cannot say by themselves, written
//! into the document once so that a client generated from it (or a fuzzer reading it) knows
//! it: the `Idempotency-Key` header's and the `starting_after` cursor's shape, and, for the
//! input types, which fields are required and their bounds. Input types keep their fields
//! optional in Rust so that a missing one is a 400 naming it (and because several serve both
//! create and update); the rules below say which ones a request must carry.
//!
//! The rules are JSON Schema keywords merged into the generated schemas. A rule for an
//! operation (`POST /v1/admin/plans`) applies to a copy of its body's schema, so the same
//! type stays all-optional for the update.

use serde_json::{Map, Value, json};
use utoipa::openapi::OpenApi as Doc;

/// What [`crate::idempotency`] accepts: 1–255 visible ASCII characters.
pub const IDEMPOTENCY_KEY_PATTERN: &str = "^[!-~]{1,255}$";
/// What [`billing_domain::types::PageRequest`] accepts as a cursor: an id (letters, digits,
/// `_`, at most 64), or empty for the first page.
pub const CURSOR_PATTERN: &str = "^[A-Za-z0-9_]{0,64}$";

/// Text the domain's `BoundedText` accepts: something besides white space, no control
/// characters but tab and line breaks.
const TEXT: &str = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$";

/// Codes the domain parses case-insensitively: each in upper and lower case.
fn codes(all: &[&str]) -> Value {
    let mut v: Vec<String> = all.iter().map(|c| (*c).to_owned()).collect();
    v.extend(all.iter().map(|c| c.to_ascii_lowercase()));
    json!({ "type": "string", "enum": v })
}

fn currency() -> Value {
    codes(billing_domain::types::Currency::all_codes())
}

fn country() -> Value {
    codes(&billing_domain::types::CountryCode::all_codes())
}

fn text(max: u64) -> Value {
    json!({ "minLength": 1, "maxLength": max, "pattern": TEXT })
}

/// Rules per component: required fields, and keywords merged into each named property.
fn component_rules() -> Vec<(&'static str, Vec<&'static str>, Value)> {
    let reference =
        json!({ "minLength": 1, "maxLength": 200, "pattern": "^\\s*[!-~]{1,200}\\s*$" });
    let credits = json!({ "minimum": 1, "maximum": 1_000_000_000_000_i64 });
    vec![
        (
            "CreateAccountInput",
            vec!["name"],
            json!({ "name": text(200), "external_id": text(200) }),
        ),
        (
            "UpdateAccountInput",
            vec![],
            json!({ "name": text(200), "external_id": text(200) }),
        ),
        (
            "BillingProfileInput",
            vec!["legal_name", "billing_email", "address"],
            json!({ "legal_name": text(200) }),
        ),
        (
            "AddressInput",
            vec!["line1", "city", "country"],
            json!({ "line1": text(200), "city": text(100), "country": { "pattern": "^[A-Za-z]{2}$" } }),
        ),
        (
            "CreateApiKeyInput",
            vec!["scope"],
            json!({ "scope": { "enum": ["admin", "service", "account"] } }),
        ),
        (
            "DebitInput",
            vec!["credits", "operation"],
            json!({ "credits": credits, "operation": text(200), "reference": reference }),
        ),
        (
            "AdjustmentInput",
            vec!["credits", "reason"],
            json!({ "reason": text(500), "reference": reference }),
        ),
        (
            "HoldInput",
            vec!["credits", "reference"],
            json!({ "credits": credits, "reference": reference }),
        ),
        (
            "PriceInput",
            vec!["amount", "currency"],
            json!({ "currency": { "pattern": "^[A-Za-z]{3}$" } }),
        ),
        (
            "InvoiceLineInput",
            vec!["description", "unit_amount"],
            json!({ "description": text(500) }),
        ),
        (
            "ManualInvoiceInput",
            vec!["account_id", "currency", "lines"],
            json!({ "lines": { "minItems": 1 } }),
        ),
        (
            "WalletDetailsInput",
            vec!["provider", "account_name", "account_number"],
            json!({ "provider": text(100), "account_name": text(200), "account_number": text(64) }),
        ),
        (
            "BankDetailsInput",
            vec!["bank_name", "account_holder"],
            json!({ "bank_name": text(200), "account_holder": text(200) }),
        ),
        (
            "PurchaseInput",
            vec!["credit_package_id", "payment_method"],
            json!({}),
        ),
        ("PayInvoiceInput", vec!["payment_method"], json!({})),
        (
            "CreateSubscriptionInput",
            vec!["plan_id", "payment_method"],
            json!({}),
        ),
        (
            "RefundInput",
            vec!["reason"],
            json!({ "reason": text(500) }),
        ),
        (
            "ConfirmationBody",
            vec!["reference", "amount", "paid_on", "payer_name"],
            json!({ "payer_name": text(200) }),
        ),
        (
            "CreditPackageInput",
            vec![],
            json!({ "credits": credits, "prices": { "minItems": 1 } }),
        ),
        ("PlanInput", vec![], json!({ "prices": { "minItems": 1 } })),
    ]
}

/// Rules per operation whose body type also serves another operation: the fields this one
/// requires.
const OPERATION_REQUIRED: &[(&str, &str, &[&str])] = &[
    (
        "post",
        "/v1/admin/plans",
        &["name", "slug", "prices", "interval"],
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
    ("post", "/v1/admin/payments/{id}/reject", &["reason"]),
];

/// Makes `schema` (an object schema) require `fields`, none of them nullable.
fn require(schema: &mut Value, fields: &[&str]) {
    let Some(obj) = schema.as_object_mut() else {
        return;
    };
    let required = obj.entry("required").or_insert_with(|| json!([]));
    if let Some(list) = required.as_array_mut() {
        for f in fields {
            if !list.iter().any(|x| x == f) {
                list.push(json!(f));
            }
        }
    }
    let Some(props) = obj.get_mut("properties").and_then(Value::as_object_mut) else {
        return;
    };
    for f in fields {
        if let Some(p) = props.get_mut(*f) {
            not_null(p);
        }
    }
}

/// Drops `null` from a property's type (`["string", "null"]` → `"string"`, or the non-null
/// branch of a `oneOf`).
fn not_null(p: &mut Value) {
    let Some(obj) = p.as_object_mut() else {
        return;
    };
    if let Some(Value::Array(types)) = obj.get("type") {
        let kept: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
        let one = if kept.len() == 1 {
            kept[0].clone()
        } else {
            Value::Array(kept)
        };
        obj.insert("type".into(), one);
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(Value::Array(branches)) = obj.get(key) {
            let kept: Vec<Value> = branches
                .iter()
                .filter(|b| b.get("type") != Some(&json!("null")))
                .cloned()
                .collect();
            if kept.len() == 1 {
                obj.remove(key);
                if let Some(Value::Object(branch)) = kept.into_iter().next() {
                    for (k, v) in branch {
                        obj.entry(k).or_insert(v);
                    }
                }
            } else {
                obj.insert(key.into(), Value::Array(kept));
            }
        }
    }
}

fn merge(into: &mut Value, keywords: &Value) {
    if let (Some(target), Some(extra)) = (into.as_object_mut(), keywords.as_object()) {
        for (k, v) in extra {
            target.insert(k.clone(), v.clone());
        }
    }
}

fn header_and_cursor(op: &mut Value) {
    for p in op
        .get_mut("parameters")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        let name = p.get("name").and_then(Value::as_str).unwrap_or_default();
        let place = p.get("in").and_then(Value::as_str).unwrap_or_default();
        let schema = match (place, name) {
            ("header", "Idempotency-Key") => {
                json!({ "type": "string", "minLength": 1, "maxLength": 255, "pattern": IDEMPOTENCY_KEY_PATTERN })
            }
            ("query", "starting_after") => {
                json!({ "type": "string", "maxLength": 64, "pattern": CURSOR_PATTERN })
            }
            ("query", "external_id") => {
                json!({ "type": "string", "minLength": 1, "maxLength": 200 })
            }
            // Empty lists every country's configs.
            ("query", "country") => {
                let mut c = country();
                if let Some(values) = c["enum"].as_array_mut() {
                    values.push(json!(""));
                }
                c
            }
            ("query", "currency") => currency(),
            _ => continue,
        };
        p["schema"] = schema;
    }
}

/// Applies every rule to the document as JSON.
fn apply(doc: &mut Value) {
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for (name, required, props) in component_rules() {
            let Some(schema) = schemas.get_mut(name) else {
                continue;
            };
            if let Some(map) = props.as_object() {
                for (field, keywords) in map {
                    if let Some(p) = schema.pointer_mut(&format!("/properties/{field}")) {
                        merge(p, keywords);
                    }
                }
            }
            require(schema, &required);
        }
    }
    let mut derived: Map<String, Value> = Map::new();
    for (method, path, fields) in OPERATION_REQUIRED {
        let pointer = format!(
            "/paths/{}/{method}/requestBody/content/application~1json/schema/$ref",
            path.replace('~', "~0").replace('/', "~1")
        );
        let Some(base) = doc
            .pointer(&pointer)
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
            .map(str::to_owned)
        else {
            continue;
        };
        let Some(mut copy) = doc.pointer(&format!("/components/schemas/{base}")).cloned() else {
            continue;
        };
        require(&mut copy, fields);
        let op_id = doc
            .pointer(&pointer.replace(
                "/requestBody/content/application~1json/schema/$ref",
                "/operationId",
            ))
            .and_then(Value::as_str)
            .unwrap_or(&base)
            .to_owned();
        let name = format!("{base}_{op_id}");
        if let Some(r) = doc.pointer_mut(&pointer) {
            *r = json!(format!("#/components/schemas/{name}"));
        }
        derived.insert(name, copy);
    }
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        schemas.extend(derived);
    }
    for item in doc
        .get_mut("paths")
        .and_then(Value::as_object_mut)
        .into_iter()
        .flat_map(|m| m.values_mut())
    {
        for method in ["get", "post", "put", "patch", "delete"] {
            if let Some(op) = item.get_mut(method) {
                header_and_cursor(op);
            }
        }
    }
}

/// The document as served: `doc` as JSON with every rule written in.
pub fn with_conventions(doc: &Doc) -> Value {
    let mut v = serde_json::to_value(doc).unwrap_or_else(|_| json!({}));
    apply(&mut v);
    v
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    #[test]
    fn the_rules_reach_the_served_document() {
        let doc = crate::app::openapi_json();
        let account = &doc["components"]["schemas"]["CreateAccountInput"];
        assert_eq!(account["required"], serde_json::json!(["name"]));
        assert_eq!(account["properties"]["name"]["type"], "string");
        let plan_create = doc["paths"]["/v1/admin/plans"]["post"]["requestBody"]["content"]
            ["application/json"]["schema"]["$ref"]
            .as_str()
            .unwrap();
        assert_ne!(plan_create, "#/components/schemas/PlanInput");
        let key = doc["paths"]["/v1/accounts"]["post"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "Idempotency-Key")
            .unwrap();
        assert_eq!(key["schema"]["pattern"], super::IDEMPOTENCY_KEY_PATTERN);
    }
}
