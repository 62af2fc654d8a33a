//! [`Arn`]: an Amazon Resource Name split into its parts, and what the
//! workspace reads out of the resources it handles — a Kinesis stream's
//! name, a DynamoDB stream's table and label, a Lambda function's name and
//! qualifier.
//!
//! The format is `arn:partition:service:region:account-id:resource`. The
//! resource part may itself hold `:` (a function's qualifier) and `/` (a
//! stream's name), so only the first five separators split the ARN.
//! Region and account are empty for global resources (IAM roles, S3
//! buckets); [`Arn::region`] and [`Arn::account`] say `None` then.

use std::fmt;

/// A parsed ARN, borrowing the text it was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Arn<'a> {
    partition: &'a str,
    service: &'a str,
    region: &'a str,
    account: &'a str,
    resource: &'a str,
}

/// Why a text is not an ARN, or not the ARN of the resource asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArnError {
    #[error("{0:?} is not an ARN (arn:partition:service:region:account:resource)")]
    Malformed(String),
    #[error("{arn:?} is not the ARN of a {expected}")]
    WrongKind { arn: String, expected: &'static str },
}

impl<'a> Arn<'a> {
    /// Splits `text` into its parts. Partition, service and resource must
    /// be present; region and account may be empty.
    pub fn parse(text: &'a str) -> Result<Self, ArnError> {
        let malformed = || ArnError::Malformed(text.to_owned());
        let mut parts = text.splitn(6, ':');
        let mut next = || parts.next().ok_or_else(malformed);
        let (scheme, partition, service, region, account, resource) =
            (next()?, next()?, next()?, next()?, next()?, next()?);
        if scheme != "arn" || partition.is_empty() || service.is_empty() || resource.is_empty() {
            return Err(malformed());
        }
        Ok(Self {
            partition,
            service,
            region,
            account,
            resource,
        })
    }

    /// `aws`, `aws-cn`, `aws-us-gov`, …
    pub fn partition(&self) -> &'a str {
        self.partition
    }

    /// `kinesis`, `dynamodb`, `lambda`, …
    pub fn service(&self) -> &'a str {
        self.service
    }

    /// The region; `None` for a global resource.
    pub fn region(&self) -> Option<&'a str> {
        Some(self.region).filter(|region| !region.is_empty())
    }

    /// The account id; `None` where the ARN has none.
    pub fn account(&self) -> Option<&'a str> {
        Some(self.account).filter(|account| !account.is_empty())
    }

    /// Everything after the account: `stream/orders`, `function:f:live`.
    pub fn resource(&self) -> &'a str {
        self.resource
    }

    /// The stream name of a Kinesis stream ARN
    /// (`arn:aws:kinesis:REGION:ACCOUNT:stream/NAME`); also of a stream
    /// consumer's ARN (`…:stream/NAME/consumer/…`), whose stream it is.
    pub fn kinesis_stream_name(&self) -> Option<&'a str> {
        if self.service != "kinesis" || self.region().is_none() || self.account().is_none() {
            return None;
        }
        let rest = self.resource.strip_prefix("stream/")?;
        let name = rest.split('/').next()?;
        (!name.is_empty()).then_some(name)
    }

    /// The table and stream label of a DynamoDB stream ARN
    /// (`arn:aws:dynamodb:REGION:ACCOUNT:table/TABLE/stream/LABEL`).
    pub fn dynamodb_stream(&self) -> Option<DynamoDbStream<'a>> {
        if self.service != "dynamodb" || self.region().is_none() || self.account().is_none() {
            return None;
        }
        let (table, label) = self
            .resource
            .strip_prefix("table/")?
            .split_once("/stream/")?;
        (!table.is_empty() && !table.contains('/') && !label.is_empty())
            .then_some(DynamoDbStream { table, label })
    }

    /// The name and qualifier (version or alias) of a Lambda function ARN
    /// (`arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`).
    pub fn lambda_function(&self) -> Option<LambdaFunction<'a>> {
        if self.service != "lambda" || self.region().is_none() || self.account().is_none() {
            return None;
        }
        let rest = self.resource.strip_prefix("function:")?;
        let (name, qualifier) = match rest.split_once(':') {
            Some((name, qualifier)) if !qualifier.is_empty() && !qualifier.contains(':') => {
                (name, Some(qualifier))
            }
            Some(_) => return None,
            None => (rest, None),
        };
        (!name.is_empty()).then_some(LambdaFunction { name, qualifier })
    }

    /// [`Arn::parse`], then checks that it is a Kinesis stream's ARN.
    pub fn parse_kinesis_stream(text: &'a str) -> Result<Self, ArnError> {
        Self::parse_kind(text, "Kinesis stream", |arn| {
            arn.kinesis_stream_name().is_some()
        })
    }

    /// [`Arn::parse`], then checks that it is a Lambda function's ARN.
    pub fn parse_lambda_function(text: &'a str) -> Result<Self, ArnError> {
        Self::parse_kind(text, "Lambda function", |arn| {
            arn.lambda_function().is_some()
        })
    }

    fn parse_kind(
        text: &'a str,
        expected: &'static str,
        is_kind: impl Fn(&Self) -> bool,
    ) -> Result<Self, ArnError> {
        let arn = Self::parse(text)?;
        if is_kind(&arn) {
            Ok(arn)
        } else {
            Err(ArnError::WrongKind {
                arn: text.to_owned(),
                expected,
            })
        }
    }
}

/// The parts of a DynamoDB stream ARN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DynamoDbStream<'a> {
    pub table: &'a str,
    /// The stream's label, a timestamp such as `2026-11-23T10:15:42.318`.
    pub label: &'a str,
}

/// The parts of a Lambda function ARN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LambdaFunction<'a> {
    pub name: &'a str,
    /// A version (`7`, `$LATEST`) or an alias (`live`).
    pub qualifier: Option<&'a str>,
}

impl fmt::Display for Arn<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:{}:{}:{}:{}",
            self.partition, self.service, self.region, self.account, self.resource
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STREAM: &str = "arn:aws:kinesis:eu-west-1:123456789012:stream/orders";

    fn arn(text: &str) -> Arn<'_> {
        Arn::parse(text).expect("an ARN")
    }

    /// The six parts are read, the resource keeps its own separators, and
    /// the ARN prints back exactly as given.
    #[test]
    fn splits_an_arn_into_its_parts() {
        let function = "arn:aws-cn:lambda:cn-north-1:123456789012:function:processor:live";
        let parsed = arn(function);
        assert_eq!(parsed.partition(), "aws-cn");
        assert_eq!(parsed.service(), "lambda");
        assert_eq!(parsed.region(), Some("cn-north-1"));
        assert_eq!(parsed.account(), Some("123456789012"));
        assert_eq!(parsed.resource(), "function:processor:live");
        assert_eq!(parsed.to_string(), function);
    }

    /// Global resources have no region or account.
    #[test]
    fn global_resources_have_no_region() {
        let role = arn("arn:aws:iam::123456789012:role/processor-role");
        assert_eq!(role.region(), None);
        assert_eq!(role.account(), Some("123456789012"));
        assert_eq!(arn("arn:aws:s3:::bucket").account(), None);
    }

    /// Texts that are not ARNs are refused, quoting the text.
    #[test]
    fn refuses_what_is_not_an_arn() {
        for text in [
            "orders",
            "",
            "arn:aws:kinesis:eu-west-1:123456789012",
            "urn:aws:kinesis:eu-west-1:123456789012:stream/orders",
            "arn::kinesis:eu-west-1:123456789012:stream/orders",
            "arn:aws:kinesis:eu-west-1:123456789012:",
        ] {
            assert_eq!(
                Arn::parse(text),
                Err(ArnError::Malformed(text.to_owned())),
                "{text}"
            );
        }
    }

    /// A Kinesis stream ARN gives its stream name, a consumer ARN its
    /// stream's; nothing else does.
    #[test]
    fn reads_the_name_of_a_kinesis_stream() {
        assert_eq!(arn(STREAM).kinesis_stream_name(), Some("orders"));
        assert_eq!(
            arn("arn:aws:kinesis:eu-west-1:123456789012:stream/orders/consumer/c:1700000000")
                .kinesis_stream_name(),
            Some("orders")
        );
        for other in [
            "arn:aws:kinesis:eu-west-1:123456789012:stream/",
            "arn:aws:kinesis::123456789012:stream/orders",
            "arn:aws:sqs:eu-west-1:123456789012:orders",
            "arn:aws:kinesis:eu-west-1:123456789012:table/orders",
        ] {
            assert_eq!(arn(other).kinesis_stream_name(), None, "{other}");
        }
        assert!(Arn::parse_kinesis_stream(STREAM).is_ok());
        assert_eq!(
            Arn::parse_kinesis_stream("arn:aws:sqs:eu-west-1:123456789012:orders")
                .expect_err("a queue")
                .to_string(),
            "\"arn:aws:sqs:eu-west-1:123456789012:orders\" is not the ARN of a Kinesis stream"
        );
    }

    /// A DynamoDB stream ARN gives its table and label.
    #[test]
    fn reads_the_table_and_label_of_a_dynamodb_stream() {
        let stream = arn(
            "arn:aws:dynamodb:us-east-1:123456789012:table/Orders/stream/2026-11-23T10:15:42.318",
        );
        assert_eq!(
            stream.dynamodb_stream(),
            Some(DynamoDbStream {
                table: "Orders",
                label: "2026-11-23T10:15:42.318"
            })
        );
        assert_eq!(
            arn("arn:aws:dynamodb:us-east-1:123456789012:table/Orders").dynamodb_stream(),
            None
        );
        assert_eq!(arn(STREAM).dynamodb_stream(), None);
    }

    /// A function ARN gives its name, and its qualifier when it has one.
    #[test]
    fn reads_the_name_and_qualifier_of_a_function() {
        let plain = arn("arn:aws:lambda:eu-west-1:123456789012:function:processor");
        assert_eq!(
            plain.lambda_function(),
            Some(LambdaFunction {
                name: "processor",
                qualifier: None
            })
        );
        let qualified = arn("arn:aws:lambda:eu-west-1:123456789012:function:processor:$LATEST");
        assert_eq!(
            qualified.lambda_function(),
            Some(LambdaFunction {
                name: "processor",
                qualifier: Some("$LATEST")
            })
        );
        for other in [
            "arn:aws:lambda:eu-west-1:123456789012:function:",
            "arn:aws:lambda:eu-west-1:123456789012:function:p:1:2",
            "arn:aws:lambda:eu-west-1:123456789012:layer:l:1",
            STREAM,
        ] {
            assert_eq!(arn(other).lambda_function(), None, "{other}");
        }
        assert!(Arn::parse_lambda_function("processor").is_err());
    }
}
