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
//!
//! # Layout
//!
//! - this module: following applications, passing parameters, merging
//!   resources and resolving the parent's references to outputs.
//! - `conditions`: the nested template's conditions, decided where the
//!   passed parameters decide them.
//! - `scope`: the nested template's values rewritten into the parent's terms.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_norway::value::{Tag, TaggedValue};
use serde_norway::{Mapping, Value};

use super::TemplateError;
use super::value::{reference, scalar};
use conditions::Conditions;
use scope::Scope;

mod conditions;
mod scope;

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
mod tests;
