//! The emulators are reachable from this machine only.
//!
//! Proven from the kernel's socket tables rather than by connecting to a
//! non-loopback address: every listening socket the emulator processes hold
//! is bound to 127.0.0.1, on exactly the ports the harness gave them.

mod common;

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr};

use common::{listening_sockets_of, parse_listeners};
use streamdlq_emulators::{EmulatorProcess, Emulators};

fn assert_loopback_only(process: &EmulatorProcess) {
    let listeners = listening_sockets_of(process.pid());
    let ports: BTreeSet<u16> = listeners.iter().map(|l| l.local.port()).collect();
    let expected: BTreeSet<u16> = process.ports().iter().copied().collect();
    assert_eq!(ports, expected, "{} listens on its ports", process.name());
    for listener in &listeners {
        assert_eq!(
            listener.local.ip(),
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            "{} listens on {}",
            process.name(),
            listener.local
        );
    }
}

/// kinesis-local (plain and TLS ports, pinned by the preload) and moto listen
/// on 127.0.0.1 only.
#[tokio::test]
async fn emulators_listen_on_loopback_only() {
    let emulators = Emulators::shared().await.expect("emulators start");
    let kinesis = emulators.kinesis().process();
    assert_eq!(kinesis.ports().len(), 2, "plain and TLS ports");
    assert_loopback_only(kinesis);
    assert_loopback_only(emulators.moto().process());
}

/// The socket-table reader tells wildcard and loopback listeners apart, so the
/// loopback check above can fail.
#[test]
fn socket_table_reader_tells_wildcard_from_loopback() {
    let tcp = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
   0: 0100007F:B05F 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1001 1 0 100 0 0 10 0\n\
   1: 00000000:11D7 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1002 1 0 100 0 0 10 0\n\
   2: 0100007F:B05F 0100007F:C000 01 00000000:00000000 00:00000000 00000000     0        0 1003 1 0 100 0 0 10 0\n";
    let listeners = parse_listeners(tcp);
    let found: Vec<String> = listeners.iter().map(|l| l.local.to_string()).collect();
    assert_eq!(found, ["127.0.0.1:45151", "0.0.0.0:4567"]);
    assert_eq!(listeners[0].inode, 1001);

    let tcp6 = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
   0: 00000000000000000000000000000000:11D8 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2001 1 0 100 0 0 10 0\n\
   1: 00000000000000000000000001000000:11D9 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2002 1 0 100 0 0 10 0\n";
    let found: Vec<String> = parse_listeners(tcp6)
        .iter()
        .map(|l| l.local.to_string())
        .collect();
    assert_eq!(found, ["[::]:4568", "[::1]:4569"]);
}
