//! The request body limit. poem's `SizeLimit` refuses every request without
//! a Content-Length (even a GET); this one checks the declared length and
//! reads a chunked body only up to the limit.

use poem::http::{StatusCode, header};
use poem::{Endpoint, Error, IntoResponse, Request, Response, Result};

pub async fn limit_body<E: Endpoint>(next: E, mut req: Request, limit: usize) -> Result<Response> {
    let too_large = || {
        Error::from_string(
            format!("the request body is larger than {limit} bytes"),
            StatusCode::PAYLOAD_TOO_LARGE,
        )
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    match declared {
        Some(length) if length > limit => return Err(too_large()),
        Some(_) => {}
        None if req.headers().contains_key(header::TRANSFER_ENCODING) => {
            let body = req
                .take_body()
                .into_bytes_limit(limit)
                .await
                .map_err(|_| too_large())?;
            req.set_body(body);
        }
        None => {}
    }
    Ok(next.call(req).await?.into_response())
}
