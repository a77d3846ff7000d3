//! What an invoice document (the PDF) shows, with every amount and date already formatted
//! as text: a renderer lays it out and never computes or formats money itself. Built from
//! the stored invoice, the seller's details and, for an open invoice paid by transfer, the
//! instructions of its manual payment.
//!
//! Amounts read `EUR 1,234.56`: the ISO code, a space, the currency's own number of decimals
//! (`JPY 1,000`, `KWD 1.500`), a comma between thousands; one style for every currency, so a
//! reader never guesses whether `1.234` is one thousand or one. Dates are UTC, `3 Dec 2026`.

use serde::Serialize;
use time::OffsetDateTime;

use crate::entities::{BillingProfile, Invoice, InvoiceStatus, NextAction};
use crate::types::Currency;

/// The seller printed on every invoice (`BILLING_SELLER_*`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Seller {
    /// Legal name.
    pub legal_name: String,
    /// Address lines, as they should be printed.
    pub address: Vec<String>,
    /// VAT or other tax id.
    pub tax_id: Option<String>,
    /// Where customers write about invoices.
    pub email: Option<String>,
}

impl Default for Seller {
    fn default() -> Self {
        Self {
            legal_name: "Example Seller Ltd".into(),
            address: vec![],
            tax_id: None,
            email: None,
        }
    }
}

/// A party block: name, address lines, tax id, e-mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Party {
    /// Legal name.
    pub name: String,
    /// Address lines.
    pub lines: Vec<String>,
    /// `VAT DE123456789`, if any.
    pub tax_id: Option<String>,
    /// E-mail, if any.
    pub email: Option<String>,
}

/// One printed line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocumentLine {
    /// What was bought.
    pub description: String,
    /// `1 Dec 2026 – 1 Jan 2027` for a subscription period.
    pub period: Option<String>,
    /// Quantity.
    pub quantity: String,
    /// Price of one unit.
    pub unit_price: String,
    /// The line's discount (`−EUR 5.00`), if any.
    pub discount: Option<String>,
    /// The line's amount.
    pub amount: String,
}

/// One row of the totals box.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TotalRow {
    /// `Subtotal`, `Total`, `Amount due`…
    pub label: String,
    /// The amount.
    pub amount: String,
    /// Printed bold (the total and the amount due).
    pub strong: bool,
}

/// How to pay an open invoice by transfer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TransferDetails {
    /// `(label, value)` rows: bank or wallet details, amount, reference.
    pub rows: Vec<(String, String)>,
    /// The country's instructions, if any.
    pub instructions: Option<String>,
}

/// Everything the invoice PDF shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvoiceDocument {
    /// The invoice number, or `Draft`.
    pub number: String,
    /// `PAID`, `VOID`, `UNCOLLECTIBLE` or `DRAFT`; none while open.
    pub mark: Option<String>,
    /// A draft carries a watermark.
    pub draft: bool,
    /// Issue date (finalization; creation for a draft).
    pub issued_on: String,
    /// Due date, if any.
    pub due_on: Option<String>,
    /// Payment date, if paid.
    pub paid_on: Option<String>,
    /// ISO code of every amount.
    pub currency: String,
    /// The seller.
    pub seller: Party,
    /// The buyer, from the billing profile snapshot taken at finalization.
    pub buyer: Option<Party>,
    /// The lines.
    pub lines: Vec<DocumentLine>,
    /// Subtotal, discount, total, paid, due.
    pub totals: Vec<TotalRow>,
    /// Transfer instructions for an open invoice, if it is paid by transfer.
    pub transfer: Option<TransferDetails>,
    /// Why it was voided or written off.
    pub status_reason: Option<String>,
    /// The invoice id, printed small and used as the PDF's identity.
    pub invoice_id: String,
    /// The instant the PDF is dated (its creation timestamp), for reproducible output.
    #[serde(skip)]
    pub dated: OffsetDateTime,
}

impl InvoiceDocument {
    /// The document of `invoice`, sold by `seller`, with `transfer` (an open manual
    /// payment's next action) when it is paid by transfer.
    pub fn new(invoice: &Invoice, seller: &Seller, transfer: Option<&NextAction>) -> Self {
        let c = invoice.currency;
        let money = |v: i64| format_amount(v, c);
        let issued = invoice.finalized_at.unwrap_or(invoice.created_at);
        let mut totals = vec![row("Subtotal", money(invoice.subtotal), false)];
        if invoice.discount != 0 {
            totals.push(row("Discount", negative(invoice.discount, c), false));
        }
        totals.push(row("Total", money(invoice.total), true));
        totals.push(row("Amount paid", money(invoice.amount_paid), false));
        if invoice.status != InvoiceStatus::Void {
            // A voided invoice is owed by nobody: no amount due is printed.
            totals.push(row("Amount due", money(invoice.amount_due), true));
        }
        let open = matches!(
            invoice.status,
            InvoiceStatus::Pending | InvoiceStatus::Uncollectible
        );
        Self {
            number: invoice.number.clone().unwrap_or_else(|| "Draft".into()),
            mark: match invoice.status {
                InvoiceStatus::Pending => None,
                s => Some(s.as_str().to_uppercase()),
            },
            draft: invoice.status == InvoiceStatus::Draft,
            issued_on: format_date(issued),
            due_on: invoice.due_at.map(format_date),
            paid_on: invoice.paid_at.map(format_date),
            currency: c.code().to_owned(),
            seller: Party {
                name: seller.legal_name.clone(),
                lines: seller.address.clone(),
                tax_id: seller.tax_id.clone(),
                email: seller.email.clone(),
            },
            buyer: invoice.billing_snapshot.as_ref().map(Party::buyer),
            lines: invoice
                .lines
                .iter()
                .map(|l| DocumentLine {
                    description: l.description.clone(),
                    period: l
                        .period_start
                        .zip(l.period_end)
                        .map(|(s, e)| format!("{} – {}", format_date(s), format_date(e))),
                    quantity: group(l.quantity.unsigned_abs().to_string()),
                    unit_price: money(l.unit_amount),
                    discount: (l.discount_amount != 0).then(|| negative(l.discount_amount, c)),
                    amount: money(l.amount),
                })
                .collect(),
            totals,
            transfer: transfer.filter(|_| open).and_then(transfer_details),
            status_reason: invoice.status_reason.clone(),
            invoice_id: invoice.id.to_string(),
            dated: issued,
        }
    }
}

fn row(label: &str, amount: String, strong: bool) -> TotalRow {
    TotalRow {
        label: label.into(),
        amount,
        strong,
    }
}

impl Party {
    /// The buyer block of a billing profile.
    pub fn buyer(p: &BillingProfile) -> Self {
        let a = &p.address;
        let mut lines = vec![a.line1.to_string()];
        lines.extend(a.line2.as_ref().map(ToString::to_string));
        let city = [a.postal_code.as_ref(), Some(&a.city)]
            .into_iter()
            .flatten()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" ");
        lines.push(city);
        lines.extend(a.region.as_ref().map(ToString::to_string));
        lines.push(a.country.name().to_owned());
        Self {
            name: p.legal_name.to_string(),
            lines,
            tax_id: p.tax_id.as_ref().map(|t| t.value.clone()),
            email: Some(p.billing_email.to_string()),
        }
    }
}

/// The transfer block of a manual payment's instructions: details rows, amount, reference.
pub fn transfer_details(next: &NextAction) -> Option<TransferDetails> {
    let NextAction::ManualTransfer {
        instructions,
        bank_details,
        wallet_details,
        amount,
        currency,
        reference,
    } = next
    else {
        return None;
    };
    let mut rows = Vec::new();
    for details in [bank_details, wallet_details].into_iter().flatten() {
        if let Some(map) = details.as_object() {
            for (k, v) in map {
                let text = match v {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Number(n) => n.to_string(),
                    _ => continue,
                };
                rows.push((label(k), text));
            }
        }
    }
    rows.push(("Amount".into(), format_amount(*amount, *currency)));
    rows.push(("Reference".into(), reference.clone()));
    Some(TransferDetails {
        rows,
        instructions: instructions.clone(),
    })
}

/// `account_holder` → `Account holder`; `iban` → `IBAN`.
fn label(key: &str) -> String {
    const ACRONYMS: [&str; 6] = ["iban", "bic", "swift", "ifsc", "bsb", "clabe"];
    if ACRONYMS.contains(&key.to_ascii_lowercase().as_str()) {
        return key.to_ascii_uppercase();
    }
    let words = key.replace(['_', '-'], " ");
    let mut chars = words.chars();
    chars
        .next()
        .map(|f| f.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// `1234567` EUR → `EUR 12,345.67`; a negative amount starts with a minus sign (U+2212):
/// `−EUR 5.00`.
pub fn format_amount(minor: i64, currency: Currency) -> String {
    let exp = u32::from(currency.exponent());
    let sign = if minor < 0 { "−" } else { "" };
    let abs = minor.unsigned_abs();
    let unit = 10_u64.pow(exp);
    let major = group((abs / unit).to_string());
    if exp == 0 {
        format!("{sign}{} {major}", currency.code())
    } else {
        let frac = abs % unit;
        format!(
            "{sign}{} {major}.{frac:0width$}",
            currency.code(),
            width = exp as usize
        )
    }
}

/// A deduction printed with a minus sign: `−EUR 5.00`.
fn negative(minor: i64, currency: Currency) -> String {
    format_amount(-minor.abs(), currency)
}

/// `1234567` → `1,234,567 credits`; `1` → `1 credit`.
pub fn format_credits(n: i64) -> String {
    let sign = if n < 0 { "−" } else { "" };
    let unit = if n.unsigned_abs() == 1 {
        "credit"
    } else {
        "credits"
    };
    format!("{sign}{} {unit}", group(n.unsigned_abs().to_string()))
}

/// Commas between thousands of a run of digits.
fn group(digits: String) -> String {
    let n = digits.len();
    let mut out = String::with_capacity(n + n / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (n - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// `3 Dec 2026`, in UTC.
pub fn format_date(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let month = &t.month().to_string()[..3];
    format!("{} {month} {}", t.day(), t.year())
}

#[cfg(test)]
#[path = "invoice_document_tests.rs"]
mod tests;
