//! `streamdlq put-records`: records into the stream, from a file or
//! generated, in full PutRecords calls with partial failures retried.

use std::path::PathBuf;

use anyhow::{Context as _, anyhow, bail};
use clap::Args;
use serde::Serialize;

use crate::aws_error;
use crate::discovery::{DiscoveryArgs, Resources};
use crate::generate::{Generate, generate, smallest_size};
use crate::input::read_records_file;
use crate::progress::records_bar;
use crate::put::{KinesisStreamWriter, OrderedPut, PutEntry, PutOptions, PutReport};
use crate::stream::StreamId;
use crate::view::human;

/// Put records into the stream: from a PutRecords input file, or generated
///
/// Records go out in PutRecords calls of up to 500 records and 10 MiB.
/// Records Kinesis fails are put again (with backoff), ahead of every later
/// record of their partition key, which waits until they are through.
#[derive(Debug, Clone, Args)]
pub struct PutRecordsArgs {
    /// PutRecords input file: a JSON array of {"Data": base64, "PartitionKey": …}
    /// as `aws kinesis put-records --records file://…` takes; `-` reads stdin
    #[arg(long, short, value_name = "PATH", conflicts_with_all = ["count", "binary"])]
    pub file: Option<PathBuf>,

    /// Generate this many records: periodic-table elements, the demo
    /// processor's schema
    #[arg(long, value_name = "N", value_parser = parse_count)]
    pub count: Option<usize>,

    /// Pad generated records to this many bytes
    #[arg(long, value_name = "BYTES", requires = "count")]
    pub size: Option<usize>,

    /// Make generated record N (from 1) a poison pill: its AtomicMass is a
    /// JSON string, which the strict processor refuses
    #[arg(long, value_name = "N", requires = "count", conflicts_with = "binary")]
    pub poison_pill: Option<usize>,

    /// Generate random binary payloads instead of elements
    #[arg(long, requires = "count")]
    pub binary: bool,

    /// Spread generated records round robin over this many partition keys
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub partition_keys: u32,

    /// One record per partition key and call: a later record is only sent
    /// once every earlier record of its key was accepted (more calls)
    #[arg(long)]
    pub strict_order: bool,

    /// Print the summary as JSON
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub resources: DiscoveryArgs,
}

/// The summary, as `--json` prints it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PutSummary<'a> {
    stream: String,
    records: usize,
    bytes: usize,
    calls: usize,
    retries: usize,
    out_of_order: usize,
    shards: &'a std::collections::BTreeMap<String, usize>,
    /// Records not written because the run stopped early.
    not_written: usize,
}

impl PutRecordsArgs {
    pub async fn run(self) -> anyhow::Result<()> {
        let entries = self.entries()?;
        let resources = Resources::discover(&self.resources).await?;
        let stream = resources.stream()?.clone();
        aws_error::ensure_reachable(&resources.kinesis_config, "KINESIS")?;
        let writer = KinesisStreamWriter::new(resources.kinesis_client());
        let options = PutOptions {
            strict_order: self.strict_order,
            ..PutOptions::default()
        };
        let mut put = OrderedPut::new(stream.clone(), entries, options)?;
        let progress = records_bar(put.remaining(), !self.json);
        let result = put
            .finish(&writer, |step| progress.inc(step.accepted.len() as u64))
            .await;
        progress.finish_and_clear();
        self.print(&stream, put.report(), put.remaining())?;
        result
            .map_err(|error| anyhow!(error))
            .with_context(|| format!("{} records were not written", put.remaining()))
    }

    fn entries(&self) -> anyhow::Result<Vec<PutEntry>> {
        match (&self.file, self.count) {
            (Some(path), _) => read_records_file(path),
            (None, Some(count)) => {
                if let Some(n) = self.poison_pill
                    && (n == 0 || n > count)
                {
                    bail!(
                        "--poison-pill {n} is not one of the {count} records (they count from 1)"
                    );
                }
                let spec = Generate {
                    count,
                    size: self.size,
                    poison_pill: self.poison_pill,
                    binary: self.binary,
                    partition_keys: self.partition_keys as usize,
                };
                if let (Some(size), Some(smallest)) = (self.size, smallest_size(&spec))
                    && size < smallest
                {
                    bail!(
                        "--size {size} is smaller than the records: the longest is {smallest} \
                         bytes before padding (give at least {smallest}, or --binary)"
                    );
                }
                Ok(generate(&spec))
            }
            (None, None) => bail!("nothing to put: pass --file PATH or --count N"),
        }
    }

    fn print(
        &self,
        stream: &StreamId,
        report: &PutReport,
        not_written: usize,
    ) -> anyhow::Result<()> {
        if self.json {
            let summary = PutSummary {
                stream: stream.to_string(),
                records: report.records,
                bytes: report.bytes,
                calls: report.calls,
                retries: report.retries,
                out_of_order: report.out_of_order,
                shards: &report.shards,
                not_written,
            };
            println!("{}", serde_json::to_string(&summary)?);
            return Ok(());
        }
        println!(
            "put {} ({}) into {}: {}, {}",
            human::count(report.records, "record", "records"),
            human::size(report.bytes),
            stream.name(),
            human::count(report.calls, "PutRecords call", "PutRecords calls"),
            human::count(report.retries, "retry", "retries"),
        );
        for (shard, count) in &report.shards {
            println!("  {shard}  {}", human::count(*count, "record", "records"));
        }
        if report.out_of_order > 0 {
            println!(
                "  {} records were accepted ahead of an earlier record of their partition key \
                 that Kinesis failed in the same call (use --strict-order to rule this out)",
                report.out_of_order
            );
        }
        Ok(())
    }
}

fn parse_count(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("0 records would put nothing: give 1 or more".to_owned()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("{text:?} is not a number of records")),
    }
}

pub(crate) fn plural<'a>(count: usize, one: &'a str, many: &'a str) -> &'a str {
    if count == 1 { one } else { many }
}
