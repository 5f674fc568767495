//! Reaching other machines safely: the address checks every outgoing request on a
//! person's behalf makes (an import's images, webhooks), so a URL typed into a form cannot
//! reach the server's own network.

use std::net::{IpAddr, SocketAddr};

/// Whether `ip` is on the public internet: not private, loopback, link-local, shared,
/// documentation, multicast or reserved, in either family.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_unspecified()
                || v4.is_documentation()
                || v4.is_multicast()
                || a == 0
                || a >= 240
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (18..20).contains(&b))
                || (a == 192 && b == 0 && v4.octets()[2] == 0))
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public(IpAddr::V4(v4)),
            None => {
                let first = v6.segments()[0];
                // Also NAT64 (64:ff9b::/96) and 6to4 (2002::/16), which lead to IPv4.
                !(v6.is_loopback()
                    || v6.is_unspecified()
                    || v6.is_multicast()
                    || (first & 0xfe00) == 0xfc00
                    || (first & 0xffc0) == 0xfe80
                    || first == 0x2002
                    || (first == 0x64 && v6.segments()[1] == 0xff9b))
            }
        },
    }
}

/// Resolves names, then refuses private and loopback addresses unless named themselves
/// (checked after resolution, so a public name pointing inward is caught too).
pub struct PublicOnly {
    /// Addresses allowed even though private (named by the operator).
    pub allowed: Vec<String>,
}

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        let allowed = self.allowed.clone();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| is_public(a.ip()) || allowed.contains(&a.ip().to_string()))
                .collect();
            if found.is_empty() {
                return Err(format!("{host} has no public address").into());
            }
            Ok(Box::new(found.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Whether `url` may be reached when its host is an address written out (such hosts never
/// reach the resolver, so `PublicOnly` cannot check them): public, or one of `allowed`.
pub fn literal_host_allowed(url: &url::Url, allowed: &[String]) -> bool {
    let ip: Option<IpAddr> = match url.host() {
        Some(url::Host::Ipv4(v4)) => Some(v4.into()),
        Some(url::Host::Ipv6(v6)) => Some(v6.into()),
        _ => None,
    };
    ip.is_none_or(|ip| is_public(ip) || allowed.contains(&ip.to_string()))
}

/// Runs `future` to its end from blocking code: on the current runtime's handle when there
/// is one (a job on the blocking pool), else on a runtime of its own (the command line).
pub fn block_on<F: std::future::Future>(future: F) -> Result<F::Output, String> {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => Ok(handle.block_on(future)),
        Err(_) => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map(|runtime| runtime.block_on(future))
            .map_err(|e| e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_addresses_are_not_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "169.254.169.254",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "0.0.0.0",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in ["93.184.216.34", "2606:2800:220:1::1"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }
}
