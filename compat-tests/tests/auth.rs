//! requirepass, AUTH and HELLO AUTH through raw sockets and the `redis`
//! crate, against the real binary.

use compat_tests::{Frame, Options, Server};

const NOAUTH: &str = "NOAUTH Authentication required.";
const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";

#[test]
fn requirepass_is_enforced_before_auth() {
    let srv = Server::start(&["--requirepass", "secret"]);
    let mut w = srv.wire();
    assert_eq!(w.cmd(&[b"SET", b"k", b"v"]), Frame::error(NOAUTH));
    assert_eq!(w.cmd(&[b"CONFIG", b"SET", b"requirepass", b""]), Frame::error(NOAUTH));
    assert_eq!(w.cmd(&[b"AUTH", b"wrong"]), Frame::error(WRONGPASS));
    assert_eq!(w.cmd(&[b"AUTH", b"default", b"wrong"]), Frame::error(WRONGPASS));
    assert_eq!(w.cmd(&[b"GET", b"k"]), Frame::error(NOAUTH));
    assert_eq!(w.cmd(&[b"AUTH", b"secret"]), Frame::ok());
    assert_eq!(w.cmd(&[b"SET", b"k", b"v"]), Frame::ok());
    let mut w = srv.wire();
    assert_eq!(w.cmd(&[b"AUTH", b"default", b"secret"]), Frame::ok());
    assert_eq!(w.cmd(&[b"GET", b"k"]), Frame::bulk("v"));
    // The redis crate sends AUTH for a password in the URL.
    let url = format!("redis://:secret@127.0.0.1:{}/", srv.port);
    let mut con = redis::Client::open(url).unwrap().get_connection().unwrap();
    let v: String = redis::cmd("GET").arg("k").query(&mut con).unwrap();
    assert_eq!(v, "v");
}

#[test]
fn config_set_requirepass_is_enforced_on_new_clients() {
    let srv = Server::start(&[]);
    let mut admin = srv.wire();
    assert_eq!(
        admin.cmd(&[b"AUTH", b"x"]),
        Frame::error("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
    );
    assert_eq!(admin.cmd(&[b"CONFIG", b"SET", b"requirepass", b"s3cret"]), Frame::ok());
    // As in Redis, a client that connected before the password stays in.
    assert_eq!(admin.cmd(&[b"SET", b"k", b"v"]), Frame::ok());
    let mut w = srv.wire();
    assert_eq!(w.cmd(&[b"GET", b"k"]), Frame::error(NOAUTH));
    assert_eq!(w.cmd(&[b"PING"]), Frame::error(NOAUTH));
    // An empty password turns authentication off again.
    assert_eq!(admin.cmd(&[b"CONFIG", b"SET", b"requirepass", b""]), Frame::ok());
    assert_eq!(w.cmd(&[b"GET", b"k"]), Frame::bulk("v"));
}

#[test]
fn hello_auth_authenticates_and_plain_hello_is_refused() {
    let srv = Server::start(&["--requirepass", "secret"]);
    let mut w = srv.wire();
    match w.cmd(&[b"HELLO", b"3"]) {
        Frame::Error(e) => assert!(
            e.starts_with("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option"),
            "{e}"
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        w.cmd(&[b"HELLO", b"2", b"AUTH", b"default", b"nope"]),
        Frame::error(WRONGPASS)
    );
    assert!(matches!(
        w.cmd(&[b"HELLO", b"2", b"AUTH", b"default", b"secret"]),
        Frame::Array(_)
    ));
    assert_eq!(w.cmd(&[b"SET", b"k", b"v"]), Frame::ok());
    // RESP3 through the redis crate, which logs in with HELLO 3 AUTH.
    let url = format!("redis://default:secret@127.0.0.1:{}/?protocol=resp3", srv.port);
    let mut con = redis::Client::open(url).unwrap().get_connection().unwrap();
    let v: String = redis::cmd("GET").arg("k").query(&mut con).unwrap();
    assert_eq!(v, "v");
}

#[test]
fn requirepass_from_the_config_file_is_enforced() {
    let srv = Options::resp_only().config_file("requirepass \"pass word\"\n").start();
    let mut w = srv.wire();
    assert_eq!(w.cmd(&[b"DBSIZE"]), Frame::error(NOAUTH));
    assert_eq!(w.cmd(&[b"AUTH", b"pass word"]), Frame::ok());
    assert_eq!(w.cmd(&[b"DBSIZE"]), Frame::Integer(0));
}

#[test]
fn unauthenticated_client_cannot_send_large_requests() {
    let srv = Server::start(&["--requirepass", "secret"]);
    let mut w = srv.wire();
    w.send(b"*100\r\n");
    assert_eq!(
        w.read_frame(),
        Frame::error("ERR Protocol error: unauthenticated multibulk length")
    );
    let mut w = srv.wire();
    w.send(b"*1\r\n$100000000\r\n");
    assert_eq!(
        w.read_frame(),
        Frame::error("ERR Protocol error: unauthenticated bulk length")
    );
    // Once logged in, the ordinary limits apply.
    let mut w = srv.wire();
    assert_eq!(w.cmd(&[b"AUTH", b"secret"]), Frame::ok());
    let big = vec![b'x'; 100_000];
    assert_eq!(w.cmd(&[b"SET", b"k", &big]), Frame::ok());
}

#[test]
fn password_with_an_open_memcached_port_is_warned_about() {
    let srv = Server::start(&["--requirepass", "secret"]);
    let log = srv.log_lines();
    assert!(
        log.iter().any(|l| l.contains("memcached port has no authentication")),
        "{log:?}"
    );
    // memcached clients are not asked for the password.
    let mut mc = srv.mc_wire();
    mc.send(b"set k 0 0 1\r\nv\r\n");
    assert_eq!(mc.read_line(), b"STORED\r\n".to_vec());
}
