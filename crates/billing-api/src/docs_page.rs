//! The browsable API reference at `/docs`: the served `/openapi.json`, rendered once at start
//! into one self-contained HTML page — operations by tag with their parameters, bodies and
//! answers, then every schema. No script, no font, nothing fetched from anywhere: the binary
//! carries all of it.

use std::fmt::Write as _;

use serde_json::Value;

/// Escapes text for HTML.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Text for a table cell: escaped, `code` spans kept.
fn inline(s: &str) -> String {
    let mut out = String::new();
    for (i, part) in esc(s).split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{part}</code>");
        } else {
            out.push_str(part);
        }
    }
    out
}

/// A description: escaped, `code` spans kept, blank lines as paragraph breaks.
fn prose(s: &str) -> String {
    let mut out = String::new();
    for (i, part) in esc(s).split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{part}</code>");
        } else {
            out.push_str(&part.replace("\n\n", "</p><p>"));
        }
    }
    format!("<p>{out}</p>")
}

/// The anchor of a schema.
fn schema_anchor(name: &str) -> String {
    format!("schema-{}", esc(name))
}

fn ref_name(v: &Value) -> Option<&str> {
    v.get("$ref")?
        .as_str()?
        .strip_prefix("#/components/schemas/")
}

/// One line saying what a schema accepts: its type (a link for a named schema), format,
/// enumeration, bounds and pattern.
fn summary(v: &Value) -> String {
    if let Some(name) = ref_name(v) {
        return format!("<a href=\"#{}\">{}</a>", schema_anchor(name), esc(name));
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(branches) = v.get(key).and_then(Value::as_array) {
            let parts: Vec<String> = branches.iter().map(summary).collect();
            return parts.join(if key == "allOf" { " &amp; " } else { " | " });
        }
    }
    let mut out = match v.get("type") {
        Some(Value::String(t)) => esc(t),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .map(esc)
            .collect::<Vec<_>>()
            .join(" | "),
        _ => String::from("any"),
    };
    if let Some(items) = v.get("items") {
        out = format!("array of {}", summary(items));
    }
    if let Some(f) = v.get("format").and_then(Value::as_str) {
        let _ = write!(out, " ({})", esc(f));
    }
    if let Some(values) = v.get("enum").and_then(Value::as_array) {
        let shown: Vec<String> = values
            .iter()
            .take(12)
            .map(|x| match x {
                Value::String(s) if s.is_empty() => "<code>\"\"</code>".to_owned(),
                Value::String(s) => format!("<code>{}</code>", esc(s)),
                other => format!("<code>{}</code>", esc(&other.to_string())),
            })
            .collect();
        let more = values.len().saturating_sub(12);
        let _ = write!(out, ": {}", shown.join(", "));
        if more > 0 {
            let _ = write!(out, " and {more} more");
        }
    }
    let bound = |k: &str| v.get(k).map(|x| esc(&x.to_string()));
    match (bound("minimum"), bound("maximum")) {
        (Some(a), Some(b)) => {
            let _ = write!(out, ", {a}–{b}");
        }
        (Some(a), None) => {
            let _ = write!(out, ", ≥ {a}");
        }
        (None, Some(b)) => {
            let _ = write!(out, ", ≤ {b}");
        }
        (None, None) => {}
    }
    match (bound("minLength"), bound("maxLength")) {
        (Some(a), Some(b)) => {
            let _ = write!(out, ", {a}–{b} characters");
        }
        (None, Some(b)) => {
            let _ = write!(out, ", at most {b} characters");
        }
        _ => {}
    }
    if let Some(p) = v.get("pattern").and_then(Value::as_str)
        && p.len() <= 80
    {
        let _ = write!(out, ", pattern <code>{}</code>", esc(p));
    }
    out
}

fn parameters(out: &mut String, op: &Value) {
    let Some(params) = op.get("parameters").and_then(Value::as_array) else {
        return;
    };
    if params.is_empty() {
        return;
    }
    out.push_str(
        "<h4>Parameters</h4><div class=\"t\"><table><tr><th>name</th><th>in</th><th>accepts</th><th>about</th></tr>",
    );
    for p in params {
        let name = esc(p["name"].as_str().unwrap_or_default());
        let required = if p["required"] == true {
            " <em>required</em>"
        } else {
            ""
        };
        let _ = write!(
            out,
            "<tr><td><code>{name}</code>{required}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(p["in"].as_str().unwrap_or_default()),
            summary(&p["schema"]),
            inline(p["description"].as_str().unwrap_or_default())
        );
    }
    out.push_str("</table></div>");
}

fn body_and_responses(out: &mut String, op: &Value) {
    if let Some(content) = op
        .pointer("/requestBody/content")
        .and_then(Value::as_object)
    {
        out.push_str("<h4>Body</h4><ul>");
        for (media, c) in content {
            let _ = write!(
                out,
                "<li><code>{}</code>: {}</li>",
                esc(media),
                summary(&c["schema"])
            );
        }
        out.push_str("</ul>");
    }
    if let Some(responses) = op.get("responses").and_then(Value::as_object) {
        out.push_str("<h4>Answers</h4><div class=\"t\"><table><tr><th>status</th><th>body</th><th>when</th></tr>");
        for (status, r) in responses {
            let body = r
                .get("content")
                .and_then(Value::as_object)
                .and_then(|c| c.values().next())
                .map(|c| summary(&c["schema"]))
                .unwrap_or_default();
            let _ = write!(
                out,
                "<tr><td><code>{}</code></td><td>{body}</td><td>{}</td></tr>",
                esc(status),
                inline(r["description"].as_str().unwrap_or_default())
            );
        }
        out.push_str("</table></div>");
    }
}

/// The operations of `doc` under `tag`, in path order.
fn operations<'a>(doc: &'a Value, tag: &str) -> Vec<(&'a str, &'a str, &'a Value)> {
    let mut out = Vec::new();
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            for method in ["get", "post", "put", "patch", "delete"] {
                if let Some(op) = item.get(method)
                    && op["tags"]
                        .as_array()
                        .is_some_and(|t| t.iter().any(|x| x == tag))
                {
                    out.push((method, path.as_str(), op));
                }
            }
        }
    }
    out
}

fn schemas(out: &mut String, doc: &Value) {
    let Some(all) = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    else {
        return;
    };
    out.push_str("<section id=\"schemas\"><h2>Schemas</h2>");
    for (name, s) in all {
        let _ = write!(
            out,
            "<article id=\"{}\"><h3>{}</h3>",
            schema_anchor(name),
            esc(name)
        );
        if let Some(d) = s["description"].as_str() {
            out.push_str(&prose(d));
        }
        let required: Vec<&str> = s["required"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        match s["properties"].as_object() {
            Some(props) => {
                out.push_str(
                    "<div class=\"t\"><table><tr><th>field</th><th>accepts</th><th>about</th></tr>",
                );
                for (field, p) in props {
                    let req = if required.contains(&field.as_str()) {
                        " <em>required</em>"
                    } else {
                        ""
                    };
                    let _ = write!(
                        out,
                        "<tr><td><code>{}</code>{req}</td><td>{}</td><td>{}</td></tr>",
                        esc(field),
                        summary(p),
                        inline(p["description"].as_str().unwrap_or_default())
                    );
                }
                out.push_str("</table></div>");
            }
            None => {
                let _ = write!(out, "<p>{}</p>", summary(s));
            }
        }
        out.push_str("</article>");
    }
    out.push_str("</section>");
}

const STYLE: &str = "body{font:15px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#1d2330;background:#f7f8fa}\
header{background:#1d2330;color:#fff;padding:1.5rem 2rem}header h1{margin:0 0 .3rem;font-size:1.6rem}header p{margin:.2rem 0;max-width:60rem;color:#cfd5e1}\
nav{padding:.8rem 2rem;background:#fff;border-bottom:1px solid #e1e5ec;display:flex;flex-wrap:wrap;gap:.3rem 1.1rem}nav a{color:#2454c5;text-decoration:none;white-space:nowrap}\
header code{background:#323b4d;color:#fff}header a{color:#9fc1ff}\
main{padding:1rem 2rem;max-width:72rem}h2{margin-top:2.5rem;border-bottom:2px solid #e1e5ec;padding-bottom:.3rem}\
article{background:#fff;border:1px solid #e1e5ec;border-radius:8px;padding:1rem 1.2rem;margin:1rem 0}article h3{margin:0 0 .4rem;font-size:1.05rem;word-break:break-all}\
h4{margin:1rem 0 .3rem;font-size:.9rem;text-transform:uppercase;letter-spacing:.04em;color:#5b6474}\
.t{overflow-x:auto}table{border-collapse:collapse;width:100%;font-size:.9rem}td:first-child code{word-break:normal;white-space:nowrap}th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #eef0f4;vertical-align:top}th{color:#5b6474;font-weight:600}\
code{font:.85em ui-monospace,SFMono-Regular,Menlo,monospace;background:#eef1f6;padding:.05em .3em;border-radius:4px;word-break:break-word}\
.m{display:inline-block;min-width:3.6rem;text-align:center;font:600 .75rem ui-monospace,monospace;padding:.15rem .4rem;border-radius:4px;margin-right:.5rem;color:#fff}\
.get{background:#1f7a4d}.post{background:#2454c5}.put,.patch{background:#a15c00}.delete{background:#b3261e}em{color:#b3261e;font-style:normal;font-size:.8em}\
@media (min-width:900px){nav{position:sticky;top:0}}\
@media (max-width:640px){header,nav,main{padding-left:1rem;padding-right:1rem}article{padding:.8rem}\
.t table,.t tr,.t td{display:block}.t tr:first-child{display:none}.t tr{padding:.45rem 0;border-bottom:1px solid #eef0f4}.t td{border:0;padding:.1rem .2rem}.t td:first-child{font-weight:600}}";

/// Renders `doc` (the served OpenAPI document) as the reference page.
pub fn render(doc: &Value) -> String {
    let title = esc(doc
        .pointer("/info/title")
        .and_then(Value::as_str)
        .unwrap_or("API"));
    let version = esc(doc
        .pointer("/info/version")
        .and_then(Value::as_str)
        .unwrap_or(""));
    let mut out = String::with_capacity(512 * 1024);
    let _ = write!(
        out,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<title>{title} reference</title><style>{STYLE}</style></head><body><header><h1>{title} <small>{version}</small></h1>{}\
<p>The same document as JSON: <a href=\"/openapi.json\">/openapi.json</a>.</p></header><nav>",
        prose(
            doc.pointer("/info/description")
                .and_then(Value::as_str)
                .unwrap_or("")
        )
    );
    let tags: Vec<(&str, &str)> = doc["tags"]
        .as_array()
        .map(|t| {
            t.iter()
                .map(|x| {
                    (
                        x["name"].as_str().unwrap_or_default(),
                        x["description"].as_str().unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    for (name, _) in &tags {
        let _ = write!(out, "<a href=\"#tag-{0}\">{0}</a>", esc(name));
    }
    out.push_str("<a href=\"#schemas\">schemas</a></nav><main>");
    for (name, about) in &tags {
        let _ = write!(
            out,
            "<section id=\"tag-{}\"><h2>{}</h2>{}",
            esc(name),
            esc(name),
            prose(about)
        );
        for (method, path, op) in operations(doc, name) {
            let id = esc(op["operationId"].as_str().unwrap_or_default());
            let _ = write!(
                out,
                "<article id=\"{id}\"><h3><span class=\"m {method}\">{}</span><code>{}</code></h3>",
                method.to_ascii_uppercase(),
                esc(path)
            );
            for key in ["summary", "description"] {
                if let Some(t) = op[key].as_str() {
                    out.push_str(&prose(t));
                }
            }
            parameters(&mut out, op);
            body_and_responses(&mut out, op);
            out.push_str("</article>");
        }
        out.push_str("</section>");
    }
    schemas(&mut out, doc);
    out.push_str("</main></body></html>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_from_the_document_is_escaped_and_code_spans_kept() {
        let page = render(&json!({
            "info": {"title": "T<script>", "version": "1", "description": "use `a<b` & more"},
            "tags": [{"name": "x", "description": "d"}],
            "paths": {"/v1/x": {"get": {"tags": ["x"], "operationId": "get_x", "summary": "<img src=x>",
                "responses": {"200": {"description": "ok"}}}}},
        }));
        assert!(!page.contains("<script>") && !page.contains("<img"));
        assert!(page.contains("T&lt;script&gt;"));
        assert!(page.contains("<code>a&lt;b</code> &amp; more"));
        assert!(page.contains("id=\"get_x\""));
    }
}
