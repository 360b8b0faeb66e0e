//! ACL users through the `redis` crate and raw RESP, against the real
//! binary: ACL SETUSER and the commands that describe users, logging in as
//! a user (AUTH, HELLO 3 AUTH, the crate's URL), NOPERM for commands and
//! keys, transactions and scripts under a user's rules, ACL LOG, deleting
//! users, the default user and `requirepass`, and the ACL categories of
//! COMMAND INFO. Replies and error texts are redis-server 7.0.15's.

use compat_tests::{End, Frame, Server, Wire};

fn cmd(w: &mut Wire, args: &[&str]) -> Frame {
    let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
    w.cmd(&args)
}

fn ok(w: &mut Wire, args: &[&str]) {
    assert_eq!(cmd(w, args), Frame::ok(), "{args:?}");
}

fn err(w: &mut Wire, args: &[&str]) -> String {
    match cmd(w, args) {
        Frame::Error(e) => e,
        f => panic!("{args:?} succeeded: {f:?}"),
    }
}

fn text(f: &Frame) -> String {
    match f {
        Frame::Bulk(b) | Frame::Simple(b) => String::from_utf8_lossy(b).into_owned(),
        other => panic!("not a string: {other:?}"),
    }
}

fn strings(f: &Frame) -> Vec<String> {
    match f {
        Frame::Array(items) => items.iter().map(text).collect(),
        other => panic!("not an array: {other:?}"),
    }
}

/// A RESP2 map reply as (key, value) pairs.
fn pairs(f: &Frame) -> Vec<(String, Frame)> {
    match f {
        Frame::Array(items) => items.chunks(2).map(|p| (text(&p[0]), p[1].clone())).collect(),
        other => panic!("not a map: {other:?}"),
    }
}

fn field(f: &Frame, name: &str) -> Frame {
    pairs(f)
        .into_iter()
        .find(|(k, _)| k == name)
        .unwrap_or_else(|| panic!("no {name} in {f:?}"))
        .1
}

const NOPERM_KEY: &str = "NOPERM this user has no permissions to access one of the keys used as arguments";
const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";

#[test]
fn setuser_is_described_by_getuser_list_and_users() {
    let srv = Server::start(&[]);
    let mut w = srv.wire();
    ok(
        &mut w,
        &[
            "ACL",
            "SETUSER",
            "alice",
            "on",
            ">p1",
            ">p2",
            "~cache:*",
            "%R~config:*",
            "&news",
            "-@all",
            "+get",
            "+@hash",
            "-hdel",
            "+client|id",
            "(~other:* +set)",
        ],
    );
    let u = cmd(&mut w, &["ACL", "GETUSER", "alice"]);
    assert_eq!(strings(&field(&u, "flags")), ["on"]);
    assert_eq!(
        strings(&field(&u, "passwords")),
        [
            "f64551fcd6f07823cb87971cfb91446425da18286b3ab1ef935e0cbd7a69f68a",
            "3946ca64ff78d93ca61090a437cbb6b3d2ca0d488f5f9ccf3059608368b27693"
        ]
    );
    assert_eq!(text(&field(&u, "commands")), "-@all +@hash +get +client|id -hdel");
    assert_eq!(text(&field(&u, "keys")), "~cache:* %R~config:*");
    assert_eq!(text(&field(&u, "channels")), "&news");
    let Frame::Array(selectors) = field(&u, "selectors") else {
        panic!("selectors is an array");
    };
    assert_eq!(text(&field(&selectors[0], "commands")), "-@all +set");
    assert_eq!(text(&field(&selectors[0], "keys")), "~other:*");
    assert_eq!(
        strings(&cmd(&mut w, &["ACL", "LIST"])),
        [
            "user alice on #f64551fcd6f07823cb87971cfb91446425da18286b3ab1ef935e0cbd7a69f68a \
             #3946ca64ff78d93ca61090a437cbb6b3d2ca0d488f5f9ccf3059608368b27693 ~cache:* %R~config:* \
             resetchannels &news -@all +@hash +get +client|id -hdel (~other:* resetchannels -@all +set)",
            "user default on nopass ~* &* +@all",
        ]
    );
    ok(&mut w, &["ACL", "SETUSER", "bob"]);
    assert_eq!(strings(&cmd(&mut w, &["ACL", "USERS"])), ["alice", "bob", "default"]);
    assert_eq!(
        strings(&cmd(&mut w, &["ACL", "LIST"]))[1],
        "user bob off resetchannels -@all"
    );
    assert_eq!(cmd(&mut w, &["ACL", "DELUSER", "bob", "nobody"]), Frame::Integer(1));
    assert_eq!(cmd(&mut w, &["ACL", "GETUSER", "bob"]), Frame::Null);
    assert_eq!(text(&cmd(&mut w, &["ACL", "WHOAMI"])), "default");
}

#[test]
fn setuser_refuses_bad_rules_in_redis_words_and_changes_nothing() {
    let srv = Server::start(&[]);
    let mut w = srv.wire();
    for (rules, expected) in [
        (vec!["on", "nosuchrule"], "ERR Error in ACL SETUSER modifier 'nosuchrule': Syntax error"),
        (
            vec!["+nosuch"],
            "ERR Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL",
        ),
        (
            vec!["+@nosuch"],
            "ERR Error in ACL SETUSER modifier '+@nosuch': Unknown command or category name in ACL",
        ),
        (
            vec!["+config|get|x"],
            "ERR Error in ACL SETUSER modifier '+config|get|x': Allowing first-arg of a subcommand is not supported",
        ),
        (
            vec!["allkeys", "~foo"],
            "ERR Error in ACL SETUSER modifier '~foo': Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns",
        ),
        (
            vec!["<nopass"],
            "ERR Error in ACL SETUSER modifier '<nopass': The password you are trying to remove from the user does not exist",
        ),
        (
            vec!["#abc"],
            "ERR Error in ACL SETUSER modifier '#abc': The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters",
        ),
        (vec!["(~a", "+get"], "ERR Unmatched parenthesis in acl selector starting at '(~a'."),
    ] {
        let mut args = vec!["ACL", "SETUSER", "carol"];
        args.extend(rules);
        assert_eq!(err(&mut w, &args), expected);
    }
    assert_eq!(cmd(&mut w, &["ACL", "GETUSER", "carol"]), Frame::Null);
    assert_eq!(
        err(&mut w, &["ACL", "SETUSER", "a b"]),
        "ERR Usernames can't contain spaces or null characters"
    );
    assert_eq!(
        err(&mut w, &["ACL", "DELUSER", "default"]),
        "ERR The 'default' user cannot be removed"
    );
}

#[test]
fn a_user_logs_in_through_the_redis_crate_and_is_held_to_its_rules() {
    let srv = Server::start(&[]);
    let mut admin = srv.redis();
    let _: () = redis::cmd("ACL")
        .arg(&[
            "SETUSER",
            "app",
            "on",
            ">s3cret",
            "~app:*",
            "+@read",
            "+@write",
            "-flushall",
        ])
        .query(&mut admin)
        .unwrap();
    // AUTH app s3cret, sent by the crate for a URL with a user.
    let url = format!("redis://app:s3cret@127.0.0.1:{}/", srv.port);
    let mut app = redis::Client::open(url).unwrap().get_connection().unwrap();
    let _: () = redis::cmd("SET").arg("app:1").arg("v").query(&mut app).unwrap();
    let v: String = redis::cmd("GET").arg("app:1").query(&mut app).unwrap();
    assert_eq!(v, "v");
    let e = redis::cmd("GET")
        .arg("other")
        .query::<Option<String>>(&mut app)
        .unwrap_err();
    assert_eq!(e.code(), Some("NOPERM"));
    assert_eq!(
        e.detail(),
        Some("this user has no permissions to access one of the keys used as arguments")
    );
    let e = redis::cmd("FLUSHALL").query::<()>(&mut app).unwrap_err();
    assert_eq!(
        e.detail(),
        Some("this user has no permissions to run the 'flushall' command")
    );
    let e = redis::cmd("CONFIG")
        .arg("GET")
        .arg("maxmemory")
        .query::<()>(&mut app)
        .unwrap_err();
    assert_eq!(
        e.detail(),
        Some("this user has no permissions to run the 'config|get' command")
    );
    let who: String = redis::cmd("ACL").arg("WHOAMI").query(&mut admin).unwrap();
    assert_eq!(who, "default");
    // HELLO 3 AUTH, sent by the crate for a RESP3 URL with a user.
    let url = format!("redis://app:s3cret@127.0.0.1:{}/?protocol=resp3", srv.port);
    let mut app3 = redis::Client::open(url).unwrap().get_connection().unwrap();
    let v: String = redis::cmd("GET").arg("app:1").query(&mut app3).unwrap();
    assert_eq!(v, "v");
    let e = redis::cmd("DEL").arg("other").query::<i64>(&mut app3).unwrap_err();
    assert_eq!(e.code(), Some("NOPERM"));
    // A wrong password is refused.
    let url = format!("redis://app:wrong@127.0.0.1:{}/", srv.port);
    assert!(redis::Client::open(url).unwrap().get_connection().is_err());
}

#[test]
fn key_patterns_grant_reads_and_writes_as_the_key_flags_need() {
    let srv = Server::start(&[]);
    let mut w = srv.wire();
    ok(
        &mut w,
        &[
            "ACL", "SETUSER", "rw", "on", "nopass", "+@all", "%R~r:*", "%W~w:*", "~both",
        ],
    );
    ok(&mut w, &["AUTH", "rw", "x"]);
    assert_eq!(cmd(&mut w, &["GET", "r:1"]), Frame::Null);
    assert_eq!(err(&mut w, &["SET", "r:1", "v"]), NOPERM_KEY);
    ok(&mut w, &["SET", "w:1", "v"]);
    assert_eq!(err(&mut w, &["GET", "w:1"]), NOPERM_KEY);
    // EXISTS reads no data: any pattern lets it look.
    assert_eq!(cmd(&mut w, &["EXISTS", "w:1", "r:1"]), Frame::Integer(1));
    // LMOVE writes its source too; COPY only reads its source.
    assert_eq!(err(&mut w, &["LMOVE", "r:1", "w:2", "LEFT", "RIGHT"]), NOPERM_KEY);
    ok(&mut w, &["SET", "both", "v"]);
    assert_eq!(cmd(&mut w, &["COPY", "both", "w:3"]), Frame::Integer(1));
}

#[test]
fn auth_and_hello_log_in_any_user_and_refuse_bad_ones() {
    let srv = Server::start(&[]);
    let mut admin = srv.wire();
    ok(&mut admin, &["ACL", "SETUSER", "dave", "on", ">pw", "+@all", "~*"]);
    ok(&mut admin, &["ACL", "SETUSER", "off-user", "off", ">pw", "+@all", "~*"]);
    let mut w = srv.wire();
    assert_eq!(err(&mut w, &["AUTH", "dave", "bad"]), WRONGPASS);
    assert_eq!(err(&mut w, &["AUTH", "nobody", "pw"]), WRONGPASS);
    assert_eq!(err(&mut w, &["AUTH", "off-user", "pw"]), WRONGPASS);
    assert_eq!(err(&mut w, &["HELLO", "3", "AUTH", "dave", "bad"]), WRONGPASS);
    assert_eq!(
        err(&mut w, &["AUTH", "pw"]),
        "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
    );
    ok(&mut w, &["AUTH", "dave", "pw"]);
    assert_eq!(text(&cmd(&mut w, &["ACL", "WHOAMI"])), "dave");
    let info = text(&cmd(&mut w, &["CLIENT", "INFO"]));
    assert!(info.contains(" user=dave "), "{info}");
    let list = text(&cmd(&mut admin, &["CLIENT", "LIST"]));
    assert!(
        list.contains(" user=dave ") && list.contains(" user=default "),
        "{list}"
    );
    // CLIENT KILL USER closes the user's connections.
    assert_eq!(cmd(&mut admin, &["CLIENT", "KILL", "USER", "dave"]), Frame::Integer(1));
    assert_eq!(w.read_to_close().1, End::Closed);
    assert_eq!(
        err(&mut admin, &["CLIENT", "KILL", "USER", "nobody"]),
        "ERR No such user 'nobody'"
    );
    let mut w = srv.wire();
    w.resp3 = true;
    let hello = cmd(&mut w, &["HELLO", "3", "AUTH", "dave", "pw"]);
    assert!(matches!(hello, Frame::Other(_) | Frame::Array(_)), "{hello:?}");
    assert_eq!(text(&cmd(&mut w, &["ACL", "WHOAMI"])), "dave");
    // RESET logs back in as the default user.
    assert_eq!(cmd(&mut w, &["RESET"]), Frame::simple("RESET"));
    w.resp3 = false;
    assert_eq!(text(&cmd(&mut w, &["ACL", "WHOAMI"])), "default");
    // Failed logins are in ACL LOG, newest first, with the name tried.
    let log = cmd(&mut admin, &["ACL", "LOG"]);
    let Frame::Array(entries) = log else { panic!("{log:?}") };
    let seen: Vec<(String, String, String)> = entries
        .iter()
        .map(|e| {
            (
                text(&field(e, "reason")),
                text(&field(e, "object")),
                text(&field(e, "username")),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("auth".into(), "HELLO".into(), "dave".into()),
            ("auth".into(), "AUTH".into(), "off-user".into()),
            ("auth".into(), "AUTH".into(), "nobody".into()),
            ("auth".into(), "AUTH".into(), "dave".into()),
        ]
    );
}

#[test]
fn refusals_are_logged_with_the_client_and_counted() {
    let srv = Server::start(&[]);
    let mut admin = srv.wire();
    ok(
        &mut admin,
        &["ACL", "SETUSER", "eve", "on", "nopass", "~k*", "+@all", "-hset"],
    );
    let mut w = srv.wire();
    ok(&mut w, &["AUTH", "eve", "x"]);
    assert_eq!(
        err(&mut w, &["HSET", "k", "f", "v"]),
        "NOPERM this user has no permissions to run the 'hset' command"
    );
    assert_eq!(err(&mut w, &["GET", "other"]), NOPERM_KEY);
    assert_eq!(err(&mut w, &["GET", "other"]), NOPERM_KEY);
    let log = cmd(&mut admin, &["ACL", "LOG", "1"]);
    let Frame::Array(entries) = &log else { panic!("{log:?}") };
    assert_eq!(entries.len(), 1);
    let e = &entries[0];
    assert_eq!(
        field(e, "count"),
        Frame::Integer(2),
        "the same refusal adds to one entry"
    );
    assert_eq!(text(&field(e, "reason")), "key");
    assert_eq!(text(&field(e, "context")), "toplevel");
    assert_eq!(text(&field(e, "object")), "other");
    assert_eq!(text(&field(e, "username")), "eve");
    let age: f64 = text(&field(e, "age-seconds")).parse().unwrap();
    assert!((0.0..5.0).contains(&age));
    let info = text(&field(e, "client-info"));
    assert!(info.contains(" cmd=get user=eve "), "{info}");
    let Frame::Array(all) = cmd(&mut admin, &["ACL", "LOG"]) else {
        panic!()
    };
    assert_eq!(all.len(), 2, "the command refused, then the key");
    let stats = text(&cmd(&mut admin, &["INFO", "stats"]));
    assert!(stats.contains("acl_access_denied_cmd:1\r\n"), "{stats}");
    assert!(stats.contains("acl_access_denied_key:2\r\n"), "{stats}");
    ok(&mut admin, &["ACL", "LOG", "RESET"]);
    assert_eq!(cmd(&mut admin, &["ACL", "LOG"]), Frame::Array(vec![]));
}

#[test]
fn a_refusal_while_queuing_aborts_exec_and_rules_are_checked_again_at_exec() {
    let srv = Server::start(&[]);
    let mut admin = srv.wire();
    ok(
        &mut admin,
        &["ACL", "SETUSER", "tx", "on", "nopass", "~*", "+@all", "-set"],
    );
    let mut w = srv.wire();
    ok(&mut w, &["AUTH", "tx", "x"]);
    ok(&mut w, &["MULTI"]);
    assert_eq!(
        err(&mut w, &["SET", "a", "1"]),
        "NOPERM this user has no permissions to run the 'set' command"
    );
    assert_eq!(cmd(&mut w, &["INCR", "b"]), Frame::simple("QUEUED"));
    assert_eq!(
        err(&mut w, &["EXEC"]),
        "EXECABORT Transaction discarded because of previous errors."
    );
    assert_eq!(cmd(&mut admin, &["EXISTS", "b"]), Frame::Integer(0));
    // Allowed when queued, refused when EXEC runs it.
    ok(&mut w, &["MULTI"]);
    assert_eq!(cmd(&mut w, &["INCR", "b"]), Frame::simple("QUEUED"));
    assert_eq!(cmd(&mut w, &["GET", "c"]), Frame::simple("QUEUED"));
    ok(&mut admin, &["ACL", "SETUSER", "tx", "-incr", "resetkeys", "~c"]);
    assert_eq!(
        cmd(&mut w, &["EXEC"]),
        Frame::Array(vec![
            Frame::error(
                "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: no permission to execute the command or subcommand"
            ),
            Frame::Null,
        ])
    );
    // EXEC itself refused ends the transaction.
    ok(&mut admin, &["ACL", "SETUSER", "tx", "-exec"]);
    ok(&mut w, &["MULTI"]);
    assert_eq!(
        err(&mut w, &["EXEC"]),
        "EXECABORT Transaction discarded because of: NOPERM this user has no permissions to run the 'exec' command"
    );
    let e = &cmd(&mut admin, &["ACL", "LOG"]);
    let Frame::Array(entries) = e else { panic!() };
    assert_eq!(text(&field(&entries[0], "context")), "multi");
}

#[test]
fn scripts_run_their_commands_under_the_callers_rules() {
    let srv = Server::start(&[]);
    let mut admin = srv.wire();
    ok(
        &mut admin,
        &["ACL", "SETUSER", "bob", "on", ">123", "+@scripting", "+set", "~x*"],
    );
    let mut w = srv.wire();
    ok(&mut w, &["AUTH", "bob", "123"]);
    let check = |w: &mut Wire, body: &str, keys: &[&str]| {
        let n = keys.len().to_string();
        let mut args = vec!["EVAL", body, n.as_str()];
        args.extend(keys);
        cmd(w, &args)
    };
    // Redis's suite, "Script ACL check".
    assert_eq!(
        check(&mut w, "return redis.acl_check_cmd('set','xx',1)", &["xx"]),
        Frame::Integer(1)
    );
    assert_eq!(
        check(&mut w, "return redis.acl_check_cmd('hset','xx','f',1)", &["xx"]),
        Frame::Null
    );
    assert_eq!(
        check(&mut w, "return redis.acl_check_cmd('set','yy',1)", &[]),
        Frame::Null
    );
    let Frame::Error(e) = check(&mut w, "return redis.acl_check_cmd('invalid-cmd','arg')", &[]) else {
        panic!("an invalid command raises");
    };
    assert!(
        e.starts_with("ERR Invalid command passed to redis.acl_check_cmd()"),
        "{e}"
    );
    // redis.call refuses what the user may not do, in the script's words.
    let Frame::Error(e) = check(&mut w, "return redis.call('hset','xx','f',1)", &[]) else {
        panic!("refused");
    };
    assert!(
        e.starts_with("ERR The user executing the script can't run this command or subcommand script: "),
        "{e}"
    );
    let Frame::Error(e) = check(&mut w, "return redis.pcall('set','yy',1)", &[]) else {
        panic!("refused");
    };
    assert_eq!(
        e,
        "ERR The user executing the script can't access at least one of the keys mentioned in the command arguments"
    );
    assert_eq!(check(&mut w, "return redis.call('set','xa','1')", &[]), Frame::ok());
    // The keys the script declares are checked before it runs.
    assert_eq!(err(&mut w, &["EVAL", "return 1", "1", "yy"]), NOPERM_KEY);
    let log = cmd(&mut admin, &["ACL", "LOG", "1"]);
    let Frame::Array(entries) = &log else { panic!() };
    assert_eq!(text(&field(&entries[0], "context")), "toplevel");
    let log = cmd(&mut admin, &["ACL", "LOG", "2"]);
    let Frame::Array(entries) = &log else { panic!() };
    assert_eq!(text(&field(&entries[1], "context")), "lua");
    assert_eq!(text(&field(&entries[1], "object")), "yy");
    assert!(text(&field(&entries[1], "client-info")).contains(" cmd=eval user=bob "));
}

#[test]
fn deleting_a_user_closes_its_connections_and_disabling_stops_new_logins() {
    let srv = Server::start(&[]);
    let mut admin = srv.wire();
    ok(&mut admin, &["ACL", "SETUSER", "gone", "on", ">pw", "+@all", "~*"]);
    let mut a = srv.wire();
    let mut a2 = srv.wire();
    let mut b = srv.wire();
    ok(&mut a, &["AUTH", "gone", "pw"]);
    ok(&mut a2, &["AUTH", "gone", "pw"]);
    // As in Redis 7.0, a user turned off keeps its connections open but
    // cannot log in again.
    ok(&mut admin, &["ACL", "SETUSER", "gone", "off"]);
    assert_eq!(cmd(&mut a, &["PING"]), Frame::simple("PONG"));
    let mut c = srv.wire();
    assert_eq!(err(&mut c, &["AUTH", "gone", "pw"]), WRONGPASS);
    assert_eq!(cmd(&mut admin, &["ACL", "DELUSER", "gone"]), Frame::Integer(1));
    assert_eq!(a.read_to_close().1, End::Closed);
    assert_eq!(a2.read_to_close().1, End::Closed);
    assert_eq!(cmd(&mut b, &["PING"]), Frame::simple("PONG"), "others stay");
    // A user deleting itself gets the reply, then the connection closes.
    ok(&mut admin, &["ACL", "SETUSER", "self", "on", "nopass", "+@all", "~*"]);
    ok(&mut b, &["AUTH", "self", "x"]);
    assert_eq!(cmd(&mut b, &["ACL", "DELUSER", "self"]), Frame::Integer(1));
    assert_eq!(b.read_to_close(), (Vec::new(), End::Closed));
}

#[test]
fn requirepass_is_the_default_users_password() {
    let srv = Server::start(&[]);
    let mut admin = srv.wire();
    ok(&mut admin, &["CONFIG", "SET", "requirepass", "foo"]);
    assert_eq!(
        strings(&cmd(&mut admin, &["ACL", "LIST"])),
        ["user default on #2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae ~* &* +@all"]
    );
    // A second password through ACL: both log in; CONFIG GET still says foo.
    ok(&mut admin, &["ACL", "SETUSER", "default", ">bar"]);
    let mut w = srv.wire();
    assert_eq!(err(&mut w, &["GET", "k"]), "NOAUTH Authentication required.");
    ok(&mut w, &["AUTH", "bar"]);
    ok(&mut w, &["AUTH", "default", "foo"]);
    assert_eq!(
        strings(&cmd(&mut admin, &["CONFIG", "GET", "requirepass"])),
        ["requirepass", "foo"]
    );
    // nopass through ACL lets new connections in.
    ok(&mut admin, &["ACL", "SETUSER", "default", "nopass"]);
    let mut w = srv.wire();
    assert_eq!(cmd(&mut w, &["GET", "k"]), Frame::Null);
    // A default user turned off makes new connections log in as someone.
    ok(&mut admin, &["ACL", "SETUSER", "default", "off"]);
    ok(&mut admin, &["ACL", "SETUSER", "ops", "on", ">pw", "+@all", "~*"]);
    let mut w = srv.wire();
    assert_eq!(err(&mut w, &["GET", "k"]), "NOAUTH Authentication required.");
    assert_eq!(err(&mut w, &["AUTH", "default", "x"]), WRONGPASS);
    ok(&mut w, &["AUTH", "ops", "pw"]);
    assert_eq!(cmd(&mut w, &["GET", "k"]), Frame::Null);
    // CONFIG SET requirepass "" gives the default user nopass again.
    ok(&mut admin, &["ACL", "SETUSER", "default", "on"]);
    ok(&mut admin, &["CONFIG", "SET", "requirepass", ""]);
    assert_eq!(
        strings(&cmd(&mut admin, &["ACL", "LIST"]))[0],
        "user default on nopass ~* &* +@all"
    );
}

#[test]
fn requirepass_at_start_protects_the_default_user() {
    let srv = Server::start(&["--requirepass", "secret"]);
    let mut w = srv.wire();
    assert_eq!(err(&mut w, &["ACL", "WHOAMI"]), "NOAUTH Authentication required.");
    ok(&mut w, &["AUTH", "secret"]);
    assert_eq!(
        strings(&cmd(&mut w, &["ACL", "LIST"])),
        ["user default on #2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b ~* &* +@all"]
    );
}

#[test]
fn cat_dryrun_genpass_and_the_file_commands_answer_as_redis_does() {
    let srv = Server::start(&[]);
    let mut w = srv.wire();
    let cats = strings(&cmd(&mut w, &["ACL", "CAT"]));
    assert_eq!(
        cats,
        [
            "keyspace",
            "read",
            "write",
            "set",
            "sortedset",
            "list",
            "hash",
            "string",
            "bitmap",
            "hyperloglog",
            "geo",
            "stream",
            "pubsub",
            "admin",
            "fast",
            "slow",
            "blocking",
            "dangerous",
            "connection",
            "transaction",
            "scripting"
        ]
    );
    let mut tx = strings(&cmd(&mut w, &["ACL", "CAT", "transaction"]));
    tx.sort();
    assert_eq!(tx, ["discard", "exec", "multi", "unwatch", "watch"]);
    assert!(strings(&cmd(&mut w, &["ACL", "CAT", "scripting"])).contains(&"function|load".to_string()));
    assert_eq!(err(&mut w, &["ACL", "CAT", "nosuch"]), "ERR Unknown category 'nosuch'");
    ok(
        &mut w,
        &["ACL", "SETUSER", "d", "on", "-@all", "+get", "~foo*", "+select|0"],
    );
    assert_eq!(cmd(&mut w, &["ACL", "DRYRUN", "d", "get", "foo1"]), Frame::ok());
    assert_eq!(
        text(&cmd(&mut w, &["ACL", "DRYRUN", "d", "get", "x"])),
        "This user has no permissions to access the 'x' key"
    );
    assert_eq!(
        text(&cmd(&mut w, &["ACL", "DRYRUN", "d", "set", "foo1", "v"])),
        "This user has no permissions to run the 'set' command"
    );
    assert_eq!(cmd(&mut w, &["ACL", "DRYRUN", "d", "select", "0"]), Frame::ok());
    assert_eq!(
        text(&cmd(&mut w, &["ACL", "DRYRUN", "d", "select", "1"])),
        "This user has no permissions to run the 'select' command"
    );
    assert_eq!(
        err(&mut w, &["ACL", "DRYRUN", "nobody", "get", "x"]),
        "ERR User 'nobody' not found"
    );
    assert_eq!(
        err(&mut w, &["ACL", "DRYRUN", "d", "nosuch"]),
        "ERR Command 'nosuch' not found"
    );
    let pass = text(&cmd(&mut w, &["ACL", "GENPASS"]));
    assert_eq!(pass.len(), 64);
    assert!(pass.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_ne!(pass, text(&cmd(&mut w, &["ACL", "GENPASS"])));
    assert_eq!(text(&cmd(&mut w, &["ACL", "GENPASS", "5"])).len(), 2);
    assert_eq!(
        err(&mut w, &["ACL", "GENPASS", "0"]),
        "ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096"
    );
    let no_file = "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.";
    assert_eq!(err(&mut w, &["ACL", "LOAD"]), no_file);
    assert_eq!(err(&mut w, &["ACL", "SAVE"]), no_file);
    assert_eq!(
        err(&mut w, &["ACL", "NOSUCH"]),
        "ERR unknown subcommand 'NOSUCH'. Try ACL HELP."
    );
    assert!(strings(&cmd(&mut w, &["ACL", "HELP"]))[0].starts_with("ACL <subcommand>"));
}

/// The ACL categories redis-server 7.0.15 gives these commands in COMMAND
/// INFO, in its order.
const REDIS_CATEGORIES: &[(&str, &str)] = &[
    ("get", "read string fast"),
    ("set", "write string slow"),
    ("del", "keyspace write slow"),
    ("keys", "keyspace read slow dangerous"),
    ("sort", "write set sortedset list slow dangerous"),
    ("sort_ro", "read set sortedset list slow dangerous"),
    ("info", "slow dangerous"),
    ("role", "admin fast dangerous"),
    ("dbsize", "keyspace read fast"),
    ("flushall", "keyspace write slow dangerous"),
    ("flushdb", "keyspace write slow dangerous"),
    ("swapdb", "keyspace write fast dangerous"),
    ("multi", "fast transaction"),
    ("exec", "slow transaction"),
    ("discard", "fast transaction"),
    ("watch", "fast transaction"),
    ("eval", "slow scripting"),
    ("eval_ro", "slow scripting"),
    ("evalsha_ro", "slow scripting"),
    ("fcall", "slow scripting"),
    ("fcall_ro", "slow scripting"),
    ("client", "slow"),
    ("client|kill", "admin slow dangerous connection"),
    ("client|id", "slow connection"),
    ("client|list", "admin slow dangerous connection"),
    ("command", "slow connection"),
    ("command|info", "slow connection"),
    ("config", "slow"),
    ("config|get", "admin slow dangerous"),
    ("config|set", "admin slow dangerous"),
    ("function", "slow"),
    ("function|load", "write slow scripting"),
    ("function|stats", "slow scripting"),
    ("object", "slow"),
    ("object|encoding", "keyspace read slow"),
    ("blpop", "write list slow blocking"),
    ("hset", "write hash fast"),
    ("zadd", "write sortedset fast"),
    ("setbit", "write bitmap slow"),
    ("bitfield_ro", "read bitmap fast"),
    ("script", "slow"),
    ("script|load", "slow scripting"),
    ("acl", "slow"),
    ("acl|setuser", "admin slow dangerous"),
    ("acl|whoami", "slow"),
    ("acl|cat", "slow"),
    ("auth", "fast connection"),
    ("hello", "fast connection"),
    ("ping", "fast connection"),
    ("select", "fast connection"),
    ("lpush", "write list fast"),
    ("sadd", "write set fast"),
    ("scan", "keyspace read slow"),
    ("type", "keyspace read fast"),
    ("latency|latest", "admin slow dangerous"),
    ("slowlog|get", "admin slow dangerous"),
    ("memory|usage", "read slow"),
    ("monitor", "admin slow dangerous"),
    ("shutdown", "admin slow dangerous"),
    ("time", "fast"),
    ("lolwut", "read fast"),
    ("dump", "keyspace read slow"),
    ("restore", "keyspace write slow dangerous"),
    ("migrate", "keyspace write slow dangerous"),
];

#[test]
fn command_info_gives_the_acl_categories_of_redis_7() {
    let srv = Server::start(&[]);
    let mut w = srv.wire();
    let mut wrong = Vec::new();
    for &(name, expected) in REDIS_CATEGORIES {
        let Frame::Array(reply) = cmd(&mut w, &["COMMAND", "INFO", name]) else {
            panic!("{name}");
        };
        let Frame::Array(info) = &reply[0] else {
            panic!("{name}: {reply:?}");
        };
        let got: Vec<String> = strings(&info[6])
            .iter()
            .map(|c| c.trim_start_matches('@').to_string())
            .collect();
        if got.join(" ") != expected {
            wrong.push(format!("{name}: expected {expected}, got {}", got.join(" ")));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn acl_setuser_rules_are_redacted_from_the_slow_log() {
    let srv = Server::start(&[]);
    let mut w = srv.wire();
    ok(&mut w, &["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
    ok(&mut w, &["SLOWLOG", "RESET"]);
    ok(&mut w, &["ACL", "SETUSER", "zed", "on", ">secret"]);
    let Frame::Array(entries) = cmd(&mut w, &["SLOWLOG", "GET", "1"]) else {
        panic!("entries");
    };
    let Frame::Array(entry) = &entries[0] else { panic!() };
    assert_eq!(
        strings(&entry[3]),
        ["ACL", "SETUSER", "(redacted)", "(redacted)", "(redacted)"]
    );
}
