//! Emulators start, answer, and leave nothing behind when they stop, are
//! dropped, or when the process that started them dies.

mod common;

use std::process::Command;
use std::time::Duration;

use common::{eventually, is_running, port_open, running_in_group};
use streamdlq_emulators::{EmulatorProcess, Emulators};

/// What must disappear when an emulator stops.
#[derive(Debug)]
struct Footprint {
    name: &'static str,
    pid: u32,
    group: u32,
    ports: Vec<u16>,
}

impl Footprint {
    fn of(process: &EmulatorProcess) -> Self {
        Self {
            name: process.name(),
            pid: process.pid(),
            group: process.process_group(),
            ports: process.ports().to_vec(),
        }
    }

    fn is_live(&self) -> bool {
        is_running(self.pid)
            || !running_in_group(self.group).is_empty()
            || self.ports.iter().any(|port| port_open(*port))
    }

    fn assert_gone_within(&self, timeout: Duration) {
        assert!(
            eventually(timeout, || !self.is_live()),
            "{} left something behind: pid {} running {}, group {:?}, open ports {:?}",
            self.name,
            self.pid,
            is_running(self.pid),
            running_in_group(self.group),
            self.ports
                .iter()
                .filter(|port| port_open(**port))
                .collect::<Vec<_>>()
        );
    }
}

fn footprints(emulators: &Emulators) -> Vec<Footprint> {
    let kinesis = emulators.kinesis().process();
    let moto = emulators.moto().process();
    eprintln!(
        "startup: kinesis-local {:?}, moto {:?}",
        kinesis.startup_time(),
        moto.startup_time()
    );
    vec![Footprint::of(kinesis), Footprint::of(moto)]
}

/// After `stop` returns, the emulator processes and their groups are gone and
/// their ports are closed.
#[tokio::test]
async fn stop_closes_ports_and_ends_processes() {
    let emulators = Emulators::start().await.expect("emulators start");
    let footprints = footprints(&emulators);
    for footprint in &footprints {
        assert!(footprint.is_live(), "{footprint:?} is running before stop");
    }

    emulators.stop().await.expect("stop");

    for footprint in &footprints {
        // `stop` waits for the processes itself: nothing may be left at all.
        assert!(!is_running(footprint.pid), "{footprint:?}");
        assert!(
            std::fs::metadata(format!("/proc/{}", footprint.pid)).is_err(),
            "{footprint:?} was reaped"
        );
        footprint.assert_gone_within(Duration::ZERO);
    }
}

/// Dropping the emulators without `stop` ends them too.
#[tokio::test]
async fn drop_stops_emulators() {
    let emulators = Emulators::start().await.expect("emulators start");
    let footprints = footprints(&emulators);

    drop(emulators);

    for footprint in &footprints {
        footprint.assert_gone_within(Duration::ZERO);
    }
}

/// Emulators die with the process that started them even when no destructor
/// runs (a `static`, `process::exit`, a crash): their watchdogs see it go.
#[test]
fn emulators_die_with_the_process_that_started_them() {
    let output = Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", "orphan_probe", "--ignored", "--nocapture"])
        .env(PROBE_ENV, "1")
        .output()
        .expect("run the probe");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let pids: Vec<Footprint> = stdout
        .lines()
        .filter_map(|line| line.strip_prefix("probe-footprint "))
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            Footprint {
                name: "probe emulator",
                pid: fields[0].parse().expect("pid"),
                group: fields[1].parse().expect("group"),
                ports: fields[2..]
                    .iter()
                    .map(|p| p.parse().expect("port"))
                    .collect(),
            }
        })
        .collect();
    assert_eq!(
        pids.len(),
        2,
        "the probe started both emulators; stdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for footprint in &pids {
        footprint.assert_gone_within(Duration::from_secs(5));
    }
}

const PROBE_ENV: &str = "STREAMDLQ_ORPHAN_PROBE";

/// Not a test on its own: the process that the test above lets die. It
/// starts the emulators, reports them, and exits without dropping anything.
#[tokio::test]
#[ignore = "run by emulators_die_with_the_process_that_started_them"]
async fn orphan_probe() {
    if std::env::var_os(PROBE_ENV).is_none() {
        return;
    }
    let emulators = Emulators::start().await.expect("emulators start");
    for process in [emulators.kinesis().process(), emulators.moto().process()] {
        let ports: Vec<String> = process.ports().iter().map(u16::to_string).collect();
        println!(
            "probe-footprint {} {} {}",
            process.pid(),
            process.process_group(),
            ports.join(" ")
        );
    }
    std::process::exit(0);
}
