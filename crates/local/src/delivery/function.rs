//! The function delivery invokes: core's [`LambdaFunction`] port, invoked
//! asynchronously with SNS events, and [`from_fn`], a function made of an
//! async closure over the `SnsEvent`, for tests and small adapters. Any
//! returned answer is a successful async invocation, whatever it says; a
//! function error is retried.

use std::sync::Arc;

use aws_lambda_events::sns::SnsEvent;
use futures::FutureExt as _;
pub use streamdlq_core::invocation::FunctionError;
use streamdlq_core::invocation::{FnFunction, FunctionAnswer, LambdaFunction};

/// A function made of an async closure over the SNS event: `Ok` returns
/// `null`, `Err` is a function error.
pub fn from_fn<F, Fut>(function: F) -> Arc<dyn LambdaFunction>
where
    F: Fn(SnsEvent) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), FunctionError>> + Send + 'static,
{
    Arc::new(FnFunction::new("function", move |event: Vec<u8>| {
        let parsed = serde_json::from_slice::<SnsEvent>(&event);
        match parsed {
            Ok(event) => function(event)
                .map(|result| match result {
                    Ok(()) => FunctionAnswer::Returned(b"null".to_vec()),
                    Err(error) => FunctionAnswer::Thrown(error),
                })
                .boxed(),
            Err(error) => futures::future::ready(FunctionAnswer::Thrown(FunctionError::new(
                "Runtime.UnmarshalError",
                error.to_string(),
            )))
            .boxed(),
        }
    }))
}
