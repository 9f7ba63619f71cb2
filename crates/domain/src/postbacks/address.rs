//! Which addresses a postback may never reach (`subscribers.md`, "SSRF"):
//! loopback, private (RFC 1918), carrier-grade NAT, link-local (cloud
//! metadata included), multicast, unspecified, broadcast and "this
//! network", IPv6 unique-local and link-local, and every IPv6 form that
//! carries one of those IPv4 addresses (IPv4-mapped, IPv4-compatible,
//! NAT64).
//!
//! The standard library classifies what it can; the ranges it does not
//! name yet (its `is_shared` is unstable) come from `ipnet`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{Ipv4Net, Ipv6Net};

/// RFC 6598 shared address space (carrier-grade NAT), where some clouds
/// keep their metadata service (100.100.100.200).
fn carrier_grade_nat() -> Ipv4Net {
    Ipv4Net::new_assert(Ipv4Addr::new(100, 64, 0, 0), 10)
}

/// RFC 1122 "this network": 0.0.0.0/8, which Linux routes to the host.
fn this_network() -> Ipv4Net {
    Ipv4Net::new_assert(Ipv4Addr::UNSPECIFIED, 8)
}

/// RFC 6052 well-known NAT64 prefix: its last 32 bits are an IPv4 address
/// a NAT64 gateway would connect to.
fn nat64() -> Ipv6Net {
    Ipv6Net::new_assert(Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0), 96)
}

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
        || carrier_grade_nat().contains(&ip)
        || this_network().contains(&ip)
}

fn is_blocked_v6(ip: Ipv6Addr) -> bool {
    if ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || ip.is_unique_local()
        || ip.is_unicast_link_local()
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
