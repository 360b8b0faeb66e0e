//! A harness that starts the ferrocache binary on free ephemeral ports and
//! stops it when dropped.
//!
//! The binary is `$FERROCACHE_BIN` when set, else the workspace's
//! `target/debug/ferrocache`, which `cargo test --workspace` has built.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub fn binary() -> PathBuf {
    if let Ok(p) = std::env::var("FERROCACHE_BIN") {
        return PathBuf::from(p);
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
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

/// A running ferrocache process.
pub struct Server {
    child: Child,
    pub port: u16,
    pub mc_port: u16,
    stderr: mpsc::Receiver<String>,
}

impl Server {
    /// Starts the binary with both protocols on fresh ports and `extra` flags.
    pub fn start(extra: &[&str]) -> Server {
        let mut last_err = String::new();
        for _ in 0..5 {
            let (port, mc_port) = (free_port(), free_port());
            if port == mc_port {
                continue;
            }
            let mut child = Command::new(binary())
                .args(["--port", &port.to_string(), "--memcache-port", &mc_port.to_string()])
                .args(extra)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start ferrocache");
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
                "RESP listening on"
            } else {
                "memcached listening on"
            };
            loop {
                match rx.recv_timeout(Duration::from_secs(20)) {
                    Ok(line) if line.contains(want) => {
                        return Server {
                            child,
                            port,
                            mc_port,
                            stderr: rx,
                        }
                    }
                    Ok(line) => last_err = line,
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

    pub fn redis(&self) -> redis::Connection {
        redis::Client::open(self.redis_url())
            .and_then(|c| c.get_connection())
            .expect("connect")
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Lines the server has written to stderr since the last call.
    pub fn log_lines(&self) -> Vec<String> {
        self.stderr.try_iter().collect()
    }

    /// True while the process runs.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits for the process to exit by itself (SHUTDOWN, a signal).
    pub fn wait_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let start = std::time::Instant::now();
        while start.elapsed() < limit {
            if let Ok(Some(st)) = self.child.try_wait() {
                return Some(st);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
