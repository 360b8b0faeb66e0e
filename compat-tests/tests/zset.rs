//! Sorted-set commands through the `redis` crate against the real binary.
//! Replies and error texts were checked against redis-server 7.0 (scores
//! as `%.17g`: 0.1 prints as "0.10000000000000001").

use compat_tests::query::{err, guarded, int, q, strs, wait_blocked};
use compat_tests::Server;
use redis::{Connection, FromRedisValue, Value};

fn start() -> (Server, Connection) {
    let s = Server::start(&[]);
    let c = s.redis();
    (s, c)
}

#[test]
fn zadd_options_scores_and_errors() {
    let (_s, mut c) = start();
    assert_eq!(int(&mut c, &["ZADD", "z", "1", "a", "0.1", "b", "1e100", "c"]), 3);
    assert_eq!(strs(&mut c, &["ZSCORE", "z", "b"]), ["0.10000000000000001"]);
    assert_eq!(int(&mut c, &["ZADD", "zr", "0.6608369297631257", "r"]), 1);
    assert_eq!(strs(&mut c, &["ZMSCORE", "zr", "r"]), ["0.66083692976312569"]);
    assert_eq!(strs(&mut c, &["ZSCORE", "z", "c"]), ["1e+100"]);
    assert_eq!(int(&mut c, &["ZADD", "z", "NX", "5", "a", "2", "d"]), 1);
    assert_eq!(int(&mut c, &["ZADD", "z", "XX", "CH", "5", "a", "7", "e"]), 1);
    assert_eq!(int(&mut c, &["ZADD", "z", "GT", "CH", "1", "a"]), 0);
    assert_eq!(
        q::<Option<String>>(&mut c, &["ZADD", "z", "INCR", "1.5", "a"]),
        Some("6.5".into())
    );
    assert_eq!(
        q::<Option<String>>(&mut c, &["ZADD", "z", "NX", "INCR", "1", "a"]),
        None
    );
    assert_eq!(strs(&mut c, &["ZINCRBY", "z", "-inf", "d"]), ["-inf"]);
    assert_eq!(
        err(&mut c, &["ZADD", "z", "NX", "XX", "1", "a"]),
        "ERR XX and NX options at the same time are not compatible"
    );
    assert_eq!(
        err(&mut c, &["ZADD", "z", "GT", "NX", "1", "a"]),
        "ERR GT, LT, and/or NX options at the same time are not compatible"
    );
    assert_eq!(
        err(&mut c, &["ZADD", "z", "INCR", "1", "a", "1", "b"]),
        "ERR INCR option supports a single increment-element pair"
    );
    assert_eq!(
        err(&mut c, &["ZADD", "z", "nan", "a"]),
        "ERR value is not a valid float"
    );
    assert_eq!(err(&mut c, &["ZADD", "z", "1", "a", "2"]), "ERR syntax error");
    assert_eq!(
        err(&mut c, &["ZINCRBY", "z", "+inf", "d"]),
        "ERR resulting score is not a number (NaN)"
    );
    assert_eq!(int(&mut c, &["ZCARD", "z"]), 4);
    assert_eq!(int(&mut c, &["ZREM", "z", "a", "b", "nope"]), 2);
    assert_eq!(
        err(&mut c, &["ZADD", "z"]),
        "ERR wrong number of arguments for 'zadd' command"
    );
}

#[test]
fn ranges_by_rank_score_and_lex() {
    let (_s, mut c) = start();
    let _: i64 = q(&mut c, &["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"]);
    assert_eq!(
        strs(&mut c, &["ZRANGE", "z", "-2", "-1", "WITHSCORES"]),
        ["c", "3", "d", "4"]
    );
    assert_eq!(strs(&mut c, &["ZRANGE", "z", "(4", "2", "BYSCORE", "REV"]), ["c", "b"]);
    assert_eq!(
        strs(&mut c, &["ZRANGE", "z", "[b", "+", "BYLEX", "LIMIT", "1", "1"]),
        ["c"]
    );
    assert_eq!(strs(&mut c, &["ZREVRANGE", "z", "0", "0"]), ["d"]);
    assert_eq!(strs(&mut c, &["ZRANGEBYSCORE", "z", "-inf", "(2"]), ["a"]);
    assert_eq!(
        strs(&mut c, &["ZREVRANGEBYSCORE", "z", "+inf", "-inf", "LIMIT", "1", "2"]),
        ["c", "b"]
    );
    assert_eq!(strs(&mut c, &["ZRANGEBYLEX", "z", "-", "(c"]), ["a", "b"]);
    assert_eq!(strs(&mut c, &["ZREVRANGEBYLEX", "z", "+", "[c"]), ["d", "c"]);
    assert_eq!(int(&mut c, &["ZCOUNT", "z", "(1", "+inf"]), 3);
    assert_eq!(int(&mut c, &["ZLEXCOUNT", "z", "[b", "[c"]), 2);
    assert_eq!(int(&mut c, &["ZRANGESTORE", "d", "z", "0", "1"]), 2);
    assert_eq!(strs(&mut c, &["ZRANGE", "d", "0", "-1"]), ["a", "b"]);
    assert_eq!(
        err(&mut c, &["ZRANGEBYSCORE", "z", "x", "1"]),
        "ERR min or max is not a float"
    );
    assert_eq!(
        err(&mut c, &["ZLEXCOUNT", "z", "a", "+"]),
        "ERR min or max not valid string range item"
    );
    assert_eq!(
        err(&mut c, &["ZRANGE", "z", "0", "1", "LIMIT", "0", "1"]),
        "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
    );
    assert_eq!(
        err(&mut c, &["ZRANGEBYLEX", "z", "-", "+", "WITHSCORES"]),
        "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
    );
}

#[test]
fn ranks_scores_and_removals() {
    let (_s, mut c) = start();
    let _: i64 = q(&mut c, &["ZADD", "z", "1", "a", "2", "b", "3", "c", "0", "x", "0", "y"]);
    let _: i64 = q(&mut c, &["ZADD", "l", "0", "x", "0", "y", "0", "z"]);
    assert_eq!(int(&mut c, &["ZRANK", "z", "c"]), 4);
    assert_eq!(int(&mut c, &["ZREVRANK", "z", "c"]), 0);
    assert_eq!(q::<Option<i64>>(&mut c, &["ZRANK", "z", "nope"]), None);
    let (rank, score): (i64, String) = q(&mut c, &["ZRANK", "z", "b", "WITHSCORE"]);
    assert_eq!((rank, score.as_str()), (3, "2"));
    assert_eq!(
        q::<Vec<Option<String>>>(&mut c, &["ZMSCORE", "z", "a", "nope"]),
        [Some("1".into()), None]
    );
    assert_eq!(int(&mut c, &["ZREMRANGEBYLEX", "l", "[x", "[y"]), 2);
    assert_eq!(int(&mut c, &["ZREMRANGEBYRANK", "z", "0", "1"]), 2);
    assert_eq!(int(&mut c, &["ZREMRANGEBYSCORE", "z", "(1", "2"]), 1);
    assert_eq!(int(&mut c, &["ZREMRANGEBYRANK", "z", "0", "-1"]), 2);
    assert_eq!(int(&mut c, &["EXISTS", "z"]), 0);
}

#[test]
fn pops_and_mpop() {
    let (_s, mut c) = start();
    let _: i64 = q(&mut c, &["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"]);
    assert_eq!(strs(&mut c, &["ZPOPMIN", "z"]), ["a", "1"]);
    assert_eq!(strs(&mut c, &["ZPOPMAX", "z", "2"]), ["d", "4", "c", "3"]);
    assert_eq!(strs(&mut c, &["ZPOPMIN", "nokey"]), Vec::<String>::new());
    assert_eq!(
        err(&mut c, &["ZPOPMIN", "z", "-1"]),
        "ERR value is out of range, must be positive"
    );
    let v: Value = q(&mut c, &["ZMPOP", "2", "nokey", "z", "MIN", "COUNT", "5"]);
    let (key, items): (String, Vec<(String, String)>) = FromRedisValue::from_redis_value(v).expect("zmpop shape");
    assert_eq!((key.as_str(), items), ("z", vec![("b".to_string(), "2".to_string())]));
    assert_eq!(q::<Value>(&mut c, &["ZMPOP", "1", "z", "MIN"]), Value::Nil);
    assert_eq!(
        err(&mut c, &["ZMPOP", "0", "z", "MIN"]),
        "ERR numkeys should be greater than 0"
    );
    assert_eq!(
        err(&mut c, &["ZMPOP", "1", "z", "MIN", "COUNT", "0"]),
        "ERR count should be greater than 0"
    );
    assert_eq!(err(&mut c, &["ZMPOP", "1", "z", "UP"]), "ERR syntax error");
}

#[test]
fn blocking_pops_take_what_is_there_and_check_their_timeout() {
    let (_s, mut c) = start();
    let _: i64 = q(&mut c, &["ZADD", "z", "1", "a", "2", "b"]);
    assert_eq!(strs(&mut c, &["BZPOPMAX", "nokey", "z", "0"]), ["z", "b", "2"]);
    let v: Value = q(&mut c, &["BZMPOP", "1", "1", "z", "MIN"]);
    let (key, items): (String, Vec<(String, String)>) = FromRedisValue::from_redis_value(v).expect("bzmpop shape");
    assert_eq!((key.as_str(), items), ("z", vec![("a".to_string(), "1".to_string())]));
    assert_eq!(
        err(&mut c, &["BZPOPMIN", "z", "abc"]),
        "ERR timeout is not a float or out of range"
    );
    assert_eq!(err(&mut c, &["BZPOPMIN", "z", "-1"]), "ERR timeout is negative");
}

#[test]
fn union_inter_diff_and_intercard() {
    let (_s, mut c) = start();
    let _: i64 = q(&mut c, &["ZADD", "a", "1", "x", "2", "y"]);
    let _: i64 = q(&mut c, &["ZADD", "b", "10", "y", "20", "z"]);
    assert_eq!(
        strs(&mut c, &["ZUNION", "2", "a", "b", "WEIGHTS", "2", "1", "WITHSCORES"]),
        ["x", "2", "y", "14", "z", "20"]
    );
    assert_eq!(
        strs(&mut c, &["ZINTER", "2", "a", "b", "AGGREGATE", "MIN", "WITHSCORES"]),
        ["y", "2"]
    );
    assert_eq!(strs(&mut c, &["ZDIFF", "2", "a", "b", "WITHSCORES"]), ["x", "1"]);
    assert_eq!(int(&mut c, &["ZUNIONSTORE", "u", "2", "a", "b"]), 3);
    assert_eq!(int(&mut c, &["ZINTERSTORE", "i", "2", "a", "b", "AGGREGATE", "MAX"]), 1);
    assert_eq!(strs(&mut c, &["ZSCORE", "i", "y"]), ["10"]);
    assert_eq!(int(&mut c, &["ZDIFFSTORE", "d", "2", "b", "a"]), 1);
    assert_eq!(int(&mut c, &["ZINTERCARD", "2", "a", "b"]), 1);
    assert_eq!(int(&mut c, &["ZINTERCARD", "2", "u", "u", "LIMIT", "2"]), 2);
    assert_eq!(int(&mut c, &["ZINTERSTORE", "i", "2", "a", "nokey"]), 0);
    assert_eq!(int(&mut c, &["EXISTS", "i"]), 0);
    assert_eq!(
        err(&mut c, &["ZUNION", "0", "a"]),
        "ERR at least 1 input key is needed for 'zunion' command"
    );
    assert_eq!(
        err(&mut c, &["ZUNION", "1", "a", "WEIGHTS", "x"]),
        "ERR weight value is not a float"
    );
    assert_eq!(
        err(&mut c, &["ZINTERCARD", "1", "a", "LIMIT", "-1"]),
        "ERR LIMIT can't be negative"
    );
    assert_eq!(
        err(&mut c, &["ZDIFF", "1", "a", "AGGREGATE", "SUM"]),
        "ERR syntax error"
    );
}

#[test]
fn randmember_and_scan() {
    let (_s, mut c) = start();
    let _: i64 = q(&mut c, &["ZADD", "z", "1", "a", "2", "b", "3", "c"]);
    assert_eq!(strs(&mut c, &["ZRANDMEMBER", "z", "-7"]).len(), 7);
    let mut distinct = strs(&mut c, &["ZRANDMEMBER", "z", "2"]);
    distinct.dedup();
    assert_eq!(distinct.len(), 2);
    assert_eq!(strs(&mut c, &["ZRANDMEMBER", "z", "9", "WITHSCORES"]).len(), 6);
    assert_eq!(q::<Option<String>>(&mut c, &["ZRANDMEMBER", "nokey"]), None);
    let (cursor, items): (String, Vec<String>) = q(&mut c, &["ZSCAN", "z", "0", "MATCH", "b"]);
    assert_eq!((cursor.as_str(), items), ("0", vec!["b".to_string(), "2".to_string()]));
    assert_eq!(err(&mut c, &["ZSCAN", "z", "x"]), "ERR invalid cursor");
    for i in 0..200 {
        let _: i64 = q(&mut c, &["ZADD", "big", &i.to_string(), &format!("m{i}")]);
    }
    let (mut cursor, mut seen) = ("0".to_string(), 0);
    loop {
        let (next, items): (String, Vec<String>) = q(&mut c, &["ZSCAN", "big", &cursor, "COUNT", "15"]);
        seen += items.len() / 2;
        cursor = next;
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen, 200);
    assert_eq!(q::<String>(&mut c, &["OBJECT", "ENCODING", "big"]), "skiplist");
    assert_eq!(q::<String>(&mut c, &["OBJECT", "ENCODING", "z"]), "listpack");
}

#[test]
fn every_sorted_set_command_refuses_another_type() {
    let (_s, mut c) = start();
    let _: () = q(&mut c, &["SET", "s", "v"]);
    let wrong = "WRONGTYPE Operation against a key holding the wrong kind of value";
    for args in [
        &["ZADD", "s", "1", "a"][..],
        &["ZINCRBY", "s", "1", "a"],
        &["ZREM", "s", "a"],
        &["ZCARD", "s"],
        &["ZCOUNT", "s", "0", "1"],
        &["ZLEXCOUNT", "s", "-", "+"],
        &["ZSCORE", "s", "a"],
        &["ZMSCORE", "s", "a"],
        &["ZRANK", "s", "a"],
        &["ZREVRANK", "s", "a"],
        &["ZRANGE", "s", "0", "1"],
        &["ZRANGESTORE", "d", "s", "0", "1"],
        &["ZRANGEBYSCORE", "s", "0", "1"],
        &["ZREVRANGEBYSCORE", "s", "1", "0"],
        &["ZRANGEBYLEX", "s", "-", "+"],
        &["ZREVRANGEBYLEX", "s", "+", "-"],
        &["ZREVRANGE", "s", "0", "1"],
        &["ZPOPMIN", "s"],
        &["ZPOPMAX", "s"],
        &["ZMPOP", "1", "s", "MIN"],
        &["BZPOPMIN", "s", "0"],
        &["BZPOPMAX", "s", "0"],
        &["BZMPOP", "0", "1", "s", "MAX"],
        &["ZREMRANGEBYRANK", "s", "0", "1"],
        &["ZREMRANGEBYSCORE", "s", "0", "1"],
        &["ZREMRANGEBYLEX", "s", "-", "+"],
        &["ZUNIONSTORE", "d", "1", "s"],
        &["ZINTERSTORE", "d", "1", "s"],
        &["ZDIFFSTORE", "d", "1", "s"],
        &["ZUNION", "1", "s"],
        &["ZINTER", "1", "s"],
        &["ZDIFF", "1", "s"],
        &["ZINTERCARD", "1", "s"],
        &["ZRANDMEMBER", "s"],
        &["ZSCAN", "s", "0"],
    ] {
        assert_eq!(err(&mut c, args), wrong, "{args:?}");
    }
}

#[test]
fn blocking_pops_wait_for_a_zadd_by_another_client_in_arrival_order() {
    let s = Server::start(&[]);
    let mut c = s.redis();
    let mut waiters = Vec::new();
    for (i, cmd) in ["BZPOPMIN", "BZPOPMAX"].into_iter().enumerate() {
        let mut w = guarded(&s);
        waiters.push(std::thread::spawn(move || {
            q::<(String, String, String)>(&mut w, &[cmd, "other", "z", "0"])
        }));
        wait_blocked(&mut c, i as i64 + 1);
    }
    let mut w = guarded(&s);
    let mpop = std::thread::spawn(move || strs_nested(&mut w));
    wait_blocked(&mut c, 3);
    // Three members at once: the first waiter takes the lowest, the
    // second the highest, the third what is left.
    assert_eq!(int(&mut c, &["ZADD", "z", "1", "a", "2", "b", "3", "c"]), 3);
    let got: Vec<(String, String, String)> = waiters.into_iter().map(|t| t.join().expect("waiter")).collect();
    assert_eq!(
        got,
        [
            ("z".into(), "a".into(), "1".into()),
            ("z".into(), "c".into(), "3".into())
        ]
    );
    assert_eq!(
        mpop.join().expect("bzmpop"),
        ("z".to_string(), vec![("b".to_string(), 2.0)])
    );
    assert_eq!(int(&mut c, &["EXISTS", "z"]), 0);
}

fn strs_nested(con: &mut Connection) -> (String, Vec<(String, f64)>) {
    q(con, &["BZMPOP", "0", "1", "z", "MIN"])
}

#[test]
fn blocking_zset_pops_time_out_with_a_nil_reply() {
    let (_s, mut c) = start();
    let v: Value = q(&mut c, &["BZPOPMIN", "z", "0.01"]);
    assert_eq!(v, Value::Nil);
    let v: Value = q(&mut c, &["BZMPOP", "0.01", "1", "z", "MAX"]);
    assert_eq!(v, Value::Nil);
    assert_eq!(err(&mut c, &["BZPOPMIN", "z", "-1"]), "ERR timeout is negative");
}
