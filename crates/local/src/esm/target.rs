//! [`EsmTarget`]: what an event source mapping connects — a stream, a
//! function, and the role the function runs as.

use super::config::EsmConfigError;

/// What the mapping connects: a stream, a function, and the role the
/// function runs as (it appears in every record as `invokeIdentityArn`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EsmTarget {
    pub stream_arn: String,
    pub function_arn: String,
    pub invoke_identity_arn: String,
}

impl EsmTarget {
    /// The mapping from `stream_arn` to `function_arn`, the function
    /// running as the role `<function name>-role` of the stream's account.
    pub fn new(
        stream_arn: impl Into<String>,
        function_arn: impl Into<String>,
    ) -> Result<Self, EsmConfigError> {
        let (stream_arn, function_arn) = (stream_arn.into(), function_arn.into());
        let stream = Arn::parse(&stream_arn, "kinesis", "stream/")
            .ok_or_else(|| EsmConfigError::InvalidArn(stream_arn.clone()))?;
        let function = Arn::parse(&function_arn, "lambda", "function:")
            .ok_or_else(|| EsmConfigError::InvalidArn(function_arn.clone()))?;
        let invoke_identity_arn = format!(
            "arn:{}:iam::{}:role/{}-role",
            stream.partition, stream.account, function.name
        );
        Ok(Self {
            stream_arn,
            function_arn,
            invoke_identity_arn,
        })
    }

    /// The region of the stream, from its ARN.
    pub fn region(&self) -> Option<&str> {
        Arn::parse(&self.stream_arn, "kinesis", "stream/").map(|arn| arn.region)
    }
}

/// The parts of an ARN the mapping needs.
struct Arn<'a> {
    partition: &'a str,
    region: &'a str,
    account: &'a str,
    name: &'a str,
}

impl<'a> Arn<'a> {
    /// `arn:<partition>:<service>:<region>:<account>:<prefix><name>`.
    fn parse(arn: &'a str, service: &str, prefix: &str) -> Option<Self> {
        let mut parts = arn.splitn(6, ':');
        let (scheme, partition, arn_service, region, account, resource) = (
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
        );
        // A function ARN may carry a version or alias after the name.
        let name = resource.strip_prefix(prefix)?.split(':').next()?;
        (scheme == "arn"
            && arn_service == service
            && !region.is_empty()
            && !account.is_empty()
            && !name.is_empty())
        .then_some(Self {
            partition,
            region,
            account,
            name,
        })
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
        assert_eq!(target.region(), Some("eu-west-1"));
        assert_eq!(
            target.invoke_identity_arn,
            "arn:aws:iam::123456789012:role/processor-role"
        );
    }

    /// Anything but a Kinesis stream ARN and a function ARN is refused.
    #[test]
    fn refuses_arns_of_the_wrong_kind() {
        let function = "arn:aws:lambda:eu-west-1:123456789012:function:processor";
        for stream in [
            "orders",
            "arn:aws:sqs:eu-west-1:123456789012:orders",
            "arn:aws:kinesis:eu-west-1:123456789012:table/orders",
            "arn:aws:kinesis::123456789012:stream/orders",
        ] {
            assert_eq!(
                EsmTarget::new(stream, function),
                Err(EsmConfigError::InvalidArn(stream.to_owned()))
            );
        }
        assert!(EsmTarget::new("arn:aws:kinesis:eu-west-1:1:stream/o", "processor").is_err());
    }
}
