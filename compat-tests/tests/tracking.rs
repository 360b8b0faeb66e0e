//! Client-side caching against the real binary: CLIENT TRACKING in its
//! default, BCAST, OPTIN, OPTOUT and REDIRECT modes, with invalidations
//! caused by Redis writes, memcached writes, expiry and FLUSHALL. The
//! reply bytes were taken from redis-server 7.0.15 given the same requests.

use compat_tests::query::q;
use compat_tests::{Frame, Server, Wire};

/// A RESP3 connection with tracking turned on with `options`.
fn tracking(srv: &Server, options: &str) -> Wire {
    let mut w = srv.wire();
    w.resp3 = true;
    w.send(b"HELLO 3\r\n");
    w.read_frame();
    w.exchange(format!("CLIENT TRACKING on {options}\r\n").as_bytes(), b"+OK\r\n");
    w
}

fn invalidate(keys: &[&str]) -> Vec<u8> {
    let mut out = format!(">2\r\n$10\r\ninvalidate\r\n*{}\r\n", keys.len());
    for k in keys {
        out.push_str(&format!("${}\r\n{k}\r\n", k.len()));
    }
    out.into_bytes()
}

#[test]
fn default_mode_invalidates_a_read_key_once_from_either_protocol() {
    let srv = Server::start(&[]);
    let mut t = tracking(&srv, "");
    let mut other = srv.redis();
    let _: () = q(&mut other, &["SET", "k", "1"]);
    t.exchange(b"GET k\r\n", b"$1\r\n1\r\n");
    let _: () = q(&mut other, &["SET", "k", "2"]);
    assert_eq!(t.read_exact(invalidate(&["k"]).len()), invalidate(&["k"]));
    // Told once: the key left the table until it is read again.
    let _: () = q(&mut other, &["SET", "k", "3"]);
    t.exchange(b"GET k\r\n", b"$1\r\n3\r\n");
    // A memcached `set` of the key is a write like any other.
    let mut mc = srv.mc_wire();
    mc.exchange(b"set k 0 0 1\r\nm\r\n", b"STORED\r\n");
    assert_eq!(t.read_exact(invalidate(&["k"]).len()), invalidate(&["k"]));
    // Keys never read are not told.
    let _: () = q(&mut other, &["SET", "unread", "1"]);
    t.exchange(b"GET k\r\n", b"$1\r\nm\r\n");
    let info: String = q(&mut other, &["INFO", "stats"]);
    assert!(info.contains("tracking_total_keys:1"), "{info}");
    // FLUSHALL tells every tracking client that everything changed.
    let _: () = q(&mut other, &["FLUSHALL"]);
    let null = b">2\r\n$10\r\ninvalidate\r\n_\r\n";
    assert_eq!(t.read_exact(null.len()), null);
}

#[test]
fn redirect_to_a_resp2_subscriber_and_expiry_and_noloop() {
    let srv = Server::start(&["--enable-debug-command", "yes"]);
    let mut target = srv.wire();
    let Frame::Integer(id) = target.cmd(&[b"CLIENT", b"ID"]) else {
        panic!()
    };
    target.exchange(
        b"SUBSCRIBE __redis__:invalidate\r\n",
        b"*3\r\n$9\r\nsubscribe\r\n$20\r\n__redis__:invalidate\r\n:1\r\n",
    );
    let mut t = srv.wire();
    t.exchange(
        format!("CLIENT TRACKING on REDIRECT {id} NOLOOP\r\n").as_bytes(),
        b"+OK\r\n",
    );
    t.exchange(b"CLIENT GETREDIR\r\n", format!(":{id}\r\n").as_bytes());
    t.exchange(
        b"SET own 1 PX 1000\r\nGET own\r\nMGET a b\r\n",
        b"+OK\r\n$1\r\n1\r\n*2\r\n$-1\r\n$-1\r\n",
    );
    // NOLOOP: its own write of a key it read is not told.
    t.exchange(b"SET a x\r\n", b"+OK\r\n");
    let mut other = srv.redis();
    let _: () = q(&mut other, &["SET", "b", "y"]);
    let msg = |k: &str| {
        format!(
            "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n${}\r\n{k}\r\n",
            k.len()
        )
    };
    assert_eq!(target.read_exact(msg("b").len()), msg("b").into_bytes());
    // Expiry is a change no client made: told even under NOLOOP.
    let _: () = q(&mut other, &["DEBUG", "ADVANCE-CLOCK", "2000"]);
    assert_eq!(target.read_exact(msg("own").len()), msg("own").into_bytes());
    let list: String = q(&mut other, &["CLIENT", "LIST"]);
    assert!(
        list.contains("flags=t db=0 ") && list.contains(&format!("redir={id} ")),
        "{list}"
    );
    // The redirect target goes: a RESP3 client hears of it.
    let mut gone = srv.wire();
    let Frame::Integer(gone_id) = gone.cmd(&[b"CLIENT", b"ID"]) else {
        panic!()
    };
    let mut r3 = tracking(&srv, &format!("REDIRECT {gone_id}"));
    r3.exchange(b"GET c\r\n", b"_\r\n");
    gone.exchange(b"QUIT\r\n", b"+OK\r\n");
    let _ = gone.read_to_close();
    let _: () = q(&mut other, &["SET", "c", "1"]);
    // The push may come before or after the PING's reply.
    r3.send(b"PING\r\n");
    let got = [r3.read_frame(), r3.read_frame()];
    assert!(got.contains(&Frame::simple("PONG")), "{got:?}");
    // The push is RESP3 only, shown here in redis-protocol's own terms.
    let push = format!("{:?}", got.iter().find(|f| **f != Frame::simple("PONG")));
    let word = format!("{:?}", b"tracking-redir-broken".to_vec());
    assert!(
        push.contains(&word) && push.contains(&format!("Number {{ data: {gone_id},")),
        "{push}"
    );
}

/// Sends PING and expects exactly `+PONG`: no push was waiting.
fn nothing_told(t: &mut Wire) {
    t.exchange(b"PING\r\n", b"+PONG\r\n");
}

#[test]
fn bcast_tells_every_change_under_its_prefixes_in_one_message_per_batch() {
    let srv = Server::start(&[]);
    let mut t = tracking(&srv, "BCAST PREFIX user: PREFIX cart:");
    t.exchange(
        b"CLIENT TRACKING on BCAST PREFIX us\r\n",
        b"-ERR Prefix 'us' overlaps with an existing prefix 'user:'. Prefixes for a single client must not overlap.\r\n",
    );
    let mut other = srv.redis();
    let (): () = redis::pipe()
        .atomic()
        .cmd("SET")
        .arg("user:2")
        .arg(1)
        .ignore()
        .cmd("SET")
        .arg("user:1")
        .arg(1)
        .ignore()
        .cmd("SET")
        .arg("other")
        .arg(1)
        .ignore()
        .query(&mut other)
        .unwrap();
    let want = invalidate(&["user:1", "user:2"]);
    assert_eq!(t.read_exact(want.len()), want);
    nothing_told(&mut t);
    let info: String = q(&mut other, &["INFO", "stats"]);
    assert!(info.contains("tracking_total_prefixes:2"), "{info}");
}

#[test]
fn optin_tracks_after_caching_yes_and_optout_skips_after_caching_no() {
    let srv = Server::start(&[]);
    let mut other = srv.redis();
    let mut t = tracking(&srv, "OPTIN");
    t.exchange(b"GET a\r\n", b"_\r\n");
    let _: () = q(&mut other, &["SET", "a", "1"]);
    nothing_told(&mut t);
    t.exchange(b"CLIENT CACHING yes\r\nGET a\r\n", b"+OK\r\n$1\r\n1\r\n");
    let _: () = q(&mut other, &["SET", "a", "2"]);
    assert_eq!(t.read_exact(invalidate(&["a"]).len()), invalidate(&["a"]));
    t.exchange(
        b"CLIENT CACHING no\r\n",
        b"-ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.\r\n",
    );
    let mut o = tracking(&srv, "OPTOUT");
    o.exchange(b"CLIENT CACHING no\r\nGET b\r\nGET c\r\n", b"+OK\r\n_\r\n_\r\n");
    let _: () = q(&mut other, &["MSET", "b", "1", "c", "1"]);
    assert_eq!(o.read_exact(invalidate(&["c"]).len()), invalidate(&["c"]));
    nothing_told(&mut o);
    o.exchange(
        b"CLIENT TRACKINGINFO\r\n",
        b"%3\r\n$5\r\nflags\r\n~2\r\n$2\r\non\r\n$6\r\noptout\r\n$8\r\nredirect\r\n:0\r\n$8\r\nprefixes\r\n*0\r\n",
    );
}
