//! The accept loop: plain or TLS connections served by hyper's HTTP/1 with our limits.
//!
//! - **Connection cap** (`server.connection.limit`): a semaphore permit per open connection,
//!   taken before `accept`; at the cap further clients wait in the kernel's backlog (as
//!   Jetty's `ConnectionLimit` does).
//! - **TLS handshake**: in the connection's own task, bounded by `--tls-handshake-timeout-ms`;
//!   a silent client holds nothing but its permit, and blocks no one.
//! - **Request head**: hyper's `header_read_timeout`. hyper starts that timer when it begins
//!   waiting for a head (hyper 1.x `Conn::poll_read_head`), so it also bounds the wait for
//!   the next request on a kept-alive connection.
//! - **Idle** (`idle.timeout.ms`): a watchdog closes a connection on which no byte has moved
//!   for that long while no handler runs (a client that stops reading its answer, a stalled
//!   upload the handler no longer waits for). Handlers bound their own work.
//! - **Body**: the body extractor bounds its read by `--request-body-timeout-ms` (408).
//! - **Oversized `Content-Length`**: 413 before anything reads the body, so an
//!   `Expect: 100-continue` client is answered at once.
//! - **Errors hyper answers itself** get Confluent's shape ([`super::conn::Guarded`]).
//! - **Graceful shutdown**: stop accepting, ask every connection to finish its request in
//!   flight and close, wait for all permits to come back.

use super::conn::{ConnState, Guarded};
use super::error::too_large_response;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tokio_rustls::rustls::ServerConfig;
use tower::ServiceExt;

/// The connection limits (see the module comment).
#[derive(Debug, Clone)]
pub struct Limits {
    /// Open connections at most (handshakes included).
    pub connections: usize,
    pub handshake_timeout: Duration,
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
    pub body_timeout: Duration,
    /// The largest request head (request line and headers), in bytes.
    pub max_header_bytes: usize,
}

impl Limits {
    /// The connection limits the `serve` settings describe.
    pub fn of(args: &crate::config::ServeArgs) -> Limits {
        Limits {
            connections: connection_cap(args.server_connection_limit),
            handshake_timeout: Duration::from_millis(args.tls_handshake_timeout_ms),
            header_timeout: Duration::from_millis(args.request_header_timeout_ms),
            idle_timeout: Duration::from_millis(args.idle_timeout_ms),
            body_timeout: Duration::from_millis(args.request_body_timeout_ms),
            max_header_bytes: args.max_request_header_size.max(8192),
        }
    }
}

/// The body read timeout, put into every request's extensions for the body extractor.
#[derive(Debug, Clone, Copy)]
pub struct BodyTimeout(pub Duration);

/// Connections reserved for the store, the forwarding client and the process when the
/// connection cap is derived from the file-descriptor limit.
const RESERVED_FDS: usize = 128;

/// `server.connection.limit`: `configured`, or when 0 the soft file-descriptor limit less a
/// reserve (so that the cap, not `accept` failing, is what a flood meets).
pub fn connection_cap(configured: usize) -> usize {
    if configured > 0 {
        return configured;
    }
    let soft = std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("Max open files"))
                .and_then(|l| l.split_whitespace().nth(3).map(str::to_string))
        })
        .and_then(|v| v.parse::<usize>().ok());
    match soft {
        Some(n) => n.saturating_sub(RESERVED_FDS).max(16),
        None => 10_000,
    }
}

/// Serves `app` on `listener` (HTTPS when `tls` is given) until `shutdown` completes, then
/// lets the requests in flight finish.
pub async fn run(
    listener: TcpListener,
    tls: Option<Arc<ServerConfig>>,
    app: Router,
    fast: Option<Arc<super::fast::FastPath>>,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), String> {
    let cap = limits
        .connections
        .clamp(1, Semaphore::MAX_PERMITS.min(u32::MAX as usize));
    let permits = Arc::new(Semaphore::new(cap));
    let (stop_tx, stop_rx) = watch::channel(false);
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(limits.max_header_bytes.max(8192))
        .keep_alive(true);
    let shared = Arc::new(Shared {
        app,
        fast,
        http,
        limits: limits.clone(),
    });
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = &mut shutdown => break,
        };
        let (stream, addr) = tokio::select! {
            r = listener.accept() => match r {
                Ok(conn) => conn,
                Err(e) => {
                    if !matches!(
                        e.kind(),
                        std::io::ErrorKind::ConnectionRefused
                            | std::io::ErrorKind::ConnectionAborted
                            | std::io::ErrorKind::ConnectionReset
                    ) {
                        // E.g. out of file descriptors: wait for some to be released.
                        tracing::error!("accept error: {e}");
                        tokio::select! {
                            _ = tokio::time::sleep(Duration::from_millis(200)) => {}
                            _ = &mut shutdown => break,
                        }
                    }
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        let stop = stop_rx.clone();
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            match acceptor {
                None => serve_connection(&shared, stream, None, stop).await,
                Some(acceptor) => {
                    let t = shared.limits.handshake_timeout;
                    match tokio::time::timeout(t, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => {
                            // The verified client certificate, if any, reaches `http::auth::require`.
                            let who = crate::mtls::ClientIdentity::of(tls.get_ref().1);
                            serve_connection(&shared, tls, Some(who), stop).await
                        }
                        Ok(Err(e)) => tracing::debug!(%addr, "TLS handshake failed: {e}"),
                        Err(_) => tracing::debug!(%addr, "TLS handshake timed out"),
                    }
                }
            }
            drop(permit);
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    // Every connection holds a permit until it is closed.
    let _ = permits.acquire_many(cap as u32).await;
    Ok(())
}

struct Shared {
    app: Router,
    /// Answers served before the router (`fast.rs`); `None` with authentication on.
    fast: Option<Arc<super::fast::FastPath>>,
    http: hyper::server::conn::http1::Builder,
    limits: Limits,
}

async fn serve_connection<T>(
    shared: &Shared,
    io: T,
    identity: Option<crate::mtls::ClientIdentity>,
    mut stop: watch::Receiver<bool>,
) where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let state = ConnState::new();
    let io = Guarded::new(io, state.clone(), shared.limits.max_header_bytes);
    let service = Service {
        app: shared.app.clone(),
        fast: shared.fast.clone(),
        state: state.clone(),
        body_timeout: BodyTimeout(shared.limits.body_timeout),
        identity,
    };
    let conn = shared.http.serve_connection(TokioIo::new(io), service);
    tokio::pin!(conn);
    let idle = shared.limits.idle_timeout;
    let mut stopping = *stop.borrow();
    if stopping {
        conn.as_mut().graceful_shutdown();
    }
    loop {
        let quiet_until = if state.is_busy() {
            tokio::time::Instant::now() + idle
        } else {
            tokio::time::Instant::from_std(state.last_io() + idle)
        };
        tokio::select! {
            r = conn.as_mut() => {
                if let Err(e) = r {
                    tracing::debug!("connection ended: {e}");
                }
                return;
            }
            changed = stop.changed(), if !stopping => {
                stopping = true;
                if changed.is_ok() {
                    conn.as_mut().graceful_shutdown();
                }
            }
            _ = tokio::time::sleep_until(quiet_until) => {
                if !state.is_busy() && state.last_io() + idle <= std::time::Instant::now() {
                    tracing::debug!("closing a connection idle for {idle:?}");
                    return;
                }
            }
        }
    }
}

/// Adapts the router to hyper: marks the connection busy while a handler runs, answers an
/// oversized `Content-Length` at once, hands the body timeout to the extractor.
#[derive(Clone)]
struct Service {
    app: Router,
    fast: Option<Arc<super::fast::FastPath>>,
    state: Arc<ConnState>,
    body_timeout: BodyTimeout,
    /// The TLS client certificate's principal, put into each request's extensions.
    identity: Option<crate::mtls::ClientIdentity>,
}

/// Clears the busy mark when the handler is done (or dropped).
struct Busy(Arc<ConnState>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.busy.fetch_sub(1, Ordering::Relaxed);
        self.0.touch();
    }
}

/// What the handlers learn from the connection: the body timeout, the client certificate's
/// principal (read by `http::auth::require`).
fn connection_extensions(
    req: &mut axum::http::Request<axum::body::Body>,
    timeout: BodyTimeout,
    identity: Option<crate::mtls::ClientIdentity>,
) {
    req.extensions_mut().insert(timeout);
    if let Some(who) = identity {
        req.extensions_mut().insert(axum::extract::ConnectInfo(who));
    }
}

impl Service {
    /// A lookup read and answered by the fast path (`fast.rs`); the router gets it, with
    /// the bytes read, when the fast path does not answer.
    fn fast_lookup(
        &self,
        fast: Arc<super::fast::FastPath>,
        req: hyper::Request<Incoming>,
    ) -> Answer {
        self.state.busy.fetch_add(1, Ordering::Relaxed);
        let busy = Busy(self.state.clone());
        let timeout = self.body_timeout;
        let identity = self.identity.clone();
        let app = self.app.clone();
        Answer::Later(Box::pin(async move {
            let _busy = busy;
            let start = std::time::Instant::now();
            let (parts, body) = req.into_parts();
            let max = super::extract::SCHEMA_BODY;
            let body = axum::body::Body::new(body);
            let bytes = match super::extract::read_body(&parts.headers, body, max, timeout.0).await
            {
                Ok(b) => b,
                Err(e) => return Ok(fast.lookup_failed(&parts.uri, &parts.headers, e, start)),
            };
            if let Some(resp) = fast.lookup(&parts.uri, &parts.headers, &bytes, start) {
                return Ok(resp);
            }
            let mut req = axum::http::Request::from_parts(parts, axum::body::Body::from(bytes));
            connection_extensions(&mut req, timeout, identity);
            Ok(app.oneshot(req).await.unwrap_or_else(|e| match e {}))
        }))
    }
}

impl hyper::service::Service<hyper::Request<Incoming>> for Service {
    type Response = axum::response::Response;
    type Error = Infallible;
    type Future = Answer;

    fn call(&self, req: hyper::Request<Incoming>) -> Self::Future {
        if let Some(fast) = &self.fast {
            // A request with a body goes the long way (its body is read or discarded there),
            // but for a small lookup, read here.
            if hyper::body::Body::is_end_stream(req.body()) {
                if let Some(resp) = fast.answer(req.method(), req.uri(), req.headers()) {
                    return Answer::Now(Some(resp));
                }
            } else if fast.takes_lookup(req.method(), req.uri(), req.headers()) {
                return self.fast_lookup(fast.clone(), req);
            }
        }
        self.state.busy.fetch_add(1, Ordering::Relaxed);
        let busy = Busy(self.state.clone());
        let expects_continue = req
            .headers()
            .get(hyper::header::EXPECT)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
        let too_large =
            super::extract::declared_length(req.headers()) > Some(super::MAX_BODY_BYTES as u64);
        // Only a request with a body needs its leftover tracked (not an ID lookup's GET).
        let left = (!hyper::body::Body::is_end_stream(req.body()))
            .then(|| Arc::new(std::sync::Mutex::new(None)));
        let mut req = req.map(|body| match &left {
            Some(left) => axum::body::Body::new(Tracked {
                inner: Some(body),
                left: left.clone(),
            }),
            None => axum::body::Body::new(body),
        });
        connection_extensions(&mut req, self.body_timeout, self.identity.clone());
        let app = self.app.clone();
        let drain_for = self.body_timeout.0;
        Answer::Later(Box::pin(async move {
            let _busy = busy;
            let resp = if too_large {
                drop(req);
                too_large_response(&super::extract::too_large_message(super::MAX_BODY_BYTES))
            } else {
                app.oneshot(req).await.unwrap_or_else(|e| match e {})
            };
            // A body the handler did not read is discarded (not kept) after the answer, so
            // that the client, still sending, gets the answer rather than a reset. A client
            // that waits for `100 Continue` sends nothing more.
            let unread = left.and_then(|l| l.lock().unwrap_or_else(|p| p.into_inner()).take());
            if let Some(body) = unread.filter(|_| !expects_continue) {
                tokio::spawn(discard(body, drain_for));
            }
            Ok(resp)
        }))
    }
}

/// What [`Service::call`] returns: an answer made at once (`fast.rs`), or the router's.
pub enum Answer {
    Now(Option<axum::response::Response>),
    Later(Pin<Box<dyn Future<Output = Result<axum::response::Response, Infallible>> + Send>>),
}

impl Future for Answer {
    type Output = Result<axum::response::Response, Infallible>;

    fn poll(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        match self.get_mut() {
            Answer::Now(resp) => std::task::Poll::Ready(Ok(resp.take().unwrap_or_default())),
            Answer::Later(f) => f.as_mut().poll(cx),
        }
    }
}

/// The most of an unread body discarded before the connection is closed instead.
const MAX_DISCARD: u64 = 2 * super::MAX_BODY_BYTES as u64;

async fn discard(mut body: Incoming, within: Duration) {
    use http_body_util::BodyExt;
    let mut seen = 0u64;
    let _ = tokio::time::timeout(within, async {
        while let Some(Ok(frame)) = body.frame().await {
            seen += frame.data_ref().map_or(0, |d| d.len() as u64);
            if seen > MAX_DISCARD {
                break;
            }
        }
    })
    .await;
}

/// The request body as the router sees it; when dropped before its end, it hands the rest
/// back to [`Service::call`] to be discarded.
struct Tracked {
    inner: Option<Incoming>,
    left: Arc<std::sync::Mutex<Option<Incoming>>>,
}

impl hyper::body::Body for Tracked {
    type Data = bytes::Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        match self.get_mut().inner.as_mut() {
            Some(b) => Pin::new(b).poll_frame(cx),
            None => std::task::Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner
            .as_ref()
            .is_none_or(hyper::body::Body::is_end_stream)
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.as_ref().map_or_else(
            || hyper::body::SizeHint::with_exact(0),
            hyper::body::Body::size_hint,
        )
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        if let Some(body) = self.inner.take() {
            if !hyper::body::Body::is_end_stream(&body) {
                *self.left.lock().unwrap_or_else(|p| p.into_inner()) = Some(body);
            }
        }
    }
}
