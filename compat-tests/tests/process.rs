//! The binary as a process: flags, config errors, and graceful shutdown
//! on signals and SHUTDOWN.

use compat_tests::{binary, run_command, Server};
use std::time::Duration;

fn signal(srv: &Server, sig: &str) {
    let out = run_command("kill", &["-s", sig, &srv.pid().to_string()], b"");
    assert!(out.status.success(), "kill -s {sig} failed");
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    let mut srv = Server::start(&[]);
    let mut con = srv.redis();
    let _: () = redis::cmd("SET").arg("k").arg("v").query(&mut con).unwrap();
    signal(&srv, "TERM");
    let status = srv
        .wait_exit(Duration::from_secs(30))
        .expect("server still running after SIGTERM");
    assert!(status.success(), "exit status {status:?}");
    let log = srv.log_lines().join("\n");
    assert!(log.contains("received SIGTERM"), "{log}");
    assert!(log.contains("shutting down"), "{log}");
}

#[test]
fn sigint_stops_the_server_cleanly() {
    let mut srv = Server::start(&[]);
    signal(&srv, "INT");
    let status = srv
        .wait_exit(Duration::from_secs(30))
        .expect("server still running after SIGINT");
    assert!(status.success(), "exit status {status:?}");
}

#[test]
fn shutdown_command_closes_open_connections_and_exits() {
    let mut srv = Server::start(&[]);
    let mut idle = srv.wire();
    let mut con = srv.redis();
    let _: redis::RedisResult<()> = redis::cmd("SHUTDOWN").query(&mut con);
    let status = srv
        .wait_exit(Duration::from_secs(30))
        .expect("server still running after SHUTDOWN");
    assert!(status.success(), "exit status {status:?}");
    // The other client sees its connection closed, not a hang.
    let (sent, _) = idle.read_to_close();
    assert!(sent.is_empty(), "{sent:?}");
}

#[test]
fn version_and_help_flags() {
    let bin = binary();
    let bin = bin.to_str().unwrap();
    let v = run_command(bin, &["--version"], b"");
    assert!(v.status.success());
    let text = String::from_utf8_lossy(&v.stdout);
    assert!(text.starts_with("ferrocache "), "{text}");
    let h = run_command(bin, &["--help"], b"");
    assert!(h.status.success());
    let text = String::from_utf8_lossy(&h.stdout);
    for flag in [
        "--port",
        "--memcache-port",
        "--bind",
        "--threads",
        "--databases",
        "--max-item-size",
        "--config",
    ] {
        assert!(text.contains(flag), "--help lacks {flag}:\n{text}");
    }
    assert!(text.contains("Any configuration parameter"), "{text}");
}

#[test]
fn bad_config_file_stops_the_start_with_the_line() {
    let dir = std::env::temp_dir().join(format!("ferrocache-process-{}.conf", std::process::id()));
    std::fs::write(&dir, "port 7000\nmaxmemory-policy sometimes\n").unwrap();
    let out = run_command(binary().to_str().unwrap(), &["--config", dir.to_str().unwrap()], b"");
    let _ = std::fs::remove_file(&dir);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("at line 2"), "{err}");
    assert!(err.contains("maxmemory-policy sometimes"), "{err}");
}

#[test]
fn unknown_flag_is_refused() {
    let out = run_command(binary().to_str().unwrap(), &["--no-such-flag"], b"");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--no-such-flag"));
}

#[test]
fn redis_style_flags_start_the_server() {
    let srv = Server::start(&[
        "--maxmemory",
        "100mb",
        "--maxmemory-policy",
        "allkeys-lru",
        "--save",
        "",
        "--appendonly",
        "no",
        "--client-output-buffer-limit",
        "normal 64mb 16mb 60",
        "--hz",
        "20",
    ]);
    let mut w = srv.wire();
    let get = |w: &mut compat_tests::Wire, name: &str| w.cmd(&[b"CONFIG", b"GET", name.as_bytes()]);
    use compat_tests::Frame;
    let pair = |k: &str, v: &str| Frame::Array(vec![Frame::bulk(k), Frame::bulk(v)]);
    assert_eq!(get(&mut w, "maxmemory"), pair("maxmemory", "104857600"));
    assert_eq!(get(&mut w, "maxmemory-policy"), pair("maxmemory-policy", "allkeys-lru"));
    assert_eq!(get(&mut w, "save"), pair("save", ""));
    assert_eq!(get(&mut w, "hz"), pair("hz", "20"));
    assert_eq!(
        get(&mut w, "client-output-buffer-limit"),
        pair(
            "client-output-buffer-limit",
            "normal 67108864 16777216 60 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
        )
    );
}

#[test]
fn parameter_flag_with_a_bad_value_stops_the_start() {
    let out = run_command(
        binary().to_str().unwrap(),
        &["--port", "0", "--memcache-port", "0", "--maxmemory-policy", "sometimes"],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--maxmemory-policy sometimes"), "{err}");
    assert!(err.contains("must be one of the following"), "{err}");
}
