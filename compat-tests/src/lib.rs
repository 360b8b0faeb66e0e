//! A harness that runs the real ferrocache binary for the compat tests.
//!
//! - [`Server`] starts the binary on free ephemeral ports (never 6379 or
//!   11211), waits for its "listening" log line and kills it when dropped.
//!   [`Options`] adds flags, a config file, or leaves one protocol off.
//! - [`Wire`] is a raw TCP transcript: send bytes, read replies. RESP
//!   replies are decoded with the `redis-protocol` crate, an implementation
//!   independent of the server's encoder, into [`Frame`]s.
//! - [`Server::rss_kb`] and [`Server::wait_rss_below`] read the process's
//!   resident memory from `/proc/PID/status`, for leak checks.
//! - [`Server::redis_cli`] runs an external client against the server.
//!
//! The binary is `$FERROCACHE_BIN` when set (a relative path may start
//! from the workspace root), else the workspace's `target/debug/ferrocache`
//! (then `target/release/ferrocache`).

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long a read waits before the harness calls the server hung. A
/// guard against hanging the suite, not a speed requirement.
pub const READ_LIMIT: Duration = Duration::from_secs(30);

/// The binary under test. A relative `$FERROCACHE_BIN` is looked up from
/// the current directory, then from the workspace root (cargo runs tests
/// in the package's directory, users name paths from the root).
pub fn binary() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    if let Ok(p) = std::env::var("FERROCACHE_BIN") {
        let p = PathBuf::from(p);
        if p.is_relative() && !p.exists() && root.join(&p).exists() {
            return root.join(p);
        }
        return p;
    }
    for profile in ["debug", "release"] {
        let p = root.join("target").join(profile).join("ferrocache");
        if p.exists() {
            return p;
        }
    }
    panic!("ferrocache binary not found: build it (cargo build) or set FERROCACHE_BIN");
}

/// A free port on the loopback interface, as the kernel hands them out.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free port")
}

/// How to start the server.
#[derive(Debug, Clone)]
pub struct Options {
    resp: bool,
    memcache: bool,
    args: Vec<String>,
    config: Option<String>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            resp: true,
            memcache: true,
            args: Vec::new(),
            config: None,
        }
    }
}

impl Options {
    /// Both protocols, default flags.
    pub fn new() -> Options {
        Options::default()
    }

    /// Only the RESP port (`--memcache-port 0`).
    pub fn resp_only() -> Options {
        Options {
            memcache: false,
            ..Options::default()
        }
    }

    /// Only the memcached port (`--port 0`).
    pub fn memcache_only() -> Options {
        Options {
            resp: false,
            ..Options::default()
        }
    }

    /// Adds flags after the port flags: `.args(&["--databases", "4"])`.
    pub fn args(mut self, args: &[&str]) -> Options {
        self.args.extend(args.iter().map(|s| s.to_string()));
        self
    }

    /// Writes `text` to a temporary file and passes it as `--config`.
    pub fn config_file(mut self, text: &str) -> Options {
        self.config = Some(text.to_string());
        self
    }

    pub fn start(self) -> Server {
        Server::start_with(self)
    }
}

/// A running ferrocache process.
pub struct Server {
    child: Child,
    /// The RESP port; 0 when RESP is off.
    pub port: u16,
    /// The memcached port; 0 when memcached is off.
    pub mc_port: u16,
    stderr: mpsc::Receiver<String>,
    /// Lines logged up to the readiness line, for [`Server::log_lines`].
    early: std::sync::Mutex<Vec<String>>,
    config_path: Option<PathBuf>,
}

impl Server {
    /// Starts the binary with both protocols on fresh ports and `extra` flags.
    pub fn start(extra: &[&str]) -> Server {
        Options::new().args(extra).start()
    }

    pub fn start_with(opts: Options) -> Server {
        let config_path = opts.config.as_ref().map(|text| {
            let p = std::env::temp_dir().join(format!("ferrocache-test-{}-{}.conf", std::process::id(), free_port()));
            std::fs::write(&p, text).expect("write config file");
            p
        });
        let mut last_err = String::new();
        // A port handed out by free_port can be taken by someone else
        // before the server binds it: retry with fresh ports.
        for _ in 0..5 {
            let port = if opts.resp { free_port() } else { 0 };
            let mc_port = if opts.memcache { free_port() } else { 0 };
            if port != 0 && port == mc_port {
                continue;
            }
            let mut cmd = Command::new(binary());
            cmd.args(["--port", &port.to_string(), "--memcache-port", &mc_port.to_string()]);
            if !opts.args.iter().any(|a| a == "--loglevel") {
                // The readiness line is logged at info.
                cmd.args(["--loglevel", "info"]);
            }
            if let Some(p) = &config_path {
                cmd.arg("--config").arg(p);
            }
            let mut child = cmd
                .args(&opts.args)
                .env_remove("RUST_LOG")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap_or_else(|e| panic!("start {}: {e}", binary().display()));
            let (tx, rx) = mpsc::channel();
            let err = child.stderr.take().expect("stderr");
            std::thread::spawn(move || {
                for line in BufReader::new(err).lines().map_while(Result::ok) {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
            let want = if port != 0 {
                format!("RESP listening on 127.0.0.1:{port}")
            } else {
                format!("memcached listening on 127.0.0.1:{mc_port}")
            };
            let mut early = Vec::new();
            loop {
                match rx.recv_timeout(READ_LIMIT) {
                    Ok(line) if line.contains(&want) => {
                        early.push(line);
                        // With both ports on, the memcached line follows.
                        if port != 0 && mc_port != 0 {
                            let mc = format!("memcached listening on 127.0.0.1:{mc_port}");
                            while let Ok(l) = rx.recv_timeout(READ_LIMIT) {
                                let done = l.contains(&mc);
                                early.push(l);
                                if done {
                                    break;
                                }
                            }
                        }
                        return Server {
                            child,
                            port,
                            mc_port,
                            stderr: rx,
                            early: std::sync::Mutex::new(early),
                            config_path,
                        };
                    }
                    Ok(line) => {
                        early.push(line.clone());
                        last_err = line
                    }
                    Err(_) => {
                        let _ = child.kill();
                        let _ = child.wait();
                        break;
                    }
                }
            }
        }
        panic!("ferrocache did not start: {last_err}");
    }

    pub fn redis_url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// A `redis` crate client for RESP2 (`resp3` false) or RESP3.
    pub fn redis_client(&self, resp3: bool) -> redis::Client {
        let url = if resp3 {
            format!("{}?protocol=resp3", self.redis_url())
        } else {
            self.redis_url()
        };
        redis::Client::open(url).expect("client")
    }

    /// A synchronous RESP2 connection.
    pub fn redis(&self) -> redis::Connection {
        self.redis_client(false).get_connection().expect("connect")
    }

    /// A multiplexed async connection. The crate's default 500 ms response
    /// timeout would make a slow CI machine look like a broken server, so
    /// the limits here are generous.
    pub async fn redis_async(&self, resp3: bool) -> redis::RedisResult<redis::aio::MultiplexedConnection> {
        let cfg = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(READ_LIMIT))
            .set_response_timeout(Some(READ_LIMIT));
        self.redis_client(resp3)
            .get_multiplexed_async_connection_with_config(&cfg)
            .await
    }

    /// A raw connection to the RESP port.
    pub fn wire(&self) -> Wire {
        assert!(self.port != 0, "RESP is off");
        Wire::connect(self.port)
    }

    /// A raw connection to the memcached port.
    pub fn mc_wire(&self) -> Wire {
        assert!(self.mc_port != 0, "memcached is off");
        Wire::connect(self.mc_port)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The config file written for [`Options::config_file`], if any.
    pub fn config_path(&self) -> Option<&std::path::Path> {
        self.config_path.as_deref()
    }

    /// Lines the server has written to stderr since the last call (the
    /// first call includes those up to the readiness line).
    pub fn log_lines(&self) -> Vec<String> {
        let mut lines = std::mem::take(&mut *self.early.lock().unwrap_or_else(|p| p.into_inner()));
        lines.extend(self.stderr.try_iter());
        lines
    }

    /// True while the process runs.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Panics with the server's last log lines when the process has exited.
    pub fn assert_alive(&mut self) {
        if let Ok(Some(st)) = self.child.try_wait() {
            let log = self.log_lines().join("\n");
            panic!("ferrocache exited ({st}); its last words:\n{log}");
        }
    }

    /// Waits for the process to exit by itself (SHUTDOWN, a signal).
    pub fn wait_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Ok(Some(st)) = self.child.try_wait() {
                return Some(st);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// Resident memory of the server process in KiB (`VmRSS`).
    pub fn rss_kb(&self) -> u64 {
        rss_kb(self.pid()).expect("read /proc/PID/status")
    }

    /// Polls RSS until it is at most `limit_kb`, or `deadline` passes;
    /// returns the last reading. A memory check with a generous deadline,
    /// not a speed check: the allocator may hand pages back lazily.
    pub fn wait_rss_below(&self, limit_kb: u64, deadline: Duration) -> u64 {
        let start = Instant::now();
        loop {
            let rss = self.rss_kb();
            if rss <= limit_kb || start.elapsed() > deadline {
                return rss;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Runs `redis-cli -h 127.0.0.1 -p PORT args...` with `stdin` fed in.
    pub fn redis_cli(&self, args: &[&str], stdin: &[u8]) -> Output {
        let port = self.port.to_string();
        let mut full = vec!["-h", "127.0.0.1", "-p", &port];
        full.extend_from_slice(args);
        run_command("redis-cli", &full, stdin)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(p) = &self.config_path {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// `VmRSS` of a process in KiB.
pub fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs an external program with `stdin` fed in and waits for it. Panics
/// with an install hint when the program is missing.
pub fn run_command(program: &str, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {program} ({e}); scripts/test.sh installs it"));
    let mut input = child.stdin.take().expect("stdin");
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().expect("wait for command");
    let _ = writer.join();
    out
}

/// Encodes a request as a RESP multibulk.
pub fn multibulk(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// A decoded reply, the same shape for RESP2 and RESP3.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    Simple(Vec<u8>),
    Error(String),
    Integer(i64),
    Bulk(Vec<u8>),
    /// RESP2 `$-1` and `*-1`, RESP3 `_`.
    Null,
    Array(Vec<Frame>),
    /// A RESP3 type the suite has no shorthand for, in debug form.
    Other(String),
}

impl Frame {
    pub fn ok() -> Frame {
        Frame::Simple(b"OK".to_vec())
    }

    pub fn simple(s: &str) -> Frame {
        Frame::Simple(s.as_bytes().to_vec())
    }

    pub fn bulk(b: impl AsRef<[u8]>) -> Frame {
        Frame::Bulk(b.as_ref().to_vec())
    }

    pub fn error(s: &str) -> Frame {
        Frame::Error(s.to_string())
    }

    fn from_resp2(f: redis_protocol::resp2::types::OwnedFrame) -> Frame {
        use redis_protocol::resp2::types::OwnedFrame as F;
        match f {
            F::SimpleString(s) => Frame::Simple(s),
            F::Error(e) => Frame::Error(e),
            F::Integer(i) => Frame::Integer(i),
            F::BulkString(b) => Frame::Bulk(b),
            F::Array(a) => Frame::Array(a.into_iter().map(Frame::from_resp2).collect()),
            F::Null => Frame::Null,
        }
    }

    fn from_resp3(f: redis_protocol::resp3::types::OwnedFrame) -> Frame {
        use redis_protocol::resp3::types::OwnedFrame as F;
        match f {
            F::SimpleString { data, .. } => Frame::Simple(data),
            F::SimpleError { data, .. } => Frame::Error(data),
            F::BlobError { data, .. } => Frame::Error(String::from_utf8_lossy(&data).into_owned()),
            F::Number { data, .. } => Frame::Integer(data),
            F::BlobString { data, .. } => Frame::Bulk(data),
            F::Array { data, .. } => Frame::Array(data.into_iter().map(Frame::from_resp3).collect()),
            F::Null => Frame::Null,
            other => Frame::Other(format!("{other:?}")),
        }
    }
}

/// How a connection ended, as seen by [`Wire::read_to_close`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The server closed the connection (EOF).
    Closed,
    /// The server reset it (it closed with our bytes still unread).
    Reset,
}

/// A raw TCP connection with a reply decoder.
pub struct Wire {
    stream: TcpStream,
    buf: Vec<u8>,
    /// Decode replies as RESP3 instead of RESP2.
    pub resp3: bool,
}

impl Wire {
    pub fn connect(port: u16) -> Wire {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        stream.set_read_timeout(Some(READ_LIMIT)).expect("timeout");
        stream.set_nodelay(true).expect("nodelay");
        Wire {
            stream,
            buf: Vec::new(),
            resp3: false,
        }
    }

    /// Sends bytes; panics on an I/O error.
    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("send");
    }

    /// Sends bytes, reporting an I/O error (the server may close first).
    pub fn try_send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes)
    }

    /// Sends `bytes` in pieces of `piece` bytes, one write each.
    pub fn send_in_pieces(&mut self, bytes: &[u8], piece: usize) {
        for c in bytes.chunks(piece.max(1)) {
            self.send(c);
        }
    }

    /// Sends `bytes` from another thread, so a pipeline larger than the
    /// socket buffers cannot deadlock against replies not yet read.
    pub fn send_in_background(&self, bytes: Vec<u8>) -> std::thread::JoinHandle<std::io::Result<()>> {
        let mut w = self.stream.try_clone().expect("clone socket");
        std::thread::spawn(move || w.write_all(&bytes))
    }

    /// Sends one request as a multibulk.
    pub fn send_cmd(&mut self, args: &[&[u8]]) {
        self.send(&multibulk(args));
    }

    /// Sends one request and reads its reply.
    pub fn cmd(&mut self, args: &[&[u8]]) -> Frame {
        self.send_cmd(args);
        self.read_frame()
    }

    /// Sends raw bytes and reads `n` replies.
    pub fn transcript(&mut self, bytes: &[u8], n: usize) -> Vec<Frame> {
        self.send(bytes);
        (0..n).map(|_| self.read_frame()).collect()
    }

    fn fill(&mut self) -> usize {
        let mut chunk = vec![0u8; 64 * 1024];
        match self.stream.read(&mut chunk) {
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                n
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::TimedOut => {
                panic!(
                    "no reply within {READ_LIMIT:?}; unparsed bytes so far: {:?}",
                    String::from_utf8_lossy(&self.buf[..self.buf.len().min(200)])
                )
            }
            Err(e) => panic!("read: {e}"),
        }
    }

    /// Reads one RESP reply, decoded by the `redis-protocol` crate.
    pub fn read_frame(&mut self) -> Frame {
        loop {
            let decoded = if self.resp3 {
                redis_protocol::resp3::decode::complete::decode(&self.buf)
                    .map(|o| o.map(|(f, n)| (Frame::from_resp3(f), n)))
            } else {
                redis_protocol::resp2::decode::decode(&self.buf).map(|o| o.map(|(f, n)| (Frame::from_resp2(f), n)))
            };
            match decoded {
                Ok(Some((frame, n))) => {
                    self.buf.drain(..n);
                    return frame;
                }
                Ok(None) => {}
                Err(e) => panic!(
                    "undecodable reply ({e:?}): {:?}",
                    String::from_utf8_lossy(&self.buf[..self.buf.len().min(200)])
                ),
            }
            if self.fill() == 0 {
                panic!(
                    "connection closed with an incomplete reply: {:?}",
                    String::from_utf8_lossy(&self.buf[..self.buf.len().min(200)])
                );
            }
        }
    }

    /// Reads one `\n`-terminated line (memcached), returned with its `\r\n`.
    pub fn read_line(&mut self) -> Vec<u8> {
        loop {
            if let Some(i) = self.buf.iter().position(|&b| b == b'\n') {
                return self.buf.drain(..=i).collect();
            }
            if self.fill() == 0 {
                panic!("connection closed mid-line: {:?}", String::from_utf8_lossy(&self.buf));
            }
        }
    }

    /// Sends `send` and asserts that the next bytes received are `expect`.
    pub fn exchange(&mut self, send: &[u8], expect: &[u8]) {
        self.send(send);
        let got = self.read_exact(expect.len());
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(expect),
            "reply to {:?}",
            String::from_utf8_lossy(&send[..send.len().min(200)])
        );
    }

    /// Reads memcached lines up to and including `END\r\n`.
    pub fn read_until_end(&mut self) -> Vec<u8> {
        let mut all = Vec::new();
        loop {
            let line = self.read_line();
            all.extend_from_slice(&line);
            if line == b"END\r\n" {
                return all;
            }
        }
    }

    /// Reads exactly `n` bytes.
    pub fn read_exact(&mut self, n: usize) -> Vec<u8> {
        while self.buf.len() < n {
            if self.fill() == 0 {
                panic!("connection closed after {} of {n} bytes", self.buf.len());
            }
        }
        self.buf.drain(..n).collect()
    }

    /// Reads until the server ends the connection; returns the bytes it
    /// sent first and how it ended. Panics when the connection stays open.
    pub fn read_to_close(&mut self) -> (Vec<u8>, End) {
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            match self.stream.read(&mut chunk) {
                Ok(0) => return (std::mem::take(&mut self.buf), End::Closed),
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == ErrorKind::ConnectionReset => return (std::mem::take(&mut self.buf), End::Reset),
                Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::TimedOut => {
                    panic!(
                        "connection still open after {READ_LIMIT:?}; it sent {:?}",
                        String::from_utf8_lossy(&self.buf[..self.buf.len().min(200)])
                    )
                }
                Err(e) => panic!("read: {e}"),
            }
        }
    }

    /// Closes our sending half; the server sees EOF.
    pub fn shutdown_write(&self) {
        let _ = self.stream.shutdown(Shutdown::Write);
    }

    /// Bytes received but not yet consumed.
    pub fn pending(&self) -> &[u8] {
        &self.buf
    }
}

/// Requests through the `redis` crate, written as argument lists.
pub mod query {
    use redis::{Connection, FromRedisValue, Value};

    /// A command from its arguments, the name first.
    pub fn cmd(args: &[impl AsRef<[u8]>]) -> redis::Cmd {
        let mut c = redis::Cmd::new();
        for a in args {
            c.arg(a.as_ref());
        }
        c
    }

    /// Runs a command that must succeed, converting its reply.
    pub fn q<T: FromRedisValue>(con: &mut Connection, args: &[impl AsRef<[u8]> + std::fmt::Debug]) -> T {
        cmd(args).query(con).unwrap_or_else(|e| panic!("{args:?}: {e}"))
    }

    /// Runs a command that must fail; the error line as the server wrote
    /// it, `CODE detail`.
    pub fn err(con: &mut Connection, args: &[impl AsRef<[u8]> + std::fmt::Debug]) -> String {
        match cmd(args).query::<Value>(con) {
            Ok(v) => panic!("{args:?}: expected an error, got {v:?}"),
            Err(e) => format!("{} {}", e.code().unwrap_or("?"), e.detail().unwrap_or("")),
        }
    }

    pub fn int(con: &mut Connection, args: &[impl AsRef<[u8]> + std::fmt::Debug]) -> i64 {
        q(con, args)
    }

    pub fn strs(con: &mut Connection, args: &[impl AsRef<[u8]> + std::fmt::Debug]) -> Vec<String> {
        q(con, args)
    }

    /// A connection to `srv` whose reads give up after [`crate::READ_LIMIT`],
    /// so a blocking command that is never served fails the test instead
    /// of hanging it.
    pub fn guarded(srv: &crate::Server) -> Connection {
        let c = srv.redis();
        c.set_read_timeout(Some(crate::READ_LIMIT)).expect("read timeout");
        c
    }

    /// A number from INFO's clients section (blocked_clients ...).
    pub fn clients_field(con: &mut Connection, field: &str) -> i64 {
        let info: String = q(con, &["INFO", "clients"]);
        info.lines()
            .find_map(|l| l.strip_prefix(&format!("{field}:")))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {field} in {info}"))
    }

    /// Waits until INFO reports `n` blocked clients: a condition, not a
    /// clock, with [`crate::READ_LIMIT`] as the guard against a hang.
    pub fn wait_blocked(con: &mut Connection, n: i64) {
        let start = std::time::Instant::now();
        while clients_field(con, "blocked_clients") != n {
            assert!(start.elapsed() < crate::READ_LIMIT, "blocked_clients never reached {n}");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }
}

/// A directory of its own under the system's temporary directory,
/// removed with everything in it when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("ferrocache-{tag}-{}-{}", std::process::id(), free_port()));
        std::fs::create_dir_all(&p).expect("create temp dir");
        TempDir(p)
    }

    pub fn path(&self) -> &std::path::Path {
        &self.0
    }

    /// The directory as a string, for command-line flags.
    pub fn arg(&self) -> String {
        self.0.display().to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A real redis-server (Debian's package `redis-server`) on a free port,
/// for the tests where ferrocache meets Redis: RDB files, DUMP payloads,
/// replication. Killed when dropped.
pub struct RedisServer {
    child: Child,
    pub port: u16,
}

impl RedisServer {
    /// Starts `redis-server` with no save points, in `dir`, with `extra`
    /// arguments (`--name value` pairs), and waits until it answers PING.
    pub fn start(dir: &std::path::Path, extra: &[&str]) -> RedisServer {
        for _ in 0..5 {
            let port = free_port();
            let child = Command::new("redis-server")
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", ""])
                .args(["--dir", &dir.display().to_string(), "--daemonize", "no"])
                .args(extra)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot run redis-server ({e}); scripts/test.sh installs it"));
            let mut s = RedisServer { child, port };
            let start = Instant::now();
            while start.elapsed() < READ_LIMIT {
                if let Ok(Some(_)) = s.child.try_wait() {
                    break;
                }
                if let Ok(mut c) = redis::Client::open(s.url()).and_then(|c| c.get_connection()) {
                    let pong: redis::RedisResult<String> = redis::cmd("PING").query(&mut c);
                    // With requirepass it answers, asking for the password.
                    if pong.is_ok() || pong.is_err_and(|e| e.to_string().contains("NOAUTH")) {
                        return s;
                    }
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = s.child.kill();
        }
        panic!("redis-server did not start");
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    pub fn redis(&self) -> redis::Connection {
        redis::Client::open(self.url())
            .and_then(|c| c.get_connection())
            .expect("connect to redis-server")
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
