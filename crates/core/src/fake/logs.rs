//! [`LogCapture`]: what a test binary logs, for tests about what is logged
//! and, above all, what never is (payload bytes).

use std::io::Write;
use std::sync::{Arc, Mutex};

/// How captured lines are formatted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// The human format, without colour codes.
    Plain,
    /// One JSON object per line with the current span, as in Lambda.
    Json,
}

/// An in-memory log: every event at DEBUG and above, from every thread.
#[derive(Debug, Clone, Default)]
pub struct LogCapture(Arc<Mutex<Vec<u8>>>);

impl LogCapture {
    /// Installs a process-wide subscriber that writes into a new capture.
    ///
    /// Process-wide on purpose: a thread-local subscriber misses events whose
    /// callsites another test registered first, so a log test must run alone
    /// in its own test binary and call this once.
    pub fn install(format: LogFormat) -> Self {
        let capture = Self::default();
        let writer = capture.clone();
        let builder = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_writer(move || writer.clone());
        let installed = match format {
            LogFormat::Plain => tracing::subscriber::set_global_default(builder.finish()),
            LogFormat::Json => tracing::subscriber::set_global_default(
                builder.json().with_current_span(true).finish(),
            ),
        };
        installed.expect("LogCapture::install is called once per test binary");
        capture
    }

    /// Everything logged so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("log capture lock")).into_owned()
    }
}

impl Write for LogCapture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .expect("log capture lock")
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
