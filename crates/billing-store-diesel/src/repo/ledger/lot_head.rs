//! The hot path's shortcut on the balance row: which lot the next debit takes from, kept
//! under the balance row's lock so the common debit touches no lot row.

use billing_domain::entities::CreditLot;
use diesel::prelude::*;
use time::OffsetDateTime;

use super::core::{Locked, NewEntry};
use super::lots::load;
use crate::convert::ts;
use crate::error::DbResult;
use crate::pool::AnyConnection;
use crate::rows::BalanceRow;
use crate::schema::credit_lots;

/// The hot path's shortcut, kept on the locked balance row: the lot the next debit takes from
/// (the first in spend order with free credits), its free credits left for debits that take
/// only from it, what such debits took and is not yet written into the lot's row, and the
/// soonest expiry among the unexpired lots. A debit it covers writes the balance row and its
/// entry (whose `lot_id` is its allocation) and touches no lot row; any other write first
/// folds `spent` into the lot ([`Locked::fold`]) and recomputes the head after it
/// ([`Locked::refresh_head`]). Spend order is the domain's either way: the head *is* the
/// first lot that order would take from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Head {
    pub lot: Option<String>,
    pub avail: i64,
    pub spent: i64,
    pub next_expiry: Option<OffsetDateTime>,
}

impl Head {
    pub(crate) fn of(row: &BalanceRow) -> Self {
        Self {
            lot: row.head_lot.clone(),
            avail: row.head_avail,
            spent: row.head_spent,
            next_expiry: row.lots_next_expiry.map(|t| t.0),
        }
    }

    /// The lot entry `e` takes from whole without reading lots: a plain debit the head's free
    /// credits cover, with no lot due at its instant.
    pub(crate) fn takes(&self, e: &NewEntry) -> Option<String> {
        let plain_debit = e.explicit.is_none() && e.amount < 0 && e.held_delta == 0;
        let none_due = self.next_expiry.is_none_or(|x| x > e.at);
        let covered = e
            .amount
            .checked_neg()
            .is_some_and(|need| self.avail >= need);
        (plain_debit && none_due && covered)
            .then(|| self.lot.clone())
            .flatten()
    }
}

impl Locked {
    /// Writes what shortcut debits took from the head lot into its row.
    pub(crate) fn fold(&mut self, conn: &mut AnyConnection) -> DbResult<()> {
        use credit_lots::dsl as cl;
        if let (Some(lot), true) = (&self.head.lot, self.head.spent != 0) {
            diesel::update(cl::credit_lots.find(lot))
                .set(cl::remaining.eq(cl::remaining - self.head.spent))
                .execute(conn)?;
            self.head.spent = 0;
        }
        Ok(())
    }

    /// Recomputes the head from the lots (after a fold and a change of lots).
    pub(crate) fn refresh_head(&mut self, conn: &mut AnyConnection) -> DbResult<()> {
        debug_assert_eq!(self.head.spent, 0, "refreshed after a fold");
        let lots = load(
            credit_lots::table
                .filter(credit_lots::account_id.eq(&self.account))
                .filter(credit_lots::expired_at.is_null())
                .filter(
                    credit_lots::remaining
                        .gt(credit_lots::held)
                        .or(credit_lots::expires_at.is_not_null()),
                )
                .load(conn)?,
        )?;
        let head = lots
            .iter()
            .filter(|l| l.free() > 0)
            .min_by(|a, b| billing_domain::entities::credit_lot::spend_order(a, b));
        self.head = Head {
            lot: head.map(|l| l.id.to_string()),
            avail: head.map_or(0, CreditLot::free),
            spent: 0,
            next_expiry: lots.iter().filter_map(|l| l.expires_at).min(),
        };
        Ok(())
    }

    /// Writes the head to the balance row (after changes that appended no entry).
    pub(crate) fn save_head(&self, conn: &mut AnyConnection) -> DbResult<()> {
        use crate::schema::credit_balances::dsl as cb;
        diesel::update(cb::credit_balances.find(&self.account))
            .set((
                cb::head_lot.eq(&self.head.lot),
                cb::head_avail.eq(self.head.avail),
                cb::head_spent.eq(self.head.spent),
                cb::lots_next_expiry.eq(self.head.next_expiry.map(ts)),
            ))
            .execute(conn)?;
        Ok(())
    }
}
