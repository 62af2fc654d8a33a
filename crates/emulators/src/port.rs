//! Free TCP ports on the loopback interface.

use std::net::{Ipv4Addr, TcpListener};

/// The only address an emulator listens on.
pub const LOOPBACK: Ipv4Addr = Ipv4Addr::LOCALHOST;

/// `count` distinct ports that were free on 127.0.0.1 a moment ago.
///
/// The kernel picks them; all listeners are held until every port is known so
/// no port is returned twice. Another process may still take one before the
/// emulator binds it: starting reports that as
/// [`EmulatorError::PortTaken`](crate::EmulatorError::PortTaken), which is
/// retryable.
pub fn free_loopback_ports(count: usize) -> std::io::Result<Vec<u16>> {
    let listeners = (0..count)
        .map(|_| TcpListener::bind((LOOPBACK, 0)))
        .collect::<std::io::Result<Vec<_>>>()?;
    listeners
        .iter()
        .map(|listener| listener.local_addr().map(|addr| addr.port()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ports asked for together are distinct and can be bound on loopback.
    #[test]
    fn returns_distinct_bindable_ports() {
        let ports = free_loopback_ports(3).unwrap();
        assert_eq!(ports.len(), 3);
        assert!(ports[0] != ports[1] && ports[1] != ports[2] && ports[0] != ports[2]);
        for port in ports {
            TcpListener::bind((LOOPBACK, port)).unwrap();
        }
    }
}
