//! Money, credits, dates and statuses as the pages show them, computed in Rust and handed to
//! templates as strings (templates never do arithmetic).

use billing_domain::entities::invoice_document::{format_amount, format_credits, format_date};
use billing_domain::entities::{
    InvoiceStatus, LedgerKind, PaymentMethodKind, PaymentStatus, SubscriptionStatus,
};
use billing_domain::types::Currency;
use time::OffsetDateTime;

/// The symbol shown instead of the code, for currencies whose symbol is unambiguous to
/// their users; others keep the ISO code (`CHF 10.00`).
fn symbol(code: &str) -> Option<&'static str> {
    Some(match code {
        "EUR" => "€",
        "USD" => "US$",
        "GBP" => "£",
        "JPY" => "¥",
        "INR" => "₹",
        "NGN" => "₦",
        "PHP" => "₱",
        "KRW" => "₩",
        "VND" => "₫",
        "ILS" => "₪",
        "UAH" => "₴",
        "TRY" => "₺",
        "GHS" => "GH₵",
        "KES" => "KSh",
        "BRL" => "R$",
        _ => return None,
    })
}

/// `1234567` EUR → `€12,345.67`; `500` JPY → `¥500`; `1000` CHF → `CHF 10.00`. The digits
/// follow the currency's exponent (the domain's [`format_amount`]); a negative amount starts
/// with a minus sign: `−€5.00`.
pub fn money(minor: i64, currency: Currency) -> String {
    let text = format_amount(minor, currency);
    match symbol(currency.code()) {
        Some(s) => text.replacen(&format!("{} ", currency.code()), s, 1),
        None => text,
    }
}

/// `1,234 credits`.
pub fn credits(n: i64) -> String {
    format_credits(n)
}

/// `3 Dec 2026`.
pub fn date(t: OffsetDateTime) -> String {
    format_date(t)
}

/// `3 Dec 2026, 14:05 UTC`.
pub fn datetime(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!("{}, {:02}:{:02} UTC", format_date(t), t.hour(), t.minute())
}

/// `2026-12-03`, for `<input type="date">` and CSV.
pub fn iso_date(t: OffsetDateTime) -> String {
    let d = t.to_offset(time::UtcOffset::UTC).date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// A status badge: its label and the one colour class each state has everywhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Badge {
    /// What it says.
    pub label: &'static str,
    /// `ok`, `warn`, `bad`, `info` or `muted`.
    pub tone: &'static str,
}

const fn badge(label: &'static str, tone: &'static str) -> Badge {
    Badge { label, tone }
}

/// An invoice's badge.
pub fn invoice_badge(s: InvoiceStatus) -> Badge {
    match s {
        InvoiceStatus::Draft => badge("Draft", "muted"),
        InvoiceStatus::Pending => badge("Open", "warn"),
        InvoiceStatus::Paid => badge("Paid", "ok"),
        InvoiceStatus::Void => badge("Void", "muted"),
        InvoiceStatus::Uncollectible => badge("Uncollectible", "bad"),
    }
}

/// A payment's badge.
pub fn payment_badge(s: PaymentStatus) -> Badge {
    match s {
        PaymentStatus::Pending | PaymentStatus::Processing | PaymentStatus::Unknown => {
            badge("Processing", "info")
        }
        PaymentStatus::AwaitingTransfer => badge("Awaiting transfer", "warn"),
        PaymentStatus::PendingApproval => badge("Being checked", "info"),
        PaymentStatus::Succeeded => badge("Paid", "ok"),
        PaymentStatus::Failed => badge("Failed", "bad"),
        PaymentStatus::Canceled => badge("Canceled", "muted"),
        PaymentStatus::Rejected => badge("Rejected", "bad"),
        PaymentStatus::PartiallyRefunded => badge("Partly refunded", "muted"),
        PaymentStatus::Refunded => badge("Refunded", "muted"),
    }
}

/// A subscription's badge.
pub fn subscription_badge(s: SubscriptionStatus) -> Badge {
    match s {
        SubscriptionStatus::Incomplete => badge("Awaiting payment", "warn"),
        SubscriptionStatus::IncompleteExpired => badge("Expired", "muted"),
        SubscriptionStatus::Trialing => badge("Trial", "info"),
        SubscriptionStatus::Active => badge("Active", "ok"),
        SubscriptionStatus::PastDue => badge("Past due", "bad"),
        SubscriptionStatus::Unpaid => badge("Unpaid", "bad"),
        SubscriptionStatus::Paused => badge("Paused", "muted"),
        SubscriptionStatus::Canceled => badge("Canceled", "muted"),
    }
}

/// How a payment method is named to payers when no display name is configured.
pub fn method_name(m: PaymentMethodKind) -> &'static str {
    match m {
        PaymentMethodKind::Stripe => "Card",
        PaymentMethodKind::Paypal => "PayPal",
        PaymentMethodKind::BankTransfer => "Bank transfer",
        PaymentMethodKind::LocalWallet => "Mobile wallet",
    }
}

/// A ledger entry's kind, as the usage page names it.
pub fn ledger_kind(k: LedgerKind) -> &'static str {
    match k {
        LedgerKind::PurchaseGrant => "Purchase",
        LedgerKind::SubscriptionGrant => "Plan credits",
        LedgerKind::UsageDebit => "Usage",
        LedgerKind::ReservationHold => "Hold",
        LedgerKind::ReservationCommit => "Hold used",
        LedgerKind::ReservationRelease => "Hold released",
        LedgerKind::ReservationExpiry => "Hold expired",
        LedgerKind::RefundClawback => "Refund",
        LedgerKind::RefundReversal => "Refund reversed",
        LedgerKind::AdminAdjustment => "Adjustment",
        LedgerKind::Expiry => "Expired",
        LedgerKind::RolloverGrant => "Rolled over",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn cur(c: &str) -> Currency {
        Currency::parse(c).unwrap()
    }

    #[test]
    fn money_follows_the_currency() {
        assert_eq!(money(1_234_567, cur("EUR")), "€12,345.67");
        assert_eq!(money(500, cur("JPY")), "¥500");
        assert_eq!(money(1000, cur("CHF")), "CHF 10.00");
        assert_eq!(money(-500, cur("GBP")), "−£5.00");
        assert_eq!(money(1_500, cur("KWD")), "KWD 1.500");
        assert_eq!(money(250_000, cur("NGN")), "₦2,500.00");
    }

    #[test]
    fn dates_are_absolute_and_utc() {
        let t = time::macros::datetime!(2026-12-01 14:05:59 +02:00);
        assert_eq!(datetime(t), "1 Dec 2026, 12:05 UTC");
        assert_eq!(iso_date(t), "2026-12-01");
    }
}
