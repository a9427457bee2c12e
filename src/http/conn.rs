//! The IO under each HTTP connection: it records when bytes last moved (for the idle
//! watchdog in `serve.rs`) and gives hyper's own error answers Confluent's shape.
//!
//! hyper answers a request head it cannot parse (bad request line, URI, header, Content-Length;
//! a head larger than its buffer) itself, with an empty body, and closes the connection. Such
//! an answer is a head alone, status 400, 414 or 431, `content-length: 0` and no
//! `content-type`; every answer of ours carries a content type, so the two cannot be
//! confused. [`Guarded`] recognises that head in what hyper writes and writes instead the
//! same status with a `{"error_code", "message"}` body; what hyper writes after it (nothing
//! but the close) is dropped. A head larger than the buffer is reported as 414 when its
//! request line never ended (Jetty's choice), else 431.

use super::error::CONTENT_TYPE;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// What the connection task, the service and the IO share about one connection.
#[derive(Debug)]
pub struct ConnState {
    start: Instant,
    /// Milliseconds after `start` when bytes last moved (or a request was last answered).
    last_io: AtomicU64,
    /// Requests whose handler is running (hyper runs one at a time per connection).
    pub busy: AtomicUsize,
}

impl ConnState {
    pub fn new() -> Arc<ConnState> {
        Arc::new(ConnState {
            start: Instant::now(),
            last_io: AtomicU64::new(0),
            busy: AtomicUsize::new(0),
        })
    }

    pub fn touch(&self) {
        let ms = self.start.elapsed().as_millis() as u64;
        self.last_io.store(ms, Ordering::Relaxed);
    }

    /// When bytes last moved.
    pub fn last_io(&self) -> Instant {
        self.start + std::time::Duration::from_millis(self.last_io.load(Ordering::Relaxed))
    }

    pub fn is_busy(&self) -> bool {
        self.busy.load(Ordering::Relaxed) > 0
    }
}

/// An IO stream watched for activity, whose hyper-written error heads are replaced.
pub struct Guarded<T> {
    inner: T,
    state: Arc<ConnState>,
    /// The head limit, for the messages.
    max_head: usize,
    /// Complete lines read since the last blank line (0: the request line has not ended).
    lines: u32,
    /// The previous byte read was a line feed (a blank line follows if the next one is too).
    at_line_start: bool,
    /// Our answer in place of hyper's, and how much of it is written.
    replacement: Option<(Vec<u8>, usize)>,
}

impl<T> Guarded<T> {
    pub fn new(inner: T, state: Arc<ConnState>, max_head: usize) -> Guarded<T> {
        state.touch();
        Guarded {
            inner,
            state,
            max_head,
            lines: 0,
            at_line_start: false,
            replacement: None,
        }
    }

    /// Follows the line structure of request heads (only while no handler runs: bytes read
    /// by a handler are a body).
    fn observe(lines: &mut u32, at_line_start: &mut bool, bytes: &[u8]) {
        for &b in bytes {
            match b {
                b'\n' if *at_line_start => *lines = 0,
                b'\n' => {
                    *lines = lines.saturating_add(1);
                    *at_line_start = true;
                }
                b'\r' => {}
                _ => *at_line_start = false,
            }
        }
    }

    fn replace(&mut self, status: u16) {
        let (status, reason, message) = match status {
            431 if self.lines == 0 => (
                414,
                "URI Too Long",
                format!(
                    "HTTP 414 URI Too Long: the request line is longer than {} bytes",
                    self.max_head
                ),
            ),
            431 => (
                431,
                "Request Header Fields Too Large",
                format!(
                    "HTTP 431 Request Header Fields Too Large: the request head is longer than {} bytes or has more than 100 headers",
                    self.max_head
                ),
            ),
            414 => (
                414,
                "URI Too Long",
                "HTTP 414 URI Too Long".to_string(),
            ),
            _ => (
                400,
                "Bad Request",
                "HTTP 400 Bad Request: malformed request line, URI, header or Content-Length"
                    .to_string(),
            ),
        };
        let body = serde_json::json!({ "error_code": status, "message": message }).to_string();
        let text = format!(
            "HTTP/1.1 {status} {reason}\r\ncontent-type: {CONTENT_TYPE}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        tracing::debug!(status, "malformed request answered");
        self.replacement = Some((text.into_bytes(), 0));
    }
}

/// The status of an error answer hyper wrote by itself (see the module comment), if `buf`
/// is one.
pub fn hyper_error_status(buf: &[u8]) -> Option<u16> {
    if !(buf.starts_with(b"HTTP/1.1 ") || buf.starts_with(b"HTTP/1.0 ")) {
        return None;
    }
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    if end + 4 != buf.len() {
        return None;
    }
    let status: u16 = std::str::from_utf8(buf.get(9..12)?).ok()?.parse().ok()?;
    if !matches!(status, 400 | 414 | 431) {
        return None;
    }
    let head = buf[..end].to_ascii_lowercase();
    let has = |needle: &[u8]| head.windows(needle.len()).any(|w| w == needle);
    if has(b"\r\ncontent-type:")
        || !has(b"\r\ncontent-length: 0\r\n") && !head.ends_with(b"\r\ncontent-length: 0")
    {
        return None;
    }
    Some(status)
}

impl<T: AsyncWrite + Unpin> Guarded<T> {
    /// Writes what is left of the replacement answer.
    fn poll_replacement(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some((bytes, done)) = &mut self.replacement {
            while *done < bytes.len() {
                let n =
                    std::task::ready!(Pin::new(&mut self.inner).poll_write(cx, &bytes[*done..]))?;
                if n == 0 {
                    return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
                }
                *done += n;
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Swallows what hyper writes once it is being replaced; starts replacing when `first`
    /// is hyper's own error head.
    fn intercept(
        &mut self,
        cx: &mut Context<'_>,
        first: &[u8],
        total: usize,
    ) -> Option<Poll<io::Result<usize>>> {
        if self.replacement.is_none() {
            let status = hyper_error_status(first)?;
            self.replace(status);
        }
        Some(match self.poll_replacement(cx) {
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            // Taken; the rest of ours goes out on flush/shutdown.
            _ => Poll::Ready(Ok(total)),
        })
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Guarded<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let r = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = r {
            if buf.filled().len() > before {
                this.state.touch();
                if !this.state.is_busy() {
                    let new = buf.filled().get(before..).unwrap_or_default();
                    Self::observe(&mut this.lines, &mut this.at_line_start, new);
                }
            }
        }
        r
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Guarded<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if let Some(r) = this.intercept(cx, buf, buf.len()) {
            return r;
        }
        let r = Pin::new(&mut this.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = r {
            if n > 0 {
                this.state.touch();
            }
        }
        r
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let total = bufs.iter().map(|b| b.len()).sum();
        let first = bufs
            .iter()
            .find(|b| !b.is_empty())
            .map_or(&[][..], |b| &b[..]);
        if let Some(r) = this.intercept(cx, first, total) {
            return r;
        }
        let r = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(n)) = r {
            if n > 0 {
                this.state.touch();
            }
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        std::task::ready!(this.poll_replacement(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        std::task::ready!(this.poll_replacement(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_only_hyper_error_heads() {
        let hyper = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: Fri, 04 Dec 2026 16:00:00 GMT\r\n\r\n";
        assert_eq!(hyper_error_status(hyper), Some(431));
        let bad = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(hyper_error_status(bad), Some(400));
        let ours = b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(hyper_error_status(ours), None);
        let with_body = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\nxx";
        assert_eq!(hyper_error_status(with_body), None);
        let ok = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(hyper_error_status(ok), None);
        let sized = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 10\r\n\r\n";
        assert_eq!(hyper_error_status(sized), None);
    }
}
