//! [`LambdaFunction`]: the one port through which the workspace invokes a
//! Lambda function — the local ESM with batches, the SNS → hydrate delivery
//! with SNS events, `replay --to-function` with replayed records.
//!
//! Adapters: [`InProcessFunction`](super::InProcessFunction) here (any
//! `lambda_runtime` handler in this process), and the Lambda Invoke API
//! adapter over aws-sdk-lambda in `streamdlq-local` (`InvokeApiFunction`),
//! kept out of core so that the Lambda binaries built on core do not compile
//! the Lambda SDK.
//!
//! The future is boxed so that the port is object safe: the delivery loop
//! holds its function as `Arc<dyn LambdaFunction>`, chosen at run time. One
//! allocation per invocation is nothing next to an invocation.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use futures::future::BoxFuture;

use super::answer::FunctionAnswer;

/// A Lambda function, invoked synchronously (`RequestResponse`) with an
/// event's JSON.
pub trait LambdaFunction: Send + Sync {
    /// The function's name, for messages and logs.
    fn name(&self) -> &str;

    /// Invokes the function once with `event` (JSON bytes).
    fn invoke(&self, event: Vec<u8>) -> BoxFuture<'_, FunctionAnswer>;
}

impl<T: LambdaFunction + ?Sized> LambdaFunction for Arc<T> {
    fn name(&self) -> &str {
        (**self).name()
    }

    fn invoke(&self, event: Vec<u8>) -> BoxFuture<'_, FunctionAnswer> {
        (**self).invoke(event)
    }
}

impl<T: LambdaFunction + ?Sized> LambdaFunction for Box<T> {
    fn name(&self) -> &str {
        (**self).name()
    }

    fn invoke(&self, event: Vec<u8>) -> BoxFuture<'_, FunctionAnswer> {
        (**self).invoke(event)
    }
}

impl<T: LambdaFunction + ?Sized> LambdaFunction for &T {
    fn name(&self) -> &str {
        (**self).name()
    }

    fn invoke(&self, event: Vec<u8>) -> BoxFuture<'_, FunctionAnswer> {
        (**self).invoke(event)
    }
}

/// A [`LambdaFunction`] made of an async closure over the event bytes, for
/// scripted functions in tests and small adapters.
pub struct FnFunction<C> {
    name: String,
    function: C,
}

impl<C> FnFunction<C> {
    pub fn new(name: impl Into<String>, function: C) -> Self {
        Self {
            name: name.into(),
            function,
        }
    }
}

impl<C> fmt::Debug for FnFunction<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FnFunction")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl<C, Fut> LambdaFunction for FnFunction<C>
where
    C: Fn(Vec<u8>) -> Fut + Send + Sync,
    Fut: Future<Output = FunctionAnswer> + Send + 'static,
{
    fn name(&self) -> &str {
        &self.name
    }

    fn invoke(&self, event: Vec<u8>) -> BoxFuture<'_, FunctionAnswer> {
        Box::pin((self.function)(event))
    }
}
