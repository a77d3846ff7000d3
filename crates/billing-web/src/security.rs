//! Security headers on every portal response, and the checks every state-changing request
//! passes: the session's CSRF token, and a request that came from our own pages
//! (`Sec-Fetch-Site`, else `Origin` against `Host`).

use actix_web::HttpRequest;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;

/// The Content-Security-Policy: scripts and styles only from our own files (no inline
/// script or style anywhere), forms post only to us, framing only by `frame_ancestors`.
pub fn content_security_policy(frame_ancestors: &[String]) -> String {
    let frames = if frame_ancestors.is_empty() {
        "'none'".to_owned()
    } else {
        frame_ancestors.join(" ")
    };
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         object-src 'self'; frame-src 'self'; connect-src 'self'; form-action 'self' https:; \
         base-uri 'none'; frame-ancestors {frames}"
    )
}

/// Middleware: CSP, frame options, referrer policy, nosniff, no caching of pages.
pub async fn headers(
    frame_ancestors: Vec<String>,
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut res = next.call(req).await?;
    let h = res.headers_mut();
    let mut set = |name: HeaderName, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(name, v);
        }
    };
    set(
        header::CONTENT_SECURITY_POLICY,
        &content_security_policy(&frame_ancestors),
    );
    if frame_ancestors.is_empty() {
        set(header::X_FRAME_OPTIONS, "DENY");
    }
    set(header::REFERRER_POLICY, "no-referrer");
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    if !res.headers().contains_key(header::CACHE_CONTROL) {
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(res)
}

/// Did this request come from our own pages? Browsers send `Sec-Fetch-Site`; a
/// `cross-site` or `same-site` value is refused (a sibling subdomain is not us). Without it,
/// an `Origin` header must name this host. A request with neither (an old browser, curl) is
/// let through to the CSRF token check, which it cannot pass without the session's token.
pub fn same_origin(req: &HttpRequest) -> bool {
    if let Some(site) = req
        .headers()
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
    {
        return matches!(site, "same-origin" | "none");
    }
    match req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
    {
        None => true,
        Some(origin) => {
            let host = req.connection_info().host().to_owned();
            origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"))
                .is_some_and(|o| o == host)
        }
    }
}

/// Constant-time comparison of a presented CSRF token with the session's.
pub fn token_matches(presented: &str, expected: &str) -> bool {
    let (a, b) = (presented.as_bytes(), expected.as_bytes());
    if a.len() != b.len() || b.is_empty() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn csp_forbids_inline_script_and_framing_by_default() {
        let csp = content_security_policy(&[]);
        assert!(csp.contains("script-src 'self';"));
        assert!(!csp.contains("unsafe-inline"));
        assert!(csp.contains("frame-ancestors 'none'"));
        let embedded = content_security_policy(&["https://app.example".into()]);
        assert!(embedded.ends_with("frame-ancestors https://app.example"));
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(token_matches("abc", "abc"));
        assert!(!token_matches("abd", "abc"));
        assert!(!token_matches("ab", "abc"));
        assert!(!token_matches("", ""));
    }

    #[test]
    fn cross_site_requests_are_told_apart() {
        let r = |h: &[(&str, &str)]| {
            let mut t = TestRequest::post().insert_header(("host", "billing.example"));
            for (k, v) in h {
                t = t.insert_header((*k, *v));
            }
            same_origin(&t.to_http_request())
        };
        assert!(r(&[("sec-fetch-site", "same-origin")]));
        assert!(!r(&[("sec-fetch-site", "cross-site")]));
        assert!(!r(&[("sec-fetch-site", "same-site")]));
        assert!(r(&[("origin", "https://billing.example")]));
        assert!(!r(&[("origin", "https://evil.example")]));
        assert!(r(&[]));
    }
}
