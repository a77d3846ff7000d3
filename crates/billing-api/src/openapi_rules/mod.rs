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

mod tables;

use serde_json::{Map, Value, json};
use utoipa::openapi::OpenApi as Doc;

/// What [`crate::idempotency`] accepts: 1–255 visible ASCII characters.
pub const IDEMPOTENCY_KEY_PATTERN: &str = "^[!-~]{1,255}$";
/// What [`billing_domain::types::PageRequest`] accepts as a cursor: an id (letters, digits,
/// `_`, at most 64), or empty for the first page.
pub const CURSOR_PATTERN: &str = "^[A-Za-z0-9_]{0,64}$";

use tables::{
    OPERATION_REQUIRED, component_rules, country, currency, object_rules, query_rules, text,
};

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
    if let Some(Value::Array(values)) = obj.get_mut("enum") {
        values.retain(|v| !v.is_null());
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

/// Merges `keywords` into a property schema. A nullable property stays nullable: `null`
/// still means "absent" to the server.
fn merge(into: &mut Value, keywords: &Value) {
    let nullable = into
        .get("type")
        .and_then(Value::as_array)
        .is_some_and(|t| t.iter().any(|x| x == "null"));
    if let (Some(target), Some(extra)) = (into.as_object_mut(), keywords.as_object()) {
        for (k, v) in extra {
            target.insert(k.clone(), v.clone());
        }
        // Branches of several types replace the property's one type; null stays a branch.
        if let Some(Value::Array(branches)) = target.get_mut("oneOf") {
            if nullable {
                branches.push(json!({ "type": "null" }));
            }
            target.remove("type");
            return;
        }
        if nullable {
            if let Some(Value::String(t)) = target.get("type").cloned() {
                target.insert("type".into(), json!([t, "null"]));
            }
            if let Some(Value::Array(values)) = target.get_mut("enum")
                && !values.contains(&Value::Null)
            {
                values.push(Value::Null);
            }
        }
    }
}

fn header_and_cursor(path: &str, op: &mut Value, rules: &[(Option<&str>, &str, Value)]) {
    // An account's own listing takes the account from the path, never from the query.
    if path.starts_with("/v1/accounts/{id}/")
        && let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut)
    {
        params.retain(|p| !(p["in"] == "query" && p["name"] == "account_id"));
    }
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
                let mut t = text(200);
                t["type"] = json!("string");
                t
            }
            ("query", "amount") => {
                json!({ "type": "integer", "minimum": 0, "maximum": 1_000_000_000_000_000_i64 })
            }
            ("query", name)
                if let Some((_, _, schema)) = rules
                    .iter()
                    .find(|(p, n, _)| *n == name && p.is_none_or(|p| p == path)) =>
            {
                schema.clone()
            }
            // Empty lists every country's configs.
            ("query", "country") => {
                let mut c = country();
                if let Some(values) = c["enum"].as_array_mut() {
                    values.push(json!(""));
                }
                c
            }
            // Optional for an account with a preferred currency; without one, its absence is
            // a 422 (a rule against the stored account).
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
        for (name, keywords) in object_rules() {
            if let Some(schema) = schemas.get_mut(name) {
                merge(schema, &keywords);
            }
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
    let rules = query_rules();
    for (path, item) in doc
        .get_mut("paths")
        .and_then(Value::as_object_mut)
        .into_iter()
        .flat_map(|m| m.iter_mut())
    {
        for method in ["get", "post", "put", "patch", "delete"] {
            if let Some(op) = item.get_mut(method) {
                header_and_cursor(path, op, &rules);
                unprocessable(op);
            }
        }
    }
}

/// Every operation that takes a body may answer 422: each field is well-formed, but
/// together or with stored data they break a rule (`error.param` names the field). So may
/// the method listings, whose `currency` defaults from the stored account.
fn unprocessable(op: &mut Value) {
    let currency_query = op
        .get("parameters")
        .and_then(Value::as_array)
        .is_some_and(|ps| {
            ps.iter()
                .any(|p| p["in"] == "query" && p["name"] == "currency")
        });
    if op.get("requestBody").is_none() && !currency_query {
        return;
    }
    let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
        return;
    };
    let description = "A rule across fields or against stored data is broken (`error.param` \
                       names the field), or the Idempotency-Key was used with another request";
    responses.insert(
        "422".into(),
        json!({ "description": description, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ErrorResponse" } } } }),
    );
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
