//! Local webhook verification: the real PayPal-signed sandbox event at its pinned time, and
//! self-made certificate chains (rcgen) for the failures the real vector cannot show.
#![allow(missing_docs, clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use base64::Engine;
use billing_domain::ports::{FixedClock, GatewayError};
use billing_gateway_paypal::{CertFetcher, LocalVerifier, PayPalConfig, PayPalMode, SignedHeaders};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, PKCS_RSA_SHA256};
use time::OffsetDateTime;
use time::macros::datetime;

/// `shared/gateway-specs/paypal/webhook-signature-vector/` beside the repository, or
/// `$PAYPAL_SPECS_DIR/webhook-signature-vector/`.
fn vector_file(name: &str) -> Vec<u8> {
    let dir = std::env::var("PAYPAL_SPECS_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../../shared/gateway-specs/paypal")
        });
    let path = dir.join("webhook-signature-vector").join(name);
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("the PayPal signed vector {} is needed: {e}", path.display()))
}

/// Serves fixed bytes per URL and counts downloads; never touches the network.
#[derive(Default)]
struct FakeFetcher {
    certs: Mutex<HashMap<String, Vec<u8>>>,
    calls: AtomicUsize,
}

impl FakeFetcher {
    fn with(url: &str, bytes: &[u8]) -> Arc<Self> {
        let f = Self::default();
        f.certs
            .lock()
            .unwrap()
            .insert(url.to_string(), bytes.to_vec());
        Arc::new(f)
    }
}

#[async_trait]
impl CertFetcher for FakeFetcher {
    async fn fetch(&self, url: &url::Url) -> Result<Vec<u8>, String> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.certs
            .lock()
            .unwrap()
            .get(url.as_str())
            .cloned()
            .ok_or_else(|| format!("no such certificate {url}"))
    }
}

struct Vector {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    webhook_id: String,
    cert_url: String,
}

fn vector() -> Vector {
    let v: serde_json::Value = serde_json::from_slice(&vector_file("signed-event.json")).unwrap();
    let headers = v["headers"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
        .collect();
    Vector {
        headers,
        body: v["body"].as_str().unwrap().as_bytes().to_vec(),
        webhook_id: v["webhook_id"].as_str().unwrap().to_string(),
        cert_url: v["headers"]["PAYPAL-CERT-URL"]
            .as_str()
            .unwrap()
            .to_string(),
    }
}

fn verifier(
    webhook_id: &str,
    anchors: Vec<Vec<u8>>,
    fetcher: Arc<dyn CertFetcher>,
    at: OffsetDateTime,
) -> LocalVerifier {
    let mut c = PayPalConfig::new("id", "secret", webhook_id);
    if !anchors.is_empty() {
        c.trusted_ca_der = anchors;
    }
    LocalVerifier::new(&c, fetcher, Arc::new(FixedClock::new(at))).unwrap()
}

fn set(headers: &mut [(String, String)], name: &str, value: &str) {
    headers.iter_mut().find(|(k, _)| k == name).unwrap().1 = value.to_string();
}

const PINNED: OffsetDateTime = datetime!(2017-03-30 20:04:05 UTC);

#[tokio::test]
async fn the_real_paypal_event_verifies_at_its_time() {
    let v = vector();
    let fetcher = FakeFetcher::with(
        &v.cert_url,
        &vector_file("messageverificationcerts.sandbox.paypal.com.crt"),
    );
    let verifier = verifier(&v.webhook_id, vec![], fetcher.clone(), PINNED);
    let headers = SignedHeaders::from_headers(&v.headers).unwrap();
    assert_eq!(
        verifier.signed_message(&headers, &v.body),
        "071f7d20-1584-11e7-abf0-6b62a8a99ac4|2017-03-30T20:04:05Z|96605875FF6516633|3494065244"
    );
    verifier.verify(&headers, &v.body).await.unwrap();
    verifier.verify(&headers, &v.body).await.unwrap();
    assert_eq!(
        fetcher.calls.load(Ordering::SeqCst),
        1,
        "the certificate is cached"
    );
}

#[tokio::test]
async fn the_real_event_is_rejected_when_anything_changes() {
    let v = vector();
    let fetcher = FakeFetcher::with(
        &v.cert_url,
        &vector_file("messageverificationcerts.sandbox.paypal.com.crt"),
    );
    let good = verifier(&v.webhook_id, vec![], fetcher.clone(), PINNED);
    let headers = SignedHeaders::from_headers(&v.headers).unwrap();

    let mut body = v.body.clone();
    let i = body.iter().position(|b| *b == b'T').unwrap();
    body[i] = b't';
    assert!(
        matches!(
            good.verify(&headers, &body).await,
            Err(GatewayError::InvalidWebhook(_))
        ),
        "one changed byte"
    );

    let other_webhook = verifier("96605875FF6516634", vec![], fetcher.clone(), PINNED);
    assert!(
        matches!(
            other_webhook.verify(&headers, &v.body).await,
            Err(GatewayError::InvalidWebhook(_))
        ),
        "another webhook id"
    );

    let mut h = v.headers.clone();
    set(&mut h, "PAYPAL-TRANSMISSION-TIME", "2017-03-30T20:04:06Z");
    assert!(
        good.verify(&SignedHeaders::from_headers(&h).unwrap(), &v.body)
            .await
            .is_err(),
        "another transmission time"
    );

    let now = verifier(
        &v.webhook_id,
        vec![],
        fetcher.clone(),
        OffsetDateTime::now_utc(),
    );
    let err = now.verify(&headers, &v.body).await.unwrap_err();
    assert!(
        err.to_string().contains("not valid at"),
        "expired in 2019: {err}"
    );
}

#[tokio::test]
async fn certificates_from_hosts_that_are_not_paypal_are_never_fetched() {
    let v = vector();
    for url in [
        "https://evil.example/v1/notifications/test",
        "https://api.sandbox.paypal.com.evil.example/cert",
        "http://api.sandbox.paypal.com/v1/notifications/test",
    ] {
        // The fetcher would even serve PayPal's real certificate there: the URL alone rejects.
        let fetcher = FakeFetcher::with(
            url,
            &vector_file("messageverificationcerts.sandbox.paypal.com.crt"),
        );
        let verifier = verifier(&v.webhook_id, vec![], fetcher.clone(), PINNED);
        let mut h = v.headers.clone();
        set(&mut h, "PAYPAL-CERT-URL", url);
        let err = verifier
            .verify(&SignedHeaders::from_headers(&h).unwrap(), &v.body)
            .await
            .unwrap_err();
        assert!(
            matches!(err, GatewayError::InvalidWebhook(_)),
            "{url}: {err}"
        );
        assert_eq!(fetcher.calls.load(Ordering::SeqCst), 0, "{url} was fetched");
    }
    let mut missing = v.headers.clone();
    missing.retain(|(k, _)| k != "PAYPAL-TRANSMISSION-SIG");
    assert!(matches!(
        SignedHeaders::from_headers(&missing),
        Err(GatewayError::InvalidWebhook(_))
    ));
    let mut algo = v.headers.clone();
    set(&mut algo, "PAYPAL-AUTH-ALGO", "SHA1withRSA");
    let fetcher = FakeFetcher::with(
        &v.cert_url,
        &vector_file("messageverificationcerts.sandbox.paypal.com.crt"),
    );
    assert!(
        verifier(&v.webhook_id, vec![], fetcher, PINNED)
            .verify(&SignedHeaders::from_headers(&algo).unwrap(), &v.body)
            .await
            .is_err()
    );
}

// ---- self-made vectors ----

fn key(name: &str) -> KeyPair {
    let pem = std::fs::read_to_string(format!(
        "{}/tests/fixtures/{name}.key.pem",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    KeyPair::from_pem_and_sign_algo(&pem, &PKCS_RSA_SHA256).unwrap()
}

fn ca_params(cn: &str) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(DnType::CommonName, cn);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.not_before = datetime!(2025-01-01 0:00 UTC);
    p.not_after = datetime!(2035-01-01 0:00 UTC);
    p
}

fn leaf_pem(cn: &str, issuer: &Issuer<'_, KeyPair>, not_after: OffsetDateTime) -> String {
    let mut p = CertificateParams::new(vec![cn.to_string()]).unwrap();
    p.distinguished_name.push(DnType::CommonName, cn);
    p.not_before = datetime!(2026-01-01 0:00 UTC);
    p.not_after = not_after;
    p.signed_by(&key("leaf"), issuer).unwrap().pem()
}

struct Made {
    anchor_der: Vec<u8>,
    issuer: Issuer<'static, KeyPair>,
}

fn made_ca(cn: &str, key_name: &str) -> Made {
    let params = ca_params(cn);
    let ca_key = key(key_name);
    let cert = params.self_signed(&ca_key).unwrap();
    Made {
        anchor_der: cert.der().to_vec(),
        issuer: Issuer::new(params, ca_key),
    }
}

const URL: &str = "https://api.paypal.com/v1/notifications/certs/CERT-test";
const AT: OffsetDateTime = datetime!(2026-06-01 12:00 UTC);
const BODY: &[u8] = br#"{"id":"WH-TEST-1","event_type":"PAYMENT.CAPTURE.COMPLETED","resource":{}}"#;

fn sign(message: &str, key_name: &str) -> String {
    use rcgen::SigningKey;
    base64::engine::general_purpose::STANDARD
        .encode(key(key_name).sign(message.as_bytes()).unwrap())
}

fn headers(sig: &str) -> SignedHeaders {
    SignedHeaders {
        transmission_id: "a3f0c2e0-0000-11f0-8000-000000000001".into(),
        transmission_time: "2026-06-01T12:00:00Z".into(),
        transmission_sig: sig.into(),
        cert_url: URL.into(),
        auth_algo: "SHA256withRSA".into(),
    }
}

async fn check(
    chain_pem: String,
    anchor: Vec<u8>,
    signer: &str,
    at: OffsetDateTime,
) -> Result<(), GatewayError> {
    let v = verifier(
        "WHTEST",
        vec![anchor],
        FakeFetcher::with(URL, chain_pem.as_bytes()),
        at,
    );
    let h = headers("");
    let sig = sign(&v.signed_message(&h, BODY), signer);
    v.verify(&headers(&sig), BODY).await
}

#[tokio::test]
async fn self_made_chain_verifies() {
    let ca = made_ca("Test Root CA", "ca");
    let leaf = leaf_pem(
        "messageverificationcerts.paypal.com",
        &ca.issuer,
        datetime!(2027-01-01 0:00 UTC),
    );
    check(leaf, ca.anchor_der, "leaf", AT).await.unwrap();
}

#[tokio::test]
async fn a_chain_with_an_intermediate_served_with_the_leaf_verifies() {
    let root = made_ca("Test Root CA", "ca");
    let inter_params = ca_params("Test Intermediate CA");
    let inter_key = key("rogue");
    let inter = inter_params.signed_by(&inter_key, &root.issuer).unwrap();
    let inter_issuer = Issuer::new(inter_params, inter_key);
    let leaf = leaf_pem(
        "messageverificationcerts.paypal.com",
        &inter_issuer,
        datetime!(2027-01-01 0:00 UTC),
    );
    check(
        format!("{leaf}{}", inter.pem()),
        root.anchor_der,
        "leaf",
        AT,
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn an_expired_certificate_is_rejected() {
    let ca = made_ca("Test Root CA", "ca");
    let leaf = leaf_pem(
        "messageverificationcerts.paypal.com",
        &ca.issuer,
        datetime!(2026-03-01 0:00 UTC),
    );
    let err = check(leaf, ca.anchor_der, "leaf", AT).await.unwrap_err();
    assert!(
        matches!(&err, GatewayError::InvalidWebhook(m) if m.contains("not valid at")),
        "{err}"
    );
}

#[tokio::test]
async fn a_leaf_not_chained_to_the_trusted_ca_is_rejected() {
    let trusted = made_ca("Test Root CA", "ca");
    let rogue = made_ca("Test Root CA", "rogue"); // same name, other key
    let leaf = leaf_pem(
        "messageverificationcerts.paypal.com",
        &rogue.issuer,
        datetime!(2027-01-01 0:00 UTC),
    );
    let err = check(leaf.clone(), trusted.anchor_der.clone(), "leaf", AT)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, GatewayError::InvalidWebhook(m) if m.contains("does not chain")),
        "{err}"
    );
    // Serving the rogue CA alongside does not help: it is not an anchor.
    let rogue_pem = pem_of(&rogue.anchor_der);
    assert!(
        check(format!("{leaf}{rogue_pem}"), trusted.anchor_der, "leaf", AT)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn a_wrong_signature_or_a_foreign_name_is_rejected() {
    let ca = made_ca("Test Root CA", "ca");
    let leaf = leaf_pem(
        "messageverificationcerts.paypal.com",
        &ca.issuer,
        datetime!(2027-01-01 0:00 UTC),
    );
    let err = check(leaf, ca.anchor_der.clone(), "rogue", AT)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, GatewayError::InvalidWebhook(m) if m.contains("signature does not match")),
        "{err}"
    );
    let other = leaf_pem(
        "shop.example.com",
        &ca.issuer,
        datetime!(2027-01-01 0:00 UTC),
    );
    let err = check(other, ca.anchor_der, "leaf", AT).await.unwrap_err();
    assert!(
        matches!(&err, GatewayError::InvalidWebhook(m) if m.contains("not a PayPal message verification")),
        "{err}"
    );
}

#[test]
fn the_bundled_anchor_is_the_digicert_intermediate_from_the_vector() {
    let shared = vector_file("DigiCertSHA2ExtendedValidationServerCA.der");
    assert_eq!(
        billing_gateway_paypal::DIGICERT_SHA2_EV_SERVER_CA_DER,
        &shared[..]
    );
    let _ = PayPalMode::Live;
}

fn pem_of(der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        lines.join("\n")
    )
}
