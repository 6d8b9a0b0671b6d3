//! What goes wrong: the server's refusal as its problem document, or the
//! transport's failure.

use serde::Deserialize;
use std::fmt;

/// Why a call did not give its result.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server refused the request and said why (RFC 9457
    /// problem+json): 400 with every invalid field, 404, 409, 412, 503 ...
    #[error("{0}")]
    Problem(Problem),
    /// The server answered an error without a problem document (a proxy's
    /// page, say): its status and the start of its body.
    #[error("HTTP {status}: {body}")]
    Unexpected {
        /// The HTTP status.
        status: u16,
        /// The first 200 characters of the body.
        body: String,
    },
    /// No answer, or one that was not what the operation returns.
    #[error(transparent)]
    Http(#[from] reqwest::Error),
    /// The base URL given to [`crate::Client::new`] cannot be used.
    #[error("bad base URL {0}")]
    BaseUrl(String),
}

impl Error {
    /// The HTTP status of a refusal, if the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Problem(problem) => Some(problem.status),
            Self::Unexpected { status, .. } => Some(*status),
            Self::Http(error) => error.status().map(|s| s.as_u16()),
            Self::BaseUrl(_) => None,
        }
    }

    /// The problem document, when the server sent one.
    pub fn problem(&self) -> Option<&Problem> {
        match self {
            Self::Problem(problem) => Some(problem),
            _ => None,
        }
    }

    pub(crate) async fn from_response(response: reqwest::Response) -> Self {
        let status = response.status().as_u16();
        let text = match response.text().await {
            Ok(text) => text,
            Err(error) => return Self::Http(error),
        };
        match serde_json::from_str::<Problem>(&text) {
            Ok(problem) => Self::Problem(problem),
            Err(_) => Self::Unexpected {
                status,
                body: text.chars().take(200).collect(),
            },
        }
    }
}

/// A problem details document (RFC 9457), as the server sends it with
/// every refusal.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Problem {
    /// A URI naming the kind of problem; `about:blank` when the status
    /// says it all.
    #[serde(rename = "type")]
    pub kind: String,
    /// The status's reason phrase (`Not Found`).
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong with this request, for a person to read.
    #[serde(default)]
    pub detail: Option<String>,
    /// Every invalid field of a 400, all at once.
    #[serde(default)]
    pub errors: Vec<FieldProblem>,
}

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct FieldProblem {
    /// The field's name (`email`, `unit_id`).
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status, self.title)?;
        if let Some(detail) = &self.detail {
            write!(f, ": {detail}")?;
        }
        for error in &self.errors {
            write!(f, "; {}: {}", error.field, error.message)?;
        }
        Ok(())
    }
}
