//! Commands on keys of any type.

use super::flags::*;
use super::{spec, CommandSpec, Ctx};

pub const COMMANDS: &[CommandSpec] = &[
    spec("del", -2, WRITE, "generic", del).keys(1, -1, 1).doc(
        "1.0.0",
        "Deletes one or more keys.",
        "O(N) where N is the number of keys that will be removed.",
        "key [key ...]",
    ),
    spec("exists", -2, READONLY | FAST, "generic", exists)
        .keys(1, -1, 1)
        .doc(
            "1.0.0",
            "Determines whether one or more keys exist.",
            "O(N) where N is the number of keys to check.",
            "key [key ...]",
        ),
];

/// Removes each key (counted once per argument, as Redis counts); returns
/// the number removed.
pub fn delete_keys(ctx: &Ctx<'_>, db: usize, keys: &[&[u8]]) -> i64 {
    let mut n = 0;
    for k in keys {
        let kh = ctx.hash(k);
        if ctx.srv.store.lock(kh).slot(db, k, kh, ctx.now).remove().is_some() {
            n += 1;
        }
    }
    n
}

/// ```text
/// DEL key [key ...]
/// ```
fn del(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let n = delete_keys(ctx, ctx.client.db, &a[1..]);
    ctx.out.int(n);
}

/// ```text
/// EXISTS key [key ...]
/// ```
/// A key named twice counts twice.
fn exists(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let mut n = 0;
    for k in &a[1..] {
        let kh = ctx.hash(k);
        if ctx
            .srv
            .store
            .lock(kh)
            .slot(ctx.client.db, k, kh, ctx.now)
            .peek()
            .is_some()
        {
            n += 1;
        }
    }
    ctx.out.int(n);
}
