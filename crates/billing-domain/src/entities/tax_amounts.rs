//! Tax arithmetic, in integer minor units: per line, half up at the minor unit, once.
//!
//! * **exclusive** (prices without tax): `tax = round(amount × p / 100)`; the line's taxable
//!   amount is its amount, and the buyer pays `amount + tax`;
//! * **inclusive** (prices with tax): `taxable = round(amount × 100 / (100 + p))`,
//!   `tax = amount − taxable`; the buyer pays the amount.
//!
//! `p` has at most 4 decimals, so it is carried as parts per million (19 % → 190,000) and every
//! product is an `i128`: nothing overflows, nothing is a float. Each line's taxable amount plus
//! its tax is exactly what it charges, so the invoice's `Σ taxable + Σ tax == total` always.
//! A negative amount (a credit) rounds symmetrically: the tax of `−x` is minus the tax of `x`.
//!
//! Worked example (`docs/tax.md`): 19 % exclusive on 26.10 → `2610 × 190000 / 1000000 =
//! 495.9` → 496, total 31.06; inclusive on 26.10 → `2610 × 1000000 / 1190000 = 2193.28…` →
//! 2193 taxable, 417 tax.

use rust_decimal::Decimal;

use crate::types::TaxRateId;

/// One million: a percentage in parts per million of the amount is `percent × 10,000`.
const PPM: i128 = 1_000_000;

/// `percent` (0–100, at most 4 decimals) in parts per million; `None` outside that.
pub fn parts_per_million(percent: Decimal) -> Option<i128> {
    let percent = percent.normalize();
    if percent.is_sign_negative() || percent > Decimal::ONE_HUNDRED || percent.scale() > 4 {
        return None;
    }
    // An integer now: at most 4 decimals times 10,000.
    let scaled = percent.checked_mul(Decimal::new(10_000, 0))?.trunc();
    Some(scaled.mantissa() / 10_i128.pow(scaled.scale()))
}

/// `n / d` rounded half up, for `d > 0`; symmetric for negative `n`.
fn half_up(n: i128, d: i128) -> i128 {
    let q = (2 * n.abs() + d) / (2 * d);
    if n < 0 { -q } else { q }
}

/// A line's tax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineTax {
    /// What the tax is computed on.
    pub taxable: i64,
    /// The tax.
    pub tax: i64,
}

impl LineTax {
    /// What the line charges: taxable amount plus tax.
    pub fn gross(self) -> i64 {
        self.taxable + self.tax
    }
}

/// The tax of a line of `amount` at `percent`; `None` if `percent` is out of range or the
/// result does not fit.
pub fn line_tax(amount: i64, percent: Decimal, inclusive: bool) -> Option<LineTax> {
    let ppm = parts_per_million(percent)?;
    let a = i128::from(amount);
    let (taxable, tax) = if inclusive {
        let taxable = half_up(a * PPM, PPM + ppm);
        (taxable, a - taxable)
    } else {
        (a, half_up(a * ppm, PPM))
    };
    let line = LineTax {
        taxable: i64::try_from(taxable).ok()?,
        tax: i64::try_from(tax).ok()?,
    };
    line.taxable.checked_add(line.tax)?;
    Some(line)
}

/// The tax of all lines at one rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxSubtotal {
    /// The rate.
    pub rate_id: TaxRateId,
    /// Its name on the invoice.
    pub display_name: String,
    /// Its percentage.
    pub percentage: Decimal,
    /// Σ taxable amounts of its lines.
    pub taxable: i64,
    /// Σ tax of its lines.
    pub tax: i64,
}

/// An invoice's tax: per line, by rate, and the totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceTax {
    /// Per line, in the lines' order (`tax` 0 for a line at no rate).
    pub lines: Vec<LineTax>,
    /// Per rate, in the order rates first appear.
    pub by_rate: Vec<TaxSubtotal>,
    /// Σ taxable.
    pub taxable: i64,
    /// Σ tax.
    pub tax: i64,
    /// What the invoice charges: `taxable + tax`.
    pub total: i64,
}

/// The tax of lines `(amount, rate)`; a line with no rate is untaxed. `None` on overflow or
/// an out-of-range percentage.
pub fn invoice_tax(lines: &[(i64, Option<&super::TaxRate>)]) -> Option<InvoiceTax> {
    let mut out = InvoiceTax {
        lines: Vec::with_capacity(lines.len()),
        by_rate: Vec::new(),
        taxable: 0,
        tax: 0,
        total: 0,
    };
    for (amount, rate) in lines {
        let line = match rate {
            Some(r) => line_tax(*amount, r.percentage, r.inclusive)?,
            None => LineTax {
                taxable: *amount,
                tax: 0,
            },
        };
        if let Some(r) = rate {
            match out.by_rate.iter_mut().find(|s| s.rate_id == r.id) {
                Some(s) => {
                    s.taxable = s.taxable.checked_add(line.taxable)?;
                    s.tax = s.tax.checked_add(line.tax)?;
                }
                None => out.by_rate.push(TaxSubtotal {
                    rate_id: r.id.clone(),
                    display_name: r.display_name.clone(),
                    percentage: r.percentage,
                    taxable: line.taxable,
                    tax: line.tax,
                }),
            }
        }
        out.taxable = out.taxable.checked_add(line.taxable)?;
        out.tax = out.tax.checked_add(line.tax)?;
        out.lines.push(line);
    }
    out.total = out.taxable.checked_add(out.tax)?;
    Some(out)
}

#[cfg(test)]
#[path = "tax_amounts_tests.rs"]
mod tests;
