//! [`processor_function`]: the demo processor (`processor::handle`) in this
//! process, through core's [`InProcessFunction`] adapter — the function the
//! local stack's ESM drives by default, and the one `local invoke processor`
//! and `replay --to-function processor` run on the local stack; and
//! [`table_processor_function`], its DynamoDB Streams sibling.

use std::sync::Arc;

use lambda_runtime::LambdaEvent;
use streamdlq_core::KinesisBatch;
use streamdlq_core::invocation::{FunctionSettings, InProcessFunction, LambdaFunction};

/// The demo processor's handler as a [`LambdaFunction`] with `settings`
/// (timeout, ARN). Pass an `Arc` to keep a hold on the handler (its sink).
pub fn processor_function<S>(
    handler: impl Into<Arc<processor::ElementHandler<S>>>,
    settings: FunctionSettings,
) -> impl LambdaFunction + std::fmt::Debug + 'static
where
    S: processor::ElementSink + Send + Sync + 'static,
{
    let handler: Arc<processor::ElementHandler<S>> = handler.into();
    InProcessFunction::new(
        move |event: LambdaEvent<KinesisBatch>| {
            let handler = Arc::clone(&handler);
            async move { processor::handle(&handler, event).await }
        },
        settings,
    )
}

/// The demo's table processor (`processor::table`) as a [`LambdaFunction`]
/// with `settings`: what the local stack's DynamoDB Streams mapping drives,
/// and what `--to-function table-processor` replays into locally.
pub fn table_processor_function<S>(
    handler: impl Into<Arc<processor::ElementHandler<S>>>,
    settings: FunctionSettings,
) -> impl LambdaFunction + std::fmt::Debug + 'static
where
    S: processor::ElementSink + Send + Sync + 'static,
{
    let handler: Arc<processor::ElementHandler<S>> = handler.into();
    InProcessFunction::new(
        move |event: LambdaEvent<processor::table::TableEvent>| {
            let handler = Arc::clone(&handler);
            async move { processor::table::handle_table_event(&handler, event.payload).await }
        },
        settings,
    )
}

#[cfg(test)]
mod tests {
    use streamdlq_core::invocation::FunctionAnswer;

    use super::*;

    const POISON: &str = include_str!("../../../../events/kinesis-batch-poison-pill.json");
    const POISON_RESPONSE: &str =
        include_str!("../../../../events/kinesis-batch-response-poison-pill.json");
    const ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:streamdlq-processor";

    /// The processor in process answers the poison-pill event with the
    /// golden response, as deployed.
    #[tokio::test]
    async fn runs_the_processor_handler_as_deployed() {
        let function = processor_function(
            processor::ElementHandler::<processor::LogSink>::default(),
            FunctionSettings::new(ARN),
        );

        let answer = function.invoke(POISON.as_bytes().to_vec()).await;

        let FunctionAnswer::Returned(payload) = answer else {
            panic!("expected a response, got {answer:?}");
        };
        let golden: serde_json::Value = serde_json::from_str(POISON_RESPONSE).expect("fixture");
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&payload).expect("json"),
            golden
        );
    }
}
