//! Resources of a deployed stack, read from its CloudFormation outputs
//! (DescribeStacks), so nobody copies ARNs or account ids by hand.
//!
//! `infra/template.yaml` declares the outputs by these names.

use std::collections::BTreeMap;

use anyhow::{anyhow, bail};
use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::error::{ProvideErrorMetadata, SdkError};

use crate::aws_error::describe;

pub const OUTPUT_STREAM_NAME: &str = "StreamName";
pub const OUTPUT_STREAM_ARN: &str = "StreamArn";
pub const OUTPUT_DLQ_URL: &str = "DlqUrl";
pub const OUTPUT_TOPIC_ARN: &str = "TopicArn";
pub const OUTPUT_HYDRATE_FAILURE_QUEUE_URL: &str = "HydrateFailureQueueUrl";
pub const OUTPUT_PROCESSOR_FUNCTION_NAME: &str = "ProcessorFunctionName";

/// A stack's outputs by key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StackOutputs {
    pub stack: String,
    pub outputs: BTreeMap<String, String>,
}

impl StackOutputs {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.outputs.get(key).map(String::as_str)
    }

    /// Reads the outputs of stack `name`.
    pub async fn describe(client: &Client, name: &str) -> anyhow::Result<Self> {
        let output = client
            .describe_stacks()
            .stack_name(name)
            .send()
            .await
            .map_err(|error| stack_error(name, error))?;
        let Some(stack) = output.stacks().first() else {
            bail!("stack {name} does not exist");
        };
        let outputs = stack
            .outputs()
            .iter()
            .filter_map(|output| {
                Some((
                    output.output_key()?.to_owned(),
                    output.output_value()?.to_owned(),
                ))
            })
            .collect();
        Ok(Self {
            stack: name.to_owned(),
            outputs,
        })
    }
}

fn stack_error<E>(name: &str, error: SdkError<E>) -> anyhow::Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    // CloudFormation answers a missing stack with a ValidationError
    // "Stack with id NAME does not exist".
    if let SdkError::ServiceError(context) = &error {
        let message = context.err().message().unwrap_or_default();
        if message.contains("does not exist") {
            return anyhow!("stack {name} does not exist: check --stack and the AWS region");
        }
    }
    anyhow!("cannot describe stack {name}: {}", describe(&error))
}

#[cfg(test)]
mod tests {
    use aws_sdk_cloudformation::operation::describe_stacks::DescribeStacksError;

    use super::*;

    /// A stack that cannot be described is said in one line, without the
    /// SDK's `Debug` dump of the error.
    #[test]
    fn says_why_a_stack_cannot_be_described_in_one_line() {
        let error = SdkError::<DescribeStacksError>::timeout_error("no answer within 3 s");
        assert_eq!(
            stack_error("prod", error).to_string(),
            "cannot describe stack prod: request has timed out: no answer within 3 s"
        );
    }
}
