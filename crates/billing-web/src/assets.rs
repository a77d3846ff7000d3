//! Static assets compiled into the binary, served under paths that carry a hash of their
//! content, so browsers may cache them for a year: a new build with other bytes has other
//! paths.

use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::web::{self, ServiceConfig};
use actix_web::{HttpResponse, get};
use sha2::{Digest, Sha256};

/// htmx 2.0.8, vendored from the npm package (see `static/README.md`).
pub const HTMX_JS: &[u8] = include_bytes!("../static/htmx-2.0.8.min.js");
/// Our stylesheet.
pub const PORTAL_CSS: &[u8] = include_bytes!("../static/portal.css");
/// Our script: copy buttons and the htmx configuration hooks (no inline script anywhere).
pub const PORTAL_JS: &[u8] = include_bytes!("../static/portal.js");

/// The tab icon.
pub const FAVICON_SVG: &[u8] = include_bytes!("../static/favicon.svg");

/// One asset: its versioned path and content type.
pub struct Asset {
    /// `/portal/assets/<name>-<hash>.<ext>`.
    pub path: String,
    bytes: &'static [u8],
    content_type: &'static str,
}

fn asset(name: &str, ext: &str, bytes: &'static [u8], content_type: &'static str) -> Asset {
    let hash = hex::encode(&Sha256::digest(bytes)[..6]);
    Asset {
        path: format!("/portal/assets/{name}-{hash}.{ext}"),
        bytes,
        content_type,
    }
}

/// The stylesheet.
pub static CSS: LazyLock<Asset> =
    LazyLock::new(|| asset("portal", "css", PORTAL_CSS, "text/css; charset=utf-8"));
/// htmx.
pub static HTMX: LazyLock<Asset> = LazyLock::new(|| {
    asset(
        "htmx-2.0.8",
        "js",
        HTMX_JS,
        "text/javascript; charset=utf-8",
    )
});
/// The tab icon.
pub static FAVICON: LazyLock<Asset> =
    LazyLock::new(|| asset("favicon", "svg", FAVICON_SVG, "image/svg+xml"));
/// Our script.
pub static SCRIPT: LazyLock<Asset> =
    LazyLock::new(|| asset("portal", "js", PORTAL_JS, "text/javascript; charset=utf-8"));

pub(crate) fn configure(cfg: &mut ServiceConfig) {
    cfg.service(serve);
}

#[get("/assets/{file}")]
async fn serve(file: web::Path<String>) -> HttpResponse {
    let wanted = format!("/portal/assets/{file}");
    for a in [&*CSS, &*HTMX, &*SCRIPT, &*FAVICON] {
        if a.path == wanted {
            return HttpResponse::Ok()
                .insert_header((header::CONTENT_TYPE, a.content_type))
                .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
                .body(a.bytes);
        }
    }
    HttpResponse::NotFound()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn vendored_htmx_is_the_published_2_0_8_file() {
        assert_eq!(
            hex::encode(Sha256::digest(HTMX_JS)),
            "22283ef68cb7545914f0a88a1bdedc7256a703d1d580c1d255217d0a50d31313",
            "static/htmx-2.0.8.min.js changed: re-vendor it and update static/README.md"
        );
        let licence = include_str!("../static/htmx-LICENSE.txt");
        assert!(licence.contains("Zero-Clause BSD"));
    }

    #[test]
    fn paths_carry_a_content_hash() {
        assert!(CSS.path.starts_with("/portal/assets/portal-"));
        assert!(CSS.path.ends_with(".css"));
        assert_ne!(CSS.path, SCRIPT.path);
        assert_eq!(HTMX.path.len(), "/portal/assets/htmx-2.0.8-".len() + 12 + 3);
    }
}
