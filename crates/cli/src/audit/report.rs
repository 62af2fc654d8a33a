//! The findings for people (a table) and for machines (one JSON object).

use serde::Serialize;

use super::checks::{Finding, Severity};
use super::model::ResourceInventory;

/// What `--json` prints.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditReport<'a> {
    /// Where the mappings came from: the template path, or `aws`.
    pub source: &'a str,
    pub mappings: usize,
    pub hydrators: usize,
    pub errors: usize,
    pub warnings: usize,
    pub findings: Vec<FindingJson<'a>>,
    pub notes: &'a [String],
}

/// One finding in `--json`.
#[derive(Debug, Serialize)]
pub struct FindingJson<'a> {
    pub severity: Severity,
    /// The check's stable id (`unhydrated-destination`, …).
    pub check: &'static str,
    pub mapping: &'a str,
    pub why: &'a str,
    pub fix: &'a str,
}

impl<'a> AuditReport<'a> {
    pub fn new(source: &'a str, inventory: &'a ResourceInventory, findings: &'a [Finding]) -> Self {
        let count = |severity| findings.iter().filter(|f| f.severity == severity).count();
        Self {
            source,
            mappings: inventory.mappings.len(),
            hydrators: inventory.hydrators.len(),
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
            findings: findings
                .iter()
                .map(|finding| FindingJson {
                    severity: finding.severity,
                    check: finding.check.id(),
                    mapping: &finding.mapping,
                    why: &finding.why,
                    fix: &finding.fix,
                })
                .collect(),
            notes: &inventory.notes,
        }
    }

    /// A table: severity, check and mapping on one line, then why and fix
    /// indented below, so long sentences stay readable on any terminal.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let check_width = self
            .findings
            .iter()
            .map(|f| f.check.len())
            .max()
            .unwrap_or(0);
        for finding in &self.findings {
            out.push_str(&format!(
                "{:<7}  {:<check_width$}  {}\n         why: {}\n         fix: {}\n",
                finding.severity.as_str(),
                finding.check,
                finding.mapping,
                finding.why,
                finding.fix,
            ));
        }
        for note in self.notes {
            out.push_str(&format!("note: {note}\n"));
        }
        out.push_str(&format!(
            "{}: {} mapping{}, {} hydrate function{}: {} error{}, {} warning{}\n",
            self.source,
            self.mappings,
            plural(self.mappings),
            self.hydrators,
            plural(self.hydrators),
            self.errors,
            plural(self.errors),
            self.warnings,
            plural(self.warnings),
        ));
        out
    }
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}
