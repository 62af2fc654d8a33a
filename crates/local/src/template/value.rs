//! CloudFormation values as the template writes them: literals, and the
//! intrinsic functions the local stack resolves (`Ref`, `Fn::GetAtt`,
//! `Fn::Sub`, `Fn::Join`), in both the short-form tags (`!Ref X`) and the long-form
//! mappings (`{"Ref": "X"}`).

use std::collections::BTreeMap;

use serde_norway::{Mapping, Value};

/// A reference to another resource or a parameter: `!Ref Id` or
/// `!GetAtt Id.Attribute`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Reference {
    /// The logical id of the resource or parameter.
    pub logical_id: String,
    /// The attribute of `!GetAtt`; `None` for `!Ref`.
    pub attribute: Option<String>,
}

impl Reference {
    /// `!Ref logical_id`.
    pub fn to(logical_id: impl Into<String>) -> Self {
        Self {
            logical_id: logical_id.into(),
            attribute: None,
        }
    }

    /// `!GetAtt logical_id.attribute`.
    pub fn attribute(logical_id: impl Into<String>, attribute: impl Into<String>) -> Self {
        Self {
            logical_id: logical_id.into(),
            attribute: Some(attribute.into()),
        }
    }
}

impl std::fmt::Display for Reference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.attribute {
            None => write!(f, "!Ref {}", self.logical_id),
            Some(attribute) => write!(f, "!GetAtt {}.{attribute}", self.logical_id),
        }
    }
}

/// A property value the local stack can resolve once the resources exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateValue {
    /// A string, number or boolean, as text.
    Literal(String),
    /// `!Ref` or `!GetAtt`.
    Reference(Reference),
    /// `!Sub "text with ${Id} and ${Id.Attribute}"`.
    Sub(String),
    /// `!Join [separator, [values…]]` (how a list parameter, such as the
    /// hydrator's `AllowedStreamArns`, becomes one environment variable).
    Join(String, Vec<TemplateValue>),
}

impl TemplateValue {
    /// Reads a property value; `None` for anything else (lists, other
    /// intrinsics such as `!If`, which the local stack never needs).
    pub fn read(value: &Value) -> Option<Self> {
        if let Some(reference) = reference(value) {
            return Some(Self::Reference(reference));
        }
        if let Some(template) = intrinsic(value, "Sub").and_then(Value::as_str) {
            return Some(Self::Sub(template.to_owned()));
        }
        if let Some([separator, Value::Sequence(items)]) = intrinsic(value, "Join")
            .and_then(Value::as_sequence)
            .map(Vec::as_slice)
        {
            let items = items.iter().map(Self::read).collect::<Option<Vec<_>>>()?;
            return Some(Self::Join(scalar(separator)?, items));
        }
        scalar(value).map(Self::Literal)
    }

    /// The value, with references looked up through `lookup`; `None` when a
    /// reference is unknown to it.
    pub fn resolve(&self, lookup: impl Fn(&Reference) -> Option<String>) -> Option<String> {
        self.resolve_with(&lookup)
    }

    /// [`Self::resolve`] through a trait object, so that `Join` can recurse.
    fn resolve_with(&self, lookup: &dyn Fn(&Reference) -> Option<String>) -> Option<String> {
        match self {
            Self::Literal(text) => Some(text.clone()),
            Self::Reference(reference) => lookup(reference),
            Self::Sub(template) => substitute(template, lookup),
            Self::Join(separator, items) => Some(
                items
                    .iter()
                    .map(|item| item.resolve_with(lookup))
                    .collect::<Option<Vec<_>>>()?
                    .join(separator),
            ),
        }
    }
}

/// The value as the template writes it (short form), for messages.
impl std::fmt::Display for TemplateValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Literal(text) => f.write_str(text),
            Self::Reference(reference) => reference.fmt(f),
            Self::Sub(template) => write!(f, "!Sub {template:?}"),
            Self::Join(separator, items) => {
                write!(f, "!Join [{separator:?}, [")?;
                for (index, item) in items.iter().enumerate() {
                    if index > 0 {
                        f.write_str(", ")?;
                    }
                    item.fmt(f)?;
                }
                f.write_str("]]")
            }
        }
    }
}

/// Replaces `${Id}` with `!Ref Id` and `${Id.Attribute}` with
/// `!GetAtt Id.Attribute`; `${!Literal}` stays `${Literal}`.
fn substitute(template: &str, lookup: impl Fn(&Reference) -> Option<String>) -> Option<String> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('}')?;
        let name = &after[..end];
        if let Some(literal) = name.strip_prefix('!') {
            out.push_str("${");
            out.push_str(literal);
            out.push('}');
        } else {
            let reference = match name.split_once('.') {
                Some((id, attribute)) => Reference::attribute(id, attribute),
                None => Reference::to(name),
            };
            out.push_str(&lookup(&reference)?);
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// `!Ref X`, `{"Ref": X}`, `!GetAtt X.Y`, `!GetAtt [X, Y]` or
/// `{"Fn::GetAtt": [X, Y]}`.
pub fn reference(value: &Value) -> Option<Reference> {
    if let Some(id) = intrinsic(value, "Ref").and_then(Value::as_str) {
        return Some(Reference::to(id));
    }
    match intrinsic(value, "GetAtt")? {
        Value::String(dotted) => {
            let (id, attribute) = dotted.split_once('.')?;
            Some(Reference::attribute(id, attribute))
        }
        Value::Sequence(parts) => match parts.as_slice() {
            [id, attribute] => Some(Reference::attribute(id.as_str()?, attribute.as_str()?)),
            _ => None,
        },
        _ => None,
    }
}

/// The argument of intrinsic `name` (`Ref`, `GetAtt`, `Sub`…), whether
/// written `!Name arg` or `{"Fn::Name": arg}` (`{"Ref": arg}` for `Ref`).
fn intrinsic<'a>(value: &'a Value, name: &str) -> Option<&'a Value> {
    match value {
        Value::Tagged(tagged) if tagged.tag == name => Some(&tagged.value),
        Value::Mapping(mapping) if mapping.len() == 1 => {
            let long = if name == "Ref" {
                name.to_owned()
            } else {
                format!("Fn::{name}")
            };
            mapping.get(long.as_str())
        }
        _ => None,
    }
}

/// A string, number or boolean as text.
pub fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

/// A value that must be known before any resource exists (a shard count, a
/// batch size): a literal, or `!Ref` to a parameter, which resolves to the
/// parameter's `Default`.
pub fn static_scalar(value: &Value, parameters: &BTreeMap<String, String>) -> Option<String> {
    match reference(value) {
        Some(Reference {
            logical_id,
            attribute: None,
        }) => parameters.get(&logical_id).cloned(),
        Some(_) => None,
        None => scalar(value),
    }
}

/// The mapping inside `value`, if it is one.
pub fn mapping(value: &Value) -> Option<&Mapping> {
    match value {
        Value::Mapping(mapping) => Some(mapping),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> Value {
        serde_norway::from_str(text).expect("yaml")
    }

    /// Short and long forms of Ref and GetAtt read to the same reference.
    #[test]
    fn reads_short_and_long_form_references() {
        for text in ["!Ref Topic", "{Ref: Topic}"] {
            assert_eq!(
                reference(&yaml(text)),
                Some(Reference::to("Topic")),
                "{text}"
            );
        }
        for text in [
            "!GetAtt Queue.Arn",
            "!GetAtt [Queue, Arn]",
            "{'Fn::GetAtt': [Queue, Arn]}",
        ] {
            assert_eq!(
                reference(&yaml(text)),
                Some(Reference::attribute("Queue", "Arn")),
                "{text}"
            );
        }
        assert_eq!(reference(&yaml("Topic")), None);
    }

    /// `!Sub` replaces references and keeps `${!Literal}` as written.
    #[test]
    fn substitutes_references_in_sub() {
        let value =
            TemplateValue::read(&yaml("!Sub '${Stack}-x-${Queue.Arn}-${!Keep}'")).expect("a value");
        let resolved = value.resolve(|reference| match reference.attribute.as_deref() {
            None => Some(format!("ref:{}", reference.logical_id)),
            Some(attribute) => Some(format!("att:{}:{attribute}", reference.logical_id)),
        });
        assert_eq!(
            resolved.as_deref(),
            Some("ref:Stack-x-att:Queue:Arn-${Keep}")
        );
    }

    /// A reference the lookup does not know leaves the value unresolved.
    #[test]
    fn unknown_reference_is_unresolved() {
        let value = TemplateValue::read(&yaml("!Ref Nowhere")).expect("a value");
        assert_eq!(value.resolve(|_| None), None);
    }

    /// `!Ref` to a parameter reads its default; a literal reads as itself.
    #[test]
    fn static_scalars_resolve_parameter_defaults() {
        let parameters = BTreeMap::from([("ShardCount".to_owned(), "2".to_owned())]);
        assert_eq!(
            static_scalar(&yaml("!Ref ShardCount"), &parameters).as_deref(),
            Some("2")
        );
        assert_eq!(static_scalar(&yaml("7"), &parameters).as_deref(), Some("7"));
        assert_eq!(static_scalar(&yaml("!Ref Other"), &parameters), None);
        assert_eq!(static_scalar(&yaml("!GetAtt A.B"), &parameters), None);
    }
}
