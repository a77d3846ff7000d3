//! Invoice PDFs: the document of one invoice, for its account and for operators.

use actix_web::http::header;
use actix_web::web::{Data, Path};
use actix_web::{HttpResponse, get};
use billing_domain::services::InvoicePdf;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::app::AppState;
use crate::auth::Auth;
use crate::openapi::StdErrors;
use crate::routes::{HandlerResult, path_ids};

/// Registers the routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(account_pdf).service(admin_pdf);
}

/// The PDF, shown inline, named by the invoice number; never cached by shared caches.
fn pdf_response(pdf: InvoicePdf) -> HttpResponse {
    // Numbers are letters, digits and dashes by configuration; the id fallback likewise.
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/pdf"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"{}\"", pdf.filename),
        ))
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(pdf.bytes)
}

/// One of an account's invoices as PDF: seller and buyer, lines, totals, its state (`PAID`,
/// `VOID`; a draft is watermarked), and for an open invoice paid by transfer the bank or
/// wallet details with the reference. A finalized invoice's PDF is kept once rendered and
/// served byte for byte the same until its state changes.
#[utoipa::path(tag = "invoices", params(("id" = String, Path, description = "Account id"), ("iid" = String, Path, description = "Invoice id")),
    security(("bearer" = [])),
    responses((status = 200, description = "The invoice (`Content-Disposition` names it by its number)", content_type = "application/pdf", body = Vec<u8>), StdErrors))]
#[get("/v1/accounts/{id}/invoices/{iid}/pdf")]
async fn account_pdf(
    state: Data<AppState>,
    auth: Auth,
    path: Path<(String, String)>,
) -> HandlerResult {
    let (id, iid) = path.into_inner();
    let pdf = state
        .documents
        .pdf(auth.ctx(), Some(&id), &iid)
        .await
        .map_err(path_ids(&["account_id"]))?;
    Ok(pdf_response(pdf))
}

/// Any invoice as PDF (admin), as its account sees it.
#[utoipa::path(tag = "invoices", params(("id" = String, Path, description = "Invoice id")), security(("bearer" = [])),
    responses((status = 200, description = "The invoice (`Content-Disposition` names it by its number)", content_type = "application/pdf", body = Vec<u8>), StdErrors))]
#[get("/v1/admin/invoices/{id}/pdf")]
async fn admin_pdf(state: Data<AppState>, auth: Auth, id: Path<String>) -> HandlerResult {
    Ok(pdf_response(
        state.documents.pdf(auth.ctx(), None, &id).await?,
    ))
}
