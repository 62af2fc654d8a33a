//! [`EsmTarget`]: what an event source mapping connects — a stream, a
//! function, and the role the function runs as.

use streamdlq_core::{Arn, ArnError};

use super::config::EsmConfigError;

/// What the mapping connects: a stream, a function, and the role the
/// function runs as (it appears in every record as `invokeIdentityArn`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EsmTarget {
    pub stream_arn: String,
    pub function_arn: String,
    pub invoke_identity_arn: String,
    region: String,
}

impl EsmTarget {
    /// The mapping from `stream_arn` (a Kinesis stream or a DynamoDB table
    /// stream) to `function_arn`, the function
    /// running as the role `<function name>-role` of the stream's account.
    pub fn new(
        stream_arn: impl Into<String>,
        function_arn: impl Into<String>,
    ) -> Result<Self, EsmConfigError> {
        let (stream_arn, function_arn) = (stream_arn.into(), function_arn.into());
        // A Kinesis data stream or a DynamoDB table stream.
        let stream = Arn::parse(&stream_arn)?;
        if stream.kinesis_stream_name().is_none() && stream.dynamodb_stream().is_none() {
            return Err(ArnError::WrongKind {
                arn: stream_arn,
                expected: "Kinesis stream or DynamoDB table stream",
            }
            .into());
        }
        let function = Arn::parse_lambda_function(&function_arn)?;
        // Present in both: the parse_* checks require them.
        let (region, account) = (
            stream.region().unwrap_or_default(),
            stream.account().unwrap_or_default(),
        );
        let function_name = function
            .lambda_function()
            .map(|function| function.name)
            .unwrap_or_default();
        let invoke_identity_arn = format!(
            "arn:{}:iam::{account}:role/{function_name}-role",
            stream.partition()
        );
        let region = region.to_owned();
        Ok(Self {
            region,
            stream_arn,
            function_arn,
            invoke_identity_arn,
        })
    }

    /// The region of the stream, from its ARN.
    pub fn region(&self) -> &str {
        &self.region
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The target takes region and account from the stream ARN and names
    /// the role after the function.
    #[test]
    fn derives_region_and_role_from_the_arns() {
        let target = EsmTarget::new(
            "arn:aws:kinesis:eu-west-1:123456789012:stream/orders",
            "arn:aws:lambda:eu-west-1:123456789012:function:processor:live",
        )
        .expect("valid ARNs");
        assert_eq!(target.region(), "eu-west-1");
        assert_eq!(
            target.invoke_identity_arn,
            "arn:aws:iam::123456789012:role/processor-role"
        );
    }

    /// A DynamoDB table stream is a mapping's source too.
    #[test]
    fn accepts_a_dynamodb_table_stream() {
        let target = EsmTarget::new(
            "arn:aws:dynamodb:eu-west-1:123456789012:table/elements/stream/2026-11-23T10:00:00.000",
            "arn:aws:lambda:eu-west-1:123456789012:function:table-processor",
        )
        .expect("valid ARNs");
        assert_eq!(target.region(), "eu-west-1");
    }

    /// Anything but a stream ARN and a function ARN is refused.
    #[test]
    fn refuses_arns_of_the_wrong_kind() {
        let function = "arn:aws:lambda:eu-west-1:123456789012:function:processor";
        for stream in [
            "orders",
            "arn:aws:sqs:eu-west-1:123456789012:orders",
            "arn:aws:kinesis:eu-west-1:123456789012:table/orders",
            "arn:aws:kinesis::123456789012:stream/orders",
        ] {
            assert!(
                matches!(
                    EsmTarget::new(stream, function),
                    Err(EsmConfigError::Arn(_))
                ),
                "{stream}"
            );
        }
        assert!(EsmTarget::new("arn:aws:kinesis:eu-west-1:1:stream/o", "processor").is_err());
    }
}
