//! Which addresses a postback may never reach (`subscribers.md`, "SSRF"):
//! loopback, private (RFC 1918), carrier-grade NAT, link-local (cloud
//! metadata included), multicast, unspecified, broadcast and "this
//! network", IPv6 unique-local and link-local, and every IPv6 form that
//! carries one of those IPv4 addresses (IPv4-mapped, IPv4-compatible,
//! NAT64). Also every range IANA's special-purpose registries mark as not
//! globally reachable or as a tunnel into other networks: benchmarking
//! (198.18.0.0/15), IETF protocol assignments (192.0.0.0/24), reserved
//! (240.0.0.0/4), documentation (192.0.2.0/24, 198.51.100.0/24,
//! 203.0.113.0/24, 2001:db8::/32, 3fff::/20), 6to4 (2002::/16), Teredo
//! (2001::/32), local-use NAT64 (64:ff9b:1::/48) and the deprecated
//! site-local fec0::/10. A tunnel prefix is refused whole: what its relay
//! would reach is not ours to check.
//!
//! The standard library classifies what it can; the ranges it does not
//! name yet (its `is_shared` is unstable) come from `ipnet`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{Ipv4Net, Ipv6Net};

/// RFC 6052 well-known NAT64 prefix: its last 32 bits are an IPv4 address
/// a NAT64 gateway would connect to.
fn nat64() -> Ipv6Net {
    Ipv6Net::new_assert(Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0), 96)
}

/// IPv4 ranges blocked whole beyond what the standard library names.
const BLOCKED_V4: [(Ipv4Addr, u8); 8] = [
    (Ipv4Addr::new(192, 0, 0, 0), 24),
    (Ipv4Addr::new(192, 0, 2, 0), 24),
    (Ipv4Addr::new(198, 18, 0, 0), 15),
    (Ipv4Addr::new(198, 51, 100, 0), 24),
    (Ipv4Addr::new(203, 0, 113, 0), 24),
    (Ipv4Addr::new(240, 0, 0, 0), 4),
    // RFC 6598 carrier-grade NAT, where some clouds keep their metadata
    // service (100.100.100.200).
    (Ipv4Addr::new(100, 64, 0, 0), 10),
    // RFC 1122 "this network", which Linux routes to the host.
    (Ipv4Addr::UNSPECIFIED, 8),
];

/// IPv6 ranges blocked whole beyond what the standard library names.
const BLOCKED_V6: [(Ipv6Addr, u8); 6] = [
    (Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), 32),
    (Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0), 20),
    (Ipv6Addr::new(0x2002, 0, 0, 0, 0, 0, 0, 0), 16),
    (Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0), 32),
    (Ipv6Addr::new(0x64, 0xff9b, 1, 0, 0, 0, 0, 0), 48),
    (Ipv6Addr::new(0xfec0, 0, 0, 0, 0, 0, 0, 0), 10),
];

/// Whether a postback must not connect to `ip`.
pub fn is_blocked(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_blocked_v4(v4),
        IpAddr::V6(v6) => is_blocked_v6(v6),
    }
}

fn is_blocked_v4(ip: Ipv4Addr) -> bool {
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || BLOCKED_V4
            .iter()
            .any(|&(net, len)| Ipv4Net::new_assert(net, len).contains(&ip))
}

fn is_blocked_v6(ip: Ipv6Addr) -> bool {
    if ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || ip.is_unique_local()
        || ip.is_unicast_link_local()
        || BLOCKED_V6
            .iter()
            .any(|&(net, len)| Ipv6Net::new_assert(net, len).contains(&ip))
    {
        return true;
    }
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_blocked_v4(v4);
    }
    let [a, b, c, d, e, f, _, _] = ip.segments();
    let octets = ip.octets();
    let embedded = Ipv4Addr::new(octets[12], octets[13], octets[14], octets[15]);
    // IPv4-compatible (::a.b.c.d, deprecated but still parsed by stacks).
    if [a, b, c, d, e, f] == [0; 6] {
        return is_blocked_v4(embedded);
    }
    nat64().contains(&ip) && is_blocked_v4(embedded)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocked(text: &str) -> bool {
        is_blocked(text.parse().unwrap())
    }

    #[test]
    fn every_range_of_the_spec_is_blocked() {
        for ip in [
            "127.0.0.1",
            "127.255.0.9",
            "10.0.0.1",
            "10.255.255.255",
            "172.16.0.1",
            "172.31.255.254",
            "192.168.1.1",
            "100.64.0.1",
            "100.100.100.200",
            "100.127.255.255",
            "169.254.169.254",
            "169.254.0.1",
            "224.0.0.1",
            "239.255.255.250",
            "0.0.0.0",
            "0.1.2.3",
            "255.255.255.255",
            "::1",
            "::",
            "fc00::1",
            "fd00:ec2::254",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.1.2.3",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
        ] {
            assert!(blocked(ip), "{ip} must be blocked");
        }
    }

    #[test]
    fn special_purpose_and_tunnel_ranges_are_blocked() {
        for ip in [
            "198.18.0.1",
            "198.19.255.254",
            "192.0.0.8",
            "192.0.0.170",
            "240.0.0.1",
            "250.1.2.3",
            "192.0.2.10",
            "198.51.100.7",
            "203.0.113.200",
            "2001:db8::1",
            "3fff::1",
            "2002:7f00:1::1",
            "2002:808:808::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "64:ff9b:1::808:808",
            "fec0::1",
            "feff::1",
        ] {
            assert!(blocked(ip), "{ip} must be blocked");
        }
    }

    #[test]
    fn neighbours_of_the_special_ranges_pass() {
        for ip in [
            "198.17.255.255",
            "198.20.0.1",
            "192.0.1.1",
            "223.255.255.254",
            "203.0.114.1",
            "2001:1::1",
            "2003::1",
            "64:ff9b:2::1",
        ] {
            assert!(!blocked(ip), "{ip} must pass");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "172.32.0.1",
            "100.128.0.1",
            "192.169.0.1",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ] {
            assert!(!blocked(ip), "{ip} must pass");
        }
    }
}
