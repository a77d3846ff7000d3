#![allow(clippy::unwrap_used)]

use super::*;

const STRICT: UrlPolicy = UrlPolicy {
    allow_loopback: false,
    allow_private: false,
};
const TEST_MODE: UrlPolicy = UrlPolicy {
    allow_loopback: true,
    allow_private: false,
};

fn addr(s: &str) -> SocketAddr {
    SocketAddr::new(s.parse().unwrap(), 443)
}

#[test]
fn only_https_without_credentials() {
    assert!(check_url("https://hooks.platform.example/billing", STRICT).is_ok());
    assert_eq!(
        check_url("http://hooks.platform.example/", STRICT).unwrap_err(),
        UrlRefusal::NotHttps
    );
    assert_eq!(
        check_url("ftp://hooks.platform.example/", STRICT).unwrap_err(),
        UrlRefusal::NotHttps
    );
    assert_eq!(
        check_url("https://user:pw@hooks.platform.example/", STRICT).unwrap_err(),
        UrlRefusal::Credentials
    );
    assert_eq!(
        check_url("not a url", STRICT).unwrap_err(),
        UrlRefusal::Malformed
    );
    // Test mode: plain http to loopback only.
    assert!(check_url("http://127.0.0.1:9000/hook", TEST_MODE).is_ok());
    assert!(check_url("http://[::1]:9000/hook", TEST_MODE).is_ok());
    assert!(check_url("http://localhost:9000/hook", TEST_MODE).is_ok());
    assert_eq!(
        check_url("http://127.0.0.1:9000/", STRICT).unwrap_err(),
        UrlRefusal::NotHttps
    );
    assert_eq!(
        check_url("http://10.0.0.5/", TEST_MODE).unwrap_err(),
        UrlRefusal::NotHttps
    );
}

#[test]
fn private_loopback_link_local_and_metadata_addresses_are_refused() {
    for bad in [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.10",
        "169.254.169.254", // the cloud metadata service
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "255.255.255.255",
        "198.18.0.1",
        "240.0.0.1",
        "::1",
        "::",
        "fd00::1",
        "fe80::1",
        "ff02::1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "64:ff9b::a00:1",
    ] {
        assert_eq!(
            check_addresses(&[addr(bad)], STRICT),
            Err(UrlRefusal::NotPublic(bad.parse().unwrap())),
            "{bad}"
        );
    }
    for good in [
        "93.184.215.14",
        "2606:2800:21f:cb07:6820:80da:af6b:8b2c",
        "::ffff:93.184.215.14",
    ] {
        assert_eq!(check_addresses(&[addr(good)], STRICT), Ok(()), "{good}");
    }
    // One bad address among good ones is enough to refuse (DNS rebinding).
    assert!(check_addresses(&[addr("93.184.215.14"), addr("10.0.0.1")], STRICT).is_err());
    assert_eq!(check_addresses(&[], STRICT), Err(UrlRefusal::Unresolvable));
}

#[test]
fn the_policy_opens_loopback_or_private_addresses_explicitly() {
    assert_eq!(check_addresses(&[addr("127.0.0.1")], TEST_MODE), Ok(()));
    assert!(
        check_addresses(&[addr("10.0.0.1")], TEST_MODE).is_err(),
        "loopback only"
    );
    let private = UrlPolicy {
        allow_loopback: false,
        allow_private: true,
    };
    assert_eq!(check_addresses(&[addr("10.0.0.1")], private), Ok(()));
    assert_eq!(check_addresses(&[addr("169.254.169.254")], private), Ok(()));
}

#[tokio::test]
async fn resolution_checks_what_the_name_points_to() {
    let url = check_url("http://localhost:9000/hook", TEST_MODE).unwrap();
    let addrs = resolve(&url, TEST_MODE).await.unwrap();
    assert!(
        addrs
            .iter()
            .all(|a| a.ip().is_loopback() && a.port() == 9000)
    );
    let strict = check_url("https://localhost/hook", STRICT).unwrap();
    assert!(matches!(
        resolve(&strict, STRICT).await,
        Err(UrlRefusal::NotPublic(_))
    ));
    let nowhere = check_url("https://no-such-host.invalid/", STRICT).unwrap();
    assert_eq!(
        resolve(&nowhere, STRICT).await,
        Err(UrlRefusal::Unresolvable)
    );
}
