//! Certificate checks for local verification, as PayPal's Java SDK does them and a little
//! stricter: the leaf is `messageverificationcerts….paypal.com` with an RSA key; every
//! certificate on the path is valid at the injected time; each is signed by the next; the
//! path ends at a configured trust anchor. Intermediates may come with the leaf (PayPal's
//! cert URL serves a PEM chain) but must be CA certificates.

use billing_domain::ports::GatewayError;
use time::OffsetDateTime;
use x509_parser::certificate::X509Certificate;
use x509_parser::oid_registry::OID_PKCS1_RSAENCRYPTION;
use x509_parser::pem::Pem;
use x509_parser::prelude::{ASN1Time, FromDer};

/// Longest path from the leaf to an anchor.
const MAX_DEPTH: usize = 4;

fn reject(why: String) -> GatewayError {
    GatewayError::InvalidWebhook(why)
}

/// Splits a download into DER certificates: PEM `CERTIFICATE` blocks, or one DER blob.
pub fn decode(bytes: &[u8]) -> Result<Vec<Vec<u8>>, GatewayError> {
    let ders: Vec<Vec<u8>> = Pem::iter_from_buffer(bytes)
        .filter_map(Result::ok)
        .filter(|p| p.label == "CERTIFICATE")
        .map(|p| p.contents)
        .collect();
    if !ders.is_empty() {
        return Ok(ders);
    }
    if bytes.first() == Some(&0x30) {
        return Ok(vec![bytes.to_vec()]);
    }
    Err(reject("the certificate URL served no certificate".into()))
}

fn parse(der: &[u8]) -> Result<X509Certificate<'_>, GatewayError> {
    X509Certificate::from_der(der)
        .map(|(_, c)| c)
        .map_err(|e| reject(format!("unreadable certificate: {e}")))
}

fn name(cert: &X509Certificate<'_>) -> String {
    cert.subject().to_string()
}

fn is_ca(cert: &X509Certificate<'_>) -> bool {
    matches!(cert.basic_constraints(), Ok(Some(bc)) if bc.value.ca)
}

fn valid_at(
    cert: &X509Certificate<'_>,
    at: ASN1Time,
    now: OffsetDateTime,
) -> Result<(), GatewayError> {
    if cert.validity().is_valid_at(at) {
        Ok(())
    } else {
        let v = cert.validity();
        Err(reject(format!(
            "certificate `{}` is not valid at {now} (valid {} to {})",
            name(cert),
            v.not_before,
            v.not_after
        )))
    }
}

fn signed_by(cert: &X509Certificate<'_>, issuer: &X509Certificate<'_>) -> bool {
    cert.issuer().as_raw() == issuer.subject().as_raw()
        && cert.verify_signature(Some(issuer.public_key())).is_ok()
}

/// Checks that each anchor is a readable certificate.
pub fn check_anchors(anchors: &[Vec<u8>]) -> Result<(), GatewayError> {
    if anchors.is_empty() {
        return Err(GatewayError::Misconfigured(
            "no trusted CA for PayPal webhook certificates".into(),
        ));
    }
    for der in anchors {
        parse(der).map_err(|e| GatewayError::Misconfigured(format!("trusted CA: {e}")))?;
    }
    Ok(())
}

/// Verifies the downloaded chain at `now` and returns the leaf's RSA public key (PKCS#1
/// `RSAPublicKey` DER, as `ring` wants it).
pub fn leaf_key(
    download: &[u8],
    anchors: &[Vec<u8>],
    now: OffsetDateTime,
) -> Result<Vec<u8>, GatewayError> {
    let ders = decode(download)?;
    let chain = ders
        .iter()
        .map(|d| parse(d))
        .collect::<Result<Vec<_>, _>>()?;
    let anchors = anchors
        .iter()
        .map(|d| parse(d))
        .collect::<Result<Vec<_>, _>>()?;
    let leaf = chain
        .first()
        .ok_or_else(|| reject("empty certificate chain".into()))?;
    let cn = leaf
        .subject()
        .iter_common_name()
        .next()
        .and_then(|c| c.as_str().ok())
        .unwrap_or("");
    if !(cn.starts_with("messageverificationcerts") && cn.ends_with(".paypal.com")) {
        return Err(reject(format!(
            "certificate `{}` is not a PayPal message verification certificate",
            name(leaf)
        )));
    }
    if leaf.public_key().algorithm.algorithm != OID_PKCS1_RSAENCRYPTION {
        return Err(reject("the certificate's key is not RSA".into()));
    }
    let at =
        ASN1Time::from_timestamp(now.unix_timestamp()).map_err(|e| reject(format!("time: {e}")))?;
    let mut current = leaf;
    for _ in 0..MAX_DEPTH {
        valid_at(current, at, now)?;
        if let Some(anchor) = anchors.iter().find(|a| signed_by(current, a)) {
            valid_at(anchor, at, now)?;
            return Ok(leaf.public_key().subject_public_key.data.to_vec());
        }
        current = chain[1..]
            .iter()
            .find(|c| is_ca(c) && signed_by(current, c))
            .ok_or_else(|| {
                reject(format!(
                    "certificate `{}` does not chain to a trusted CA",
                    name(current)
                ))
            })?;
    }
    Err(reject("certificate chain too long".into()))
}
