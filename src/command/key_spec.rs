//! Key specifications: where a command's keys sit among its arguments and
//! how the command uses each, declared once per command as Redis 7
//! declares them.
//!
//! A spec says where to start looking (`begin`: a fixed index, or just
//! after a keyword) and how to find the keys from there (`find`: a range,
//! or a count read from an argument). Everything else is derived from the
//! specs: the legacy first/last/step triple and the `movablekeys` flag of
//! `COMMAND INFO`, and the keys of a request, for `COMMAND GETKEYS` and
//! anything that must know which keys a request touches (cluster slots).
//!
//! A few commands' keys cannot be found by specs alone: SORT's STORE may
//! sit anywhere among options that take values, SET's access depends on
//! `GET`. Such a command declares a [`KeyFinder`] beside its specs, which
//! is used when the specs cannot answer, as Redis falls back to its
//! `getkeys_proc`.

/// Key-spec flags, as `COMMAND INFO` and `COMMAND GETKEYSANDFLAGS` name them.
pub(crate) mod flags {
    /// Reads the key's value.
    pub(crate) const RO: u32 = 1 << 0;
    /// Reads and changes the value.
    pub(crate) const RW: u32 = 1 << 1;
    /// Overwrites the value without reading it.
    pub(crate) const OW: u32 = 1 << 2;
    /// Deletes the key.
    pub(crate) const RM: u32 = 1 << 3;
    /// Returns, copies or uses user data from the value.
    pub(crate) const ACCESS: u32 = 1 << 4;
    /// Updates data in the value.
    pub(crate) const UPDATE: u32 = 1 << 5;
    /// Adds data to the value, changing nothing already there.
    pub(crate) const INSERT: u32 = 1 << 6;
    /// Removes data from the value.
    pub(crate) const DELETE: u32 = 1 << 7;
    /// The argument is not a key, though it routes like one.
    pub(crate) const NOT_KEY: u32 = 1 << 8;
    /// The spec may not find every key.
    pub(crate) const INCOMPLETE: u32 = 1 << 9;
    /// The flags depend on the arguments; the command's finder gives them.
    pub(crate) const VARIABLE_FLAGS: u32 = 1 << 10;

    /// Names in the order Redis lists them.
    pub(crate) const NAMES: &[(u32, &str)] = &[
        (RO, "RO"),
        (RW, "RW"),
        (OW, "OW"),
        (RM, "RM"),
        (ACCESS, "access"),
        (UPDATE, "update"),
        (INSERT, "insert"),
        (DELETE, "delete"),
        (NOT_KEY, "not_key"),
        (INCOMPLETE, "incomplete"),
        (VARIABLE_FLAGS, "variable_flags"),
    ];

    /// The names of the flags set in `bits`.
    pub(crate) fn names(bits: u32) -> impl Iterator<Item = &'static str> {
        NAMES.iter().filter(move |(b, _)| bits & b != 0).map(|(_, n)| *n)
    }
}

use flags::{INCOMPLETE, NOT_KEY, VARIABLE_FLAGS};

/// Where the search for a spec's keys begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Begin {
    /// At this argument (the name is 0).
    Index(usize),
    /// Just after this keyword, searched from `start_from` (negative:
    /// counted from the end, searching backwards): MIGRATE's KEYS.
    Keyword { keyword: &'static str, start_from: i32 },
    /// Cannot be told from the arguments; the command's finder knows.
    Unknown,
}

/// How a spec's keys are found from where the search began.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Find {
    /// Keys from the beginning to `last` (relative to it; negative counts
    /// from the end of the arguments), every `step`. With a `limit` and
    /// `last` -1, the range covers 1/limit of the remaining arguments.
    Range { last: i32, step: usize, limit: usize },
    /// The argument at `index` (relative to the beginning) counts the
    /// keys; the first is at `first` (relative too), then every `step`.
    Keynum { index: usize, first: usize, step: usize },
    /// Cannot be told from the arguments; the command's finder knows.
    Unknown,
}

/// One key specification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KeySpec {
    pub(crate) flags: u32,
    pub(crate) begin: Begin,
    pub(crate) find: Find,
    /// Why the spec is as it is, when that is not plain; `COMMAND INFO`
    /// shows it.
    pub(crate) notes: &'static str,
}

/// One key at `index`; `.range(..)` or `.keynum(..)` for more.
pub(crate) const fn key(index: usize, flags: u32) -> KeySpec {
    KeySpec {
        flags,
        begin: Begin::Index(index),
        find: Find::Range {
            last: 0,
            step: 1,
            limit: 0,
        },
        notes: "",
    }
}

/// One key after `keyword`, searched from `start_from`.
pub(crate) const fn after(keyword: &'static str, start_from: i32, flags: u32) -> KeySpec {
    KeySpec {
        begin: Begin::Keyword { keyword, start_from },
        ..key(0, flags)
    }
}

/// Keys the arguments cannot locate (they come from data, or from options
/// a spec cannot parse); the command's [`KeyFinder`] finds what it can.
pub(crate) const fn unknown(flags: u32) -> KeySpec {
    KeySpec {
        flags,
        begin: Begin::Unknown,
        find: Find::Unknown,
        notes: "",
    }
}

impl KeySpec {
    /// Keys from the beginning to `last` (relative; negative from the
    /// end), every `step`.
    pub(crate) const fn range(mut self, last: i32, step: usize, limit: usize) -> KeySpec {
        self.find = Find::Range { last, step, limit };
        self
    }

    /// Keys counted by the argument `index` after the beginning, the first
    /// `first` after it, every `step`.
    pub(crate) const fn keynum(mut self, index: usize, first: usize, step: usize) -> KeySpec {
        self.find = Find::Keynum { index, first, step };
        self
    }

    pub(crate) const fn notes(mut self, notes: &'static str) -> KeySpec {
        self.notes = notes;
        self
    }

    /// Where this spec's keys begin in `args`, or `None` when its keyword
    /// is absent (the spec then finds nothing, which is no error).
    fn first(&self, args: &[&[u8]]) -> Result<Option<usize>, Invalid> {
        match self.begin {
            Begin::Index(i) => Ok(Some(i)),
            Begin::Keyword { keyword, start_from } => {
                let argc = args.len() as i64;
                let from = i64::from(start_from);
                // The last argument (searching forward) or the first after
                // the name (backward) is never tried: no key could follow it.
                let (start, end) = if from > 0 { (from, argc - 1) } else { (argc + from, 1) };
                let mut i = start;
                while i != end {
                    if i >= argc || i < 1 {
                        break;
                    }
                    if args[i as usize].eq_ignore_ascii_case(keyword.as_bytes()) {
                        return Ok(Some(i as usize + 1));
                    }
                    i += if start <= end { 1 } else { -1 };
                }
                Ok(None)
            }
            Begin::Unknown => Err(Invalid),
        }
    }

    /// The positions of this spec's keys in `args`.
    fn positions(&self, args: &[&[u8]]) -> Result<Vec<usize>, Invalid> {
        let Some(first) = self.first(args)? else {
            return Ok(Vec::new());
        };
        let argc = args.len() as i64;
        let mut first = first as i64;
        let (last, step) = match self.find {
            Find::Range { last, step, limit } => {
                let last = i64::from(last);
                let end = if last >= 0 {
                    first + last
                } else if limit == 0 {
                    argc + last
                } else {
                    first + ((argc - first) / limit as i64 + last)
                };
                (end, step.max(1))
            }
            Find::Keynum {
                index,
                first: off,
                step,
            } => {
                let at = first + index as i64;
                if at >= argc {
                    return Err(Invalid);
                }
                let n = crate::util::number::parse_i64_exact(args[at as usize]).ok_or(Invalid)?;
                if n < 0 {
                    return Err(Invalid);
                }
                first += off as i64;
                (first.saturating_add(n) - 1, step.max(1))
            }
            Find::Unknown => return Err(Invalid),
        };
        if last >= argc || last < first || first >= argc {
            return Err(Invalid);
        }
        Ok((first as usize..=last as usize).step_by(step).collect())
    }
}

/// A spec that cannot be applied to these arguments: its begin or find is
/// unknown, its count is not a number or runs past the end, or it is
/// incomplete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Invalid;

/// A key found in a request: its position among the arguments (the name is
/// 0) and how the command uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KeyRef {
    pub(crate) pos: usize,
    pub(crate) flags: u32,
}

/// A command's own key finder, for what its specs cannot tell: keys after a
/// keyword among options that take values, flags that depend on the
/// arguments. Keys it finds without flags report none.
pub(crate) type KeyFinder = fn(&[&[u8]]) -> Vec<KeyRef>;

/// The keys of `args` by `specs` alone, as Redis's key-spec search finds
/// them; `Err` when a spec cannot be applied or may have missed keys.
pub(crate) fn by_specs(specs: &[KeySpec], args: &[&[u8]]) -> Result<Vec<KeyRef>, Invalid> {
    let mut keys = Vec::new();
    for s in specs.iter().filter(|s| s.flags & NOT_KEY == 0) {
        keys.extend(s.positions(args)?.into_iter().map(|pos| KeyRef { pos, flags: s.flags }));
        if s.flags & INCOMPLETE != 0 {
            return Err(Invalid);
        }
    }
    Ok(keys)
}

/// The keys of a request: by the specs when they are complete and their
/// flags fixed, else by the command's finder. Empty when there are none
/// or the arguments are malformed.
pub(crate) fn find(specs: &[KeySpec], finder: Option<KeyFinder>, args: &[&[u8]]) -> Vec<KeyRef> {
    let some_key = specs.iter().any(|s| s.flags & NOT_KEY == 0);
    let variable = specs.iter().any(|s| s.flags & VARIABLE_FLAGS != 0);
    if some_key && !variable {
        if let Ok(keys) = by_specs(specs, args) {
            return keys;
        }
    }
    // Finders read the arguments as a request that passed its arity
    // check; one that did not may name a key past its end, which is none.
    let mut keys = finder.map(|f| f(args)).unwrap_or_default();
    keys.retain(|k| k.pos < args.len());
    keys
}

/// Whether a command may have keys at all (COMMAND GETKEYS answers "no key
/// arguments" when not).
pub(crate) fn may_have_keys(specs: &[KeySpec], finder: Option<KeyFinder>) -> bool {
    finder.is_some() || specs.iter().any(|s| s.flags & NOT_KEY == 0)
}

/// The legacy first/last/step triple of `COMMAND INFO`, and whether the
/// command's keys are movable (not all covered by that triple), derived
/// from the specs as Redis 7 derives them: one plain range is the triple
/// itself; several are joined while they are index ranges of step 1 that
/// follow each other, and anything else makes the keys movable.
pub(crate) fn legacy_range(specs: &[KeySpec]) -> ((i32, i32, i32), bool) {
    let absolute = |pos: usize, last: i32| if last >= 0 { pos as i32 + last } else { last };
    if let [s] = specs {
        if let (Begin::Index(pos), Find::Range { last, step, .. }) = (s.begin, s.find) {
            let triple = (pos as i32, absolute(pos, last), step as i32);
            return (triple, s.flags & INCOMPLETE != 0);
        }
    }
    let mut movable = false;
    let mut first: Option<i32> = None;
    // Redis compares last keys unsigned, so a negative (from the end) last
    // key wins over any positive one.
    let mut lastkey: i32 = 0;
    let mut prev_last: i32 = 0;
    for s in specs {
        let (Begin::Index(pos), Find::Range { last, step, .. }) = (s.begin, s.find) else {
            movable = true;
            continue;
        };
        if step != 1 || (prev_last != 0 && prev_last != pos as i32 - 1) {
            movable = true;
            continue;
        }
        if s.flags & INCOMPLETE != 0 {
            movable = true;
        }
        first = Some(first.map_or(pos as i32, |f| f.min(pos as i32)));
        let abs = absolute(pos, last);
        lastkey = (lastkey as u32).max(abs as u32) as i32;
        prev_last = lastkey;
    }
    match first {
        Some(f) => ((f, lastkey, 1), movable),
        None => ((0, 0, 0), movable || !specs.is_empty()),
    }
}

/// Finder of the commands whose keys a count argument at `count_at`
/// announces, the first at `first_at`, after an optional destination key
/// at `store_at` (ZUNIONSTORE dest numkeys key ...; EVAL script numkeys
/// key ...). Used only when the specs fail, so it reads the count as
/// leniently as Redis (`atoi`) and finds nothing for a count out of range.
fn counted(args: &[&[u8]], store_at: Option<usize>, count_at: usize, first_at: usize) -> Vec<KeyRef> {
    let n = args.get(count_at).map_or(0, |a| crate::util::number::atoi(a));
    if n < 1 || n as usize > args.len().saturating_sub(first_at) {
        return Vec::new();
    }
    let mut keys: Vec<KeyRef> = (first_at..first_at + n as usize)
        .map(|pos| KeyRef { pos, flags: 0 })
        .collect();
    keys.extend(store_at.map(|pos| KeyRef { pos, flags: 0 }));
    keys
}

/// The finders the commands declare, named after what they read.
pub(crate) mod finders {
    use super::flags::*;
    use super::{counted, KeyRef};

    /// `CMD numkeys key ...` (ZUNION, ZINTERCARD, SINTERCARD, LMPOP, ZMPOP).
    pub(crate) fn numkeys_at_1(a: &[&[u8]]) -> Vec<KeyRef> {
        counted(a, None, 1, 2)
    }

    /// `CMD x numkeys key ...` (EVAL, FCALL, BLMPOP, BZMPOP).
    pub(crate) fn numkeys_at_2(a: &[&[u8]]) -> Vec<KeyRef> {
        counted(a, None, 2, 3)
    }

    /// `CMD destination numkeys key ...` (ZUNIONSTORE and its kin).
    pub(crate) fn store_then_numkeys(a: &[&[u8]]) -> Vec<KeyRef> {
        counted(a, Some(1), 2, 3)
    }

    /// SORT key [BY pattern] [LIMIT offset count] [GET pattern ...]
    /// [ASC|DESC] [ALPHA] [STORE destination]: the key, and the last
    /// STORE's destination. Keys that BY and GET patterns name come from
    /// the data and are not found.
    pub(crate) fn sort(a: &[&[u8]]) -> Vec<KeyRef> {
        let mut keys = vec![KeyRef {
            pos: 1,
            flags: RO | ACCESS,
        }];
        let mut store = None;
        let mut i = 2;
        while i < a.len() {
            let w = a[i];
            if w.eq_ignore_ascii_case(b"limit") {
                i += 2;
            } else if w.eq_ignore_ascii_case(b"get") || w.eq_ignore_ascii_case(b"by") {
                i += 1;
            } else if w.eq_ignore_ascii_case(b"store") && i + 1 < a.len() {
                store = Some(i + 1);
            }
            i += 1;
        }
        keys.extend(store.map(|pos| KeyRef {
            pos,
            flags: OW | UPDATE,
        }));
        keys
    }

    /// SORT_RO key ...: only the key; BY and GET keys come from the data.
    pub(crate) fn sort_ro(_a: &[&[u8]]) -> Vec<KeyRef> {
        vec![KeyRef {
            pos: 1,
            flags: RO | ACCESS,
        }]
    }

    /// MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH pw]
    /// [AUTH2 user pw] [KEYS key ...]: the key, or with KEYS (and an empty
    /// key argument) every argument after it. The values of AUTH and AUTH2
    /// are skipped, so a password that reads `KEYS` is no keyword. KEYS
    /// after a non-empty key is MIGRATE's syntax error: no keys.
    pub(crate) fn migrate(a: &[&[u8]]) -> Vec<KeyRef> {
        let flags = RW | ACCESS | DELETE;
        let mut first = 3;
        let mut num = 1;
        let mut i = 6;
        while i < a.len() {
            let w = a[i];
            if w.eq_ignore_ascii_case(b"keys") {
                if a[3].is_empty() {
                    first = i + 1;
                    num = a.len() - first;
                } else {
                    num = 0;
                }
                break;
            }
            if w.eq_ignore_ascii_case(b"auth") {
                i += 1;
            } else if w.eq_ignore_ascii_case(b"auth2") {
                i += 2;
            }
            i += 1;
        }
        (first..first + num).map(|pos| KeyRef { pos, flags }).collect()
    }

    /// SET key value ... [GET]: GET reads the old value as well.
    pub(crate) fn set(a: &[&[u8]]) -> Vec<KeyRef> {
        let get = a.iter().skip(3).any(|w| w.eq_ignore_ascii_case(b"get"));
        let flags = if get { RW | ACCESS | UPDATE } else { OW | UPDATE };
        vec![KeyRef { pos: 1, flags }]
    }

    /// BITFIELD key [GET ...] [SET ...] [INCRBY ...] [OVERFLOW ...]: read
    /// only while every operation is a GET; a malformed list counts as a
    /// write, the safe side.
    pub(crate) fn bitfield(a: &[&[u8]]) -> Vec<KeyRef> {
        let mut readonly = true;
        let mut i = 2;
        while i < a.len() {
            let rest = a.len() - i - 1;
            let w = a[i];
            if w.eq_ignore_ascii_case(b"get") && rest >= 2 {
                i += 2;
            } else if (w.eq_ignore_ascii_case(b"set") || w.eq_ignore_ascii_case(b"incrby")) && rest >= 3 {
                readonly = false;
                break;
            } else if w.eq_ignore_ascii_case(b"overflow") && rest >= 1 {
                i += 1;
            } else {
                readonly = false;
                break;
            }
            i += 1;
        }
        let flags = if readonly { RO | ACCESS } else { RW | ACCESS | UPDATE };
        vec![KeyRef { pos: 1, flags }]
    }
}

#[cfg(test)]
mod tests {
    use super::finders;
    use super::flags::*;
    use super::*;

    fn args(line: &str) -> Vec<&[u8]> {
        line.split(' ').map(str::as_bytes).collect()
    }

    fn positions(specs: &[KeySpec], finder: Option<KeyFinder>, line: &str) -> Vec<usize> {
        find(specs, finder, &args(line)).iter().map(|k| k.pos).collect()
    }

    const ZUNIONSTORE: &[KeySpec] = &[key(1, OW | UPDATE), key(2, RO | ACCESS).keynum(0, 1, 1)];

    #[test]
    fn keynum_spec_finds_the_counted_keys_after_the_destination() {
        let f = Some(finders::store_then_numkeys as KeyFinder);
        assert_eq!(positions(ZUNIONSTORE, f, "zunionstore d 2 a b WEIGHTS 1 2"), [1, 3, 4]);
        let many = format!(
            "zunionstore d 260 {}",
            (0..260).map(|i| format!("k{i}")).collect::<Vec<_>>().join(" ")
        );
        assert_eq!(positions(ZUNIONSTORE, f, &many).len(), 261);
    }

    #[test]
    fn a_count_past_the_end_finds_no_keys() {
        let f = Some(finders::store_then_numkeys as KeyFinder);
        assert!(positions(ZUNIONSTORE, f, "zunionstore d 3 a b").is_empty());
        assert!(positions(ZUNIONSTORE, f, "zunionstore d x a b").is_empty());
        assert!(positions(ZUNIONSTORE, f, "zunionstore d -1 a b").is_empty());
    }

    #[test]
    fn a_count_that_only_atoi_reads_falls_back_to_the_finder_without_flags() {
        let f = Some(finders::store_then_numkeys as KeyFinder);
        let keys = find(ZUNIONSTORE, f, &args("zunionstore d 2x a b"));
        assert_eq!(
            keys,
            [
                KeyRef { pos: 3, flags: 0 },
                KeyRef { pos: 4, flags: 0 },
                KeyRef { pos: 1, flags: 0 }
            ]
        );
    }

    #[test]
    fn keyword_spec_searches_forward_or_backward() {
        let fwd = [after("STORE", 1, OW | UPDATE)];
        assert_eq!(positions(&fwd, None, "cmd k STORE d"), [3]);
        assert!(
            positions(&fwd, None, "cmd k x STORE").is_empty(),
            "no key after the last word"
        );
        let streams = [after("STREAMS", 1, RO | ACCESS).range(-1, 1, 2)];
        assert_eq!(positions(&streams, None, "xread COUNT 2 STREAMS a b 0 0"), [4, 5]);
        let back = [after("KEYS", -2, RW | ACCESS | DELETE).range(-1, 1, 0)];
        assert_eq!(positions(&back, None, "migrate h p x 0 5 KEYS a b"), [7, 8]);
        assert!(positions(&back, None, "migrate h p k 0 5").is_empty());
    }

    #[test]
    fn migrate_finds_the_key_or_what_follows_keys() {
        let specs = [
            key(3, RW | ACCESS | DELETE),
            after("KEYS", -2, RW | ACCESS | DELETE | INCOMPLETE).range(-1, 1, 0),
        ];
        let f = Some(finders::migrate as KeyFinder);
        assert_eq!(positions(&specs, f, "migrate h p k 0 5"), [3]);
        assert_eq!(positions(&specs, f, "migrate h p k 0 5 COPY REPLACE"), [3]);
        assert_eq!(positions(&specs, f, "migrate h p  0 5 KEYS a b"), [7, 8]);
        assert_eq!(positions(&specs, f, "migrate h p  0 5 AUTH keys KEYS a"), [9]);
        assert_eq!(positions(&specs, f, "migrate h p  0 5 AUTH2 keys keys KEYS a"), [10]);
        assert!(positions(&specs, f, "migrate h p k 0 5 KEYS a b").is_empty());
        let keys = find(&specs, f, &args("migrate h p  0 5 KEYS a"));
        assert_eq!(
            keys,
            [KeyRef {
                pos: 7,
                flags: RW | ACCESS | DELETE
            }]
        );
    }

    #[test]
    fn sort_finds_the_last_store_and_skips_option_values() {
        let specs = [key(1, RO | ACCESS), unknown(RO | ACCESS), unknown(OW | UPDATE)];
        let f = Some(finders::sort as KeyFinder);
        let keys = find(&specs, f, &args("sort k STORE a LIMIT 0 1 GET store STORE b"));
        assert_eq!(
            keys,
            [
                KeyRef {
                    pos: 1,
                    flags: RO | ACCESS
                },
                KeyRef {
                    pos: 10,
                    flags: OW | UPDATE
                }
            ]
        );
        assert_eq!(positions(&specs, f, "sort k BY store"), [1]);
    }

    #[test]
    fn variable_flags_come_from_the_finder() {
        let specs = [key(1, RW | ACCESS | UPDATE | VARIABLE_FLAGS)];
        let f = Some(finders::set as KeyFinder);
        assert_eq!(find(&specs, f, &args("set k v"))[0].flags, OW | UPDATE);
        assert_eq!(find(&specs, f, &args("set k v get"))[0].flags, RW | ACCESS | UPDATE);
        let f = Some(finders::bitfield as KeyFinder);
        assert_eq!(find(&specs, f, &args("bitfield k GET u8 0"))[0].flags, RO | ACCESS);
        assert_eq!(
            find(&specs, f, &args("bitfield k GET u8 0 SET u8 0 1"))[0].flags,
            RW | ACCESS | UPDATE
        );
    }

    #[test]
    fn legacy_range_joins_adjacent_plain_ranges() {
        assert_eq!(
            legacy_range(&[key(1, RO | ACCESS).range(-1, 1, 0)]),
            ((1, -1, 1), false)
        );
        assert_eq!(
            legacy_range(&[key(1, OW | UPDATE).range(-1, 2, 0)]),
            ((1, -1, 2), false)
        );
        let lmove = [key(1, RW | ACCESS | DELETE), key(2, RW | INSERT)];
        assert_eq!(legacy_range(&lmove), ((1, 2, 1), false));
        assert_eq!(legacy_range(ZUNIONSTORE), ((1, 1, 1), true));
        let blpop = [key(1, RW | ACCESS | DELETE).range(-2, 1, 0)];
        assert_eq!(legacy_range(&blpop), ((1, -2, 1), false));
        let eval = [key(2, RW | ACCESS | UPDATE).keynum(0, 1, 1)];
        assert_eq!(legacy_range(&eval), ((0, 0, 0), true));
        assert_eq!(legacy_range(&[]), ((0, 0, 0), false));
    }

    #[test]
    fn flag_names_follow_redis_order() {
        assert_eq!(names(RW | INSERT).collect::<Vec<_>>(), ["RW", "insert"]);
        assert_eq!(
            names(ACCESS | RM | DELETE).collect::<Vec<_>>(),
            ["RM", "access", "delete"]
        );
    }
}
