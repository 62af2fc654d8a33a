//! [`ElementHandler`]: the per-record logic, bytes to [`Element`] to
//! [`ElementSink`], plugged into the core batch helper.

use std::sync::Arc;

use streamdlq_core::MetricWriter;
use streamdlq_core::batch::{RecordContext, RecordError, RecordHandler};

use crate::config::SchemaMode;
use crate::element::{Element, ElementError};
use crate::sink::{ElementSink, ElementSinkError, LogSink};

/// Everything a processor invocation needs, built once at cold start.
#[derive(Debug, Clone, Default)]
pub struct ElementHandler<S = LogSink> {
    sink: S,
    schema_mode: SchemaMode,
    /// Where the per-batch metric line goes (CloudWatch EMF on standard
    /// output in Lambda); none in process, where standard output is the
    /// caller's (`replay --to-function processor --json`).
    metrics: Option<Arc<dyn MetricWriter>>,
}

/// Why a record could not be processed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProcessError {
    /// The record is not an element: poison.
    #[error(transparent)]
    Element(#[from] ElementError),
    /// The sink failed; it says whether a retry can help.
    #[error(transparent)]
    Sink(#[from] ElementSinkError),
}

impl<S> ElementHandler<S> {
    pub fn new(sink: S, schema_mode: SchemaMode) -> Self {
        Self {
            sink,
            schema_mode,
            metrics: None,
        }
    }

    /// Writes one metric line per batch (records processed and failed) to
    /// `metrics`.
    #[must_use]
    pub fn with_metrics(mut self, metrics: Arc<dyn MetricWriter>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    pub fn metrics(&self) -> Option<&dyn MetricWriter> {
        self.metrics.as_deref()
    }

    pub fn sink(&self) -> &S {
        &self.sink
    }

    pub fn schema_mode(&self) -> SchemaMode {
        self.schema_mode
    }
}

impl RecordError for ProcessError {
    fn is_retryable(&self) -> bool {
        match self {
            Self::Element(_) => false,
            Self::Sink(error) => error.is_retryable(),
        }
    }
}

impl<S: ElementSink + Sync> RecordHandler for ElementHandler<S> {
    type Error = ProcessError;

    async fn handle(&self, record: &RecordContext, data: &[u8]) -> Result<(), ProcessError> {
        let element = Element::from_bytes(data, self.schema_mode)?;
        self.sink.accept(record, &element).await?;
        Ok(())
    }
}
