//! The port through which delivery invokes a function with an SNS event:
//! the in-process hydrate handler, or anything else that behaves like a
//! Lambda function.

use std::sync::Arc;

use aws_lambda_events::sns::SnsEvent;
use futures::future::BoxFuture;

/// An unhandled function error, as Lambda reports it (`errorType`,
/// `errorMessage`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error_type}: {error_message}")]
pub struct FunctionError {
    pub error_type: String,
    pub error_message: String,
}

impl FunctionError {
    pub fn new(error_type: impl Into<String>, error_message: impl Into<String>) -> Self {
        Self {
            error_type: error_type.into(),
            error_message: error_message.into(),
        }
    }
}

/// A Lambda function that takes SNS events. Any `Ok` is a successful
/// invocation, whatever the function returned; `Err` is a function error,
/// which async invocation retries.
pub trait SnsFunction: Send + Sync {
    fn invoke(&self, event: SnsEvent) -> BoxFuture<'_, Result<(), FunctionError>>;
}

/// A function made of an async closure, for tests and small adapters.
pub fn from_fn<F, Fut>(function: F) -> Arc<dyn SnsFunction>
where
    F: Fn(SnsEvent) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), FunctionError>> + Send + 'static,
{
    Arc::new(FnFunction(function))
}

struct FnFunction<F>(F);

impl<F, Fut> SnsFunction for FnFunction<F>
where
    F: Fn(SnsEvent) -> Fut + Send + Sync,
    Fut: Future<Output = Result<(), FunctionError>> + Send + 'static,
{
    fn invoke(&self, event: SnsEvent) -> BoxFuture<'_, Result<(), FunctionError>> {
        Box::pin((self.0)(event))
    }
}
