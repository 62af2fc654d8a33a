//! What can be wrong with the template, from the local stack's point of view.

use std::path::PathBuf;

/// The template could not be read, or lacks what the local stack needs.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// The file could not be read.
    #[error("could not read the template {}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The text is not YAML.
    #[error("the template is not valid YAML")]
    Yaml(#[source] serde_norway::Error),

    /// A resource the local stack relies on is missing.
    #[error("the template has no resource {logical_id} of type {expected}")]
    MissingResource {
        logical_id: &'static str,
        expected: &'static str,
    },

    /// A resource exists with another type.
    #[error("resource {logical_id} is a {found}, expected {expected}")]
    WrongType {
        logical_id: &'static str,
        expected: &'static str,
        found: String,
    },

    /// A required property is missing.
    #[error("{logical_id}: {property} is missing")]
    MissingProperty {
        logical_id: String,
        property: String,
    },

    /// An event source mapping setting AWS would refuse.
    #[error("{logical_id}: event {event}: {error}")]
    Mapping {
        logical_id: String,
        event: String,
        error: crate::esm::EsmSettingsError,
    },

    /// A nested application the template reader cannot follow.
    #[error("nested application {application}: {reason}")]
    Nested { application: String, reason: String },

    /// A nested application's template is not YAML.
    #[error("the nested template {} is not valid YAML", .path.display())]
    NestedYaml {
        path: PathBuf,
        #[source]
        source: serde_norway::Error,
    },

    /// A property has a value the local stack cannot use.
    #[error("{logical_id}: {property} {reason}")]
    Invalid {
        logical_id: String,
        property: String,
        reason: String,
    },
}

impl TemplateError {
    pub(crate) fn missing(logical_id: &str, property: &str) -> Self {
        Self::MissingProperty {
            logical_id: logical_id.to_owned(),
            property: property.to_owned(),
        }
    }

    pub(crate) fn invalid(logical_id: &str, property: &str, reason: impl Into<String>) -> Self {
        Self::Invalid {
            logical_id: logical_id.to_owned(),
            property: property.to_owned(),
            reason: reason.into(),
        }
    }
}
