//! Which endpoint URLs webhooks may be sent to: `https://` (plain `http://` only to loopback
//! when the policy allows loopback, as test mode does), no credentials in the URL, and a host
//! that resolves only to public addresses — never to private, loopback, link-local (the cloud
//! metadata service at 169.254.169.254), carrier-grade NAT, multicast or reserved ones, unless
//! configuration allows private addresses. Checked when an endpoint is saved and again at
//! every delivery (DNS can change), on the addresses the delivery then connects to.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// What is allowed beyond public HTTPS endpoints.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UrlPolicy {
    /// Loopback addresses (`127.0.0.0/8`, `::1`), over `http://` too: test mode.
    pub allow_loopback: bool,
    /// Private and other non-public addresses (an operator's explicit choice, e.g. a platform
    /// in the same private network).
    pub allow_private: bool,
}

/// Why a URL is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlRefusal {
    /// Not a URL.
    #[error("not a valid URL")]
    Malformed,
    /// Not `https://` (or `http://` to an allowed loopback).
    #[error("must use https://")]
    NotHttps,
    /// `user:password@` in the URL.
    #[error("must not carry credentials")]
    Credentials,
    /// The host resolves to an address that is not public.
    #[error("resolves to {0}, which is not a public address")]
    NotPublic(IpAddr),
    /// The host does not resolve.
    #[error("its host does not resolve")]
    Unresolvable,
}

/// The URL, parsed and checked for everything but its addresses.
pub fn check_url(text: &str, policy: UrlPolicy) -> Result<url::Url, UrlRefusal> {
    let url = url::Url::parse(text).map_err(|_| UrlRefusal::Malformed)?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err(UrlRefusal::Malformed);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlRefusal::Credentials);
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if policy.allow_loopback && is_loopback_host(&url) => Ok(url),
        _ => Err(UrlRefusal::NotHttps),
    }
}

fn is_loopback_host(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(a)) => a.is_loopback(),
        Some(url::Host::Ipv6(a)) => a.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Whether every one of `addrs` may be connected to under `policy`; the first that may not.
pub fn check_addresses(addrs: &[SocketAddr], policy: UrlPolicy) -> Result<(), UrlRefusal> {
    if addrs.is_empty() {
        return Err(UrlRefusal::Unresolvable);
    }
    match addrs
        .iter()
        .map(SocketAddr::ip)
        .find(|ip| !allowed(*ip, policy))
    {
        Some(ip) => Err(UrlRefusal::NotPublic(ip)),
        None => Ok(()),
    }
}

fn allowed(ip: IpAddr, policy: UrlPolicy) -> bool {
    let ip = match ip {
        // An IPv4 address written as IPv6 is judged as itself.
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    if ip.is_loopback() {
        return policy.allow_loopback || policy.allow_private;
    }
    is_public(ip) || policy.allow_private
}

/// Whether `ip` is a globally routable unicast address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => is_public_v4(a),
        IpAddr::V6(a) => is_public_v6(a),
    }
}

fn is_public_v4(a: Ipv4Addr) -> bool {
    let [o1, o2, o3, _] = a.octets();
    !(a.is_unspecified()
        || a.is_loopback()
        || a.is_private()
        || a.is_link_local()
        || a.is_broadcast()
        || a.is_multicast()
        || a.is_documentation()
        || o1 == 0
        || (o1 == 100 && (64..128).contains(&o2)) // carrier-grade NAT, 100.64.0.0/10
        || (o1 == 192 && o2 == 0 && o3 == 0) // IETF protocol assignments, 192.0.0.0/24
        || (o1 == 198 && (o2 == 18 || o2 == 19)) // benchmarking, 198.18.0.0/15
        || o1 >= 240) // reserved, 240.0.0.0/4
}

fn is_public_v6(a: Ipv6Addr) -> bool {
    let s = a.segments();
    !(a.is_unspecified()
        || a.is_loopback()
        || a.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // unique local, fc00::/7
        || (s[0] & 0xffc0) == 0xfe80 // link-local, fe80::/10
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation, 2001:db8::/32
        || (s[0] == 0x0064 && s[1] == 0xff9b) // NAT64, 64:ff9b::/96: an IPv4 behind it
        || a.to_ipv4_mapped().is_some_and(|v4| !is_public_v4(v4)))
}

/// Resolves the URL's host and checks every address (at save time and before each delivery).
pub async fn resolve(url: &url::Url, policy: UrlPolicy) -> Result<Vec<SocketAddr>, UrlRefusal> {
    let host = url.host_str().ok_or(UrlRefusal::Malformed)?;
    let port = url.port_or_known_default().ok_or(UrlRefusal::Malformed)?;
    // `[::1]` comes back bracketed from the URL; the resolver wants it bare.
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|_| UrlRefusal::Unresolvable)?
        .collect();
    check_addresses(&addrs, policy)?;
    Ok(addrs)
}

#[cfg(test)]
#[path = "url_guard_tests.rs"]
mod tests;
