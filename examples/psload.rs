//! A pub/sub load generator, in two modes.
//!
//! Fan-out (the default): `S` subscribers, each on its own connection,
//! SUBSCRIBE to one channel; once all are subscribed, one publisher sends
//! `N` PUBLISH requests of a `D`-byte payload, `P` at a time, pipelined.
//! Every subscriber counts the messages it receives and checks each one's
//! sequence number. The rate is deliveries (`N * S`) over the time from the
//! first publish to the last subscriber's last message.
//!
//! ```text
//! cargo run --release --example psload -- --port 6379 -s 100 -n 40000 -d 32 -P 64
//! ```
//!
//! The publisher stays at most `--window` messages ahead of the slowest
//! subscriber, so the servers' output buffers stay small and the rate is
//! one the server can sustain; `--window 0` publishes open loop, as fast
//! as the server takes requests, and lets the backlog grow.
//!
//! Sink (`--sink PATTERN`): one connection PSUBSCRIBEs to `PATTERN`,
//! prints `READY`, and counts the messages it receives until SIGTERM;
//! then it drains what is still coming (until nothing arrives for
//! `--drain-ms`) and reports. It waits for messages up to `--deadline`. scripts/pubsubbench.sh runs it beside
//! redis-benchmark to read keyspace notifications.
//!
//! Nothing waits unbounded: a connection that receives nothing for
//! `--timeout` seconds fails the load, the whole load fails after
//! `--deadline` seconds, and a subscriber whose connection the server
//! closes (as `client-output-buffer-limit pubsub` closes one that falls
//! behind) ends the load at once with status `closed`.
//!
//! The last line is machine-readable, for scripts/pubsubbench.sh:
//!
//! ```text
//! RESULT status=ok subscribers=100 messages=40000 deliveries=4000000 secs=1.912 rate=2092050 pub_secs=1.900 received=4000000 first_error=
//! RESULT status=ok mode=sink messages=2000000 bytes=151000000 secs=3.210 first_error=
//! ```
//!
//! `status` is `ok`, `closed` (the server closed a connection), `timeout`
//! or `error` (an unexpected reply, or a failed connect); `first_error`
//! says which, with `_` for spaces.

use clap::Parser;
use std::io::Write;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

#[derive(Parser, Debug, Clone)]
#[command(about = "pub/sub load generator: fan-out, or a pattern subscriber that counts")]
struct Opts {
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    #[arg(short = 'p', long, default_value_t = 6379)]
    port: u16,
    /// Subscribers, one connection each
    #[arg(short = 's', long, default_value_t = 10)]
    subscribers: usize,
    /// Messages the publisher sends
    #[arg(short = 'n', long, default_value_t = 100_000)]
    messages: u64,
    /// Payload bytes per message
    #[arg(short = 'd', long, default_value_t = 32)]
    data_size: usize,
    /// PUBLISH requests per pipelined batch
    #[arg(short = 'P', long, default_value_t = 64)]
    pipeline: usize,
    /// Messages the publisher may be ahead of the slowest subscriber (0: no bound)
    #[arg(long, default_value_t = 4096)]
    window: u64,
    /// The channel
    #[arg(long, default_value = "psload")]
    channel: String,
    /// Count messages on PSUBSCRIBE PATTERN until SIGTERM, instead of fan-out
    #[arg(long)]
    sink: Option<String>,
    /// Sink: after SIGTERM, stop once nothing arrived for this long
    #[arg(long, default_value_t = 300)]
    drain_ms: u64,
    /// Client threads; 1 runs everything on one thread, as redis-benchmark does
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Seconds a connection may wait for bytes before the load fails
    #[arg(long, default_value_t = 10)]
    timeout: u64,
    /// Seconds the whole load may take
    #[arg(long, default_value_t = 300)]
    deadline: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Ok,
    Closed,
    Timeout,
    Error,
}

impl Status {
    fn word(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Closed => "closed",
            Status::Timeout => "timeout",
            Status::Error => "error",
        }
    }
}

/// What every task shares. The first failure wins and cancels the rest.
struct Shared {
    opts: Opts,
    /// Messages each subscriber has received.
    received: Vec<AtomicU64>,
    /// Woken by subscribers after each read: the publisher's window moved.
    progress: Notify,
    subscribed: AtomicUsize,
    all_subscribed: Notify,
    /// When the last subscriber got its last message, since `t0`, in µs.
    last_us: AtomicU64,
    stop: CancellationToken,
    failure: Mutex<Option<(Status, String)>>,
}

impl Shared {
    fn fail(&self, status: Status, msg: String) {
        let mut f = self.failure.lock().unwrap_or_else(|e| e.into_inner());
        f.get_or_insert((status, msg));
        self.stop.cancel();
    }

    fn failure(&self) -> Option<(Status, String)> {
        self.failure.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn slowest(&self) -> u64 {
        self.received
            .iter()
            .map(|r| r.load(Ordering::Relaxed))
            .min()
            .unwrap_or(0)
    }
}

/// `*N\r\n` then `$len\r\narg\r\n` for each argument.
fn command(out: &mut Vec<u8>, args: &[&[u8]]) {
    let _ = write!(out, "*{}\r\n", args.len());
    for a in args {
        let _ = write!(out, "${}\r\n", a.len());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// Digits of the sequence number at the end of each payload.
fn seq_digits(data_size: usize) -> usize {
    data_size.min(18)
}

/// The payload of message `seq`: `x` padding, then `seq` in the last
/// digits (modulo what fits).
fn payload(out: &mut Vec<u8>, data_size: usize, seq: u64) {
    let k = seq_digits(data_size);
    out.resize(out.len() + data_size - k, b'x');
    if k > 0 {
        let m = seq % 10u64.pow(k as u32);
        let _ = write!(out, "{m:0k$}");
    }
}

fn quote(bytes: &[u8]) -> String {
    let s = String::from_utf8_lossy(&bytes[..bytes.len().min(60)]);
    s.escape_debug().to_string()
}

/// Reads more into `buf[*filled..]`, compacting and growing it first.
/// `Ok(false)` when the server closed the connection.
async fn fill(
    stream: &mut (impl AsyncReadExt + Unpin),
    buf: &mut Vec<u8>,
    start: &mut usize,
    filled: &mut usize,
    timeout: Duration,
    stop: &CancellationToken,
) -> Result<bool, (Status, String)> {
    buf.copy_within(*start..*filled, 0);
    *filled -= *start;
    *start = 0;
    if *filled == buf.len() {
        buf.resize(buf.len() * 2, 0);
    }
    let read = tokio::select! {
        r = tokio::time::timeout(timeout, stream.read(&mut buf[*filled..])) => r,
        _ = stop.cancelled() => return Err((Status::Error, "stopped".into())),
    };
    match read {
        Ok(Ok(0)) => Ok(false),
        Ok(Ok(n)) => {
            *filled += n;
            Ok(true)
        }
        Ok(Err(e)) => Err((Status::Error, format!("read: {e}"))),
        Err(_) => Err((Status::Timeout, format!("nothing received for {}s", timeout.as_secs()))),
    }
}

async fn connect(o: &Opts) -> Result<TcpStream, (Status, String)> {
    let s = TcpStream::connect((o.host.as_str(), o.port))
        .await
        .map_err(|e| (Status::Error, format!("connect: {e}")))?;
    let _ = s.set_nodelay(true);
    Ok(s)
}

/// Reads until `buf` starts with `want` (a subscribe confirmation).
async fn expect(
    stream: &mut TcpStream,
    want: &[u8],
    buf: &mut Vec<u8>,
    filled: &mut usize,
    sh: &Shared,
) -> Result<usize, (Status, String)> {
    let timeout = Duration::from_secs(sh.opts.timeout);
    let mut start = 0;
    while *filled < want.len() {
        if !fill(stream, buf, &mut start, filled, timeout, &sh.stop).await? {
            return Err((Status::Closed, "closed before confirming the subscription".into()));
        }
    }
    if &buf[..want.len()] != want {
        return Err((Status::Error, format!("subscribe replied {}", quote(&buf[..*filled]))));
    }
    Ok(want.len())
}

async fn subscriber(sh: Arc<Shared>, id: usize, t0: Arc<Mutex<Option<Instant>>>) {
    if let Err((status, msg)) = subscribe_and_count(&sh, id, &t0).await {
        if msg != "stopped" {
            sh.fail(status, format!("subscriber {id}: {msg}"));
        }
    }
}

async fn subscribe_and_count(sh: &Shared, id: usize, t0: &Mutex<Option<Instant>>) -> Result<(), (Status, String)> {
    let o = &sh.opts;
    let chan = o.channel.as_bytes();
    let mut stream = connect(o).await?;
    let mut req = Vec::new();
    command(&mut req, &[b"SUBSCRIBE", chan]);
    stream
        .write_all(&req)
        .await
        .map_err(|e| (Status::Error, format!("write: {e}")))?;
    let mut confirm = Vec::new();
    let _ = write!(confirm, "*3\r\n$9\r\nsubscribe\r\n${}\r\n", chan.len());
    confirm.extend_from_slice(chan);
    confirm.extend_from_slice(b"\r\n:1\r\n");
    let mut buf = vec![0u8; 256 * 1024];
    let mut filled = 0;
    let mut start = expect(&mut stream, &confirm, &mut buf, &mut filled, sh).await?;
    if sh.subscribed.fetch_add(1, Ordering::Relaxed) + 1 == o.subscribers {
        sh.all_subscribed.notify_one();
    }

    // Every message is the same frame but for the payload's digits.
    let mut header = Vec::new();
    let _ = write!(header, "*3\r\n$7\r\nmessage\r\n${}\r\n", chan.len());
    header.extend_from_slice(chan);
    let _ = write!(header, "\r\n${}\r\n", o.data_size);
    let frame = header.len() + o.data_size + 2;
    let k = seq_digits(o.data_size);
    let modulus = 10u64.pow(k as u32);
    let timeout = Duration::from_secs(o.timeout);
    let mut count = 0u64;
    while count < o.messages {
        while filled - start >= frame && count < o.messages {
            let f = &buf[start..start + frame];
            let digits = &f[header.len() + o.data_size - k..header.len() + o.data_size];
            let seq = digits
                .iter()
                .try_fold(0u64, |n, &c| c.is_ascii_digit().then(|| n * 10 + u64::from(c - b'0')));
            if &f[..header.len()] != header.as_slice()
                || &f[frame - 2..] != b"\r\n"
                || (k > 0 && seq != Some(count % modulus))
            {
                return Err((
                    Status::Error,
                    format!("message {count} is not the one expected: {}", quote(f)),
                ));
            }
            count += 1;
            start += frame;
        }
        sh.received[id].store(count, Ordering::Relaxed);
        sh.progress.notify_one();
        if count == o.messages {
            break;
        }
        if !fill(&mut stream, &mut buf, &mut start, &mut filled, timeout, &sh.stop).await? {
            return Err((
                Status::Closed,
                format!("closed by the server after {count} of {} messages", o.messages),
            ));
        }
    }
    if filled > start {
        return Err((
            Status::Error,
            format!("more than expected: {}", quote(&buf[start..filled])),
        ));
    }
    let started = t0
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .unwrap_or_else(Instant::now);
    let us = started.elapsed().as_micros().min(u128::from(u64::MAX)) as u64;
    sh.last_us.fetch_max(us, Ordering::Relaxed);
    Ok(())
}

/// Waits until the slowest subscriber is within the window of `upto`.
async fn window(sh: &Shared, upto: u64) -> Result<(), (Status, String)> {
    let o = &sh.opts;
    if o.window == 0 {
        return Ok(());
    }
    let timeout = Duration::from_secs(o.timeout);
    loop {
        let slowest = sh.slowest();
        if upto.saturating_sub(slowest) <= o.window {
            return Ok(());
        }
        tokio::select! {
            r = tokio::time::timeout(timeout, sh.progress.notified()) => if r.is_err() {
                return Err((
                    Status::Timeout,
                    format!("the slowest subscriber stayed at {slowest} messages for {}s", o.timeout),
                ));
            },
            _ = sh.stop.cancelled() => return Err((Status::Error, "stopped".into())),
        }
    }
}

async fn publisher(sh: Arc<Shared>, t0: Arc<Mutex<Option<Instant>>>) -> Option<Duration> {
    match publish_all(&sh, &t0).await {
        Ok(d) => Some(d),
        Err((status, msg)) => {
            if msg != "stopped" {
                sh.fail(status, format!("publisher: {msg}"));
            }
            None
        }
    }
}

async fn publish_all(sh: &Shared, t0: &Mutex<Option<Instant>>) -> Result<Duration, (Status, String)> {
    let o = &sh.opts;
    let timeout = Duration::from_secs(o.timeout);
    let stream = connect(o).await?;
    // Every subscriber is in before the first message.
    while sh.subscribed.load(Ordering::Relaxed) < o.subscribers {
        tokio::select! {
            r = tokio::time::timeout(timeout, sh.all_subscribed.notified()) => if r.is_err() {
                return Err((
                    Status::Timeout,
                    format!(
                        "{} of {} subscribers subscribed after {}s",
                        sh.subscribed.load(Ordering::Relaxed),
                        o.subscribers,
                        o.timeout
                    ),
                ));
            },
            _ = sh.stop.cancelled() => return Err((Status::Error, "stopped".into())),
        }
    }
    let (mut rd, mut wr) = stream.into_split();
    let began = Instant::now();
    *t0.lock().unwrap_or_else(|e| e.into_inner()) = Some(began);

    let writer = async {
        let mut req = Vec::new();
        let mut data = Vec::with_capacity(o.data_size);
        let mut sent = 0u64;
        while sent < o.messages {
            let batch = (o.pipeline.max(1) as u64).min(o.messages - sent);
            window(sh, sent + batch).await?;
            req.clear();
            for seq in sent..sent + batch {
                data.clear();
                payload(&mut data, o.data_size, seq);
                command(&mut req, &[b"PUBLISH", o.channel.as_bytes(), &data]);
            }
            wr.write_all(&req)
                .await
                .map_err(|e| (Status::Error, format!("write: {e}")))?;
            sent += batch;
        }
        Ok::<(), (Status, String)>(())
    };

    // Every reply is the receiver count: fewer than the subscribers means
    // the server dropped one.
    let reader = async {
        let want = format!(":{}\r\n", o.subscribers).into_bytes();
        let mut buf = vec![0u8; 64 * 1024];
        let (mut start, mut filled) = (0usize, 0usize);
        let mut replies = 0u64;
        while replies < o.messages {
            while filled - start >= want.len() && replies < o.messages {
                if buf[start..start + want.len()] != want[..] {
                    let got = &buf[start..filled];
                    let status = if got.first() == Some(&b':') {
                        Status::Closed
                    } else {
                        Status::Error
                    };
                    return Err((status, format!("reply {replies} to PUBLISH was {}", quote(got))));
                }
                start += want.len();
                replies += 1;
            }
            if replies == o.messages {
                break;
            }
            if !fill(&mut rd, &mut buf, &mut start, &mut filled, timeout, &sh.stop).await? {
                return Err((Status::Closed, format!("closed by the server after {replies} replies")));
            }
        }
        Ok(began.elapsed())
    };
    let (w, r) = tokio::join!(writer, reader);
    w?;
    r
}

fn fanout(rt: &tokio::runtime::Runtime, opts: Opts) -> i32 {
    let subscribers = opts.subscribers.max(1);
    let sh = Arc::new(Shared {
        received: (0..subscribers).map(|_| AtomicU64::new(0)).collect(),
        opts: Opts { subscribers, ..opts },
        progress: Notify::new(),
        subscribed: AtomicUsize::new(0),
        all_subscribed: Notify::new(),
        last_us: AtomicU64::new(0),
        stop: CancellationToken::new(),
        failure: Mutex::new(None),
    });
    let t0 = Arc::new(Mutex::new(None));
    let deadline = Duration::from_secs(sh.opts.deadline);
    let pub_time = rt.block_on(async {
        let subs: Vec<_> = (0..subscribers)
            .map(|i| tokio::spawn(subscriber(sh.clone(), i, t0.clone())))
            .collect();
        let publ = tokio::spawn(publisher(sh.clone(), t0.clone()));
        let all = async {
            for s in subs {
                let _ = s.await;
            }
            publ.await.ok().flatten()
        };
        match tokio::time::timeout(deadline, all).await {
            Ok(p) => p,
            Err(_) => {
                sh.fail(Status::Timeout, format!("unfinished after {}s", deadline.as_secs()));
                None
            }
        }
    });
    let o = &sh.opts;
    let received: u64 = sh.received.iter().map(|r| r.load(Ordering::Relaxed)).sum();
    let deliveries = o.messages * subscribers as u64;
    let secs = sh.last_us.load(Ordering::Relaxed) as f64 / 1e6;
    let (status, err) = match sh.failure() {
        Some((s, e)) => (s, e),
        None => (Status::Ok, String::new()),
    };
    let rate = if status == Status::Ok && secs > 0.0 {
        deliveries as f64 / secs
    } else {
        0.0
    };
    let pub_secs = pub_time.map_or(0.0, |d| d.as_secs_f64());
    eprintln!(
        "{subscribers} subscribers, {} messages: {received} of {deliveries} delivered in {secs:.3}s, {rate:.0} deliveries/s; publisher done in {pub_secs:.3}s{}",
        o.messages,
        if err.is_empty() { String::new() } else { format!("; {}: {err}", status.word()) },
    );
    println!(
        "RESULT status={} subscribers={subscribers} messages={} deliveries={deliveries} secs={secs:.3} rate={rate:.0} pub_secs={pub_secs:.3} received={received} first_error={}",
        status.word(),
        o.messages,
        err.replace(' ', "_"),
    );
    i32::from(status != Status::Ok) * 2
}

/// Parses one push (an array of bulk strings) at the start of `buf`:
/// `Ok(Some((bytes, first element)))`, `Ok(None)` when incomplete.
fn parse_push(buf: &[u8]) -> Result<Option<(usize, &[u8])>, String> {
    fn line(buf: &[u8], at: usize) -> Option<(&[u8], usize)> {
        let i = at + memchr::memchr(b'\n', buf.get(at..)?)?;
        (i > at && buf[i - 1] == b'\r').then(|| (&buf[at..i - 1], i + 1))
    }
    fn number(s: &[u8]) -> Option<usize> {
        std::str::from_utf8(s).ok()?.parse().ok()
    }
    let Some((head, mut at)) = line(buf, 0) else {
        return Ok(None);
    };
    let n = match head.split_first() {
        Some((b'*' | b'>', n)) => number(n).ok_or_else(|| quote(head))?,
        _ => return Err(quote(&buf[..buf.len().min(60)])),
    };
    let mut first: &[u8] = b"";
    for i in 0..n {
        let Some((h, next)) = line(buf, at) else {
            return Ok(None);
        };
        at = next;
        match h.split_first() {
            Some((b'$', len)) => {
                let len = number(len).ok_or_else(|| quote(h))?;
                if buf.len() < at + len + 2 {
                    return Ok(None);
                }
                if i == 0 {
                    first = &buf[at..at + len];
                }
                at += len + 2;
            }
            // The count of a (p)subscribe confirmation.
            Some((b':', _)) => {}
            _ => return Err(quote(h)),
        }
    }
    Ok(Some((at, first)))
}

fn sink(rt: &tokio::runtime::Runtime, opts: Opts, pattern: String) -> i32 {
    let deadline = Duration::from_secs(opts.deadline);
    let outcome = rt.block_on(async {
        match tokio::time::timeout(deadline, count_pattern(&opts, pattern.as_bytes())).await {
            Ok(r) => r,
            Err(_) => (
                Status::Timeout,
                format!("unfinished after {}s", deadline.as_secs()),
                0,
                0,
                Duration::ZERO,
            ),
        }
    });
    let (status, err, messages, bytes, took) = outcome;
    eprintln!(
        "sink: {messages} messages, {bytes} bytes in {:.3}s{}",
        took.as_secs_f64(),
        if err.is_empty() {
            String::new()
        } else {
            format!("; {}: {err}", status.word())
        },
    );
    println!(
        "RESULT status={} mode=sink messages={messages} bytes={bytes} secs={:.3} first_error={}",
        status.word(),
        took.as_secs_f64(),
        err.replace(' ', "_"),
    );
    i32::from(status != Status::Ok) * 2
}

/// PSUBSCRIBEs, then counts messages until SIGTERM and a quiet spell:
/// (status, error, messages, bytes, time from the first message to the last).
async fn count_pattern(o: &Opts, pattern: &[u8]) -> (Status, String, u64, u64, Duration) {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => return (Status::Error, format!("signal: {e}"), 0, 0, Duration::ZERO),
    };
    let mut stream = match connect(o).await {
        Ok(s) => s,
        Err((s, e)) => return (s, e, 0, 0, Duration::ZERO),
    };
    let mut req = Vec::new();
    command(&mut req, &[b"PSUBSCRIBE", pattern]);
    if let Err(e) = stream.write_all(&req).await {
        return (Status::Error, format!("write: {e}"), 0, 0, Duration::ZERO);
    }
    let mut buf = vec![0u8; 1024 * 1024];
    let (mut start, mut filled) = (0usize, 0usize);
    let (mut messages, mut bytes) = (0u64, 0u64);
    let mut confirmed = false;
    let (mut first, mut last) = (None::<Instant>, None::<Instant>);
    let mut draining = false;
    let drain = Duration::from_millis(o.drain_ms);
    let idle = Duration::from_secs(o.deadline);
    let stop = CancellationToken::new();
    let span = |first: Option<Instant>, last: Option<Instant>| match (first, last) {
        (Some(f), Some(l)) => l - f,
        _ => Duration::ZERO,
    };
    loop {
        loop {
            match parse_push(&buf[start..filled]) {
                Ok(Some((n, kind))) => {
                    if kind == b"psubscribe" && !confirmed {
                        confirmed = true;
                        println!("READY");
                        let _ = std::io::stdout().flush();
                    } else if kind == b"pmessage" || kind == b"message" {
                        messages += 1;
                        bytes += n as u64;
                    } else {
                        let e = format!("unexpected {}", quote(&buf[start..filled]));
                        return (Status::Error, e, messages, bytes, span(first, last));
                    }
                    start += n;
                }
                Ok(None) => break,
                Err(e) => {
                    return (
                        Status::Error,
                        format!("bad reply {e}"),
                        messages,
                        bytes,
                        span(first, last),
                    )
                }
            }
        }
        // Before SIGTERM a quiet connection is fine (there may be no events
        // at all; --deadline bounds the wait); after it, a short quiet
        // spell means the end.
        let wait = if draining { drain } else { idle };
        let got = tokio::select! {
            r = fill(&mut stream, &mut buf, &mut start, &mut filled, wait, &stop) => r,
            _ = term.recv(), if !draining => {
                draining = true;
                continue;
            }
        };
        match got {
            Ok(true) => {
                let now = Instant::now();
                first.get_or_insert(now);
                last = Some(now);
            }
            Ok(false) => {
                let e = format!("closed by the server after {messages} messages");
                return (Status::Closed, e, messages, bytes, span(first, last));
            }
            Err((Status::Timeout, _)) if draining => break,
            Err((s, e)) => return (s, e, messages, bytes, span(first, last)),
        }
    }
    (Status::Ok, String::new(), messages, bytes, span(first, last))
}

fn main() {
    let opts = Opts::parse();
    let threads = opts.threads.max(1);
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
            eprintln!("psload: runtime: {e}");
            std::process::exit(1);
        }
    };
    let code = match opts.sink.clone() {
        Some(pattern) => sink(&rt, opts, pattern),
        None => fanout(&rt, opts),
    };
    std::process::exit(code);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_ends_with_the_sequence_number() {
        let mut p = Vec::new();
        payload(&mut p, 32, 42);
        assert_eq!(p.len(), 32);
        assert!(p.ends_with(b"000000000000000042"));
        p.clear();
        payload(&mut p, 3, 1234);
        assert_eq!(p, b"234");
    }

    #[test]
    fn a_push_is_parsed_whole_or_not_at_all() {
        let msg = b"*4\r\n$8\r\npmessage\r\n$1\r\n*\r\n$1\r\nc\r\n$2\r\nhi\r\n";
        assert_eq!(parse_push(msg), Ok(Some((msg.len(), &b"pmessage"[..]))));
        assert_eq!(parse_push(&msg[..msg.len() - 1]), Ok(None));
        let confirm = b"*3\r\n$10\r\npsubscribe\r\n$1\r\n*\r\n:1\r\n";
        assert_eq!(parse_push(confirm), Ok(Some((confirm.len(), &b"psubscribe"[..]))));
        assert!(parse_push(b"-ERR no\r\n").is_err());
    }
}
