//! A memcached text-protocol load generator: `C` connections, each sending
//! batches of `D` pipelined `get` or `set` requests, until `N` requests are
//! done. Prints requests per second and p50/p99 latency.
//!
//! ```text
//! cargo run --release --example mcload -- --port 11211 -c 50 -P 16 -n 1000000 -t set -d 64 -r 100000
//! ```
//!
//! memaslap (libmemcached-tools) keeps one request in flight per
//! connection and reports only average latency, so it can measure neither
//! pipelined load nor percentiles; this tool covers both.
//!
//! The last line is machine-readable, for scripts/bench.sh:
//!
//! ```text
//! RESULT status=ok op=set requests=1000000 secs=2.10 rps=476190 p50_ms=1.503 p99_ms=3.011 hits=0 errors=0 first_error=
//! ```
//!
//! Any reply other than the expected one (`STORED`, `VALUE ... END`,
//! `END`) stops the load: the status is `error` and `first_error` quotes the
//! reply, so a server that does not speak the protocol yields no numbers.

use clap::{Parser, ValueEnum};
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Op {
    Get,
    Set,
}

#[derive(Parser, Debug, Clone)]
#[command(about = "memcached text-protocol load generator")]
struct Opts {
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    #[arg(short = 'p', long, default_value_t = 11211)]
    port: u16,
    /// Connections
    #[arg(short = 'c', long, default_value_t = 50)]
    clients: usize,
    /// Requests in flight per connection
    #[arg(short = 'P', long, default_value_t = 1)]
    pipeline: usize,
    /// Total requests
    #[arg(short = 'n', long, default_value_t = 100_000)]
    requests: u64,
    /// Operation
    #[arg(short = 't', long, value_enum, default_value = "set")]
    op: Op,
    /// Value size in bytes for set
    #[arg(short = 'd', long, default_value_t = 64)]
    data_size: usize,
    /// Keys are key:NNNNNNNNNNNN with NNN random below this
    #[arg(short = 'r', long, default_value_t = 100_000)]
    keyspace: u64,
    /// Client threads; 1 runs everything on one thread, as redis-benchmark does
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Seconds without a reply before the load is declared failed
    #[arg(long, default_value_t = 5)]
    timeout: u64,
}

/// What every connection shares.
struct Shared {
    opts: Opts,
    /// Requests handed out so far; a connection claims a batch at a time.
    claimed: AtomicU64,
    done: AtomicU64,
    hits: AtomicU64,
    errors: AtomicU64,
    stop: AtomicBool,
    first_error: Mutex<Option<String>>,
}

impl Shared {
    fn fail(&self, msg: String) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        self.stop.store(true, Ordering::Relaxed);
        let mut first = self.first_error.lock().unwrap_or_else(|e| e.into_inner());
        first.get_or_insert(msg);
    }
}

/// One parsed reply.
enum Outcome {
    Stored,
    Hit,
    Miss,
    /// Anything unexpected, quoted.
    Unexpected(String),
}

fn quote(line: &[u8]) -> String {
    let s = String::from_utf8_lossy(&line[..line.len().min(80)]);
    s.trim_end().to_string()
}

/// The position of the next CRLF from `from` on.
fn line_end(buf: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    loop {
        let i = at + memchr::memchr(b'\n', buf.get(at..)?)?;
        if i > from && buf[i - 1] == b'\r' {
            return Some(i - 1);
        }
        at = i + 1;
    }
}

/// Parses the reply to one request at the start of `buf`: `Some((bytes,
/// outcome))`, or `None` when more bytes are needed.
fn parse_reply(buf: &[u8], op: Op) -> Option<(usize, Outcome)> {
    let mut pos = 0;
    let mut hit = false;
    loop {
        let end = line_end(buf, pos)?;
        let line = &buf[pos..end];
        let next = end + 2;
        match op {
            Op::Set => {
                let out = if line == b"STORED" {
                    Outcome::Stored
                } else {
                    Outcome::Unexpected(quote(line))
                };
                return Some((next, out));
            }
            Op::Get => {
                if line == b"END" {
                    return Some((next, if hit { Outcome::Hit } else { Outcome::Miss }));
                }
                let Some(rest) = line.strip_prefix(b"VALUE ") else {
                    return Some((next, Outcome::Unexpected(quote(line))));
                };
                // VALUE <key> <flags> <bytes> [<cas>]
                let len = rest
                    .split(|&c| c == b' ')
                    .nth(2)
                    .and_then(|f| std::str::from_utf8(f).ok())
                    .and_then(|f| f.parse::<usize>().ok());
                let Some(len) = len else {
                    return Some((next, Outcome::Unexpected(quote(line))));
                };
                if buf.len() < next + len + 2 {
                    return None;
                }
                if &buf[next + len..next + len + 2] != b"\r\n" {
                    return Some((next, Outcome::Unexpected("bad data block".into())));
                }
                hit = true;
                pos = next + len + 2;
            }
        }
    }
}

/// A small xorshift generator: the keys need spread, not quality.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

async fn connection(sh: Arc<Shared>, id: usize) -> Vec<u32> {
    let o = &sh.opts;
    let mut lat = Vec::new();
    let mut stream = match TcpStream::connect((o.host.as_str(), o.port)).await {
        Ok(s) => s,
        Err(e) => {
            sh.fail(format!("connect: {e}"));
            return lat;
        }
    };
    let _ = stream.set_nodelay(true);
    let value = vec![b'x'; o.data_size];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ ((id as u64 + 1) * 0x2545_F491_4F6C_DD1D));
    let mut req = Vec::with_capacity(o.pipeline * (o.data_size + 64));
    let mut buf = vec![0u8; 64 * 1024];
    let (mut start, mut filled) = (0usize, 0usize);
    let timeout = Duration::from_secs(o.timeout);
    let d = o.pipeline as u64;
    while !sh.stop.load(Ordering::Relaxed) {
        let first = sh.claimed.fetch_add(d, Ordering::Relaxed);
        if first >= o.requests {
            break;
        }
        let batch = d.min(o.requests - first) as usize;
        req.clear();
        for _ in 0..batch {
            let k = rng.next() % o.keyspace.max(1);
            match o.op {
                Op::Get => {
                    let _ = write!(req, "get key:{k:012}\r\n");
                }
                Op::Set => {
                    let _ = write!(req, "set key:{k:012} 0 0 {}\r\n", value.len());
                    req.extend_from_slice(&value);
                    req.extend_from_slice(b"\r\n");
                }
            }
        }
        let t0 = Instant::now();
        if let Err(e) = stream.write_all(&req).await {
            sh.fail(format!("write: {e}"));
            break;
        }
        let mut got = 0;
        while got < batch {
            match parse_reply(&buf[start..filled], o.op) {
                Some((n, outcome)) => {
                    start += n;
                    got += 1;
                    lat.push(t0.elapsed().as_micros().min(u32::MAX as u128) as u32);
                    match outcome {
                        Outcome::Stored | Outcome::Miss => {}
                        Outcome::Hit => {
                            sh.hits.fetch_add(1, Ordering::Relaxed);
                        }
                        Outcome::Unexpected(line) => {
                            sh.fail(line);
                            return lat;
                        }
                    }
                }
                None => {
                    // Keep the partial reply at the front, grow for big values.
                    buf.copy_within(start..filled, 0);
                    filled -= start;
                    start = 0;
                    if filled == buf.len() {
                        buf.resize(buf.len() * 2, 0);
                    }
                    match tokio::time::timeout(timeout, stream.read(&mut buf[filled..])).await {
                        Ok(Ok(0)) => {
                            sh.fail("connection closed by server".into());
                            return lat;
                        }
                        Ok(Ok(n)) => filled += n,
                        Ok(Err(e)) => {
                            sh.fail(format!("read: {e}"));
                            return lat;
                        }
                        Err(_) => {
                            sh.fail(format!("no reply within {}s", o.timeout));
                            return lat;
                        }
                    }
                }
            }
        }
        sh.done.fetch_add(batch as u64, Ordering::Relaxed);
    }
    lat
}

fn percentile_ms(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i] as f64 / 1000.0
}

async fn run(sh: Arc<Shared>) -> (Vec<u32>, Duration) {
    let t0 = Instant::now();
    let tasks: Vec<_> = (0..sh.opts.clients.max(1))
        .map(|i| tokio::spawn(connection(sh.clone(), i)))
        .collect();
    let mut lat = Vec::new();
    for t in tasks {
        match t.await {
            Ok(l) => lat.extend(l),
            Err(e) => sh.fail(format!("connection task: {e}")),
        }
    }
    (lat, t0.elapsed())
}

fn main() {
    let opts = Opts::parse();
    let threads = opts.threads.max(1);
    let sh = Arc::new(Shared {
        opts,
        claimed: AtomicU64::new(0),
        done: AtomicU64::new(0),
        hits: AtomicU64::new(0),
        errors: AtomicU64::new(0),
        stop: AtomicBool::new(false),
        first_error: Mutex::new(None),
    });
    let rt = if threads == 1 {
        tokio::runtime::Builder::new_current_thread().enable_all().build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()
    };
    let rt = match rt {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("mcload: runtime: {e}");
            std::process::exit(1);
        }
    };
    let (mut lat, elapsed) = rt.block_on(run(sh.clone()));
    lat.sort_unstable();
    let done = sh.done.load(Ordering::Relaxed);
    let errors = sh.errors.load(Ordering::Relaxed);
    let secs = elapsed.as_secs_f64();
    let rps = if secs > 0.0 { done as f64 / secs } else { 0.0 };
    let first_error = sh
        .first_error
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
        .unwrap_or_default();
    let o = &sh.opts;
    let op = match o.op {
        Op::Get => "get",
        Op::Set => "set",
    };
    eprintln!(
        "{op}: {done} requests in {secs:.2}s, {rps:.0} requests/s, p50 {:.3} ms, p99 {:.3} ms, {} hits, {errors} errors",
        percentile_ms(&lat, 0.50),
        percentile_ms(&lat, 0.99),
        sh.hits.load(Ordering::Relaxed),
    );
    println!(
        "RESULT status={} op={op} requests={done} secs={secs:.3} rps={rps:.0} p50_ms={:.3} p99_ms={:.3} hits={} errors={errors} first_error={}",
        if errors == 0 { "ok" } else { "error" },
        percentile_ms(&lat, 0.50),
        percentile_ms(&lat, 0.99),
        sh.hits.load(Ordering::Relaxed),
        first_error.replace(' ', "_"),
    );
    if errors > 0 {
        std::process::exit(2);
    }
}
