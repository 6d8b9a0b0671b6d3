//! Serves the poem endpoint over hyper's own connections.
//!
//! poem's `Server` boxes every accepted socket into a `BoxIo`: the socket is
//! split into halves behind a lock, and the write half does not offer
//! vectored writes. hyper then copies each response body into a buffer of
//! the connection's (to send headers and body in one write) and keeps that
//! buffer for the connection's life: with 256 keep-alive clients reading
//! 70 KB pages, ~30 MiB of copies (measured with heaptrack). Here hyper
//! writes headers and body straight from their own buffers with `writev`.
//! The endpoint, its middleware and every response are poem's as before.

use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use poem::web::{LocalAddr, RemoteAddr};
use poem::{Addr, Endpoint, EndpointExt, http::uri::Scheme};
use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// Accepts connections until `shutdown` resolves, then stops listening (new
/// connections are refused), lets each open connection finish the request
/// it is serving (idle keep-alive connections close at once), and returns
/// when all have or `grace` has passed.
pub async fn serve<E>(
    listener: TcpListener,
    endpoint: E,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) -> std::io::Result<()>
where
    E: Endpoint + 'static,
{
    let local = LocalAddr(Addr::SocketAddr(listener.local_addr()?));
    // Boxed: the endpoint's own type is too deep to name in a future.
    let endpoint = Arc::new(endpoint.map_to_response().boxed());
    let builder = auto::Builder::new(TokioExecutor::new());
    let connections = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, or a connection reset before
                    // it was accepted: the listener itself is fine.
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // A response is one write; waiting to coalesce it only adds latency.
        let _ = stream.set_nodelay(true);
        let endpoint = endpoint.clone();
        let local = local.clone();
        let remote = RemoteAddr(Addr::SocketAddr(peer));
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let endpoint = endpoint.clone();
            let refused =
                directory_api::problem::missing_host(request.version(), request.headers());
            let request =
                poem::Request::from((request, local.clone(), remote.clone(), Scheme::HTTP));
            async move {
                let response = match refused {
                    Some(refused) => refused,
                    None => endpoint.get_response(request).await,
                };
                Ok::<_, Infallible>(hyper::Response::from(response))
            }
        });
        let connection = builder
            .serve_connection(TokioIo::new(stream), service)
            .into_owned();
        let connection = connections.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended with an error");
            }
        });
    }
    drop(listener);
    tokio::select! {
        () = connections.shutdown() => {}
        () = tokio::time::sleep(grace) => {
            tracing::warn!("grace period over: closing the connections still open");
        }
    }
    Ok(())
}
