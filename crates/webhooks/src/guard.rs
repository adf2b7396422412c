//! The SSRF guard for user-supplied webhook URLs.
//!
//! A URL is checked when it is registered ([`check_url`]: scheme, no user-info, no blocked
//! IP literal, no `localhost`) and every address a name resolves to is checked again when a
//! delivery connects ([`GuardedResolver`]): the name is resolved once, refused as a whole if
//! any address is blocked, and the client connects to exactly the addresses checked, so a
//! DNS answer that changes between check and connect (rebinding) cannot get through.
//! Blocked: loopback, private, shared (CGNAT), link-local (cloud metadata), documentation,
//! benchmarking, multicast and reserved ranges, and IPv6 forms that embed such an IPv4.

use std::error::Error as StdError;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

/// The longest URL accepted.
pub const MAX_URL_LEN: usize = 2048;

/// Why a URL or an address is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GuardError {
    #[error("the URL is not valid: {0}")]
    Invalid(String),
    #[error("the URL must start with http:// or https://")]
    Scheme,
    #[error("the URL may not carry a user name or password")]
    UserInfo,
    #[error("the URL is longer than {MAX_URL_LEN} characters")]
    TooLong,
    #[error("{0} is a {1} address; webhooks go to public addresses only")]
    Blocked(IpAddr, &'static str),
    #[error("`{0}` names this machine; webhooks go to public addresses only")]
    Local(String),
}

/// Checks a URL before it is stored. With `allow_private` (tests, a self-hosted install
/// delivering inside its own network) only the form is checked.
pub fn check_url(raw: &str, allow_private: bool) -> Result<Url, GuardError> {
    if raw.len() > MAX_URL_LEN {
        return Err(GuardError::TooLong);
    }
    let url = Url::parse(raw.trim()).map_err(|e| GuardError::Invalid(e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(GuardError::Scheme);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(GuardError::UserInfo);
    }
    let host = url
        .host()
        .ok_or_else(|| GuardError::Invalid("it has no host".into()))?;
    if allow_private {
        return Ok(url);
    }
    match host {
        Host::Ipv4(ip) => check_ip(IpAddr::V4(ip))?,
        Host::Ipv6(ip) => check_ip(IpAddr::V6(ip))?,
        Host::Domain(name) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            if name == "localhost" || name.ends_with(".localhost") {
                return Err(GuardError::Local(name));
            }
        }
    }
    Ok(url)
}

/// `Err` with the range's name when `ip` may not be connected to.
pub fn check_ip(ip: IpAddr) -> Result<(), GuardError> {
    match blocked(ip) {
        Some(why) => Err(GuardError::Blocked(ip, why)),
        None => Ok(()),
    }
}

/// The kind of blocked range `ip` is in, if any.
pub fn blocked(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => blocked_v4(v4),
        IpAddr::V6(v6) => blocked_v6(v6),
    }
}

fn in_v4(ip: Ipv4Addr, net: [u8; 4], bits: u32) -> bool {
    let mask = if bits == 0 {
        0
    } else {
        u32::MAX << (32 - bits)
    };
    (u32::from(ip) & mask) == (u32::from(Ipv4Addr::from(net)) & mask)
}

fn blocked_v4(ip: Ipv4Addr) -> Option<&'static str> {
    const RANGES: &[([u8; 4], u32, &str)] = &[
        ([0, 0, 0, 0], 8, "\"this network\""),
        ([10, 0, 0, 0], 8, "private"),
        ([100, 64, 0, 0], 10, "shared (carrier-grade NAT)"),
        ([127, 0, 0, 0], 8, "loopback"),
        ([169, 254, 0, 0], 16, "link-local (cloud metadata)"),
        ([172, 16, 0, 0], 12, "private"),
        ([192, 0, 0, 0], 24, "reserved (IETF protocol assignments)"),
        ([192, 0, 2, 0], 24, "documentation"),
        ([192, 88, 99, 0], 24, "reserved (6to4 relay)"),
        ([192, 168, 0, 0], 16, "private"),
        ([198, 18, 0, 0], 15, "benchmarking"),
        ([198, 51, 100, 0], 24, "documentation"),
        ([203, 0, 113, 0], 24, "documentation"),
        ([224, 0, 0, 0], 4, "multicast"),
        ([240, 0, 0, 0], 4, "reserved"),
    ];
    RANGES
        .iter()
        .find(|(net, bits, _)| in_v4(ip, *net, *bits))
        .map(|(_, _, why)| *why)
}

fn blocked_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let seg = ip.segments();
    // IPv4 inside IPv6: mapped (::ffff:a.b.c.d), compatible (::a.b.c.d), NAT64 (64:ff9b::/96).
    if let Some(v4) = ip.to_ipv4_mapped() {
        return blocked_v4(v4);
    }
    if seg[..6] == [0; 6] && !(seg[6] == 0 && seg[7] <= 1) {
        return blocked_v4(ip.to_ipv4().expect("an IPv6 address has its last 32 bits"));
    }
    if seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [a, b] = seg[6].to_be_bytes();
        let [c, d] = seg[7].to_be_bytes();
        return blocked_v4(Ipv4Addr::new(a, b, c, d));
    }
    if seg[0] == 0x2002 {
        // 6to4 carries its IPv4 in bits 16..48.
        let [a, b] = seg[1].to_be_bytes();
        let [c, d] = seg[2].to_be_bytes();
        if let Some(why) = blocked_v4(Ipv4Addr::new(a, b, c, d)) {
            return Some(why);
        }
    }
    if ip.is_unspecified() {
        return Some("unspecified");
    }
    if ip.is_loopback() {
        return Some("loopback");
    }
    if ip.is_unique_local() {
        return Some("private (unique local)");
    }
    if ip.is_unicast_link_local() {
        return Some("link-local");
    }
    if ip.is_multicast() {
        return Some("multicast");
    }
    if seg[0] == 0x2001 && seg[1] == 0x0db8 {
        return Some("documentation");
    }
    if seg[..4] == [0x100, 0, 0, 0] {
        return Some("discard-only");
    }
    if seg[0] & 0xffc0 == 0xfec0 {
        return Some("site-local");
    }
    None
}

/// A resolver that refuses a name if any of its addresses is blocked and hands the client
/// only the addresses it checked.
#[derive(Debug, Clone, Copy, Default)]
pub struct GuardedResolver;

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|e| -> Box<dyn StdError + Send + Sync> { Box::new(e) })?
                .collect();
            if addrs.is_empty() {
                return Err(format!("`{host}` has no address").into());
            }
            for a in &addrs {
                check_ip(a.ip()).map_err(|e| -> Box<dyn StdError + Send + Sync> {
                    format!("`{host}` resolves to {e}").into()
                })?;
            }
            let out: Addrs = Box::new(addrs.into_iter());
            Ok(out)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(url: &str) -> bool {
        check_url(url, false).is_err()
    }

    #[test]
    fn private_loopback_link_local_and_embedded_forms_are_refused() {
        for url in [
            "http://127.0.0.1/hook",
            "http://127.1/hook",
            "http://2130706433/",
            "http://0x7f000001/",
            "http://0.0.0.0:8080/",
            "http://10.1.2.3/",
            "http://172.16.0.1/",
            "http://172.31.255.255/",
            "http://192.168.1.1/",
            "http://100.64.0.1/",
            "http://169.254.169.254/latest/meta-data/",
            "http://198.18.0.1/",
            "http://224.0.0.1/",
            "http://255.255.255.255/",
            "http://[::1]/",
            "http://[::]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:169.254.169.254]/",
            "http://[::127.0.0.1]/",
            "http://[64:ff9b::a00:1]/",
            "http://[2002:c0a8:0101::1]/",
            "http://[fd00:ec2::254]/",
            "http://[fc00::1]/",
            "http://[fe80::1]/",
            "http://[ff02::1]/",
            "http://localhost:3000/",
            "http://api.localhost/",
            "http://LOCALHOST./",
        ] {
            assert!(refused(url), "{url} was accepted");
        }
    }

    #[test]
    fn public_addresses_and_names_are_accepted() {
        for url in [
            "https://example.com/hook",
            "https://hooks.example.org:8443/a?b=c",
            "http://8.8.8.8/",
            "http://172.32.0.1/",
            "http://[2606:4700::1111]/",
            "http://[64:ff9b::808:808]/",
        ] {
            assert!(check_url(url, false).is_ok(), "{url} was refused");
        }
    }

    #[test]
    fn the_form_is_checked_even_when_private_addresses_are_allowed() {
        assert_eq!(
            check_url("ftp://example.com/", true),
            Err(GuardError::Scheme)
        );
        assert_eq!(
            check_url("https://user:pw@example.com/", true),
            Err(GuardError::UserInfo)
        );
        assert!(matches!(
            check_url("not a url", true),
            Err(GuardError::Invalid(_))
        ));
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_LEN));
        assert_eq!(check_url(&long, true), Err(GuardError::TooLong));
        assert!(check_url("http://127.0.0.1:9/", true).is_ok());
    }

    #[test]
    fn errors_name_the_range() {
        let e = check_url("http://169.254.169.254/", false).unwrap_err();
        assert_eq!(
            e.to_string(),
            "169.254.169.254 is a link-local (cloud metadata) address; webhooks go to public addresses only"
        );
    }

    #[tokio::test]
    async fn the_resolver_refuses_a_name_that_resolves_to_loopback() {
        let name: Name = "localhost".parse().unwrap();
        let err = GuardedResolver.resolve(name).await.err().expect("refused");
        assert!(err.to_string().contains("loopback"), "{err}");
    }
}
