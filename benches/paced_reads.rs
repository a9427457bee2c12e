//! Open-loop reads for `benches/read_under_writes.sh`: `GET /schemas/ids/{id}` sent at a
//! fixed total rate, whatever the server's answers take, with each latency measured from
//! the moment the request was due (not from when it was sent), so that a stall counts for
//! every request it delayed. A closed-loop tool (wrk) at saturation measures how the CPU is
//! shared between itself and the server; at a fixed rate below saturation the tail is the
//! time a read waited behind other work in the server.
//!
//!   cargo build --release --example paced_reads
//!   target/release/examples/paced_reads URL RATE SECONDS CONNECTIONS MIN_ID MAX_ID
//!
//! Prints one line: `PACED_RESULT rate=… sent=… errors=… p50_us=… p99_us=… p999_us=… max_us=…`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

struct Args {
    host: String,
    rate: f64,
    seconds: f64,
    connections: usize,
    min_id: i64,
    max_id: i64,
}

fn args() -> Result<Args, String> {
    let a: Vec<String> = std::env::args().skip(1).collect();
    if a.len() != 6 {
        return Err("usage: paced_reads URL RATE SECONDS CONNECTIONS MIN_ID MAX_ID".into());
    }
    let host = a[0]
        .strip_prefix("http://")
        .ok_or("URL must start with http://")?
        .trim_end_matches('/')
        .to_string();
    let num = |i: usize| a[i].parse::<f64>().map_err(|e| format!("{}: {e}", a[i]));
    Ok(Args {
        host,
        rate: num(1)?,
        seconds: num(2)?,
        connections: num(3)? as usize,
        min_id: num(4)? as i64,
        max_id: num(5)? as i64,
    })
}

/// One HTTP/1.1 exchange on a kept-alive connection: the status, once the body is read.
fn exchange(r: &mut BufReader<TcpStream>, request: &[u8]) -> std::io::Result<u16> {
    r.get_mut().write_all(request)?;
    let mut line = String::new();
    r.read_line(&mut line)?;
    let status = line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut length = 0usize;
    loop {
        line.clear();
        if r.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0; length];
    r.read_exact(&mut body)?;
    Ok(status)
}

/// One connection's share: requests due every `interval` from `start`, latencies in µs.
fn connection(a: &Args, index: usize, start: Instant, interval: Duration) -> (Vec<u64>, u64) {
    let mut lat = Vec::new();
    let mut errors = 0;
    let Ok(stream) = TcpStream::connect(&a.host) else {
        return (lat, 1);
    };
    let _ = stream.set_nodelay(true);
    let mut r = BufReader::new(stream);
    let span = (a.max_id - a.min_id + 1).max(1);
    let end = start + Duration::from_secs_f64(a.seconds);
    // Connections start spread over one interval.
    let mut due = start + interval.mul_f64(index as f64 / a.connections as f64);
    let mut k = index as i64;
    while due < end {
        let now = Instant::now();
        if due > now {
            std::thread::sleep(due - now);
        }
        let id = a.min_id + (k * 7919).rem_euclid(span);
        let req = format!(
            "GET /schemas/ids/{id} HTTP/1.1\r\nHost: {}\r\nAccept: application/json\r\n\r\n",
            a.host
        );
        match exchange(&mut r, req.as_bytes()) {
            Ok(200) => lat.push(due.elapsed().as_micros() as u64),
            Ok(_) => errors += 1,
            Err(_) => return (lat, errors + 1),
        }
        k += a.connections as i64;
        due += interval;
    }
    (lat, errors)
}

fn main() {
    let a = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let interval = Duration::from_secs_f64(a.connections as f64 / a.rate);
    let start = Instant::now() + Duration::from_millis(50);
    let (mut all, mut errors) = (Vec::new(), 0);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..a.connections)
            .map(|i| {
                let a = &a;
                s.spawn(move || connection(a, i, start, interval))
            })
            .collect();
        for h in handles {
            if let Ok((lat, e)) = h.join() {
                all.extend(lat);
                errors += e;
            }
        }
    });
    all.sort_unstable();
    let q = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0)
    };
    println!(
        "PACED_RESULT rate={} sent={} errors={errors} p50_us={} p99_us={} p999_us={} max_us={}",
        a.rate,
        all.len(),
        q(0.5),
        q(0.99),
        q(0.999),
        all.last().copied().unwrap_or(0)
    );
}
