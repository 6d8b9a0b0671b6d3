//! The hospital directory as HL7 FHIR R4 (4.0.1) resources, read-only, as
//! IHE mCSD asks of a care services directory.
//!
//! This crate knows neither HTTP nor SQL: it names the resources
//! ([`ids`]), maps the directory's records to them ([`map`]), and says what
//! the view can do ([`capability`]); the db crate loads the records and the
//! api crate serves them under `/fhir`.

pub mod capability;
pub mod ids;
pub mod map;
pub mod model;
pub mod search;
pub mod select;

pub use ids::{Key, ResourceType};
pub use model::{OperationOutcome, Resource};

/// The media type of every FHIR body.
pub const CONTENT_TYPE: &str = "application/fhir+json; charset=utf-8";
