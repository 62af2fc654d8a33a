//! Progress bars for long runs, on stderr, only when a person is watching.

use std::io::IsTerminal as _;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

/// A bar counting records, drawn on stderr when it is a terminal and `show`
/// (callers pass `false` for `--json`); hidden otherwise.
pub fn records_bar(total: usize, show: bool) -> ProgressBar {
    counting_bar(total, show, "records")
}

/// The same bar, counting queue messages.
pub fn messages_bar(total: usize, show: bool) -> ProgressBar {
    counting_bar(total, show, "messages")
}

fn counting_bar(total: usize, show: bool, unit: &str) -> ProgressBar {
    if !show || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(&format!(
        "{{spinner}} [{{elapsed_precise}}] {{wide_bar}} {{pos}}/{{len}} {unit} ({{rate}}, {{eta}} left)"
    )) {
        bar.set_style(style.with_key("rate", rate));
    }
    bar
}

/// Records per second, whole: indicatif's own `{per_sec}` shows four
/// decimals (`1,706.1491/s`), a precision no rate has.
fn rate(state: &ProgressState, out: &mut dyn std::fmt::Write) {
    let _ = write!(out, "{:.0}/s", state.per_sec());
}
