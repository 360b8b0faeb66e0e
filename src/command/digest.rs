//! DEBUG DIGEST and DEBUG DIGEST-VALUE: the digest of the dataset, or of
//! single values, computed as Redis computes it, so that the same data
//! gives the same 40 hex digits on ferrocache and on redis-server.
//!
//! Two steps build every digest: `xor` folds SHA-1(data) into it (order
//! does not matter: set members, hash fields, keys), `mix` also replaces
//! it with SHA-1 of itself (order matters: list elements, a key then its
//! value). A value's digest starts with its Redis type code, big-endian;
//! a key with a deadline adds `!!expire!!`. The dataset's digest mixes in
//! each non-empty database's number, then xors in each key's digest.

use crate::store::{Item, ValueRef};

type Digest = [u8; 20];

fn sha1(data: &[u8]) -> Digest {
    sha1_smol::Sha1::from(data).digest().bytes()
}

fn xor(d: &mut Digest, data: &[u8]) {
    for (a, b) in d.iter_mut().zip(sha1(data)) {
        *a ^= b;
    }
}

fn mix(d: &mut Digest, data: &[u8]) {
    xor(d, data);
    *d = sha1(d.as_slice());
}

/// Folds one stored value (and whether it expires) into `d`, as Redis's
/// `xorObjectDigest` does.
fn value(d: &mut Digest, it: &Item<'_>) {
    // Redis's OBJ_STRING, OBJ_LIST, OBJ_SET, OBJ_ZSET, OBJ_HASH.
    let v = it.value();
    let code: u32 = match v {
        ValueRef::Str(_) => 0,
        ValueRef::List(_) => 1,
        ValueRef::Set(_) => 2,
        ValueRef::ZSet(_) => 3,
        ValueRef::Hash(_) => 4,
    };
    mix(d, &code.to_be_bytes());
    match v {
        ValueRef::Str(s) => mix(d, s),
        ValueRef::List(l) => l.iter().for_each(|e| mix(d, e)),
        ValueRef::Set(s) => s.iter().for_each(|m| xor(d, m)),
        ValueRef::ZSet(z) => {
            let mut score = Vec::with_capacity(32);
            for (m, s) in z.iter() {
                let mut e = [0u8; 20];
                mix(&mut e, m);
                score.clear();
                crate::util::number::push_double(&mut score, s);
                mix(&mut e, &score);
                xor(d, &e);
            }
        }
        ValueRef::Hash(h) => {
            for (f, val) in h.iter() {
                let mut e = [0u8; 20];
                mix(&mut e, f);
                mix(&mut e, val);
                xor(d, &e);
            }
        }
    }
    if it.expire_at().is_some() {
        xor(d, b"!!expire!!");
    }
}

/// The digest of one key's value; zeros when `it` is None.
pub(crate) fn of_value(it: Option<&Item<'_>>) -> Digest {
    let mut d = [0u8; 20];
    if let Some(it) = it {
        value(&mut d, it);
    }
    d
}

/// The digest of every live key of every database; zeros when the
/// dataset is empty.
pub(crate) fn of_dataset(store: &crate::store::Store, now: u64) -> Digest {
    let mut total = [0u8; 20];
    for db in 0..store.databases() {
        if store.dbsize(db) == 0 {
            continue;
        }
        mix(&mut total, &(db as u32).to_be_bytes());
        store.for_each_key(db, now, |it| {
            let mut d = [0u8; 20];
            mix(&mut d, it.key());
            value(&mut d, it);
            xor(&mut total, &d);
        });
    }
    total
}

/// 40 lower-case hex digits.
pub(crate) fn hex(d: &Digest) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use crate::command::testing::Harness;

    /// What redis-server 7.0.15 answered, given the same writes.
    #[test]
    fn digests_match_redis_for_every_type() {
        let mut h = Harness::with_config(crate::config::Config {
            overrides: vec![("enable-debug-command".into(), "yes".into())],
            ..Default::default()
        });
        assert_eq!(h.run("DEBUG DIGEST"), "+0000000000000000000000000000000000000000\r\n");
        for line in [
            "SET s hello",
            "RPUSH l a b c",
            "SADD st x y z",
            "ZADD z 1.5 a 2 b",
            "HSET hh f1 v1 f2 v2",
            "SET e v PX 100000000",
        ] {
            h.run(line);
        }
        let got = h.run("DEBUG DIGEST-VALUE s l st z hh e nothing");
        assert_eq!(got, EXPECTED_VALUES, "{got}");
        assert_eq!(h.run("DEBUG DIGEST"), EXPECTED_DATASET);
    }

    const EXPECTED_VALUES: &str = "*7\r\n+36b23a1456b2dce2c3ed252c456761301dba8060\r\n\
        +8bf72d812571eea9b927f3c11beb0c4165a6ff89\r\n+0fd9977d57e46b1b9b87439f5ac5b338416ccc24\r\n\
        +445b877af3c3ec83af30529ddbbdda3185172254\r\n+047cc60ea73a34cde6d08a2721a4a26d19ee6570\r\n\
        +311b17018163335616e089f6b951c82c477335ac\r\n+0000000000000000000000000000000000000000\r\n";
    const EXPECTED_DATASET: &str = "+b9a7b10c0a4832376b867d70991fab343e84deee\r\n";
}
