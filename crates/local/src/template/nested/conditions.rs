//! A nested template's conditions, decided where the parameters the parent
//! passes decide them (`FailureSource: CreateTopic`); a condition that turns
//! on something only a deployment knows stays undecided.

use std::collections::BTreeMap;

use serde_norway::{Mapping, Value};

use super::intrinsic;
use crate::template::value::{reference, scalar, static_scalar};

/// What a condition compares: text known before deployment, a resource's
/// attribute (never empty), or something unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Text {
    Known(String),
    NonEmpty,
    Unknown,
}

/// The nested template's conditions, where they can be decided.
pub(super) struct Conditions(BTreeMap<String, Option<bool>>);

impl Conditions {
    pub(super) fn evaluate(
        template: &Value,
        values: &BTreeMap<String, Value>,
        parent_parameters: &BTreeMap<String, String>,
    ) -> Self {
        let declared = template
            .get("Conditions")
            .and_then(Value::as_mapping)
            .cloned()
            .unwrap_or_default();
        let mut evaluator = Evaluator {
            declared: &declared,
            values,
            parent_parameters,
            decided: BTreeMap::new(),
        };
        let names: Vec<String> = declared
            .keys()
            .filter_map(|name| name.as_str().map(str::to_owned))
            .collect();
        for name in &names {
            evaluator.condition(name, 0);
        }
        Self(evaluator.decided)
    }

    pub(super) fn get(&self, name: &str) -> Option<bool> {
        self.0.get(name).copied().flatten()
    }
}

struct Evaluator<'a> {
    declared: &'a Mapping,
    values: &'a BTreeMap<String, Value>,
    parent_parameters: &'a BTreeMap<String, String>,
    decided: BTreeMap<String, Option<bool>>,
}

impl Evaluator<'_> {
    fn condition(&mut self, name: &str, depth: usize) -> Option<bool> {
        if let Some(decided) = self.decided.get(name) {
            return *decided;
        }
        let decided = match self.declared.get(name) {
            Some(node) if depth < 32 => self.truth(&node.clone(), depth + 1),
            _ => None,
        };
        self.decided.insert(name.to_owned(), decided);
        decided
    }

    fn truth(&mut self, node: &Value, depth: usize) -> Option<bool> {
        if let Some(name) = intrinsic(node, "Condition").and_then(Value::as_str) {
            return self.condition(name, depth);
        }
        let arguments = |name| intrinsic(node, name).and_then(Value::as_sequence);
        if let Some([inner]) = arguments("Not").map(Vec::as_slice) {
            return self.truth(inner, depth).map(|truth| !truth);
        }
        if let Some(items) = arguments("And") {
            let truths: Vec<Option<bool>> =
                items.iter().map(|item| self.truth(item, depth)).collect();
            return if truths.contains(&Some(false)) {
                Some(false)
            } else {
                truths.iter().all(Option::is_some).then_some(true)
            };
        }
        if let Some(items) = arguments("Or") {
            let truths: Vec<Option<bool>> =
                items.iter().map(|item| self.truth(item, depth)).collect();
            return if truths.contains(&Some(true)) {
                Some(true)
            } else {
                truths.iter().all(Option::is_some).then_some(false)
            };
        }
        if let Some([left, right]) = arguments("Equals").map(Vec::as_slice) {
            return match (self.text(left), self.text(right)) {
                (Text::Known(left), Text::Known(right)) => Some(left == right),
                (Text::NonEmpty, Text::Known(text)) | (Text::Known(text), Text::NonEmpty)
                    if text.is_empty() =>
                {
                    Some(false)
                }
                _ => None,
            };
        }
        None
    }

    /// A value as conditions see it, nested parameters substituted.
    fn text(&self, value: &Value) -> Text {
        if let Some(name) = intrinsic(value, "Ref").and_then(Value::as_str)
            && let Some(passed) = self.values.get(name)
        {
            return self.parent_text(passed);
        }
        if let Some([separator, items]) = intrinsic(value, "Join")
            .and_then(Value::as_sequence)
            .map(Vec::as_slice)
        {
            let items: Vec<Text> = match self.list(items) {
                Some(items) => items,
                None => return Text::Unknown,
            };
            return join(separator.as_str().unwrap_or_default(), &items);
        }
        scalar(value).map_or(Text::Unknown, Text::Known)
    }

    /// The items of a list value (`!Ref ListParameter` or a literal list).
    fn list(&self, value: &Value) -> Option<Vec<Text>> {
        let value = match intrinsic(value, "Ref").and_then(Value::as_str) {
            Some(name) => self.values.get(name)?,
            None => value,
        };
        Some(
            value
                .as_sequence()?
                .iter()
                .map(|item| self.parent_text(item))
                .collect(),
        )
    }

    /// A value the parent passed, in the parent's terms: a literal, a
    /// parameter of the parent (its default), or a resource's attribute.
    fn parent_text(&self, value: &Value) -> Text {
        if let Value::Sequence(items) = value {
            let items: Vec<Text> = items.iter().map(|item| self.parent_text(item)).collect();
            return join(",", &items);
        }
        if let Some(text) = static_scalar(value, self.parent_parameters) {
            return Text::Known(text);
        }
        match reference(value) {
            Some(reference) if reference.attribute.is_some() => Text::NonEmpty,
            Some(reference)
                if !self.parent_parameters.contains_key(&reference.logical_id)
                    && !reference.logical_id.starts_with("AWS::") =>
            {
                Text::NonEmpty
            }
            _ => Text::Unknown,
        }
    }
}

fn join(separator: &str, items: &[Text]) -> Text {
    if items.contains(&Text::NonEmpty) {
        return Text::NonEmpty;
    }
    let known: Option<Vec<&str>> = items
        .iter()
        .map(|item| match item {
            Text::Known(text) => Some(text.as_str()),
            _ => None,
        })
        .collect();
    known.map_or(Text::Unknown, |known| Text::Known(known.join(separator)))
}
