//! `streamdlq audit` against a live Lambda API: moto in server mode creates
//! functions and event source mappings (it cannot invoke them), which is
//! all the audit reads. Each test starts its own moto, so the account holds
//! exactly the mappings the test made.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Command, Output};

use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{
    DestinationConfig, Environment, FunctionCode, FunctionResponseType, OnFailure, Runtime,
};
use serde_json::Value;
use streamdlq_emulators::sdk::{ACCESS_KEY_ID, ACCOUNT_ID, REGION, SECRET_ACCESS_KEY};
use streamdlq_emulators::{EmulatorOptions, Moto};

/// An empty zip archive: moto stores the code, never runs it.
const EMPTY_ZIP: [u8; 22] = *b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";

struct Account {
    moto: Moto,
    lambda: aws_sdk_lambda::Client,
    kinesis: aws_sdk_kinesis::Client,
    sns: aws_sdk_sns::Client,
    sqs: aws_sdk_sqs::Client,
    role: String,
}

/// The settings a mapping is created with.
struct MappingSettings {
    retries: i32,
    bisect: bool,
    partial: bool,
    parallel: i32,
    destination: String,
}

impl Account {
    async fn start() -> Self {
        let options = EmulatorOptions::from_env().expect("emulator tools installed");
        let moto = Moto::start(&options).await.expect("moto starts");
        let config = moto.sdk_config();
        let role = create_role(moto.endpoint_url(), "audit-function");
        Self {
            lambda: aws_sdk_lambda::Client::new(&config),
            kinesis: aws_sdk_kinesis::Client::new(&config),
            sns: aws_sdk_sns::Client::new(&config),
            sqs: aws_sdk_sqs::Client::new(&config),
            role,
            moto,
        }
    }

    /// A stream with `hours` of retention; returns its ARN.
    async fn stream(&self, name: &str, hours: i32) -> String {
        self.kinesis
            .create_stream()
            .stream_name(name)
            .shard_count(1)
            .send()
            .await
            .expect("stream");
        if hours > 24 {
            self.kinesis
                .increase_stream_retention_period()
                .stream_name(name)
                .retention_period_hours(hours)
                .send()
                .await
                .expect("retention");
        }
        format!("arn:aws:kinesis:{REGION}:{ACCOUNT_ID}:stream/{name}")
    }

    async fn function(&self, name: &str, variables: &[(&str, &str)]) -> String {
        let mut environment = Environment::builder();
        for (key, value) in variables {
            environment = environment.variables(*key, *value);
        }
        self.lambda
            .create_function()
            .function_name(name)
            .runtime(Runtime::Providedal2023)
            .handler("bootstrap")
            .role(&self.role)
            .code(
                FunctionCode::builder()
                    .zip_file(Blob::new(EMPTY_ZIP.to_vec()))
                    .build(),
            )
            .environment(environment.build())
            .send()
            .await
            .expect("function")
            .function_arn
            .expect("function arn")
    }

    /// Creates a mapping; returns its UUID.
    async fn mapping(&self, function: &str, stream: &str, settings: MappingSettings) -> String {
        let mut request = self
            .lambda
            .create_event_source_mapping()
            .function_name(function)
            .event_source_arn(stream)
            .starting_position(aws_sdk_lambda::types::EventSourcePosition::TrimHorizon)
            .maximum_retry_attempts(settings.retries)
            .maximum_record_age_in_seconds(3600)
            .bisect_batch_on_function_error(settings.bisect)
            .parallelization_factor(settings.parallel)
            .destination_config(
                DestinationConfig::builder()
                    .on_failure(
                        OnFailure::builder()
                            .destination(settings.destination)
                            .build(),
                    )
                    .build(),
            );
        if settings.partial {
            request =
                request.function_response_types(FunctionResponseType::ReportBatchItemFailures);
        }
        request.send().await.expect("mapping").uuid.expect("uuid")
    }

    /// A topic the hydrate function `hydrate` is subscribed to.
    async fn hydrated_topic(&self, name: &str, hydrate: &str) -> String {
        let topic = self
            .sns
            .create_topic()
            .name(name)
            .send()
            .await
            .expect("topic")
            .topic_arn
            .expect("arn");
        self.sns
            .subscribe()
            .topic_arn(&topic)
            .protocol("lambda")
            .endpoint(hydrate)
            .send()
            .await
            .expect("subscription");
        topic
    }

    /// Runs `streamdlq audit` against this account.
    fn audit(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_streamdlq"))
            .arg("audit")
            .args(args)
            .env("AWS_ENDPOINT_URL", self.moto.endpoint_url())
            .env("AWS_REGION", REGION)
            .env("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("AWS_PROFILE")
            .env_remove("STREAMDLQ_STACK")
            .output()
            .expect("streamdlq runs")
    }
}

/// IAM CreateRole in the query protocol over plain HTTP: moto checks that a
/// function's role exists, and the workspace has no IAM client.
fn create_role(endpoint: &str, name: &str) -> String {
    let address = endpoint.trim_start_matches("http://");
    let body = format!(
        "Action=CreateRole&Version=2010-05-08&RoleName={name}&AssumeRolePolicyDocument=%7B%7D"
    );
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential={ACCESS_KEY_ID}/20260101/{REGION}/iam/aws4_request, SignedHeaders=host, Signature=0\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut connection = TcpStream::connect(address).expect("connect to moto");
    connection
        .write_all(request.as_bytes())
        .expect("send CreateRole");
    let mut response = String::new();
    connection
        .read_to_string(&mut response)
        .expect("read CreateRole");
    assert!(
        response.starts_with("HTTP/1.1 200"),
        "CreateRole failed: {response}"
    );
    format!("arn:aws:iam::{ACCOUNT_ID}:role/{name}")
}

fn report(output: &Output) -> Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(&stdout).unwrap_or_else(|error| panic!("not JSON ({error}): {stdout}"))
}

/// The check ids raised for the mapping `uuid`, sorted.
fn checks_of(report: &Value, uuid: &str) -> Vec<String> {
    let mut checks: Vec<String> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|finding| {
            finding["mapping"]
                .as_str()
                .is_some_and(|m| m.starts_with(uuid))
        })
        .map(|finding| finding["check"].as_str().unwrap_or_default().to_owned())
        .collect();
    checks.sort();
    checks
}

/// A mapping that keeps every rule, hydrated by a function whose allowlist
/// holds its stream (retention read from the stream: 168 h), audits clean
/// and exits with 0.
#[tokio::test]
async fn clean_account_audits_clean_and_exits_zero() {
    let account = Account::start().await;
    let stream = account.stream("orders", 168).await;
    let hydrate = account
        .function(
            "hydrate",
            &[
                ("ALLOWED_STREAM_ARNS", &stream),
                ("DLQ_URL", "https://example.com/dlq"),
            ],
        )
        .await;
    let topic = account.hydrated_topic("failures", &hydrate).await;
    let processor = account.function("processor", &[]).await;
    let settings = MappingSettings {
        retries: 3,
        bisect: true,
        partial: true,
        parallel: 1,
        destination: topic,
    };
    account.mapping(&processor, &stream, settings).await;

    let output = account.audit(&["--json"]);

    let report = report(&output);
    assert_eq!(output.status.code(), Some(0), "{report}");
    assert_eq!(report["mappings"], 1);
    assert_eq!(report["hydrators"], 1);
    assert_eq!(report["findings"], serde_json::json!([]));
    assert_eq!(report["notes"], serde_json::json!([]));
    account.moto.stop().await.expect("moto stops");
}

/// Mappings with bad settings raise the right findings, with
/// `update-event-source-mapping` fixes, and the audit exits with 1.
#[tokio::test]
async fn bad_mappings_raise_their_findings_and_exit_one() {
    let account = Account::start().await;
    let orders = account.stream("orders", 168).await;
    let clicks = account.stream("clicks", 24).await;
    let hydrate = account
        .function(
            "hydrate",
            &[
                ("ALLOWED_STREAM_ARNS", &orders),
                ("DLQ_URL", "https://example.com/dlq"),
            ],
        )
        .await;
    let topic = account.hydrated_topic("failures", &hydrate).await;
    let queue_url = account
        .sqs
        .create_queue()
        .queue_name("onfailure")
        .send()
        .await
        .expect("queue")
        .queue_url
        .expect("url");
    let queue = format!("arn:aws:sqs:{REGION}:{ACCOUNT_ID}:onfailure");
    assert!(queue_url.ends_with("/onfailure"));
    let processor = account.function("processor", &[]).await;

    // The one mistake: an SQS destination nothing hydrates, with every
    // other setting wrong too, on a 24 h stream.
    let unhydrated = account
        .mapping(
            &processor,
            &clicks,
            MappingSettings {
                retries: -1,
                bisect: false,
                partial: false,
                parallel: 2,
                destination: queue,
            },
        )
        .await;
    // Hydrated by a function that may not read this stream.
    let not_allowed = account
        .mapping(
            &processor,
            &clicks,
            MappingSettings {
                retries: 3,
                bisect: true,
                partial: true,
                parallel: 1,
                destination: topic,
            },
        )
        .await;

    let output = account.audit(&["--json"]);

    let report = report(&output);
    assert_eq!(output.status.code(), Some(1), "{report}");
    assert_eq!(
        checks_of(&report, &unhydrated),
        [
            "bisect-off",
            "no-partial-batch-response",
            "parallel-batches-per-shard",
            "short-retention",
            "unhydrated-destination",
            "unlimited-retries",
        ]
    );
    assert_eq!(
        checks_of(&report, &not_allowed),
        ["allowlist-lacks-stream", "short-retention"]
    );
    assert_eq!(report["errors"], 3);
    let retries = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|finding| finding["check"] == "unlimited-retries")
        .expect("unlimited retries");
    assert_eq!(retries["severity"], "error");
    assert_eq!(
        retries["fix"],
        format!(
            "aws lambda update-event-source-mapping --uuid {unhydrated} --maximum-retry-attempts 3"
        )
    );

    // --fail-on warning changes nothing here; the table names the mapping.
    let table = account.audit(&["--fail-on", "warning"]);
    assert_eq!(table.status.code(), Some(1));
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains(&format!("{unhydrated} (processor)")),
        "{text}"
    );
    account.moto.stop().await.expect("moto stops");
}
