//! The request body's limits. poem's `SizeLimit` refuses every request
//! without a Content-Length (even a GET); this one checks the declared
//! length, reads a body of undeclared length only up to the limit, and reads any body
//! within `timeout` of its headers (408 otherwise), so a client that sends
//! its body slowly cannot hold one of the server's places for requests in
//! flight.

use poem::http::{StatusCode, header};
use poem::{Endpoint, Error, IntoResponse, Request, Response, Result};
use std::time::Duration;

pub async fn limit_body<E: Endpoint>(
    next: E,
    mut req: Request,
    limit: usize,
    timeout: Duration,
) -> Result<Response> {
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
    // Without a Content-Length the body is read up to the limit whatever
    // the other headers say: an HTTP/2 request need not declare either.
    let has_body = match declared {
        Some(length) if length > limit => return Err(too_large()),
        Some(length) => length > 0,
        None => true,
    };
    if has_body {
        let body = tokio::time::timeout(timeout, req.take_body().into_bytes_limit(limit))
            .await
            .map_err(|_| {
                Error::from_string(
                    format!(
                        "the request body did not arrive within {} s of its headers",
                        timeout.as_secs()
                    ),
                    StatusCode::REQUEST_TIMEOUT,
                )
            })?
            .map_err(|_| too_large())?;
        req.set_body(body);
    }
    Ok(next.call(req).await?.into_response())
}
