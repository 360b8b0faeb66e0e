//! The script cache (SHA1 -> body) and the function libraries, shared by
//! every worker thread. The Lua state that compiles and runs them is
//! `script`'s; this is the data it works from.

use hashbrown::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

/// A script's SHA1 in lower-case hex, the script cache's key.
pub(crate) type Sha = [u8; 40];

/// Script flags, from a `#!lua flags=...` line or `register_function`.
pub(crate) mod script_flags {
    pub(crate) const NO_WRITES: u32 = 1;
    pub(crate) const ALLOW_OOM: u32 = 2;
    pub(crate) const ALLOW_STALE: u32 = 4;
    pub(crate) const NO_CLUSTER: u32 = 8;
    pub(crate) const ALLOW_CROSS_SLOT: u32 = 16;
    /// The script declared its flags (a shebang): EVAL_RO then requires
    /// `no-writes` instead of refusing writes one by one.
    pub(crate) const DECLARED: u32 = 32;

    pub(crate) const NAMES: &[(u32, &str)] = &[
        (NO_WRITES, "no-writes"),
        (ALLOW_OOM, "allow-oom"),
        (ALLOW_STALE, "allow-stale"),
        (NO_CLUSTER, "no-cluster"),
        (ALLOW_CROSS_SLOT, "allow-cross-slot-keys"),
    ];

    pub(crate) fn parse(name: &[u8]) -> Option<u32> {
        NAMES.iter().find(|(_, n)| n.as_bytes() == name).map(|&(f, _)| f)
    }
}

/// What scripts set with `cjson`'s setting functions (see
/// `script::cjson`). lua-cjson keeps them in its module, and Redis has one
/// Lua state for EVAL scripts and another for functions, each with its
/// own; here one state runs both, and may serve more than one server in a
/// process (handler tests), so the settings live here, one set for
/// scripts and one for functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct JsonSettings {
    /// An excessively sparse array is written as an object instead of
    /// being refused.
    pub(crate) sparse_convert: bool,
    /// An array is excessively sparse when its largest index is over
    /// `ratio` times its items (0: never) and over `safe`.
    pub(crate) sparse_ratio: i32,
    pub(crate) sparse_safe: i32,
    /// Tables nested deeper are refused.
    pub(crate) encode_max_depth: i32,
    pub(crate) decode_max_depth: i32,
    /// Significant digits of encoded numbers.
    pub(crate) precision: i32,
    /// lua-cjson keeps its output buffer between calls when this is on;
    /// the encoder here has no such buffer, so the setting is only kept
    /// and answered.
    pub(crate) keep_buffer: bool,
    pub(crate) encode_invalid: JsonInvalid,
    /// `decode` reads what strict JSON has no numbers for: NaN, Infinity,
    /// hexadecimal, leading zeros and `+`.
    pub(crate) decode_invalid: bool,
}

impl Default for JsonSettings {
    fn default() -> JsonSettings {
        JsonSettings {
            sparse_convert: false,
            sparse_ratio: 2,
            sparse_safe: 10,
            encode_max_depth: 1000,
            decode_max_depth: 1000,
            precision: 14,
            keep_buffer: true,
            encode_invalid: JsonInvalid::Refuse,
            decode_invalid: true,
        }
    }
}

/// How `cjson.encode` writes NaN and the infinities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JsonInvalid {
    /// An error (the default).
    Refuse,
    /// As C prints them (`inf`, `-inf`), and NaN as `nan` whatever its sign.
    Write,
    /// As `null`.
    Null,
}

/// A function a library registered.
#[derive(Debug, Clone)]
pub(crate) struct FunctionMeta {
    pub(crate) name: String,
    pub(crate) description: Option<Vec<u8>>,
    pub(crate) flags: u32,
}

/// A loaded library: its code and what it registered.
#[derive(Debug)]
pub(crate) struct Library {
    pub(crate) name: String,
    pub(crate) code: Arc<[u8]>,
    pub(crate) functions: Vec<FunctionMeta>,
    /// Unique over the process's life: the Lua state keeps the library's
    /// compiled functions under it.
    pub(crate) id: u64,
}

#[derive(Debug, Default)]
struct Libraries {
    /// By name, in the order loaded.
    libs: Vec<Arc<Library>>,
    /// Lower-case function name -> (library, index in its functions).
    funcs: HashMap<String, (Arc<Library>, usize)>,
}

/// Process-wide source of cache generations: a generation names one
/// state of one server's cache, so a Lua state that served another
/// server (handler tests run several in one thread) never trusts a stale
/// entry.
static GENERATIONS: AtomicU64 = AtomicU64::new(1);

fn next_generation() -> u64 {
    GENERATIONS.fetch_add(1, Ordering::Relaxed)
}

/// The scripts and libraries of one server.
#[derive(Debug)]
pub(crate) struct Scripts {
    cache: RwLock<HashMap<Sha, Arc<[u8]>>>,
    /// Changes on SCRIPT FLUSH: Lua states drop their compiled scripts.
    generation: AtomicU64,
    libs: RwLock<Libraries>,
    /// Changes whenever a library is loaded or deleted.
    lib_generation: AtomicU64,
    cache_bytes: AtomicUsize,
    /// `cjson`'s settings: [scripts, functions].
    json: [Mutex<JsonSettings>; 2],
}

impl Default for Scripts {
    fn default() -> Scripts {
        Scripts {
            cache: RwLock::default(),
            generation: AtomicU64::new(next_generation()),
            libs: RwLock::default(),
            lib_generation: AtomicU64::new(next_generation()),
            cache_bytes: AtomicUsize::new(0),
            json: Default::default(),
        }
    }
}

fn read<T>(l: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|p| p.into_inner())
}

fn write<T>(l: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|p| p.into_inner())
}

/// Memory of the Lua state, for INFO's `used_memory_lua`: the state adds
/// the change since its last report after every run, and takes all of it
/// away when it goes (SCRIPT FLUSH).
static LUA_MEMORY: AtomicUsize = AtomicUsize::new(0);

impl Scripts {
    pub(crate) fn contains(&self, sha: &Sha) -> bool {
        read(&self.cache).contains_key(sha)
    }

    /// A cached script's body.
    pub(crate) fn get(&self, sha: &Sha) -> Option<Arc<[u8]>> {
        read(&self.cache).get(sha).cloned()
    }

    /// Caches a script's body under its SHA1.
    pub(crate) fn insert(&self, sha: Sha, body: &[u8]) {
        let mut c = write(&self.cache);
        if !c.contains_key(&sha) {
            self.cache_bytes.fetch_add(body.len(), Ordering::Relaxed);
            c.insert(sha, Arc::from(body));
        }
    }

    /// SCRIPT FLUSH. Redis starts a new Lua state for scripts then, so
    /// the scripts' `cjson` settings go back to their defaults.
    pub(crate) fn flush(&self) {
        *crate::util::sync::lock(&self.json[0]) = JsonSettings::default();
        write(&self.cache).clear();
        self.cache_bytes.store(0, Ordering::Relaxed);
        self.generation.store(next_generation(), Ordering::Release);
    }

    /// The `cjson` settings scripts (or functions) last set.
    pub(crate) fn json_settings(&self, function: bool) -> JsonSettings {
        *crate::util::sync::lock(&self.json[function as usize])
    }

    pub(crate) fn set_json_settings(&self, function: bool, settings: JsonSettings) {
        *crate::util::sync::lock(&self.json[function as usize]) = settings;
    }

    /// How many scripts are cached (INFO's `number_of_cached_scripts`).
    pub(crate) fn count(&self) -> usize {
        read(&self.cache).len()
    }

    /// Bytes of cached script bodies (INFO's `used_memory_scripts_eval`).
    pub(crate) fn cache_bytes(&self) -> usize {
        self.cache_bytes.load(Ordering::Relaxed)
    }

    /// Memory of the Lua state, as it last reported.
    pub(crate) fn lua_memory(&self) -> usize {
        LUA_MEMORY.load(Ordering::Relaxed)
    }

    /// The libraries, in load order.
    pub(crate) fn libraries(&self) -> Vec<Arc<Library>> {
        read(&self.libs).libs.clone()
    }

    pub(crate) fn function_count(&self) -> usize {
        read(&self.libs).funcs.len()
    }

    /// FUNCTION DELETE: false when there is no such library.
    pub(crate) fn delete_library(&self, name: &[u8]) -> bool {
        let mut l = write(&self.libs);
        let Some(i) = l.libs.iter().position(|x| x.name.as_bytes() == name) else {
            return false;
        };
        let lib = l.libs.remove(i);
        l.funcs.retain(|_, (owner, _)| owner.id != lib.id);
        self.lib_generation.store(next_generation(), Ordering::Release);
        true
    }

    /// FUNCTION FLUSH.
    pub(crate) fn flush_libraries(&self) {
        *write(&self.libs) = Libraries::default();
        self.lib_generation.store(next_generation(), Ordering::Release);
    }

    /// The library that registered function `name` (any letter case),
    /// and the function's index in it.
    pub(crate) fn function(&self, name: &[u8]) -> Option<(Arc<Library>, usize)> {
        let name = std::str::from_utf8(name).ok()?.to_ascii_lowercase();
        read(&self.libs).funcs.get(&name).cloned()
    }
    /// Changes on SCRIPT FLUSH: a Lua state that compiled scripts under
    /// another generation drops them.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Changes whenever a library is loaded or deleted.
    pub(crate) fn lib_generation(&self) -> u64 {
        self.lib_generation.load(Ordering::Acquire)
    }

    /// True when a library of that name is loaded.
    pub(crate) fn has_library(&self, name: &str) -> bool {
        read(&self.libs).libs.iter().any(|l| l.name == name)
    }

    /// Registers a library and its functions (FUNCTION LOAD), in place of
    /// the library of the same name when `replace` allows it. Refused when
    /// the name is taken without `replace`, or when another library has
    /// one of its function names.
    pub(crate) fn add_library(
        &self,
        name: &str,
        code: &[u8],
        functions: Vec<FunctionMeta>,
        replace: bool,
    ) -> Result<(), LibraryConflict> {
        let policy = if replace { Join::Replace } else { Join::Append };
        self.join(vec![(name.to_string(), code, functions)], policy)
    }

    /// Registers several libraries at once (FUNCTION RESTORE, whose
    /// policy `policy` is): all of them, or none when one conflicts with
    /// the libraries loaded. The libraries given must not conflict with
    /// one another.
    pub(crate) fn join(
        &self,
        new: Vec<(String, &[u8], Vec<FunctionMeta>)>,
        policy: Join,
    ) -> Result<(), LibraryConflict> {
        let mut libs = write(&self.libs);
        if policy == Join::Flush {
            *libs = Libraries::default();
        }
        let mut replaced = Vec::new();
        for (name, _, _) in &new {
            if let Some(old) = libs.libs.iter().find(|l| &l.name == name) {
                if policy == Join::Append {
                    return Err(LibraryConflict::LibraryExists(name.clone()));
                }
                replaced.push(old.id);
            }
        }
        for f in new.iter().flat_map(|(_, _, fs)| fs) {
            if let Some((owner, _)) = libs.funcs.get(&f.name.to_ascii_lowercase()) {
                if !replaced.contains(&owner.id) {
                    return Err(LibraryConflict::FunctionExists(f.name.clone()));
                }
            }
        }
        libs.libs.retain(|l| !replaced.contains(&l.id));
        libs.funcs.retain(|_, (owner, _)| !replaced.contains(&owner.id));
        for (name, code, functions) in new {
            let lib = Arc::new(Library {
                name,
                code: Arc::from(code),
                functions,
                id: next_generation(),
            });
            for (i, f) in lib.functions.iter().enumerate() {
                libs.funcs.insert(f.name.to_ascii_lowercase(), (lib.clone(), i));
            }
            libs.libs.push(lib);
        }
        self.lib_generation.store(next_generation(), Ordering::Release);
        Ok(())
    }
}

/// How [`Scripts::join`] treats the libraries already loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Join {
    /// Keep them; a library of the same name is a conflict.
    Append,
    /// A library of the same name is replaced.
    Replace,
    /// Drop them all first.
    Flush,
}

/// Why [`Scripts::add_library`] refused a library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LibraryConflict {
    /// A library of that name is loaded, and REPLACE was not given.
    LibraryExists(String),
    /// Another library registered a function of this name.
    FunctionExists(String),
}

/// Records a change in one Lua state's memory, from `before` to `after`
/// bytes, in the total [`Scripts::lua_memory`] reports.
pub(crate) fn lua_memory_changed(before: usize, after: usize) {
    if after >= before {
        LUA_MEMORY.fetch_add(after - before, Ordering::Relaxed);
    } else {
        LUA_MEMORY.fetch_sub(before - after, Ordering::Relaxed);
    }
}

/// The lower-case hex SHA1 of `body`.
pub(crate) fn sha1_hex(body: &[u8]) -> Sha {
    let digest = sha1_smol::Sha1::from(body).digest().bytes();
    let mut out = [0u8; 40];
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (i, b) in digest.iter().enumerate() {
        out[2 * i] = HEX[(b >> 4) as usize];
        out[2 * i + 1] = HEX[(b & 15) as usize];
    }
    out
}

/// A SHA1 argument as the cache's key: 40 characters, lower-cased.
pub(crate) fn parse_sha(arg: &[u8]) -> Option<Sha> {
    let mut sha = [0u8; 40];
    if arg.len() != 40 {
        return None;
    }
    for (d, s) in sha.iter_mut().zip(arg) {
        *d = s.to_ascii_lowercase();
    }
    Some(sha)
}
