//! [`InvoiceRepository`] and [`PaymentRepository`] over Diesel.

use std::collections::HashMap;

use billing_domain::RepoError;
use billing_domain::entities::{Invoice, Payment, ProofFile, Refund};
use billing_domain::ports::{InvoiceFilter, InvoiceRepository, PaymentFilter, PaymentRepository};
use billing_domain::types::{FileId, InvoiceId, Page, PageRequest, PaymentId};
use diesel::prelude::*;
use time::OffsetDateTime;

use crate::convert::ts;
use crate::convert_billing::{
    invoice, invoice_row, line_rows, payment, payment_row, proof, proof_row, refund, refund_row,
};
use crate::dialect::write_transaction;
use crate::error::{DbResult, Fail};
use crate::pool::AnyConnection;
use crate::repo::{Db, convert_all, overfetch};
use crate::rows::{InvoiceLineRow, InvoiceRow, PaymentRow, ProofRow, RefundRow};
use crate::schema::{invoice_documents, invoice_lines, invoices, payments, proof_files, refunds};

/// Invoices with their lines.
#[derive(Clone)]
pub(crate) struct InvoiceRepo(pub(crate) Db);

/// Payments, refunds and proofs of payment.
#[derive(Clone)]
pub(crate) struct PaymentRepo(pub(crate) Db);

/// Loads the lines of `rows` and assembles the invoices, keeping the rows' order.
fn with_lines(conn: &mut AnyConnection, rows: Vec<InvoiceRow>) -> DbResult<Vec<Invoice>> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut lines: HashMap<String, Vec<InvoiceLineRow>> = HashMap::new();
    if !ids.is_empty() {
        let all: Vec<InvoiceLineRow> = invoice_lines::table
            .filter(invoice_lines::invoice_id.eq_any(&ids))
            .order((
                invoice_lines::invoice_id.asc(),
                invoice_lines::position.asc(),
            ))
            .load(conn)?;
        for l in all {
            lines.entry(l.invoice_id.clone()).or_default().push(l);
        }
    }
    rows.into_iter()
        .map(|r| {
            let own = lines.remove(&r.id).unwrap_or_default();
            invoice(r, own)
        })
        .collect()
}

#[async_trait::async_trait]
impl InvoiceRepository for InvoiceRepo {
    async fn insert(&self, inv: &Invoice) -> Result<(), RepoError> {
        let inv = inv.clone();
        self.0
            .run(move |conn| {
                let (row, lines) = (invoice_row(&inv)?, line_rows(&inv)?);
                write_transaction(conn, |conn| {
                    diesel::insert_into(invoices::table)
                        .values(&row)
                        .execute(conn)?;
                    for line in &lines {
                        diesel::insert_into(invoice_lines::table)
                            .values(line)
                            .execute(conn)?;
                    }
                    Ok(())
                })
            })
            .await
    }

    async fn get(&self, id: &InvoiceId) -> Result<Option<Invoice>, RepoError> {
        let id = id.to_string();
        self.0
            .run(move |conn| {
                let row: Option<InvoiceRow> = invoices::table.find(&id).first(conn).optional()?;
                Ok(with_lines(conn, row.into_iter().collect())?.pop())
            })
            .await
    }

    async fn list(
        &self,
        filter: &InvoiceFilter,
        page: &PageRequest,
    ) -> Result<Page<Invoice>, RepoError> {
        let (f, page) = (filter.clone(), page.clone());
        self.0
            .run(move |conn| {
                use invoices::dsl as i;
                let mut q = i::invoices
                    .order(i::id.desc())
                    .limit(overfetch(page.limit))
                    .into_boxed();
                if let Some(account) = f.account_id {
                    q = q.filter(i::account_id.eq(account.to_string()));
                }
                if let Some(status) = f.status {
                    q = q.filter(i::status.eq(status.as_str()));
                }
                if let Some(from) = f.from {
                    q = q.filter(i::created_at.ge(ts(from)));
                }
                if let Some(to) = f.to {
                    q = q.filter(i::created_at.lt(ts(to)));
                }
                if let Some(after) = page.starting_after.clone() {
                    q = q.filter(i::id.lt(after));
                }
                let rows: Vec<InvoiceRow> = q.load(conn)?;
                Ok(Page::from_overfetch(with_lines(conn, rows)?, page.limit))
            })
            .await
    }

    async fn document(&self, id: &InvoiceId, key: &str) -> Result<Option<Vec<u8>>, RepoError> {
        let (id, key) = (id.to_string(), key.to_owned());
        self.0
            .run(move |conn| {
                let pdf = invoice_documents::table
                    .find((&id, &key))
                    .select(invoice_documents::pdf)
                    .first::<Vec<u8>>(conn)
                    .optional()?;
                Ok(pdf)
            })
            .await
    }

    async fn save_document(
        &self,
        id: &InvoiceId,
        key: &str,
        pdf: &[u8],
        at: OffsetDateTime,
    ) -> Result<(), RepoError> {
        let (id, key, pdf) = (id.to_string(), key.to_owned(), pdf.to_vec());
        self.0
            .run(move |conn| {
                write_transaction(conn, |conn| {
                    let exists: Option<String> = invoices::table
                        .find(&id)
                        .select(invoices::id)
                        .first(conn)
                        .optional()?;
                    if exists.is_none() {
                        return Err(Fail(RepoError::NotFound));
                    }
                    keep_document(conn, &id, &key, &pdf, at)
                })
            })
            .await
    }
}

/// Inserts a rendering unless one is kept under the same key (the first one stays).
fn keep_document(
    conn: &mut AnyConnection,
    id: &str,
    key: &str,
    pdf: &[u8],
    at: OffsetDateTime,
) -> DbResult<()> {
    use invoice_documents::dsl as d;
    let statement = diesel::insert_into(d::invoice_documents).values((
        d::invoice_id.eq(id),
        d::key.eq(key),
        d::pdf.eq(pdf),
        d::created_at.eq(ts(at)),
    ));
    match conn {
        AnyConnection::Postgres(c) => statement.on_conflict_do_nothing().execute(c)?,
        AnyConnection::Sqlite(c) => statement.on_conflict_do_nothing().execute(c)?,
    };
    Ok(())
}

#[async_trait::async_trait]
impl PaymentRepository for PaymentRepo {
    async fn insert(&self, p: &Payment) -> Result<(), RepoError> {
        let p = p.clone();
        self.0
            .run(move |conn| {
                let row = payment_row(&p)?;
                write_transaction(conn, |conn| {
                    diesel::insert_into(payments::table)
                        .values(&row)
                        .execute(conn)?;
                    Ok(())
                })
            })
            .await
    }

    async fn get(&self, id: &PaymentId) -> Result<Option<Payment>, RepoError> {
        let id = id.to_string();
        self.0
            .run(move |conn| {
                let row: Option<PaymentRow> = payments::table.find(&id).first(conn).optional()?;
                row.map(payment).transpose()
            })
            .await
    }

    async fn list(
        &self,
        filter: &PaymentFilter,
        page: &PageRequest,
    ) -> Result<Page<Payment>, RepoError> {
        let (f, page) = (filter.clone(), page.clone());
        self.0
            .run(move |conn| {
                use payments::dsl as p;
                let mut q = p::payments.limit(overfetch(page.limit)).into_boxed();
                q = match (f.oldest_first, page.starting_after.clone()) {
                    (true, Some(after)) => q.order(p::id.asc()).filter(p::id.gt(after)),
                    (true, None) => q.order(p::id.asc()),
                    (false, Some(after)) => q.order(p::id.desc()).filter(p::id.lt(after)),
                    (false, None) => q.order(p::id.desc()),
                };
                if let Some(account) = f.account_id {
                    q = q.filter(p::account_id.eq(account.to_string()));
                }
                if let Some(status) = f.status {
                    q = q.filter(p::status.eq(status.as_str()));
                }
                if let Some(method) = f.method {
                    q = q.filter(p::method.eq(method.as_str()));
                }
                if let Some(from) = f.from {
                    q = q.filter(p::created_at.ge(ts(from)));
                }
                if let Some(to) = f.to {
                    q = q.filter(p::created_at.lt(ts(to)));
                }
                let rows: Vec<PaymentRow> = q.load(conn)?;
                Ok(Page::from_overfetch(
                    convert_all(rows, payment)?,
                    page.limit,
                ))
            })
            .await
    }

    async fn insert_refund(&self, r: &Refund) -> Result<(), RepoError> {
        let row = refund_row(r);
        self.0
            .run(move |conn| {
                write_transaction(conn, |conn| {
                    diesel::insert_into(refunds::table)
                        .values(&row)
                        .execute(conn)?;
                    Ok(())
                })
            })
            .await
    }

    async fn refunds_of(&self, id: &PaymentId) -> Result<Vec<Refund>, RepoError> {
        let id = id.to_string();
        self.0
            .run(move |conn| {
                let rows: Vec<RefundRow> = refunds::table
                    .filter(refunds::payment_id.eq(&id))
                    .order(refunds::id.asc())
                    .load(conn)?;
                convert_all(rows, refund)
            })
            .await
    }

    /// Oldest (by id) first if several share it.
    async fn find_by_gateway_reference(
        &self,
        gateway_reference: &str,
    ) -> Result<Option<Payment>, RepoError> {
        let reference = gateway_reference.to_owned();
        self.0
            .run(move |conn| {
                let row: Option<PaymentRow> = payments::table
                    .filter(
                        payments::gateway_reference
                            .eq(&reference)
                            .or(payments::gateway_payment_id.eq(&reference)),
                    )
                    .order(payments::id.asc())
                    .first(conn)
                    .optional()?;
                row.map(payment).transpose()
            })
            .await
    }

    async fn find_by_reference(&self, reference: &str) -> Result<Option<Payment>, RepoError> {
        let reference = reference.to_owned();
        self.0
            .run(move |conn| {
                let row: Option<PaymentRow> = payments::table
                    .filter(payments::reference.eq(&reference))
                    .first(conn)
                    .optional()?;
                row.map(payment).transpose()
            })
            .await
    }

    async fn save_proof(&self, file: &ProofFile) -> Result<(), RepoError> {
        let row = proof_row(file);
        self.0
            .run(move |conn| {
                write_transaction(conn, |conn| {
                    diesel::insert_into(proof_files::table)
                        .values(&row)
                        .execute(conn)?;
                    Ok(())
                })
            })
            .await
    }

    async fn get_proof(&self, id: &FileId) -> Result<Option<ProofFile>, RepoError> {
        let id = id.to_string();
        self.0
            .run(move |conn| {
                let row: Option<ProofRow> = proof_files::table.find(&id).first(conn).optional()?;
                Ok(row.map(proof))
            })
            .await
    }
}
