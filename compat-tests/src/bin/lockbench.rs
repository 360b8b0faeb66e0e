//! A load generator for the round trips redis-benchmark cannot make: each
//! connection locks a key with CACHE.LOCK, then writes it back with
//! CACHE.PUTUNLOCK under the handle the lock returned (`lock` mode), or
//! reads it with GET and writes it with SET (`getset` mode), one request
//! at a time (pipeline depth 1).
//!
//! ```text
//! lockbench HOST:PORT MODE CLIENTS SECONDS
//! ```
//! Prints `MODE pairs_per_sec` on one line. Each connection works on its
//! own 1000 keys, so no lock is ever contended: the numbers compare the
//! cost of the commands, not waiting.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn command(args: &[&[u8]]) -> Vec<u8> {
    let mut b = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        b.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        b.extend_from_slice(a);
        b.extend_from_slice(b"\r\n");
    }
    b
}

struct Conn {
    w: TcpStream,
    r: BufReader<TcpStream>,
    line: String,
}

impl Conn {
    fn open(addr: &str) -> Conn {
        let w = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
        w.set_nodelay(true).expect("nodelay");
        let r = BufReader::new(w.try_clone().expect("clone"));
        Conn {
            w,
            r,
            line: String::new(),
        }
    }

    fn send(&mut self, args: &[&[u8]]) {
        self.w.write_all(&command(args)).expect("write");
    }

    /// One reply line, without its CRLF.
    fn line(&mut self) -> &str {
        self.line.clear();
        self.r.read_line(&mut self.line).expect("read");
        if self.line.starts_with('-') {
            panic!("error reply: {}", self.line.trim_end());
        }
        self.line.trim_end()
    }

    /// Skips a bulk string reply's body after its `$n` header.
    fn skip_bulk(&mut self) {
        let n: i64 = self.line()[1..].parse().expect("bulk length");
        if n >= 0 {
            let mut body = vec![0; n as usize + 2];
            std::io::Read::read_exact(&mut self.r, &mut body).expect("bulk body");
        }
    }
}

fn lock_round(c: &mut Conn, key: &[u8], value: &[u8]) {
    c.send(&[b"CACHE.LOCK", key, b"10000", b"CREATE"]);
    assert_eq!(c.line(), "*3");
    let handle = c.line()[1..].to_string();
    c.skip_bulk();
    c.line();
    c.send(&[b"CACHE.PUTUNLOCK", key, value, handle.as_bytes()]);
    c.line();
}

fn getset_round(c: &mut Conn, key: &[u8], value: &[u8]) {
    c.send(&[b"GET", key]);
    c.skip_bulk();
    c.send(&[b"SET", key, value]);
    c.line();
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 5 {
        eprintln!("usage: lockbench HOST:PORT (lock|getset) CLIENTS SECONDS");
        std::process::exit(2);
    }
    let (addr, mode) = (args[1].clone(), args[2].clone());
    let clients: usize = args[3].parse().expect("CLIENTS");
    let seconds: u64 = args[4].parse().expect("SECONDS");
    let round: fn(&mut Conn, &[u8], &[u8]) = match mode.as_str() {
        "lock" => lock_round,
        "getset" => getset_round,
        _ => panic!("mode is lock or getset"),
    };
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let threads: Vec<_> = (0..clients)
        .map(|id| {
            let (addr, stop, done) = (addr.clone(), stop.clone(), done.clone());
            std::thread::spawn(move || {
                let mut c = Conn::open(&addr);
                let value = vec![b'v'; 32];
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let key = format!("lockbench:{id}:{}", n % 1000);
                    round(&mut c, key.as_bytes(), &value);
                    n += 1;
                }
                done.fetch_add(n, Ordering::Relaxed);
            })
        })
        .collect();
    let start = Instant::now();
    std::thread::sleep(Duration::from_secs(seconds));
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().expect("client thread");
    }
    let rate = done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64();
    println!("{mode} {rate:.0}");
}
