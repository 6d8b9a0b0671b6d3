//! The one error type of the domain: a command broke a rule.

use serde::{Deserialize, Serialize};

/// One rule broken by one field; the API lists every one of them at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct FieldError {
    /// The field that broke the rule, by its name in the request body.
    pub field: String,
    /// What is wrong with it, to read after the field's name ("must not be
    /// empty").
    pub message: String,
}

impl FieldError {
    /// The rule `message` broken by `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Why the domain refused a command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// Input that can never be valid, whatever the database holds.
    #[error("invalid input: {}", summary(.0))]
    Validation(Vec<FieldError>),
}

impl DomainError {
    /// A validation error of one broken rule.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    /// Every broken rule, in the order the checks found them.
    pub fn errors(&self) -> &[FieldError] {
        match self {
            Self::Validation(errors) => errors,
        }
    }
}

fn summary(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect::<Vec<_>>()
        .join("; ")
}
