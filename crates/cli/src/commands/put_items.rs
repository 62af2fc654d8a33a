//! `streamdlq put-items`: generated elements into the demo table, one
//! PutItem each, in order, so that its stream carries them in that order
//! and the table processor's mapping delivers them.

use std::collections::HashMap;

use anyhow::{Context as _, bail};
use aws_sdk_dynamodb::types::AttributeValue;
use clap::Args;
use serde::Serialize;
use streamdlq_local::LocalState;

use crate::aws_error;
use crate::discovery::{DiscoveryArgs, Origin, Resources};
use crate::generate::element_fields;
use crate::view::human;

/// The variable that names the table, as `streamdlq local up` exports it.
pub const TABLE_NAME_VARIABLE: &str = "STREAMDLQ_TABLE_NAME";

/// Put generated periodic-table elements into the demo table, one item each
///
/// Items are keyed by AtomicNumber; item N (from 1) is element N of the
/// first twenty, its number counting on past twenty (so every item is new,
/// an INSERT in the table's stream). The table comes from --table, then
/// STREAMDLQ_TABLE_NAME, then the local stack's state file.
#[derive(Debug, Clone, Args)]
pub struct PutItemsArgs {
    /// How many items to put
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub count: u32,

    /// Make item N (from 1) a poison pill: its AtomicMass is a string
    /// ({"S": …}), which the strict table processor refuses
    #[arg(long, value_name = "N")]
    pub poison_pill: Option<u32>,

    /// The table to put into (default: STREAMDLQ_TABLE_NAME, then the
    /// local stack's table)
    #[arg(long, value_name = "NAME")]
    pub table: Option<String>,

    /// Print the summary as JSON
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub resources: DiscoveryArgs,
}

/// The summary, as `--json` prints it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PutItemsSummary<'a> {
    table: &'a str,
    items: u32,
    calls: u32,
    poison_pill: Option<u32>,
}

impl PutItemsArgs {
    pub async fn run(self) -> anyhow::Result<()> {
        if let Some(n) = self.poison_pill
            && (n == 0 || n > self.count)
        {
            bail!(
                "--poison-pill {n} is not one of the {} items (they count from 1)",
                self.count
            );
        }
        let resources = Resources::discover(&self.resources).await?;
        let table = self.table(&resources)?;
        // DynamoDB is served where the queues are (moto, locally).
        let config = &resources.sqs_config;
        aws_error::ensure_reachable(config, "DYNAMODB")?;
        let client = aws_sdk_dynamodb::Client::new(config);
        for n in 1..=self.count {
            client
                .put_item()
                .table_name(&table)
                .set_item(Some(item(n, self.poison_pill == Some(n))))
                .send()
                .await
                .map_err(|error| anyhow::anyhow!(aws_error::describe(&error)))
                .with_context(|| {
                    format!(
                        "PutItem of item {n} into table {table} failed; {} of {} items were put",
                        n - 1,
                        self.count
                    )
                })?;
        }
        if self.json {
            let summary = PutItemsSummary {
                table: &table,
                items: self.count,
                calls: self.count,
                poison_pill: self.poison_pill,
            };
            println!("{}", serde_json::to_string(&summary)?);
        } else {
            println!(
                "put {} into table {table}: {}",
                human::count(self.count as usize, "item", "items"),
                human::count(self.count as usize, "PutItem call", "PutItem calls"),
            );
        }
        Ok(())
    }

    /// The table: the flag, the variable, then the local stack's.
    fn table(&self, resources: &Resources) -> anyhow::Result<String> {
        if let Some(table) = &self.table {
            return Ok(table.clone());
        }
        if let Ok(table) = std::env::var(TABLE_NAME_VARIABLE)
            && !table.is_empty()
        {
            return Ok(table);
        }
        if let Origin::Local { state_file } = &resources.origin {
            let state = LocalState::load_from(state_file)?;
            return state.table.map(|table| table.name).with_context(|| {
                format!(
                    "the local stack in {} has no table: its template declares none; pass --table",
                    state_file.display()
                )
            });
        }
        bail!(
            "no table found: pass --table NAME, set {TABLE_NAME_VARIABLE}, or run `streamdlq local up`"
        )
    }
}

/// Item `n` (from 1) in DynamoDB's attribute values.
fn item(n: u32, poison: bool) -> HashMap<String, AttributeValue> {
    let (_, name, symbol, mass) = element_fields(n as usize);
    let mass = if poison {
        AttributeValue::S(mass.to_owned())
    } else {
        AttributeValue::N(mass.to_owned())
    };
    HashMap::from([
        ("AtomicNumber".to_owned(), AttributeValue::N(n.to_string())),
        ("Element".to_owned(), AttributeValue::S(name.to_owned())),
        ("Symbol".to_owned(), AttributeValue::S(symbol.to_owned())),
        ("AtomicMass".to_owned(), mass),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The poison item sends AtomicMass as a string, every other item as a
    /// number; keys are the item's position.
    #[test]
    fn makes_the_poison_item_send_its_mass_as_a_string() {
        let good = item(3, false);
        let poison = item(5, true);
        assert_eq!(good["AtomicMass"], AttributeValue::N("6.94".to_owned()));
        assert_eq!(poison["AtomicMass"], AttributeValue::S("10.811".to_owned()));
        assert_eq!(poison["AtomicNumber"], AttributeValue::N("5".to_owned()));
        assert_eq!(
            item(25, false)["AtomicNumber"],
            AttributeValue::N("25".to_owned())
        );
    }
}
