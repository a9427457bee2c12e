//! A `schema-registry` process whose `listening on` URL may be https (the TLS and auth
//! tests), with the small helpers those tests share.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

/// A server on 127.0.0.1:0 with a fresh SQLite store, killed on drop.
pub struct Running {
    pub url: String,
    pub child: Child,
    log: Arc<Mutex<String>>,
    _dir: tempfile::TempDir,
}

impl Running {
    pub fn start(args: &[&str]) -> Running {
        let dir = tempfile::tempdir().expect("temporary directory");
        let store = format!("sqlite://{}", dir.path().join("registry.db").display());
        let mut child = Command::new(env!("CARGO_BIN_EXE_schema-registry"))
            .args(["--listen", "127.0.0.1:0", "--store", &store])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn the schema-registry binary");
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel();
        copy_lines(child.stdout.take().expect("stdout"), log.clone(), Some(tx));
        copy_lines(child.stderr.take().expect("stderr"), log.clone(), None);
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(url) => Running {
                url,
                child,
                log,
                _dir: dir,
            },
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("no `listening on` line ({e}):\n{}", lock(&log));
            }
        }
    }

    pub fn log(&self) -> String {
        lock(&self.log).clone()
    }

    /// `host:port` of the listener.
    pub fn address(&self) -> &str {
        self.url.split_once("://").map_or(&self.url, |(_, a)| a)
    }

    /// Sends SIGHUP (reload).
    pub fn hangup(&self) {
        let pid = self.child.id();
        let status = Command::new("kill")
            .args(["-HUP", &pid.to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -HUP {pid}");
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn lock(log: &Mutex<String>) -> std::sync::MutexGuard<'_, String> {
    log.lock().unwrap_or_else(|p| p.into_inner())
}

/// Copies a child's output into `log`; the first `listening on` URL is sent on `tx`.
fn copy_lines<R: Read + Send + 'static>(
    stream: R,
    log: Arc<Mutex<String>>,
    mut tx: Option<mpsc::Sender<String>>,
) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if let Some(at) = line.find("listening on ") {
                if let Some(tx) = tx.take() {
                    let _ = tx.send(line[at + "listening on ".len()..].trim().to_string());
                }
            }
            let mut log = lock(&log);
            log.push_str(&line);
            log.push('\n');
        }
    });
}

/// A PHC string with small Argon2 parameters (quick; the server takes the parameters from
/// the string).
pub fn cheap_hash(password: &str) -> String {
    use argon2::PasswordHasher;
    let params = argon2::Params::new(256, 1, 1, None).expect("params");
    argon2::Argon2::from(params)
        .hash_password(password.as_bytes())
        .expect("hash")
        .to_string()
}

/// An `Authorization: Basic …` value.
pub fn basic(user: &str, password: &str) -> String {
    use base64::Engine;
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {token}")
}
