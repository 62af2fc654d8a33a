//! Ctrl-C during a replay: finish the call in flight, release what was not
//! replayed, report, exit. A second Ctrl-C (or a kill) stops at once; SQS
//! makes the messages visible again when their visibility timeout ends.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once the user asked to stop.
#[derive(Debug, Clone, Default)]
pub struct Interrupt(Arc<AtomicBool>);

impl Interrupt {
    /// Set on the first Ctrl-C; the second one ends the process.
    pub fn on_ctrl_c() -> Self {
        let interrupt = Self::default();
        let flag = interrupt.0.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("interrupted: finishing the call in flight (Ctrl-C again to stop now)");
                flag.store(true, Ordering::SeqCst);
                if tokio::signal::ctrl_c().await.is_ok() {
                    std::process::exit(130);
                }
            }
        });
        interrupt
    }

    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    pub fn set(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
}
