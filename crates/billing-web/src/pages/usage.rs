//! Usage: the credit ledger with a kind and date filter, and the same rows as CSV.

use actix_web::web::{Data, Query, ServiceConfig};
use actix_web::{HttpResponse, get};
use askama::Template;
use billing_domain::entities::LedgerEntry;
use billing_domain::types::PageRequest;
use serde::Deserialize;
use time::OffsetDateTime;

use crate::format;
use crate::forms::FieldErrors;
use crate::layout::Layout;
use crate::pages::{account, html, next_cursor, no_rows};
use crate::session::PortalRequest;
use crate::{PageError, Portal};

pub(crate) fn configure(cfg: &mut ServiceConfig) {
    cfg.service(show).service(csv);
}

/// The kind groups the filter offers, as the ledger's kind lists.
const GROUPS: [(&str, &str, &str); 4] = [
    ("usage", "Usage", "usage_debit,reservation_commit"),
    (
        "grants",
        "Purchases and plan credits",
        "purchase_grant,subscription_grant,rollover_grant",
    ),
    ("expiry", "Expiries", "expiry"),
    (
        "adjustments",
        "Refunds and adjustments",
        "refund_clawback,refund_reversal,admin_adjustment",
    ),
];

#[derive(Deserialize, Default)]
struct Filter {
    kind: Option<String>,
    from: Option<String>,
    to: Option<String>,
    after: Option<String>,
}

struct Parsed {
    kinds: Option<&'static str>,
    from: Option<OffsetDateTime>,
    to: Option<OffsetDateTime>,
    errors: FieldErrors,
}

fn parse(f: &Filter) -> Parsed {
    let mut errors = FieldErrors::default();
    let kinds = f
        .kind
        .as_deref()
        .and_then(|k| GROUPS.iter().find(|g| g.0 == k))
        .map(|g| g.2);
    let (from, to) = crate::forms::date_range(f.from.as_deref(), f.to.as_deref(), &mut errors);
    Parsed {
        kinds,
        from,
        to,
        errors,
    }
}

/// One page of the account's ledger under filter `p`.
async fn ledger(
    portal: &Portal,
    r: &PortalRequest,
    p: &Parsed,
    limit: u32,
    after: Option<String>,
) -> Result<billing_domain::types::Page<LedgerEntry>, PageError> {
    let cursor = PageRequest {
        limit,
        starting_after: after,
    };
    Ok(portal
        .services
        .credits
        .ledger(&r.ctx, r.account(), p.kinds, p.from, p.to, &cursor)
        .await?)
}

struct Row {
    date: String,
    kind: &'static str,
    description: String,
    amount: String,
    balance: String,
}

fn row(e: &LedgerEntry) -> Row {
    Row {
        date: format::datetime(e.created_at),
        kind: format::ledger_kind(e.kind),
        description: e.description.clone(),
        amount: if e.amount > 0 {
            format!("+{}", format::credits(e.amount))
        } else if e.amount == 0 && e.held_delta != 0 {
            format!("{} held", format::credits(e.held_delta))
        } else {
            format::credits(e.amount)
        },
        balance: format::credits(e.balance_after),
    }
}

#[derive(Template)]
#[template(path = "usage.html")]
struct UsagePage {
    layout: Layout,
    rows: Vec<Row>,
    groups: Vec<(&'static str, &'static str, bool)>,
    from: String,
    to: String,
    query: String,
    next: String,
    errors: FieldErrors,
}

#[get("/usage")]
async fn show(
    portal: Data<Portal>,
    r: PortalRequest,
    q: Query<Filter>,
) -> Result<HttpResponse, PageError> {
    let acct = account(&portal, &r).await?;
    let p = parse(&q);
    let entries = if p.errors.any() {
        no_rows()
    } else {
        ledger(&portal, &r, &p, 50, q.after.clone()).await?
    };
    let query = serde_urlencoded::to_string([
        ("kind", q.kind.clone().unwrap_or_default()),
        ("from", q.from.clone().unwrap_or_default()),
        ("to", q.to.clone().unwrap_or_default()),
    ])
    .unwrap_or_default();
    let status = if p.errors.any() {
        actix_web::http::StatusCode::BAD_REQUEST
    } else {
        actix_web::http::StatusCode::OK
    };
    Ok(html(
        status,
        &UsagePage {
            layout: Layout::new(&r, acct.name.as_str(), "Usage", "usage"),
            next: next_cursor(&entries, |e| e.id.to_string()),
            rows: entries.data.iter().map(row).collect(),
            groups: GROUPS
                .iter()
                .map(|g| (g.0, g.1, q.kind.as_deref() == Some(g.0)))
                .collect(),
            from: q.from.clone().unwrap_or_default(),
            to: q.to.clone().unwrap_or_default(),
            query,
            errors: p.errors,
        },
    ))
}

/// A CSV cell: quoted when needed, and a leading `=`, `+`, `-` or `@` neutralised so a
/// spreadsheet never runs a description as a formula.
fn cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// At most this many rows in one export.
const CSV_MAX_ROWS: usize = 10_000;

#[get("/usage.csv")]
async fn csv(
    portal: Data<Portal>,
    r: PortalRequest,
    q: Query<Filter>,
) -> Result<HttpResponse, PageError> {
    let p = parse(&q);
    if p.errors.any() {
        return Err(PageError::Rejected(
            "The date filter is not valid; correct it on the usage page.".into(),
        ));
    }
    let mut out = String::from("id,date,kind,description,credits,held_change,balance_after\n");
    let mut after = None;
    let mut n = 0;
    loop {
        let page = ledger(&portal, &r, &p, 100, after.clone()).await?;
        for e in &page.data {
            let when = e
                .created_at
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default();
            out.push_str(&format!(
                "{},{},{},{},{},{},{}\n",
                e.id,
                when,
                e.kind.as_str(),
                cell(&e.description),
                e.amount,
                e.held_delta,
                e.balance_after
            ));
            n += 1;
        }
        if !page.has_more || n >= CSV_MAX_ROWS {
            break;
        }
        after = page.data.last().map(|e| e.id.to_string());
    }
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("content-disposition", "attachment; filename=\"usage.csv\""))
        .body(out))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::cell;

    #[test]
    fn csv_cells_are_quoted_and_never_formulas() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=HYPERLINK(1)"), "'=HYPERLINK(1)");
    }
}
