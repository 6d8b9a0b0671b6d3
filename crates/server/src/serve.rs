//! Serves the poem endpoint over hyper's own connections, and keeps the
//! connections in bounds.
//!
//! poem's `Server` boxes every accepted socket into a `BoxIo`: the socket is
//! split into halves behind a lock, and the write half does not offer
//! vectored writes. hyper then copies each response body into a buffer of
//! the connection's (to send headers and body in one write) and keeps that
//! buffer for the connection's life: with 256 keep-alive clients reading
//! 70 KB pages, ~30 MiB of copies (measured with heaptrack). Here hyper
//! writes headers and body straight from their own buffers with `writev`.
//! The endpoint, its middleware and every response are poem's as before.
//!
//! Each connection is watched ([`Tracked`]): one that has not finished a
//! request's headers within `header_timeout` of its first byte, or has sat
//! idle between requests for `idle_timeout`, is closed. At most
//! `max_connections` are open: past that, the longest idle one makes room
//! (as nginx drains keep-alive connections), and when none is idle the new
//! one is answered 503 and closed. At most `max_in_flight` requests are
//! answered at once: more get 503 at once, before the endpoint (probes
//! excepted), so a flood of clients costs a connection's buffers each and
//! no more. Running out of file descriptors is said once, not at every
//! accept. At shutdown the listener closes, each
//! response carries `Connection: close`, and idle connections close once
//! they have been idle a moment, so no request is cut off on the wire.

use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use poem::web::{LocalAddr, RemoteAddr};
use poem::{Addr, Endpoint, EndpointExt, http::uri::Scheme};
use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::time::Instant;

/// How long an idle connection is kept once shutdown has begun: a client
/// that has just been answered gets this long to send its next request
/// (answered with `Connection: close`) before its connection closes.
const DRAIN_IDLE: Duration = Duration::from_millis(500);

/// Connections being answered 503 (over the limit) at once; more are
/// closed unanswered.
const MOST_REFUSING: usize = 64;

/// How long after running out of file descriptors the listener waits
/// before it tries again.
const OUT_OF_FILES_PAUSE: Duration = Duration::from_millis(50);

/// Limits on the connections, from `server.*` in the configuration.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// After SIGTERM, how long in-flight requests get to finish.
    pub grace: Duration,
    /// From a request's first byte to the end of its headers.
    pub header_timeout: Duration,
    /// Between one response and the next request's first byte.
    pub idle_timeout: Duration,
    /// From a request's headers to the end of its answer: a body that
    /// never comes, or an answer the client never reads, holds its place
    /// no longer.
    pub request_timeout: Duration,
    /// Connections open at once.
    pub max_connections: usize,
    /// Requests being answered at once; more are answered 503 before they
    /// reach the endpoint.
    pub max_in_flight: usize,
}

/// What a connection is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Between requests, since then.
    Idle(Instant),
    /// Reading a request's headers, since its first byte.
    Head(Instant),
    /// This many requests being answered, the first since then.
    Busy(usize, Instant),
    /// Chosen to make room: told to finish and close.
    Closing,
}

/// One connection's state, shared by its socket, its service and its
/// watchdog.
#[derive(Debug)]
struct Tracked {
    phase: Mutex<Phase>,
    /// Told to close (evicted to make room).
    evict: tokio::sync::Notify,
    /// The phase changed, and with it the watchdog's deadline.
    changed: tokio::sync::Notify,
    http2: AtomicBool,
}

impl Tracked {
    fn new() -> Self {
        Self {
            phase: Mutex::new(Phase::Idle(Instant::now())),
            evict: tokio::sync::Notify::new(),
            changed: tokio::sync::Notify::new(),
            http2: AtomicBool::new(false),
        }
    }

    fn phase(&self) -> MutexGuard<'_, Phase> {
        self.phase.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Bytes arrived: an idle connection starts a request. (Not on HTTP/2,
    /// whose idle connections carry frames of their own, pings and window
    /// updates, between requests.)
    fn bytes_arrived(&self) {
        if self.http2.load(Ordering::Relaxed) {
            return;
        }
        let mut phase = self.phase();
        if let Phase::Idle(_) = *phase {
            *phase = Phase::Head(Instant::now());
            self.changed.notify_one();
        }
    }

    /// A request's headers are in: it is being answered until its
    /// [`Answering`] guard goes.
    fn answering(self: &Arc<Self>) -> Answering {
        let mut phase = self.phase();
        // A request on a connection chosen to make room is answered all
        // the same (the connection was told to finish, not to drop it).
        *phase = match *phase {
            Phase::Busy(n, since) => Phase::Busy(n + 1, since),
            Phase::Idle(_) | Phase::Head(_) | Phase::Closing => Phase::Busy(1, Instant::now()),
        };
        self.changed.notify_one();
        Answering(self.clone())
    }

    /// When the watchdog should look again, and what is due then.
    fn deadline(&self, options: &ServeOptions, draining: bool) -> Option<(Instant, Due)> {
        match *self.phase() {
            Phase::Idle(since) if draining => Some((since + DRAIN_IDLE, Due::Finish)),
            Phase::Idle(since) => Some((since + options.idle_timeout, Due::Finish)),
            Phase::Head(since) => Some((since + options.header_timeout, Due::Drop)),
            Phase::Busy(_, since) => Some((since + options.request_timeout, Due::Drop)),
            Phase::Closing => None,
        }
    }
}

/// What a connection past its deadline gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Due {
    /// Told to finish: hyper flushes what it has queued (the end of the
    /// last answer may still be on its way) and closes.
    Finish,
    /// Dropped: half a request's headers, or a request in flight for
    /// `request_timeout` (a body that never comes, an answer never read).
    Drop,
}

/// How long a connection told to finish gets to flush and close before it
/// is dropped.
const FINISH_WITHIN: Duration = Duration::from_secs(1);

/// Held while a request is answered: from its headers to the end of its
/// response body (or the connection's end).
struct Answering(Arc<Tracked>);

impl Drop for Answering {
    fn drop(&mut self) {
        let mut phase = self.0.phase();
        *phase = match *phase {
            Phase::Busy(n, since) if n > 1 => Phase::Busy(n - 1, since),
            Phase::Closing => Phase::Closing,
            _ => Phase::Idle(Instant::now()),
        };
        self.0.changed.notify_one();
    }
}

/// A response body that keeps its request counted as in flight until
/// hyper has taken its last frame (it may still be writing it: a
/// connection that then idles is told to finish, never dropped).
struct TrackedBody<B> {
    inner: B,
    _answering: Answering,
    _slot: Option<InFlight>,
}

/// One of the `max_in_flight` places for a request being answered, held
/// from its headers to the end of its response.
struct InFlight(Arc<Registry>);

impl InFlight {
    /// A place, or `None` when every one is taken.
    fn take(registry: &Arc<Registry>, most: usize) -> Option<Self> {
        let taken = registry.in_flight.fetch_add(1, Ordering::AcqRel);
        let slot = Self(registry.clone());
        (taken < most).then_some(slot)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Paths answered whatever the load: a probe that fails under load would
/// take a busy but healthy server out of service, or restart it.
fn always_answered(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz")
}

/// The answer to a request over `max_in_flight`: made without the endpoint
/// (no routing, no token check, no allocation for its future), so
/// shedding costs little of what the server is short of.
fn too_busy() -> poem::Response {
    let problem = directory_api::problem::Problem::new(
        poem::http::StatusCode::SERVICE_UNAVAILABLE,
        "the server is busy; try again shortly",
    );
    let mut response = poem::IntoResponse::into_response(problem);
    // The connection stays open: closing it (as Envoy's overload manager
    // can) cut the peak at 2,000 clients from ~105 to 81 MiB but made an
    // accepted page wait for its client's new connection to be accepted
    // (p50 5 -> 295 ms).
    response.headers_mut().insert(
        poem::http::header::RETRY_AFTER,
        poem::http::HeaderValue::from(directory_api::error::RETRY_AFTER_SECS),
    );
    response
}

impl<B: Body + Unpin> Body for TrackedBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The socket, telling its [`Tracked`] when bytes arrive.
struct Watched {
    stream: TcpStream,
    tracked: Arc<Tracked>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.tracked.bytes_arrived();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// A condition said once when it begins and once when it ends, however
/// often it is seen in between.
#[derive(Debug, Default)]
struct Episode(AtomicBool);

impl Episode {
    fn begins(&self, say: impl FnOnce()) {
        if !self.0.swap(true, Ordering::AcqRel) {
            say();
        }
    }

    fn ends(&self, say: impl FnOnce()) {
        if self.0.swap(false, Ordering::AcqRel) {
            say();
        }
    }
}

/// Every open connection, for the limit and for making room.
#[derive(Default)]
struct Registry {
    open: Mutex<HashMap<u64, Arc<Tracked>>>,
    in_flight: AtomicUsize,
    refusing: AtomicUsize,
    full: Episode,
    out_of_files: Episode,
}

impl Registry {
    fn open(&self) -> MutexGuard<'_, HashMap<u64, Arc<Tracked>>> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn count(&self) -> usize {
        self.open().len()
    }

    /// Tells up to `wanted` of the longest-idle connections to close;
    /// returns how many.
    fn make_room(&self, wanted: usize) -> usize {
        let open = self.open();
        let mut idle: Vec<(Instant, &Arc<Tracked>)> = open
            .values()
            .filter_map(|tracked| match *tracked.phase() {
                Phase::Idle(since) => Some((since, tracked)),
                _ => None,
            })
            .collect();
        idle.sort_unstable_by_key(|(since, _)| *since);
        let mut closed = 0;
        for (_, tracked) in idle.into_iter().take(wanted) {
            let mut phase = tracked.phase();
            // It may have started a request since it was counted.
            if let Phase::Idle(_) = *phase {
                *phase = Phase::Closing;
                tracked.evict.notify_one();
                closed += 1;
            }
        }
        closed
    }
}

/// Accepts connections until `shutdown` resolves, then stops listening (new
/// connections are refused), answers what is in flight with
/// `Connection: close`, closes connections once idle, and returns when all
/// are closed or `options.grace` has passed.
pub async fn serve<E>(
    listener: TcpListener,
    endpoint: E,
    shutdown: impl Future<Output = ()>,
    options: ServeOptions,
) -> std::io::Result<()>
where
    E: Endpoint + 'static,
{
    let local = LocalAddr(Addr::SocketAddr(listener.local_addr()?));
    // Boxed: the endpoint's own type is too deep to name in a future.
    let endpoint = Arc::new(endpoint.map_to_response().boxed());
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // The connection's own watchdog times headers and idleness.
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(None);
    builder.http2().max_concurrent_streams(64);
    let builder = Arc::new(builder);
    let registry = Arc::new(Registry::default());
    let (drain, draining) = watch::channel(false);
    let options = Arc::new(options);
    tokio::pin!(shutdown);
    let mut next_id: u64 = 0;
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => {
                    registry.out_of_files.ends(|| tracing::info!("accepting connections again"));
                    accepted
                }
                Err(error) if out_of_files(&error) => {
                    registry.out_of_files.begins(|| tracing::warn!(
                        %error,
                        open = registry.count(),
                        "cannot accept connections: out of file descriptors; closing idle connections to make room (said once until it passes)"
                    ));
                    registry.make_room(16);
                    tokio::time::sleep(OUT_OF_FILES_PAUSE).await;
                    continue;
                }
                Err(error) => {
                    // A connection reset before it was accepted: the
                    // listener itself is fine.
                    tracing::debug!(%error, "a connection failed before it was accepted");
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // A response is one write; waiting to coalesce it only adds latency.
        let _ = stream.set_nodelay(true);
        if registry.count() >= options.max_connections && registry.make_room(1) == 0 {
            registry.full.begins(|| {
                tracing::warn!(
                    limit = options.max_connections,
                    "connection limit reached and none idle: new connections are answered 503 (said once until it passes)"
                )
            });
            if let Some(counted) = Refusing::count(&registry) {
                tokio::spawn(refuse(stream, counted, options.header_timeout));
            }
            continue;
        }
        registry
            .full
            .ends(|| tracing::info!("connections below the limit again"));
        next_id += 1;
        let tracked = Arc::new(Tracked::new());
        registry.open().insert(next_id, tracked.clone());
        let connection = Connection {
            id: next_id,
            tracked,
            registry: registry.clone(),
            options: options.clone(),
            draining: draining.clone(),
        };
        let service = {
            let (endpoint, local) = (endpoint.clone(), local.clone());
            let (tracked, draining) = (connection.tracked.clone(), draining.clone());
            let (registry, most) = (registry.clone(), options.max_in_flight);
            let remote = RemoteAddr(Addr::SocketAddr(peer));
            hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
                let answering = tracked.answering();
                let slot = if always_answered(request.uri().path()) {
                    Some(None)
                } else {
                    InFlight::take(&registry, most).map(Some)
                };
                let version = request.version();
                if version == hyper::Version::HTTP_2 {
                    tracked.http2.store(true, Ordering::Relaxed);
                }
                let endpoint = endpoint.clone();
                let draining = draining.clone();
                let refused = directory_api::problem::missing_host(version, request.headers());
                let request =
                    poem::Request::from((request, local.clone(), remote.clone(), Scheme::HTTP));
                async move {
                    let mut response = match (refused, &slot) {
                        (Some(refused), _) => refused,
                        (None, None) => too_busy(),
                        (None, Some(_)) => endpoint.get_response(request).await,
                    };
                    // Shutting down: this connection's last answer says so.
                    if *draining.borrow() && version <= hyper::Version::HTTP_11 {
                        response.headers_mut().insert(
                            poem::http::header::CONNECTION,
                            poem::http::HeaderValue::from_static("close"),
                        );
                    }
                    let response = hyper::Response::from(response).map(|inner| TrackedBody {
                        inner,
                        _answering: answering,
                        _slot: slot.flatten(),
                    });
                    Ok::<_, Infallible>(response)
                }
            })
        };
        let serving = builder
            .serve_connection(
                TokioIo::new(Watched {
                    stream,
                    tracked: connection.tracked.clone(),
                }),
                service,
            )
            .into_owned();
        tokio::spawn(connection.watch(serving, |serving| serving.graceful_shutdown()));
    }
    drop(listener);
    let _ = drain.send(true);
    let deadline = Instant::now() + options.grace;
    while registry.count() > 0 {
        if Instant::now() >= deadline {
            tracing::warn!(
                open = registry.count(),
                "grace period over: closing the connections still open"
            );
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

/// EMFILE or ENFILE: no descriptor for a new connection.
fn out_of_files(error: &std::io::Error) -> bool {
    #[cfg(unix)]
    {
        use nix::errno::Errno;
        matches!(
            error.raw_os_error().map(Errno::from_raw),
            Some(Errno::EMFILE | Errno::ENFILE)
        )
    }
    #[cfg(not(unix))]
    {
        let _ = error;
        false
    }
}

/// One accepted connection and what it needs to watch itself.
struct Connection {
    id: u64,
    tracked: Arc<Tracked>,
    registry: Arc<Registry>,
    options: Arc<ServeOptions>,
    draining: watch::Receiver<bool>,
}

impl Connection {
    /// Runs the connection until it ends, or its watchdog ends it;
    /// `finish` starts its graceful end (HTTP/1: close once the answer in
    /// hand is written; HTTP/2: GOAWAY).
    async fn watch<C>(mut self, serving: C, mut finish: impl FnMut(Pin<&mut C>))
    where
        C: Future<Output = Result<(), Box<dyn std::error::Error + Send + Sync>>>,
    {
        tokio::pin!(serving);
        // Set once told to finish: dropped if still open by then.
        let mut finishing: Option<Instant> = None;
        let mut told_to_go_away = false;
        loop {
            let draining = *self.draining.borrow();
            if draining && !told_to_go_away && self.tracked.http2.load(Ordering::Relaxed) {
                // HTTP/2 has its own way to say it: GOAWAY.
                finish(serving.as_mut());
                told_to_go_away = true;
            }
            let due = self.tracked.deadline(&self.options, draining);
            let next = match (due, finishing) {
                (Some((at, _)), Some(by)) => Some(at.min(by)),
                (Some((at, _)), None) => Some(at),
                (None, by) => by,
            };
            let timer = async {
                match next {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                result = serving.as_mut() => {
                    if let Err(error) = result {
                        tracing::debug!(%error, "connection ended with an error");
                    }
                    break;
                }
                () = timer => {
                    let now = Instant::now();
                    if finishing.is_some_and(|by| by <= now) {
                        break;
                    }
                    // Still in the phase the deadline was for?
                    match self.tracked.deadline(&self.options, draining) {
                        Some((at, Due::Drop)) if at <= now => break,
                        Some((at, Due::Finish)) if at <= now && finishing.is_none() => {
                            finish(serving.as_mut());
                            finishing = Some(now + FINISH_WITHIN);
                        }
                        _ => {}
                    }
                }
                () = self.tracked.evict.notified() => {
                    if finishing.is_none() && matches!(*self.tracked.phase(), Phase::Closing) {
                        finish(serving.as_mut());
                        finishing = Some(Instant::now() + FINISH_WITHIN);
                    }
                }
                // A new phase, a new deadline: look again.
                () = self.tracked.changed.notified() => {}
                _ = self.draining.changed(), if !draining => {}
            }
        }
        self.registry.open().remove(&self.id);
    }
}

/// One of the [`MOST_REFUSING`] connections being answered 503, counted
/// from the accept (not from when its task runs) until it is done.
struct Refusing(Arc<Registry>);

impl Refusing {
    fn count(registry: &Arc<Registry>) -> Option<Self> {
        let before = registry.refusing.fetch_add(1, Ordering::AcqRel);
        let counted = Self(registry.clone());
        (before < MOST_REFUSING).then_some(counted)
    }
}

impl Drop for Refusing {
    fn drop(&mut self) {
        self.0.refusing.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Answers a connection over the limit with 503 and closes it.
async fn refuse(stream: TcpStream, _counted: Refusing, header_timeout: Duration) {
    let service = hyper::service::service_fn(|_request: hyper::Request<Incoming>| async {
        let problem = directory_api::problem::Problem::new(
            poem::http::StatusCode::SERVICE_UNAVAILABLE,
            "the server has as many connections as it serves; try again shortly",
        );
        let mut response = poem::IntoResponse::into_response(problem);
        let headers = response.headers_mut();
        headers.insert(
            poem::http::header::CONNECTION,
            poem::http::HeaderValue::from_static("close"),
        );
        headers.insert(
            poem::http::header::RETRY_AFTER,
            poem::http::HeaderValue::from(directory_api::error::RETRY_AFTER_SECS),
        );
        Ok::<_, Infallible>(hyper::Response::from(response))
    });
    let mut http1 = hyper::server::conn::http1::Builder::new();
    http1
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .keep_alive(false);
    let connection = http1.serve_connection(TokioIo::new(stream), service);
    let _ = tokio::time::timeout(header_timeout + Duration::from_secs(1), connection).await;
}
