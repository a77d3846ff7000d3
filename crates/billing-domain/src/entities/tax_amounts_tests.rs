#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use time::OffsetDateTime;

use super::*;
use crate::entities::TaxRate;
use crate::types::CountryCode;

fn pct(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn rate(p: &str, inclusive: bool) -> TaxRate {
    let t = OffsetDateTime::UNIX_EPOCH;
    TaxRate {
        id: TaxRateId::generate(t),
        display_name: "VAT".into(),
        country: CountryCode::parse("DE").unwrap(),
        region: None,
        percentage: pct(p),
        inclusive,
        active: true,
        created_at: t,
        updated_at: t,
    }
}

#[test]
fn percentages_become_parts_per_million() {
    assert_eq!(parts_per_million(pct("19")), Some(190_000));
    assert_eq!(parts_per_million(pct("7.5")), Some(75_000));
    assert_eq!(parts_per_million(pct("14.975")), Some(149_750));
    assert_eq!(parts_per_million(pct("0.0001")), Some(1));
    assert_eq!(
        parts_per_million(pct("19.000000")),
        Some(190_000),
        "trailing zeros"
    );
    assert_eq!(parts_per_million(pct("100")), Some(1_000_000));
    for bad in ["-1", "100.0001", "0.00001"] {
        assert_eq!(parts_per_million(pct(bad)), None, "{bad}");
    }
}

#[test]
fn the_worked_example() {
    // docs/tax.md: 19 % on EUR 26.10.
    let ex = line_tax(2610, pct("19"), false).unwrap();
    assert_eq!((ex.taxable, ex.tax, ex.gross()), (2610, 496, 3106));
    let inc = line_tax(2610, pct("19"), true).unwrap();
    assert_eq!((inc.taxable, inc.tax, inc.gross()), (2193, 417, 2610));
    // Half up exactly at .5: 7.5 % of 10 minor units is 0.75 → 1; of 2 → 0.15 → 0.
    assert_eq!(line_tax(10, pct("7.5"), false).unwrap().tax, 1);
    assert_eq!(line_tax(2, pct("7.5"), false).unwrap().tax, 0);
    assert_eq!(
        line_tax(20, pct("2.5"), false).unwrap().tax,
        1,
        "0.5 rounds up"
    );
    // A credit is the mirror image.
    assert_eq!(line_tax(-2610, pct("19"), false).unwrap().tax, -496);
    assert_eq!(line_tax(-2610, pct("19"), true).unwrap().taxable, -2193);
    assert_eq!(
        line_tax(i64::MAX, pct("19"), false),
        None,
        "overflow is refused"
    );
}

#[test]
fn lines_are_summed_by_rate() {
    let (a, b) = (rate("19", false), rate("7", false));
    let inv = invoice_tax(&[
        (1000, Some(&a)),
        (500, None),
        (250, Some(&b)),
        (1000, Some(&a)),
    ])
    .unwrap();
    assert_eq!(inv.by_rate.len(), 2);
    assert_eq!((inv.by_rate[0].taxable, inv.by_rate[0].tax), (2000, 380));
    assert_eq!((inv.by_rate[1].taxable, inv.by_rate[1].tax), (250, 18)); // 17.5 → 18
    assert_eq!((inv.taxable, inv.tax, inv.total), (2750, 398, 3148));
    assert_eq!(
        inv.lines[1],
        LineTax {
            taxable: 500,
            tax: 0
        }
    );
}

proptest! {
    /// Σ taxable + Σ tax == total for every invoice; exclusive keeps the amounts as taxable,
    /// inclusive keeps them as the total; tax is never negative on positive lines, and the
    /// by-rate subtotals add up to the totals.
    #[test]
    fn lines_plus_tax_is_the_total(
        amounts in prop::collection::vec(0_i64..1_000_000_000, 1..30),
        ppm in 0_i64..=1_000_000,
        inclusive in any::<bool>(),
    ) {
        let r = TaxRate { percentage: Decimal::new(ppm, 4), ..rate("0", inclusive) };
        let lines: Vec<(i64, Option<&TaxRate>)> = amounts.iter().map(|a| (*a, Some(&r))).collect();
        let inv = invoice_tax(&lines).unwrap();
        let sum: i64 = amounts.iter().sum();
        prop_assert_eq!(inv.taxable + inv.tax, inv.total);
        prop_assert_eq!(inv.lines.iter().map(|l| l.gross()).sum::<i64>(), inv.total);
        if inclusive {
            prop_assert_eq!(inv.total, sum);
        } else {
            prop_assert_eq!(inv.taxable, sum);
        }
        prop_assert!(inv.lines.iter().all(|l| l.tax >= 0 && l.taxable >= 0));
        let (t, x) = inv.by_rate.iter().fold((0, 0), |(t, x), s| (t + s.taxable, x + s.tax));
        prop_assert_eq!((t, x), (inv.taxable, inv.tax));
        // Never more than half a minor unit off the exact tax, per line.
        for (a, l) in amounts.iter().zip(&inv.lines) {
            let exact2 = if inclusive {
                // 2 × exact taxable × (1e6 + ppm) vs 2 × a × 1e6
                (2 * i128::from(l.taxable) * (1_000_000 + i128::from(ppm)) - 2 * i128::from(*a) * 1_000_000).abs()
            } else {
                (2 * i128::from(l.tax) * 1_000_000 - 2 * i128::from(*a) * i128::from(ppm)).abs()
            };
            let bound = if inclusive { 1_000_000 + i128::from(ppm) } else { 1_000_000 };
            prop_assert!(exact2 <= bound, "line {} off by more than half a unit", a);
        }
    }
}
