//! SORT and SORT_RO: the elements of a list, set or sorted set, sorted
//! numerically or as bytes, by themselves or by keys their values name,
//! returned, or stored as a list (publishing `sortstore`, or `del` when an
//! empty result deleted the destination, as Redis does).
//!
//! The source is copied out under its shard's lock and the lock released
//! before BY and GET patterns look other keys up, one lock at a time:
//! holding it while locking other shards could deadlock. So unlike Redis,
//! which runs the whole command at one instant, a SORT with patterns can
//! see keys change between its lookups.

use super::args::{self, is};
use super::categories as cat;
use super::flags::*;
use super::key_spec::{finders, flags::*, key, unknown};
use super::notify::{self, class};
use super::{errors, spec, CommandSpec, Ctx};
use crate::state::Server;
use crate::store::{Aggregate, List, ValueRef};
use std::cmp::Ordering;

pub(crate) const COMMANDS: &[CommandSpec] = &[
    spec("sort", -2, WRITE | DENYOOM, "generic", sort)
        .acl(cat::SET | cat::SORTEDSET | cat::LIST | cat::DANGEROUS)
        .key_specs(&[
            key(1, RO | ACCESS),
            unknown(RO | ACCESS).notes("Keys named by BY and GET patterns come from the sorted values, so no argument locates them"),
            unknown(OW | UPDATE).notes("STORE may come after any option, so no fixed place or keyword search locates it"),
        ])
        .key_finder(finders::sort)
        .doc(
            "1.0.0",
            "Sorts the elements in a list, a set, or a sorted set, optionally storing the result.",
            "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).",
            "key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC] [ALPHA] [STORE destination]",
        ),
    spec("sort_ro", -2, READONLY, "generic", sort_ro)
        .acl(cat::SET | cat::SORTEDSET | cat::LIST | cat::DANGEROUS)
        .key_specs(&[
            key(1, RO | ACCESS),
            unknown(RO | ACCESS).notes("Keys named by BY and GET patterns come from the sorted values, so no argument locates them"),
        ])
        .key_finder(finders::sort_ro)
        .doc(
            "7.0.0",
            "Returns the sorted elements of a list, a set, or a sorted set.",
            "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).",
            "key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC] [ALPHA]",
        ),
];

/// A parsed SORT request.
#[derive(Debug, Default, PartialEq)]
struct SortArgs<'a> {
    by: Option<&'a [u8]>,
    /// BY named no `*`: keep the source's own order.
    dont_sort: bool,
    gets: Vec<&'a [u8]>,
    limit: Option<(i64, i64)>,
    desc: bool,
    alpha: bool,
    store: Option<&'a [u8]>,
}

/// Parses the options after the key, in Redis's order of checks.
fn parse<'a>(a: &[&'a [u8]], read_only: bool) -> Result<SortArgs<'a>, &'static str> {
    let mut s = SortArgs::default();
    let mut j = 2;
    while j < a.len() {
        let left = a.len() - j - 1;
        let o = a[j];
        if is(o, "asc") {
            s.desc = false;
        } else if is(o, "desc") {
            s.desc = true;
        } else if is(o, "alpha") {
            s.alpha = true;
        } else if is(o, "limit") && left >= 2 {
            s.limit = Some((args::int(a[j + 1])?, args::int(a[j + 2])?));
            j += 2;
        } else if !read_only && is(o, "store") && left >= 1 {
            s.store = Some(a[j + 1]);
            j += 1;
        } else if is(o, "by") && left >= 1 {
            s.by = Some(a[j + 1]);
            s.dont_sort = !a[j + 1].contains(&b'*');
            j += 1;
        } else if is(o, "get") && left >= 1 {
            s.gets.push(a[j + 1]);
            j += 1;
        } else {
            return Err(errors::SYNTAX);
        }
        j += 1;
    }
    Ok(s)
}

/// A sort key read as C's strtod reads it over the whole value: leading
/// white space, decimal, hexadecimal and `inf` forms; the empty string is
/// 0. NaN, trailing bytes and values out of a double's range are errors.
fn strtod(v: &[u8]) -> Option<f64> {
    if v.is_empty() {
        return Some(0.0);
    }
    let s = std::str::from_utf8(v).ok()?;
    let t = s.trim_start_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r']);
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let hex = digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X"));
    let x = match hex {
        Some(h) if !h.is_empty() && h.bytes().all(|c| c.is_ascii_hexdigit()) => h
            .bytes()
            .fold(0f64, |acc, c| acc * 16.0 + (c as char).to_digit(16).unwrap_or(0) as f64),
        Some(_) => return None,
        None => {
            let lower = digits.to_ascii_lowercase();
            let named_inf = lower == "inf" || lower == "infinity";
            let ok = named_inf || digits.bytes().all(|c| c.is_ascii_digit() || b".eE+-".contains(&c));
            let x: f64 = if ok { digits.parse().ok()? } else { return None };
            // Out of range, as strtod's ERANGE: overflow to infinity, or
            // a non-zero value too small for a normal double.
            let nonzero = digits
                .split(['e', 'E'])
                .next()
                .is_some_and(|m| m.bytes().any(|c| (b'1'..=b'9').contains(&c)));
            if (x.is_infinite() && !named_inf) || (nonzero && x.abs() < f64::MIN_POSITIVE) {
                return None;
            }
            x
        }
    };
    if x.is_nan() || x.is_infinite() && hex.is_some() {
        return None;
    }
    Some(if neg { -x } else { x })
}

/// The key a pattern names for `elem`, and the hash field after `->`: the
/// first `*` is replaced by the element; `->` after it, with a field
/// name after it, reads that field of a hash. None when the pattern has no
/// `*` (nothing to look up).
fn pattern_key(pattern: &[u8], elem: &[u8]) -> Option<(Vec<u8>, Option<usize>)> {
    let star = pattern.iter().position(|&c| c == b'*')?;
    let after = &pattern[star + 1..];
    let arrow = after
        .windows(2)
        .position(|w| w == b"->")
        .filter(|&i| i + 2 < after.len());
    let post = &after[..arrow.unwrap_or(after.len())];
    let mut key = Vec::with_capacity(star + elem.len() + post.len());
    key.extend_from_slice(&pattern[..star]);
    key.extend_from_slice(elem);
    key.extend_from_slice(post);
    Some((key, arrow.map(|i| star + 1 + i + 2)))
}

/// Runs `f` on the value a BY or GET pattern names for `elem` (`#` is the
/// element itself), or on None when there is none: a missing key, a key
/// of another type than the pattern reads, a missing hash field. The value
/// is seen with its shard locked, so it is not copied.
fn with_pattern<R>(
    srv: &Server,
    db: usize,
    now: u64,
    pattern: &[u8],
    elem: &[u8],
    f: impl FnOnce(Option<&[u8]>) -> R,
) -> R {
    if pattern == b"#" {
        return f(Some(elem));
    }
    let Some((key, field)) = pattern_key(pattern, elem) else {
        return f(None);
    };
    srv.store.with_slot(db, &key, now, |slot| {
        let v = slot.read(true).map(|it| it.value());
        let found = match (v, field) {
            (Some(ValueRef::Str(s)), None) => Some(s),
            (Some(ValueRef::Hash(h)), Some(i)) => h.get(&pattern[i..]),
            _ => None,
        };
        f(found)
    })
}

type Elems = Vec<Box<[u8]>>;

/// The elements to sort, copied out of the source key.
enum Source {
    Missing,
    /// A list's or sorted set's elements; `cut` when only the LIMIT window
    /// of them was copied, in the order asked.
    Ordered {
        elems: Elems,
        cut: bool,
    },
    Set(Elems),
}

fn copy<'a>(it: impl Iterator<Item = &'a [u8]>, (start, end): (usize, usize)) -> Elems {
    it.skip(start).take(end.saturating_sub(start)).map(Box::from).collect()
}

/// Reads the source key, None for a key of another type. A list or
/// sorted set kept in its own order (`keep_order`, BY without `*`) is
/// copied only over the LIMIT `window`, walked backwards with `desc`.
fn read_source(
    ctx: &Ctx<'_>,
    key: &[u8],
    keep_order: bool,
    desc: bool,
    window: impl Fn(usize) -> (usize, usize),
) -> Option<Source> {
    ctx.srv.store.with_slot(ctx.db(), key, ctx.now, |slot| {
        let Some(it) = slot.read(true) else {
            return Some(Source::Missing);
        };
        let v = it.value();
        let len = match v {
            ValueRef::List(list) => list.len(),
            ValueRef::ZSet(z) => z.len(),
            _ => 0,
        };
        let (w, cut) = match keep_order {
            true => (window(len), true),
            false => ((0, usize::MAX), false),
        };
        Some(match v {
            ValueRef::List(list) => Source::Ordered {
                elems: match desc && cut {
                    true => copy(list.iter().rev(), w),
                    false => copy(list.iter(), w),
                },
                cut,
            },
            ValueRef::ZSet(z) => Source::Ordered {
                elems: match desc && cut {
                    true => copy(z.iter().rev().map(|(m, _)| m), w),
                    false => copy(z.iter().map(|(m, _)| m), w),
                },
                cut,
            },
            ValueRef::Set(set) => Source::Set(set.iter().map(Box::from).collect()),
            ValueRef::Str(_) | ValueRef::Hash(_) => return None,
        })
    })
}

/// ```text
/// SORT key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC] [ALPHA] [STORE destination]
/// ```
/// Numeric by default (every key must read as a double, ties ordered by
/// the elements' bytes), by bytes with ALPHA. `BY` with no `*` (`nosort`)
/// keeps the source's order, except that a set stored with STORE is
/// sorted ALPHA so the result does not depend on hashing. STORE replaces
/// the destination with a list (or deletes it for an empty result) and
/// replies with its length.
fn sort(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    sort_generic(ctx, a, false)
}

/// ```text
/// SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC] [ALPHA]
/// ```
fn sort_ro(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    sort_generic(ctx, a, true)
}

/// One element and the key it sorts by.
struct Row {
    elem: Box<[u8]>,
    num: f64,
    /// The BY value, for ALPHA with a pattern.
    by: Option<Box<[u8]>>,
}

fn sort_generic(ctx: &mut Ctx<'_>, a: &[&[u8]], read_only: bool) {
    let mut s = match parse(a, read_only) {
        Ok(s) => s,
        Err(e) => return ctx.error(e),
    };
    // The LIMIT window over `len` elements, as Redis clamps it.
    let window = |len: usize| {
        let (start, count) = s.limit.unwrap_or((0, -1));
        let start = start.clamp(0, len as i64) as usize;
        let count = count.clamp(-1, len as i64);
        let end = if count < 0 {
            len
        } else {
            (start + count as usize).min(len)
        };
        (start, end)
    };
    let source = read_source(ctx, a[1], s.dont_sort, s.desc, window);
    let (elems, cut, is_set) = match source {
        None => return ctx.error(errors::WRONGTYPE),
        Some(Source::Missing) => (Vec::new(), false, false),
        Some(Source::Ordered { elems, cut }) => (elems, cut, false),
        Some(Source::Set(elems)) => (elems, false, true),
    };
    // A set has no order of its own: what a script or STORE sees of it is
    // sorted, so that it is the same on every server, as Redis does.
    if s.dont_sort && is_set && (s.store.is_some() || ctx.client.in_script) {
        s.dont_sort = false;
        s.alpha = true;
        s.by = None;
    }
    let (start, end) = if cut { (0, elems.len()) } else { window(elems.len()) };
    let (srv, db, now) = (ctx.srv, ctx.db(), ctx.now);
    let mut rows: Vec<Row> = elems
        .into_iter()
        .map(|elem| Row {
            elem,
            num: 0.0,
            by: None,
        })
        .collect();
    if !s.dont_sort {
        let mut not_double = false;
        for r in rows.iter_mut() {
            match (s.by, s.alpha) {
                (Some(p), true) => r.by = with_pattern(srv, db, now, p, &r.elem, |v| v.map(Box::from)),
                (Some(p), false) => with_pattern(srv, db, now, p, &r.elem, |v| match v.map(strtod) {
                    Some(Some(x)) => r.num = x,
                    Some(None) => not_double = true,
                    None => {}
                }),
                (None, true) => {}
                (None, false) => match strtod(&r.elem) {
                    Some(x) => r.num = x,
                    None => not_double = true,
                },
            }
        }
        if not_double {
            return ctx.error(errors::SORT_NOT_DOUBLE);
        }
        let (alpha, by, desc) = (s.alpha, s.by.is_some(), s.desc);
        // A stable sort: rows equal under ALPHA BY keep the source's order.
        rows.sort_by(|x, y| {
            let c = match (alpha, by) {
                (false, _) => x
                    .num
                    .partial_cmp(&y.num)
                    .unwrap_or(Ordering::Equal)
                    .then_with(|| x.elem.cmp(&y.elem)),
                (true, true) => x.by.cmp(&y.by),
                (true, false) => x.elem.cmp(&y.elem),
            };
            if desc {
                c.reverse()
            } else {
                c
            }
        });
    }
    let rows = &rows[start..end];
    match s.store {
        None => {
            let per = s.gets.len().max(1);
            ctx.out.array(rows.len() * per);
            for r in rows {
                if s.gets.is_empty() {
                    ctx.out.bulk(&r.elem);
                }
                for g in &s.gets {
                    let out = &mut ctx.out;
                    with_pattern(srv, db, now, g, &r.elem, |v| match v {
                        Some(v) => out.bulk(v),
                        None => out.null(),
                    });
                }
            }
        }
        Some(dest) => {
            let list: List = if s.gets.is_empty() {
                rows.iter().map(|r| r.elem.clone()).collect()
            } else {
                rows.iter()
                    .flat_map(|r| {
                        s.gets
                            .iter()
                            .map(|g| with_pattern(srv, db, now, g, &r.elem, |v| Box::from(v.unwrap_or_default())))
                    })
                    .collect()
            };
            let len = list.len();
            // An empty result deletes the destination instead.
            let changed = srv.store.with_slot(db, dest, now, |slot| match len {
                0 => slot.delete(),
                _ => slot.put_aggregate(Aggregate::List(list)),
            });
            // Redis tells `sortstore` in the list class, and `del` only
            // when there was a destination to delete.
            match (len, changed) {
                (0, true) => notify::event(srv, class::GENERIC, "del", db, dest),
                (0, false) => {}
                _ => notify::event(srv, class::LIST, "sortstore", db, dest),
            }
            ctx.out.int(len as i64);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(line: &str) -> Vec<&[u8]> {
        line.split(' ').map(str::as_bytes).collect()
    }

    #[test]
    fn parse_reads_options_in_any_order() {
        let a = argv("sort k by w_* limit 1 2 get # get h_*->f desc alpha store d");
        let s = parse(&a, false).unwrap();
        assert_eq!(s.by, Some(&b"w_*"[..]));
        assert!(!s.dont_sort);
        assert_eq!(s.gets, vec![&b"#"[..], &b"h_*->f"[..]]);
        assert_eq!(s.limit, Some((1, 2)));
        assert!(s.desc && s.alpha);
        assert_eq!(s.store, Some(&b"d"[..]));
        assert!(parse(&argv("sort k by nosort"), false).unwrap().dont_sort);
    }

    #[test]
    fn parse_refuses_store_in_sort_ro_and_short_options() {
        assert_eq!(parse(&argv("sort k store d"), true), Err(errors::SYNTAX));
        assert_eq!(parse(&argv("sort k limit 1"), false), Err(errors::SYNTAX));
        assert_eq!(parse(&argv("sort k limit x 1"), false), Err(errors::NOT_INTEGER));
        assert_eq!(parse(&argv("sort k get"), false), Err(errors::SYNTAX));
    }

    #[test]
    fn strtod_reads_what_c_reads() {
        assert_eq!(strtod(b""), Some(0.0));
        assert_eq!(strtod(b" 1.5"), Some(1.5));
        assert_eq!(strtod(b"-0x10"), Some(-16.0));
        assert_eq!(strtod(b"1e3"), Some(1000.0));
        assert_eq!(strtod(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(strtod(b"1 "), None);
        assert_eq!(strtod(b"nan"), None);
        assert_eq!(strtod(b"1e400"), None);
        assert_eq!(strtod(b"1e-400"), None);
        assert_eq!(strtod(b"0e-400"), Some(0.0));
        assert_eq!(strtod(b"abc"), None);
    }

    #[test]
    fn pattern_key_substitutes_the_first_star_and_splits_the_field() {
        assert_eq!(pattern_key(b"w_*", b"1"), Some((b"w_1".to_vec(), None)));
        assert_eq!(pattern_key(b"h_*->f", b"1"), Some((b"h_1".to_vec(), Some(5))));
        assert_eq!(pattern_key(b"h_*->", b"1"), Some((b"h_1->".to_vec(), None)));
        assert_eq!(pattern_key(b"a*b*", b"x"), Some((b"axb*".to_vec(), None)));
        assert_eq!(pattern_key(b"->f*", b"x"), Some((b"->fx".to_vec(), None)));
        assert_eq!(pattern_key(b"nosort", b"x"), None);
    }

    use crate::command::testing::Harness;
    use crate::store::{Expiry, Hash, Set, ZSet};

    /// A server holding the list `l` = 3 1 2 10 -1.5, the set `s` =
    /// {c a b}, the sorted set `z` = y:1 w:2 x:3, strings `w_*` and
    /// hashes `h_*` with a field `f`, as the Redis transcripts these
    /// tests compare with.
    fn sample() -> Harness {
        let h = Harness::new();
        let l: List = ["3", "1", "2", "10", "-1.5"]
            .iter()
            .map(|e| Box::from(e.as_bytes()))
            .collect();
        h.put(b"l", Aggregate::List(l));
        let mut set = Set::default();
        for m in ["c", "a", "b"] {
            set.insert(m.as_bytes());
        }
        h.put(b"s", Aggregate::Set(set));
        let mut z = ZSet::default();
        for (m, sc) in [("x", 3.0), ("y", 1.0), ("w", 2.0)] {
            z.insert(m.as_bytes(), sc);
        }
        h.put(b"z", Aggregate::ZSet(z));
        for (k, v) in [
            ("w_3", "30"),
            ("w_1", "10"),
            ("w_2", "20"),
            ("w_10", "-5"),
            ("w_x", "1"),
            ("w_y", "2"),
            ("w_w", "0"),
            ("str", "v"),
        ] {
            let kh = h.srv.store.hash(k.as_bytes());
            h.srv
                .store
                .lock(kh)
                .slot(0, k.as_bytes(), kh, h.srv.start_ms)
                .set_bytes(v.as_bytes(), Expiry::None, 0);
        }
        for (k, v) in [("h_3", "c3"), ("h_1", "c1"), ("h_10", "c10")] {
            let mut hash = Hash::default();
            hash.insert(b"f", v.as_bytes());
            h.put(k.as_bytes(), Aggregate::Hash(hash));
        }
        h
    }

    trait Flat {
        fn flat(&mut self, line: &str) -> String;
        fn list(&self, key: &[u8]) -> Option<Vec<String>>;
    }

    impl Flat for Harness {
        /// Runs one command; the reply flattened: bulks and integers
        /// separated by spaces, nil as `nil`, an error as its text.
        fn flat(&mut self, line: &str) -> String {
            let text = self.run(line);
            let mut out = Vec::new();
            let mut lines = text.split("\r\n");
            while let Some(l) = lines.next() {
                match l.as_bytes().first() {
                    Some(b'-' | b'+') => out.push(l[1..].to_string()),
                    Some(b':') => out.push(l[1..].to_string()),
                    Some(b'$') if l == "$-1" => out.push("nil".into()),
                    Some(b'$') => out.push(lines.next().unwrap_or_default().to_string()),
                    _ => {}
                }
            }
            out.join(" ")
        }

        fn list(&self, key: &[u8]) -> Option<Vec<String>> {
            let kh = self.srv.store.hash(key);
            let mut l = self.srv.store.lock(kh);
            let mut slot = l.slot(0, key, kh, self.srv.start_ms);
            let list = slot.peek_as::<List>().ok()??;
            Some(list.iter().map(|e| String::from_utf8_lossy(e).into_owned()).collect())
        }
    }

    #[test]
    fn sort_numeric_alpha_desc_and_limit_as_redis_answers() {
        let mut h = sample();
        assert_eq!(h.flat("SORT l"), "-1.5 1 2 3 10");
        assert_eq!(h.flat("SORT l DESC"), "10 3 2 1 -1.5");
        assert_eq!(h.flat("SORT l LIMIT 1 2"), "1 2");
        assert_eq!(h.flat("SORT l ALPHA"), "-1.5 1 10 2 3");
        assert_eq!(h.flat("SORT l LIMIT -5 100"), "-1.5 1 2 3 10");
        assert_eq!(h.flat("SORT l LIMIT 2 -1"), "2 3 10");
        assert_eq!(h.flat("SORT l LIMIT 10 1"), "");
        assert_eq!(h.flat("SORT l LIMIT 1 0"), "");
        assert_eq!(h.flat("SORT s ALPHA DESC"), "c b a");
        assert_eq!(h.flat("SORT z ALPHA"), "w x y");
        assert_eq!(h.flat("SORT_RO l DESC LIMIT 0 2"), "10 3");
    }

    #[test]
    fn sort_by_patterns_and_get_patterns_read_strings_and_hash_fields() {
        let mut h = sample();
        assert_eq!(h.flat("SORT l BY w_*"), "10 -1.5 1 2 3");
        assert_eq!(h.flat("SORT l BY w_* DESC"), "3 2 1 -1.5 10");
        assert_eq!(h.flat("SORT l BY w_* ALPHA"), "-1.5 10 1 2 3");
        assert_eq!(
            h.flat("SORT l BY w_* GET # GET h_*->f"),
            "10 c10 -1.5 nil 1 c1 2 nil 3 c3"
        );
        assert_eq!(h.flat("SORT z BY w_*"), "w x y");
        assert_eq!(h.flat("SORT l BY h_*->f ALPHA"), "2 -1.5 1 10 3");
        assert_eq!(h.flat("SORT l GET h_*->"), "nil nil nil nil nil");
        assert_eq!(h.flat("SORT l GET nostar"), "nil nil nil nil nil");
    }

    #[test]
    fn sort_by_a_constant_keeps_the_source_order() {
        let mut h = sample();
        assert_eq!(h.flat("SORT l BY nosort DESC LIMIT 1 2"), "10 2");
        assert_eq!(h.flat("SORT l BY nosort LIMIT 1 2"), "1 2");
        assert_eq!(h.flat("SORT z BY nosort"), "y w x");
        assert_eq!(h.flat("SORT z BY nosort DESC LIMIT 0 2"), "x w");
    }

    #[test]
    fn sort_store_writes_a_list_and_an_empty_result_deletes_the_destination() {
        let mut h = sample();
        // A set stored unsorted is sorted ALPHA, so the list is the same
        // whatever the set's hashing.
        assert_eq!(h.flat("SORT s BY nosort STORE d"), "3");
        assert_eq!(h.list(b"d"), Some(vec!["a".into(), "b".into(), "c".into()]));
        assert_eq!(h.flat("SORT l STORE d2 GET w_*"), "5");
        let want: Vec<String> = ["", "10", "20", "30", "-5"].iter().map(|s| s.to_string()).collect();
        assert_eq!(h.list(b"d2"), Some(want));
        assert_eq!(h.flat("SORT missing STORE d"), "0");
        assert_eq!(h.list(b"d"), None);
        assert_eq!(h.flat("EXISTS d"), "0");
        assert_eq!(h.flat("SORT l STORE str"), "5", "STORE replaces a key of any type");
        assert_eq!(h.flat("TYPE str"), "list");
    }

    #[test]
    fn sort_errors_as_redis() {
        let mut h = sample();
        assert_eq!(h.flat("SORT z"), errors::SORT_NOT_DOUBLE);
        assert_eq!(h.flat("SORT l BY h_*->f"), errors::SORT_NOT_DOUBLE);
        assert_eq!(h.flat("SORT str"), errors::WRONGTYPE);
        assert_eq!(h.flat("SORT h_1"), errors::WRONGTYPE);
        assert_eq!(h.flat("SORT_RO l STORE x"), errors::SYNTAX);
        assert_eq!(h.flat("SORT l LIMIT 1"), errors::SYNTAX);
        assert_eq!(h.flat("SORT l LIMIT a 1"), errors::NOT_INTEGER);
        assert_eq!(h.flat("SORT l foo"), errors::SYNTAX);
        assert_eq!(h.flat("SORT missing"), "");
        assert_eq!(h.flat("SORT z STORE d"), errors::SORT_NOT_DOUBLE);
        assert_eq!(h.flat("EXISTS d"), "0", "an error stores nothing");
    }

    #[test]
    fn sort_store_makes_a_list_that_type_scan_and_object_encoding_see() {
        let mut h = sample();
        assert_eq!(h.flat("SORT l STORE small"), "5");
        assert_eq!(h.flat("TYPE small"), "list");
        assert_eq!(h.flat("OBJECT ENCODING small"), "listpack");
        let scan = h.flat("SCAN 0 TYPE list COUNT 1000");
        assert!(scan.contains("small") && !scan.contains("str"), "{scan}");
        // Past 8 KB a list is a quicklist, as Redis 7.2 converts it.
        let big: List = (0..200).map(|i| Box::from(format!("{i:090}").as_bytes())).collect();
        h.put(b"src", Aggregate::List(big));
        assert_eq!(h.flat("SORT src STORE big"), "200");
        assert_eq!(h.flat("OBJECT ENCODING big"), "quicklist");
        let top = h.flat("SORT big LIMIT 0 2 DESC");
        assert_eq!(top, format!("{:090} {:090}", 199, 198));
    }

    #[test]
    fn bitmap_commands_on_an_aggregate_are_wrongtype() {
        let mut h = sample();
        for cmd in [
            "SETBIT l 0 1",
            "GETBIT l 0",
            "BITCOUNT l",
            "BITCOUNT l 0 1",
            "BITPOS l 1",
            "BITFIELD l GET u8 0",
            "BITFIELD l SET u8 0 1",
            "BITFIELD_RO l GET u8 0",
            "BITOP AND d str l",
        ] {
            assert_eq!(h.flat(cmd), errors::WRONGTYPE, "{cmd}");
        }
        assert_eq!(h.flat("EXISTS d"), "0");
        assert_eq!(h.flat("BITOP OR l str"), "1", "the destination may be of any type");
        assert_eq!(h.flat("TYPE l"), "string");
    }

    #[test]
    fn store_publishes_sortstore_in_the_list_class_or_del_of_a_destination_that_was_there() {
        use crate::command::notify::testing::Events;
        let mut ev = Events::new("Kl");
        ev.run("RPUSH n 3 1 2");
        ev.run("SORT n STORE out");
        ev.run("SORT nol STORE out");
        assert_eq!(ev.take(), ["__keyspace@0__:n rpush", "__keyspace@0__:out sortstore"]);
        ev.run("CONFIG SET notify-keyspace-events Kgn");
        ev.run("SORT n STORE out");
        ev.run("SORT nol STORE out");
        ev.run("SORT nol STORE out");
        ev.run("SORT n");
        assert_eq!(
            ev.take(),
            ["__keyspace@0__:out new", "__keyspace@0__:out del"],
            "`sortstore` is no generic event; an empty result deletes once"
        );
    }
}
