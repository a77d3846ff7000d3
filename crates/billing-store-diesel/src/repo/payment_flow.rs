//! [`PaymentFlowRepository`] over Diesel: each flow step is one write transaction whose
//! guards (payment and invoice rows, locked on PostgreSQL) are checked before anything is
//! written; a failed guard reports `Stale` with nothing written.

use billing_domain::RepoError;
use billing_domain::entities::{
    AuditEntry, Invoice, InvoiceStatus, OutboxEvent, Payment, PaymentStatus, Refund, RefundStatus,
};
use billing_domain::ports::{
    PaymentChange, PaymentChangeOutcome, PaymentFlowRepository, RetryBackoff,
};
use billing_domain::types::RefundId;
use diesel::prelude::*;
use time::OffsetDateTime;

use crate::convert::ts;
use crate::convert_billing::{invoice_row, line_rows, payment, payment_row};
use crate::dialect::{lock_invoice, next_in_sequence, write_transaction};
use crate::error::{DbResult, Fail};
use crate::pool::AnyConnection;
use crate::repo::{Db, convert_all, insert_audit, insert_events};
use crate::rows::{InvoiceRow, PaymentRow};
use crate::schema::{invoice_lines, invoices, payments};

/// Invoice creation with gapless numbers, and guarded payment flow steps.
#[derive(Clone)]
pub(crate) struct PaymentFlowRepo(pub(crate) Db);

/// `{prefix}-{year}-{seq:06}` from the counter of the year the invoice is finalized in.
fn assign_number(conn: &mut AnyConnection, invoice: &Invoice, prefix: &str) -> DbResult<String> {
    let year = invoice.finalized_at.unwrap_or(invoice.created_at).year();
    let seq = next_in_sequence(conn, prefix, year)?;
    Ok(format!("{prefix}-{year}-{seq:06}"))
}

fn insert_lines(conn: &mut AnyConnection, invoice: &Invoice) -> DbResult<()> {
    for line in line_rows(invoice)? {
        diesel::insert_into(invoice_lines::table)
            .values(&line)
            .execute(conn)?;
    }
    Ok(())
}

/// Inserts an invoice (numbered when `prefix` is given), its lines, its first payment and
/// the audit entry, inside the caller's transaction.
pub(crate) fn create_invoice(
    conn: &mut AnyConnection,
    invoice: &Invoice,
    prefix: Option<&str>,
    pay: Option<&Payment>,
    audit: Option<&AuditEntry>,
) -> DbResult<Invoice> {
    let mut stored = invoice.clone();
    if let Some(prefix) = prefix {
        stored.number = Some(assign_number(conn, invoice, prefix)?);
    }
    diesel::insert_into(invoices::table)
        .values(invoice_row(&stored)?)
        .execute(conn)?;
    insert_lines(conn, &stored)?;
    if let Some(p) = pay {
        diesel::insert_into(payments::table)
            .values(payment_row(p)?)
            .execute(conn)?;
    }
    if let Some(a) = audit {
        insert_audit(conn, a)?;
    }
    Ok(stored)
}

/// Writes every mutable invoice column (all but id, account and created_at).
fn write_invoice(conn: &mut AnyConnection, row: &InvoiceRow) -> DbResult<()> {
    use invoices::dsl as i;
    diesel::update(i::invoices.find(&row.id))
        .set((
            i::number.eq(&row.number),
            i::status.eq(&row.status),
            i::currency.eq(&row.currency),
            i::subtotal.eq(row.subtotal),
            i::discount.eq(row.discount),
            i::total.eq(row.total),
            i::amount_paid.eq(row.amount_paid),
            i::amount_due.eq(row.amount_due),
            i::due_at.eq(row.due_at),
            i::billing_snapshot.eq(&row.billing_snapshot),
            i::status_reason.eq(&row.status_reason),
            i::metadata.eq(&row.metadata),
            i::finalized_at.eq(row.finalized_at),
            i::paid_at.eq(row.paid_at),
            i::updated_at.eq(row.updated_at),
        ))
        .execute(conn)?;
    Ok(())
}

fn finalize_invoice(
    conn: &mut AnyConnection,
    invoice: &Invoice,
    prefix: &str,
    audit: Option<&AuditEntry>,
) -> DbResult<Option<Invoice>> {
    let Some((status, _)) = lock_invoice(conn, invoice.id.as_str())? else {
        return Err(Fail(RepoError::NotFound));
    };
    if status != InvoiceStatus::Draft.as_str() {
        return Ok(None);
    }
    let created_at: crate::sql_types::UtcDateTime = invoices::table
        .find(invoice.id.as_str())
        .select(invoices::created_at)
        .first(conn)?;
    let done = Invoice {
        number: Some(assign_number(conn, invoice, prefix)?),
        created_at: created_at.0,
        ..invoice.clone()
    };
    write_invoice(conn, &invoice_row(&done)?)?;
    diesel::delete(invoice_lines::table.filter(invoice_lines::invoice_id.eq(done.id.as_str())))
        .execute(conn)?;
    insert_lines(conn, &done)?;
    if let Some(a) = audit {
        insert_audit(conn, a)?;
    }
    Ok(Some(done))
}

fn update_invoice_status(
    conn: &mut AnyConnection,
    invoice: &Invoice,
    expected: InvoiceStatus,
    audit: Option<&AuditEntry>,
) -> DbResult<bool> {
    use invoices::dsl as i;
    let changed = diesel::update(
        i::invoices
            .find(invoice.id.as_str())
            .filter(i::status.eq(expected.as_str())),
    )
    .set((
        i::status.eq(invoice.status.as_str()),
        i::status_reason.eq(&invoice.status_reason),
        i::updated_at.eq(ts(invoice.updated_at)),
    ))
    .execute(conn)?;
    if changed == 0 {
        let exists: i64 = i::invoices
            .filter(i::id.eq(invoice.id.as_str()))
            .count()
            .get_result(conn)?;
        return if exists == 0 {
            Err(Fail(RepoError::NotFound))
        } else {
            Ok(false)
        };
    }
    if let Some(a) = audit {
        insert_audit(conn, a)?;
    }
    Ok(true)
}

#[async_trait::async_trait]
impl PaymentFlowRepository for PaymentFlowRepo {
    async fn create_invoice(
        &self,
        invoice: &Invoice,
        number_prefix: Option<String>,
        pay: Option<Payment>,
        audit: Option<AuditEntry>,
        event: Option<OutboxEvent>,
    ) -> Result<Invoice, RepoError> {
        let invoice = invoice.clone();
        self.0
            .run(move |conn| {
                write_transaction(conn, |conn| {
                    let stored = create_invoice(
                        conn,
                        &invoice,
                        number_prefix.as_deref(),
                        pay.as_ref(),
                        audit.as_ref(),
                    )?;
                    insert_events(conn, &event)?;
                    Ok(stored)
                })
            })
            .await
    }

    async fn finalize_invoice(
        &self,
        invoice: &Invoice,
        number_prefix: String,
        audit: Option<AuditEntry>,
        event: Option<OutboxEvent>,
    ) -> Result<Option<Invoice>, RepoError> {
        let invoice = invoice.clone();
        self.0
            .run(move |conn| {
                write_transaction(conn, |conn| {
                    let done = finalize_invoice(conn, &invoice, &number_prefix, audit.as_ref())?;
                    if done.is_some() {
                        insert_events(conn, &event)?;
                    }
                    Ok(done)
                })
            })
            .await
    }

    async fn update_invoice_status(
        &self,
        invoice: &Invoice,
        expected: InvoiceStatus,
        audit: Option<AuditEntry>,
    ) -> Result<bool, RepoError> {
        let invoice = invoice.clone();
        self.0
            .run(move |conn| {
                write_transaction(conn, |conn| {
                    update_invoice_status(conn, &invoice, expected, audit.as_ref())
                })
            })
            .await
    }

    async fn apply_payment_change(
        &self,
        change: &PaymentChange,
    ) -> Result<PaymentChangeOutcome, RepoError> {
        let change = change.clone();
        self.0
            .run(move |conn| {
                write_transaction(conn, |conn| {
                    crate::repo::payment_change::apply(conn, &change)
                })
            })
            .await
    }

    async fn payments_due_for_expiry(
        &self,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<Payment>, RepoError> {
        self.0
            .run(move |conn| {
                use payments::dsl as p;
                let rows: Vec<PaymentRow> = p::payments
                    .filter(p::status.eq_any([
                        PaymentStatus::AwaitingTransfer.as_str(),
                        PaymentStatus::Rejected.as_str(),
                    ]))
                    .filter(p::expires_at.lt(ts(now)))
                    .order(p::id.asc())
                    .limit(i64::from(limit))
                    .load(conn)?;
                convert_all(rows, payment)
            })
            .await
    }

    async fn payments_to_reconcile(
        &self,
        statuses: Vec<PaymentStatus>,
        updated_before: OffsetDateTime,
        limit: u32,
        due_at: OffsetDateTime,
    ) -> Result<Vec<Payment>, RepoError> {
        self.0
            .run(move |conn| {
                crate::repo::reconcile::to_reconcile(conn, &statuses, updated_before, limit, due_at)
            })
            .await
    }

    async fn find_refund(
        &self,
        refund_id: Option<RefundId>,
        gateway_refund_id: Option<String>,
    ) -> Result<Option<Refund>, RepoError> {
        self.0
            .run(move |conn| crate::repo::reconcile::find(conn, refund_id, gateway_refund_id))
            .await
    }

    async fn unacknowledged_refunds(
        &self,
        created_after: OffsetDateTime,
        created_before: OffsetDateTime,
        limit: u32,
        due_at: OffsetDateTime,
    ) -> Result<Vec<Refund>, RepoError> {
        self.0
            .run(move |conn| {
                crate::repo::reconcile::unacknowledged(
                    conn,
                    created_after,
                    created_before,
                    limit,
                    due_at,
                )
            })
            .await
    }

    async fn defer_retry(
        &self,
        subject: &str,
        error: &str,
        now: OffsetDateTime,
        backoff: RetryBackoff,
    ) -> Result<u32, RepoError> {
        let (subject, error) = (subject.to_owned(), error.to_owned());
        self.0
            .run(move |conn| crate::repo::reconcile::defer(conn, &subject, &error, now, backoff))
            .await
    }

    async fn clear_retry(&self, subject: &str) -> Result<(), RepoError> {
        let subject = subject.to_owned();
        self.0
            .run(move |conn| crate::repo::reconcile::clear(conn, &subject))
            .await
    }

    async fn settle_refund(
        &self,
        refund_id: Option<RefundId>,
        gateway_refund_id: Option<String>,
        status: RefundStatus,
        at: OffsetDateTime,
        event: Option<OutboxEvent>,
    ) -> Result<Option<Refund>, RepoError> {
        self.0
            .run(move |conn| {
                crate::repo::reconcile::settle(
                    conn,
                    refund_id,
                    gateway_refund_id,
                    status,
                    at,
                    event,
                )
            })
            .await
    }
}
