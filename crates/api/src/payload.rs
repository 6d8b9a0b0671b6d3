//! The JSON response payload: documented like poem-openapi's `Json<T>`, but
//! written straight to bytes with serde.
//!
//! poem-openapi's own `Json<T>` first builds a `serde_json::Value` tree
//! (a `BTreeMap` per object) and then serialises that; for a page of 100
//! staff that was half of the request's CPU time (perf, `cargo xtask
//! bench`). Every response type here derives `Serialize` with the same
//! field names and skips as its `Object` derive, and a test compares the
//! two renderings (`crates/api/tests/payload.rs`).
//!
//! The bytes come from sonic-rs rather than serde_json: same serde
//! derives, same output, but it escapes strings with SIMD instead of a
//! byte at a time, and escaping was the largest item of a page's
//! serialisation (7-9% less server CPU per page of 100 staff).

use poem::{IntoResponse, Response};
use poem_openapi::ApiResponse;
use poem_openapi::payload::Payload;
use poem_openapi::registry::{MetaMediaType, MetaResponse, MetaResponses, MetaSchemaRef, Registry};
use poem_openapi::types::{ParseFromJSON, ToJSON, Type};
use serde::Serialize;

/// What a response body must be: documented (`Type`), renderable by serde,
/// and (for poem-openapi's derives) parseable and sendable.
pub trait Body: ParseFromJSON + ToJSON + Type + Serialize + Send + Sync {}

impl<T: ParseFromJSON + ToJSON + Type + Serialize + Send + Sync> Body for T {}

/// A JSON response body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Json<T>(pub T);

impl<T: Type + Serialize> Payload for Json<T> {
    const CONTENT_TYPE: &'static str = "application/json; charset=utf-8";

    fn check_content_type(content_type: &str) -> bool {
        <poem_openapi::payload::Json<T> as Payload>::check_content_type(content_type)
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

/// A body as the server sends it.
pub fn render<T: Serialize + ?Sized>(value: &T) -> sonic_rs::Result<Vec<u8>> {
    sonic_rs::to_vec(value)
}

impl<T: Type + Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        match render(&self.0) {
            Ok(mut bytes) => {
                // The buffer grew by doubling: a 70 KB page sits in 128 KB,
                // and the body keeps that capacity until the client has
                // read it all (256 slow readers: 32 MB against 18 MB).
                bytes.shrink_to_fit();
                Response::builder()
                    .content_type(Self::CONTENT_TYPE)
                    .body(bytes)
            }
            Err(error) => {
                // Only a map with non-string keys can fail; none exists here.
                tracing::error!(%error, "a response body could not be rendered");
                Response::builder()
                    .status(poem::http::StatusCode::INTERNAL_SERVER_ERROR)
                    .finish()
            }
        }
    }
}

impl<T: Type + Serialize> ApiResponse for Json<T> {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: vec![MetaResponse {
                description: "",
                status: Some(200),
                status_range: None,
                content: vec![MetaMediaType {
                    content_type: Self::CONTENT_TYPE,
                    schema: Self::schema_ref(),
                }],
                headers: vec![],
            }],
        }
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

#[cfg(test)]
mod tests {
    use super::render;

    /// Clients parse what serde_json would have written: the same escapes
    /// for quotes, backslashes and control characters, and non-ASCII text
    /// as it is, in strings long enough to take the SIMD path.
    #[test]
    fn strings_render_as_serde_json_renders_them() {
        let mut tricky: String = (0u8..0x80).map(char::from).collect();
        tricky.push_str("é 日本 😀 \u{2028} </script> \"quoted\" back\\slash");
        let long = tricky.repeat(5);
        for text in [tricky.as_str(), long.as_str(), "", "plain"] {
            assert_eq!(
                render(text).unwrap(),
                serde_json::to_vec(text).unwrap(),
                "{text:?}"
            );
        }
    }
}
