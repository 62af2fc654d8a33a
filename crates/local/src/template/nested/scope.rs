//! A nested template's values rewritten into the parent's terms: passed
//! parameters, decided `Fn::If`s, `AWS::NoValue` and `${Parameter}` in
//! `!Sub`.

use std::collections::BTreeMap;

use serde_norway::Value;
use serde_norway::value::TaggedValue;

use super::conditions::Conditions;
use super::{intrinsic, sub_text, substitute_text, tagged};

/// The nested template's values rewritten into the parent's terms.
pub(super) struct Scope<'a> {
    pub(super) values: &'a BTreeMap<String, Value>,
    pub(super) conditions: &'a Conditions,
}

impl Scope<'_> {
    /// A resource or output: `None` when its condition is false.
    pub(super) fn deploy_entry(&self, entry: &Value) -> Option<Value> {
        let mut entry = entry.clone();
        if let Some(mapping) = entry.as_mapping_mut()
            && let Some(condition) = mapping
                .get("Condition")
                .and_then(Value::as_str)
                .map(str::to_owned)
        {
            match self.conditions.get(&condition) {
                Some(false) => return None,
                Some(true) => {
                    mapping.remove("Condition");
                }
                None => {}
            }
        }
        self.substitute(&entry)
    }

    /// The value with parameters, decided `Fn::If`s and `AWS::NoValue`
    /// resolved; `None` for `AWS::NoValue`.
    fn substitute(&self, value: &Value) -> Option<Value> {
        if let Some(name) = intrinsic(value, "Ref").and_then(Value::as_str) {
            if name == "AWS::NoValue" {
                return None;
            }
            if let Some(passed) = self.values.get(name) {
                return Some(passed.clone());
            }
        }
        if let Some([condition, when_true, when_false]) = intrinsic(value, "If")
            .and_then(Value::as_sequence)
            .map(Vec::as_slice)
            && let Some(truth) = condition
                .as_str()
                .and_then(|name| self.conditions.get(name))
        {
            return self.substitute(if truth { when_true } else { when_false });
        }
        if let Some(text) = intrinsic(value, "Sub").and_then(Value::as_str) {
            let text = substitute_text(text, |name| {
                let passed = self.values.get(name)?;
                sub_text(passed)
            });
            return Some(tagged("Sub", Value::String(text)));
        }
        Some(match value {
            Value::Sequence(items) => Value::Sequence(
                items
                    .iter()
                    .filter_map(|item| self.substitute(item))
                    .collect(),
            ),
            Value::Mapping(mapping) => Value::Mapping(
                mapping
                    .iter()
                    .filter_map(|(key, value)| Some((key.clone(), self.substitute(value)?)))
                    .collect(),
            ),
            Value::Tagged(inner) => Value::Tagged(Box::new(TaggedValue {
                tag: inner.tag.clone(),
                value: self.substitute(&inner.value)?,
            })),
            other => other.clone(),
        })
    }
}
