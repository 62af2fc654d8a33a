//! Nested applications: an `AWS::Serverless::Application` whose `Location`
//! is a local template (`infra/template.yaml` nests `infra/hydrator.yaml`)
//! is read as part of the template that nests it, so the local stack and
//! `streamdlq audit` see the whole stack as one template.
//!
//! [`flatten`] follows each such application, as CloudFormation would deploy
//! it with the parameters it is given, and returns one template:
//!
//! - the nested template's `!Ref Parameter` becomes the value the parent
//!   passes (an expression of the parent: `!GetAtt Stream.Arn`), or the
//!   parameter's default; a `CommaDelimitedList` becomes a list;
//! - its conditions are evaluated where the parameters decide them
//!   (`FailureSource: CreateTopic`), `Fn::If` takes its branch and
//!   `AWS::NoValue` disappears, and resources and outputs whose condition is
//!   false are left out; a condition nothing here can decide leaves its
//!   resource and `Fn::If` as written;
//! - its resources join the parent's under their own logical ids (a clash is
//!   an error), so the ids the local stack reads (`FailureTopic`,
//!   `HydrateFunction`…) keep their meaning and physical names;
//! - the parent's `!GetAtt App.Outputs.Name` (and `${App.Outputs.Name}` in
//!   `!Sub`) becomes the output's value.
//!
//! The parent's parameters keep their defaults: a value the parent passes as
//! `!Ref Parameter` resolves through them later, as any other.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_norway::value::{Tag, TaggedValue};
use serde_norway::{Mapping, Value};

use super::TemplateError;
use super::value::{reference, scalar, static_scalar};

/// The resource type of a nested application.
pub const APPLICATION: &str = "AWS::Serverless::Application";

/// How deep applications may nest in each other: a template that nests
/// itself must fail, not recurse forever.
const MAX_DEPTH: usize = 4;

/// The template `root` with every nested application that has a local
/// `Location` read into it. `base_dir` is the directory of the template,
/// against which `Location` is resolved; without it, a nested application is
/// an error.
pub fn flatten(root: Value, base_dir: Option<&Path>) -> Result<Value, TemplateError> {
    flatten_at(root, base_dir, 0)
}

fn flatten_at(
    mut root: Value,
    base_dir: Option<&Path>,
    depth: usize,
) -> Result<Value, TemplateError> {
    let applications: Vec<(String, Value)> = resources(&root)
        .into_iter()
        .flatten()
        .filter(|(_, resource)| resource.get("Type").and_then(Value::as_str) == Some(APPLICATION))
        .filter_map(|(id, resource)| Some((id.as_str()?.to_owned(), resource.clone())))
        .collect();
    if applications.is_empty() {
        return Ok(root);
    }
    let parent_parameters = super::parameter_defaults(&root);
    let mut outputs: BTreeMap<String, BTreeMap<String, Value>> = BTreeMap::new();
    for (application, resource) in applications {
        let nested = Nested::read(&application, &resource, base_dir, depth)?;
        let (nested_resources, nested_outputs) = nested.deploy(&parent_parameters)?;
        let parent = root
            .get_mut("Resources")
            .and_then(Value::as_mapping_mut)
            .expect("the application was found among the resources");
        parent.remove(application.as_str());
        for (id, resource) in nested_resources {
            if parent.contains_key(id.as_str()) {
                return Err(nested_error(
                    &application,
                    format!(
                        "its resource {id} has the logical id of a resource of the parent template"
                    ),
                ));
            }
            parent.insert(Value::String(id), resource);
        }
        outputs.insert(application, nested_outputs);
    }
    replace_outputs(&mut root, &outputs)?;
    Ok(root)
}

fn resources(root: &Value) -> Option<&Mapping> {
    root.get("Resources").and_then(Value::as_mapping)
}

fn nested_error(application: &str, reason: impl Into<String>) -> TemplateError {
    TemplateError::Nested {
        application: application.to_owned(),
        reason: reason.into(),
    }
}

/// A nested template as deployed: its resources by logical id, and its
/// outputs' values by name.
type Deployed = (Vec<(String, Value)>, BTreeMap<String, Value>);

/// One nested application: its template and what the parent passes it.
struct Nested {
    application: String,
    template: Value,
    passed: Mapping,
}

impl Nested {
    fn read(
        application: &str,
        resource: &Value,
        base_dir: Option<&Path>,
        depth: usize,
    ) -> Result<Self, TemplateError> {
        let properties = resource.get("Properties");
        let location = properties
            .and_then(|properties| properties.get("Location"))
            .and_then(Value::as_str)
            .filter(|location| !location.contains("://"))
            .ok_or_else(|| {
                nested_error(
                    application,
                    "Location must be the path of a local template (a serverless application \
                     repository id or an S3 URL cannot be read offline)",
                )
            })?;
        let base_dir = base_dir.ok_or_else(|| {
            nested_error(
                application,
                format!("the nested template {location} is relative to a template file; read the template from its path"),
            )
        })?;
        if depth >= MAX_DEPTH {
            return Err(nested_error(
                application,
                format!(
                    "applications nest more than {MAX_DEPTH} deep (does a template nest itself?)"
                ),
            ));
        }
        let path: PathBuf = base_dir.join(location);
        let text = std::fs::read_to_string(&path).map_err(|source| TemplateError::Read {
            path: path.clone(),
            source,
        })?;
        let template: Value =
            serde_norway::from_str(&text).map_err(|source| TemplateError::NestedYaml {
                path: path.clone(),
                source,
            })?;
        let template = flatten_at(template, path.parent(), depth + 1)?;
        let passed = properties
            .and_then(|properties| properties.get("Parameters"))
            .and_then(Value::as_mapping)
            .cloned()
            .unwrap_or_default();
        Ok(Self {
            application: application.to_owned(),
            template,
            passed,
        })
    }

    /// The nested resources and outputs, as deployed with the passed
    /// parameters.
    fn deploy(
        &self,
        parent_parameters: &BTreeMap<String, String>,
    ) -> Result<Deployed, TemplateError> {
        let values = self.parameter_values()?;
        let conditions = Conditions::evaluate(&self.template, &values, parent_parameters);
        let scope = Scope {
            values: &values,
            conditions: &conditions,
        };
        let mut deployed = Vec::new();
        for (id, resource) in self
            .template
            .get("Resources")
            .and_then(Value::as_mapping)
            .into_iter()
            .flatten()
        {
            let Some(id) = id.as_str() else { continue };
            if let Some(resource) = scope.deploy_entry(resource) {
                deployed.push((id.to_owned(), resource));
            }
        }
        let mut outputs = BTreeMap::new();
        for (name, output) in self
            .template
            .get("Outputs")
            .and_then(Value::as_mapping)
            .into_iter()
            .flatten()
        {
            let Some(name) = name.as_str() else { continue };
            if let Some(value) = scope
                .deploy_entry(output)
                .and_then(|output| output.get("Value").cloned())
            {
                outputs.insert(name.to_owned(), value);
            }
        }
        Ok((deployed, outputs))
    }

    /// Each nested parameter's value: passed, else its default. A list
    /// parameter's value is a sequence.
    fn parameter_values(&self) -> Result<BTreeMap<String, Value>, TemplateError> {
        let declared = self
            .template
            .get("Parameters")
            .and_then(Value::as_mapping)
            .cloned()
            .unwrap_or_default();
        for name in self.passed.keys() {
            if !declared.contains_key(name) {
                return Err(nested_error(
                    &self.application,
                    format!(
                        "passes {}, which the nested template does not declare",
                        scalar(name).unwrap_or_default()
                    ),
                ));
            }
        }
        let mut values = BTreeMap::new();
        for (name, parameter) in &declared {
            let Some(name) = name.as_str() else { continue };
            let value = self
                .passed
                .get(name)
                .or_else(|| parameter.get("Default"))
                .cloned()
                .ok_or_else(|| {
                    nested_error(
                        &self.application,
                        format!("the nested template's parameter {name} has no default and is not passed"),
                    )
                })?;
            let is_list = parameter
                .get("Type")
                .and_then(Value::as_str)
                .is_some_and(|kind| kind == "CommaDelimitedList" || kind.starts_with("List<"));
            values.insert(
                name.to_owned(),
                if is_list { as_list(value) } else { value },
            );
        }
        Ok(values)
    }
}

/// A list parameter's value: `"a,b"` is split, `!Join [",", [...]]` gives
/// its items, anything else (a reference) is one item.
fn as_list(value: Value) -> Value {
    // Not `as_str`, which also sees through tags (`!GetAtt Stream.Arn`).
    if let Value::String(text) = &value {
        return Value::Sequence(
            text.split(',')
                .map(|item| Value::String(item.trim().to_owned()))
                .collect(),
        );
    }
    if let Some([separator, Value::Sequence(items)]) = intrinsic(&value, "Join")
        .and_then(Value::as_sequence)
        .map(Vec::as_slice)
        && separator.as_str() == Some(",")
    {
        return Value::Sequence(items.clone());
    }
    Value::Sequence(vec![value])
}

/// The argument of `!Name` or `{"Fn::Name": …}` (`{"Ref": …}`, `{"Condition": …}`).
fn intrinsic<'a>(value: &'a Value, name: &str) -> Option<&'a Value> {
    match value {
        Value::Tagged(tagged) if tagged.tag == name => Some(&tagged.value),
        Value::Mapping(mapping) if mapping.len() == 1 => {
            let long = if matches!(name, "Ref" | "Condition") {
                name.to_owned()
            } else {
                format!("Fn::{name}")
            };
            mapping.get(long.as_str())
        }
        _ => None,
    }
}

fn tagged(tag: &str, value: Value) -> Value {
    Value::Tagged(Box::new(TaggedValue {
        tag: Tag::new(tag),
        value,
    }))
}

/// What a condition compares: text known before deployment, a resource's
/// attribute (never empty), or something unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Text {
    Known(String),
    NonEmpty,
    Unknown,
}

/// The nested template's conditions, where they can be decided.
struct Conditions(BTreeMap<String, Option<bool>>);

impl Conditions {
    fn evaluate(
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

    fn get(&self, name: &str) -> Option<bool> {
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

/// The nested template's values rewritten into the parent's terms.
struct Scope<'a> {
    values: &'a BTreeMap<String, Value>,
    conditions: &'a Conditions,
}

impl Scope<'_> {
    /// A resource or output: `None` when its condition is false.
    fn deploy_entry(&self, entry: &Value) -> Option<Value> {
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

/// How a value reads inside `!Sub`: a literal as itself, `!Ref X` as
/// `${X}`, `!GetAtt X.Y` as `${X.Y}`.
fn sub_text(value: &Value) -> Option<String> {
    if let Some(text) = scalar(value) {
        return Some(text);
    }
    let reference = reference(value)?;
    Some(match reference.attribute {
        None => format!("${{{}}}", reference.logical_id),
        Some(attribute) => format!("${{{}.{attribute}}}", reference.logical_id),
    })
}

/// `text` with each `${name}` that `replace` knows replaced; `${!Literal}`
/// and unknown names stay as written.
fn substitute_text(text: &str, mut replace: impl FnMut(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let name = &after[..end];
        match replace(name) {
            Some(replacement) if !name.starts_with('!') => out.push_str(&replacement),
            _ => out.push_str(&rest[start..start + 2 + end + 1]),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Replaces the parent's `!GetAtt App.Outputs.Name` (and
/// `${App.Outputs.Name}` in `!Sub`) with the output's value.
fn replace_outputs(
    root: &mut Value,
    outputs: &BTreeMap<String, BTreeMap<String, Value>>,
) -> Result<(), TemplateError> {
    let output = |application: &str, name: &str| -> Option<Result<Value, TemplateError>> {
        let values = outputs.get(application)?;
        Some(values.get(name).cloned().ok_or_else(|| {
            nested_error(
                application,
                format!("has no output {name} (it does not exist, or its condition is false as deployed here)"),
            )
        }))
    };
    rewrite(root, &output)
}

fn rewrite(
    value: &mut Value,
    output: &impl Fn(&str, &str) -> Option<Result<Value, TemplateError>>,
) -> Result<(), TemplateError> {
    if let Some(found) = reference(value)
        && let Some(name) = found
            .attribute
            .as_deref()
            .and_then(|attribute| attribute.strip_prefix("Outputs."))
        && let Some(replacement) = output(&found.logical_id, name)
    {
        *value = replacement?;
        return Ok(());
    }
    if let Some(text) = intrinsic(value, "Sub").and_then(Value::as_str) {
        let mut failure = None;
        let text = substitute_text(text, |name| {
            let (application, output_name) = name.split_once(".Outputs.")?;
            match output(application, output_name)? {
                Ok(replacement) => sub_text(&replacement),
                Err(error) => {
                    failure.get_or_insert(error);
                    None
                }
            }
        });
        if let Some(error) = failure {
            return Err(error);
        }
        *value = tagged("Sub", Value::String(text));
        return Ok(());
    }
    match value {
        Value::Sequence(items) => items.iter_mut().try_for_each(|item| rewrite(item, output)),
        Value::Mapping(mapping) => mapping
            .iter_mut()
            .try_for_each(|(_, item)| rewrite(item, output)),
        Value::Tagged(inner) => rewrite(&mut inner.value, output),
        _ => Ok(()),
    }
}

#[cfg(test)]
#[path = "nested_tests.rs"]
mod tests;
