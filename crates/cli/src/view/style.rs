//! Colour for people: ANSI styles that `anstream` strips again when the
//! output is not a terminal or `NO_COLOR` is set, so pipes, files and
//! `--json` never see an escape code.

use anstyle::{AnsiColor, Style};
use streamdlq_core::HydrationStatus;

fn paint(style: Style, text: &str) -> String {
    format!("{style}{text}{style:#}")
}

/// `error:` and other things that went wrong.
pub fn error(text: &str) -> String {
    paint(AnsiColor::Red.on_default().bold(), text)
}

/// Something to look at: kept failures, messages left behind.
pub fn warning(text: &str) -> String {
    paint(AnsiColor::Yellow.on_default(), text)
}

/// A failure's heading line.
pub fn heading(text: &str) -> String {
    paint(Style::new().bold(), text)
}

/// Details that matter less: timestamps, hints.
pub fn dim(text: &str) -> String {
    paint(Style::new().dimmed(), text)
}

/// A hydration status: green when everything was recovered, yellow when
/// part was, red when the records are not in the DLQ.
pub fn status(status: HydrationStatus) -> String {
    let colour = match status {
        HydrationStatus::Complete => AnsiColor::Green,
        HydrationStatus::Partial => AnsiColor::Yellow,
        _ => AnsiColor::Red,
    };
    paint(colour.on_default(), status.as_str())
}
