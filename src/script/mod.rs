//! Lua scripting, as Redis 7 embeds Lua 5.1: EVAL scripts and FUNCTION
//! libraries.
//!
//! - [`crate::state::Scripts`], on the server's state: the script cache (SHA1 -> body) and
//!   the function libraries, shared by every worker thread.
//! - One Lua state for the process (`Vm`, created for the first script
//!   and again after SCRIPT FLUSH, as Redis does), with the sandbox of
//!   `sandbox.lua`, the libraries (`cjson`, `bit`, `struct`, `cmsgpack` in
//!   their own files, built on first use), FUNCTION LOAD's code
//!   (`functions.lua`, loaded to compile a library) and the compiled scripts and
//!   functions it has run, by SHA1 and by name. Scripts run one at a time
//!   (each is one exclusive scope of the store), so one state behind a
//!   lock costs no parallelism, and each script is compiled and held once,
//!   not once per worker thread.
//! - [`run`] runs one script or function from plain values (database,
//!   protocol, time, keys, arguments) and writes its reply: the step a
//!   connection, a transaction or another thread calls.
//! - `convert`: replies to Lua values (for `redis.call`) and Lua values to
//!   replies (a script's result), with Redis's rules.

mod bit;
mod call;
mod cjson;
mod convert;
mod msgpack;
mod structlib;
mod trampoline;

use crate::command::{errors, make_room};
use crate::protocol::resp::Reply;
use crate::state::{
    leave_worker, lua_memory_changed, parse_sha, script_flags, sha1_hex, BusyKind, Client, ClientHandle, FunctionMeta,
    Join, Library, LibraryConflict, Proto, Server, Sha, User,
};
use hashbrown::HashMap;
use mlua::{Function, Lua, LuaOptions, MultiValue, StdLib, Table, Value};
use std::cell::Cell;
use std::sync::{Arc, Mutex};

pub(crate) use convert::format_g;

/// The version scripts see as `redis.REDIS_VERSION`.
const VERSION: &str = "7.2.0";
const VERSION_NUM: i64 = 0x070200;

/// What to run.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Source<'a> {
    /// EVAL: the body, cached by its SHA1 as it runs.
    Body(&'a [u8]),
    /// EVALSHA: a cached script.
    Sha(&'a [u8]),
    /// FCALL: a function of a loaded library.
    Function(&'a [u8]),
}

/// The caller's side of a run: plain values, nothing of a connection.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Call<'a> {
    /// The caller's database: the script's client starts in it.
    pub(crate) db: usize,
    /// Unix ms of the caller's batch.
    pub(crate) now: u64,
    /// Called as EVAL_RO, EVALSHA_RO or FCALL_RO.
    pub(crate) read_only: bool,
    pub(crate) keys: &'a [&'a [u8]],
    pub(crate) args: &'a [&'a [u8]],
    /// The calling connection's ACL user, whose rules `redis.call` obeys,
    /// and its handle, which ACL LOG describes for a refusal. None (engine
    /// tests): the default user, and no connection to describe.
    pub(crate) caller: Option<(&'a Arc<User>, &'a Arc<ClientHandle>)>,
    /// Run by a replica's primary link: writes pass the read-only check.
    pub(crate) master: bool,
}

/// How a run ended, for the caller's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The reply is a value.
    Done,
    /// The reply is an error. `counted`: the error stats counted it
    /// already, where it arose (a command the script called answered it,
    /// or was refused), so only the script's failure is left to count.
    Failed { counted: bool },
}

/// Runs a script or a function and writes its reply (a result or an
/// error) to `out`.
///
/// Each `redis.call` runs through [`crate::command::execute`] as a client of its
/// own (the caller's database; SELECT inside moves only it; RESP2 unless
/// the script asks for RESP3) and locks its shards as any command does.
///
/// The run is atomic: it is one [`crate::store::Store::atomically`] scope,
/// so no other client sees the keys it touches (declared in KEYS or not)
/// between two of its `redis.call`s. Memory is made once before the scope
/// for a script that may write: eviction inside would keep every shard it
/// sampled. Past `busy-reply-threshold` the script makes other clients'
/// commands answer -BUSY ([`crate::state::Busy`]), and SCRIPT KILL or
/// FUNCTION KILL stops it if it has not written.
pub(crate) fn run(srv: &Server, src: Source<'_>, call: &Call<'_>, out: &mut Reply<'_>) -> Outcome {
    // Inside EXEC, EXEC made room for its commands already.
    let oom = !call.read_only
        && !srv.store.in_scope()
        && make_room(srv, call.db, call.now, srv.store.limits().policy).is_err();
    srv.store.atomically(|| run_vm(srv, src, call, out, oom))
}

fn run_vm(srv: &Server, src: Source<'_>, call: &Call<'_>, out: &mut Reply<'_>, oom: bool) -> Outcome {
    let run = with_vm(|vm| {
        vm.state.oom = oom;
        Ok(vm.run(srv, src, call, out))
    });
    run.unwrap_or_else(|e| {
        out.error(&e);
        Outcome::Failed { counted: false }
    })
}

/// SCRIPT LOAD: compiles `body` (so a syntax error is reported now) and
/// caches it; its SHA1, or the error text.
pub(crate) fn load_script(srv: &Server, body: &[u8]) -> Result<Sha, String> {
    with_vm(|vm| {
        let sha = sha1_hex(body);
        vm.script(srv, &sha, body).map(|_| sha)
    })
}

/// FUNCTION LOAD: runs the library's code to collect its functions and
/// registers them; the library's name, or the error text.
pub(crate) fn load_library(srv: &Server, code: &[u8], replace: bool) -> Result<String, String> {
    let name = library_name(code)?;
    if !replace && srv.scripts.has_library(&name) {
        return Err(errors::library_exists(&name));
    }
    let functions = with_vm(|vm| vm.load_library(code))?;
    if functions.is_empty() {
        return Err(errors::NO_FUNCTIONS.into());
    }
    match srv.scripts.add_library(&name, code, functions, replace) {
        Ok(()) => Ok(name),
        Err(LibraryConflict::LibraryExists(name)) => Err(errors::library_exists(&name)),
        Err(LibraryConflict::FunctionExists(f)) => Err(errors::function_exists(&f)),
    }
}

/// FUNCTION RESTORE: compiles every library of `codes`, then registers
/// them all as `policy` says, or none when one fails or conflicts.
pub(crate) fn restore_libraries(srv: &Server, codes: &[Vec<u8>], policy: Join) -> Result<(), String> {
    let mut new: Vec<(String, &[u8], Vec<FunctionMeta>)> = Vec::with_capacity(codes.len());
    for code in codes {
        let name = library_name(code)?;
        if new.iter().any(|(n, _, _)| *n == name) {
            return Err(errors::library_exists(&name));
        }
        let functions = with_vm(|vm| vm.load_library(code))?;
        if functions.is_empty() {
            return Err(errors::NO_FUNCTIONS.into());
        }
        for f in &functions {
            let lower = f.name.to_ascii_lowercase();
            if new
                .iter()
                .flat_map(|(_, _, fs)| fs)
                .any(|g| g.name.to_ascii_lowercase() == lower)
            {
                return Err(errors::function_exists(&f.name));
            }
        }
        new.push((name, code, functions));
    }
    match srv.scripts.join(new, policy) {
        Ok(()) => Ok(()),
        Err(LibraryConflict::LibraryExists(name)) => Err(errors::restored_library_exists(&name)),
        Err(LibraryConflict::FunctionExists(f)) => Err(errors::function_exists(&f)),
    }
}

/// SCRIPT FLUSH: empties the script cache and, as Redis does, starts a
/// new Lua state, so that the compiled scripts, the libraries built and
/// the garbage go with the old one. (Functions compile again on their
/// next call.) A script that flushes from inside keeps its state until it
/// ends; the next run drops its compiled scripts.
pub(crate) fn flush(srv: &Server) {
    srv.scripts.flush();
    if !HOLDING.get() {
        *crate::util::sync::lock(&VM) = None;
    }
}

/// Runs `f` with the Lua state, creating it if there is none, and lets the
/// state settle after it. A call from inside a run (a script reaching
/// EVAL through `redis.call`) is refused: the state is busy with the
/// caller.
fn with_vm<R>(f: impl FnOnce(&mut Vm) -> Result<R, String>) -> Result<R, String> {
    if HOLDING.get() {
        return Err(errors::SCRIPT_NESTED.into());
    }
    let mut slot = crate::util::sync::lock(&VM);
    let _holding = Holding::start();
    if slot.is_none() {
        *slot = Some(Shared(Vm::new().map_err(|e| errors::lua_state(&e))?));
    }
    let Some(Shared(vm)) = slot.as_mut() else {
        return Err(errors::SCRIPT_NESTED.into());
    };
    let r = f(vm);
    vm.settle();
    r
}

/// The Lua state, when there is one.
static VM: Mutex<Option<Shared>> = Mutex::new(None);

/// A [`Vm`] that may pass from thread to thread.
struct Shared(Vm);

// SAFETY: a Vm's Lua handles count their references without atomics, so
// two threads must never touch them at once. Every handle of the state is
// owned by its Vm and none is handed out; the Vm is reached only through
// the VM mutex, whose lock orders one thread's use after another's; the
// pointers of its run state are set and cleared within one run, on the
// thread of that run. Lua itself keeps nothing per thread.
unsafe impl Send for Shared {}

/// Marks this thread as holding the VM lock for the guard's life.
struct Holding;

impl Holding {
    fn start() -> Holding {
        HOLDING.set(true);
        Holding
    }
}

impl Drop for Holding {
    fn drop(&mut self) {
        HOLDING.set(false);
    }
}

/// The library name of a `#!lua name=<name>` first line, with Redis's errors.
fn library_name(code: &[u8]) -> Result<String, String> {
    if !code.starts_with(b"#!") {
        return Err(errors::MISSING_LIBRARY_METADATA.into());
    }
    let Some(end) = code.iter().position(|&c| c == b'\n') else {
        return Err(errors::INVALID_LIBRARY_METADATA.into());
    };
    // Words as Redis splits them (sdssplitargs): the first is `#!engine`.
    let (mut buf, mut spans) = (Vec::new(), Vec::new());
    if !crate::util::split::split_args(&code[..end], &mut buf, &mut spans) || spans.is_empty() {
        return Err(errors::INVALID_LIBRARY_METADATA.into());
    }
    let word = |(a, b): (usize, usize)| String::from_utf8_lossy(&buf[a..b]).into_owned();
    let first = word(spans[0]);
    let engine = first.get(2..).unwrap_or("");
    if !engine.eq_ignore_ascii_case("lua") {
        return Err(errors::engine_not_found(engine));
    }
    let mut name = None;
    for &span in &spans[1..] {
        let p = word(span);
        match p.get(..5).filter(|k| k.eq_ignore_ascii_case("name=")) {
            Some(_) if name.is_some() => return Err(errors::NAME_GIVEN_TWICE.into()),
            Some(_) => name = Some(p[5..].to_string()),
            None => return Err(errors::invalid_metadata_value(&p)),
        }
    }
    let name = name.ok_or_else(|| errors::LIBRARY_NAME_NOT_GIVEN.to_string())?;
    if name.is_empty() || !name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_') {
        return Err(errors::BAD_LIBRARY_NAME.into());
    }
    Ok(name)
}

/// The flags a script declared (a shebang's, or a function's at
/// registration); None when it declared none, is unknown or malformed.
pub(crate) fn declared_flags(srv: &Server, src: Source<'_>) -> Option<u32> {
    let from_body = |body: &[u8]| shebang(body).ok().map(|(f, _)| f).filter(|f| *f != 0);
    match src {
        Source::Body(body) => from_body(body),
        Source::Sha(sha) => from_body(&srv.scripts.get(&parse_sha(sha)?)?),
        Source::Function(name) => {
            let (lib, i) = srv.scripts.function(name)?;
            Some(lib.functions.get(i)?.flags | script_flags::DECLARED)
        }
    }
}

/// The flags of an EVAL script's `#!lua [flags=a,b]` first line, and the
/// body to compile (the shebang turned into a comment, so line numbers
/// stay). A script without the line has no declared flags.
fn shebang(body: &[u8]) -> Result<(u32, std::borrow::Cow<'_, [u8]>), String> {
    if !body.starts_with(b"#!") {
        return Ok((0, body.into()));
    }
    let end = body.iter().position(|&c| c == b'\n').unwrap_or(body.len());
    let line = String::from_utf8_lossy(&body[..end]);
    let mut parts = line.split(' ').filter(|p| !p.is_empty());
    let engine = parts.next().unwrap_or("");
    if engine != "#!lua" {
        return Err(errors::shebang_engine(engine));
    }
    let mut fl = script_flags::DECLARED;
    for p in parts {
        let Some(list) = p.strip_prefix("flags=") else {
            return Err(errors::shebang_option(p));
        };
        for f in list.split(',').filter(|f| !f.is_empty()) {
            fl |= script_flags::parse(f.as_bytes()).ok_or_else(|| errors::shebang_flag(f))?;
        }
    }
    let mut code = body.to_vec();
    code[..2].copy_from_slice(b"--");
    Ok((fl, code.into()))
}

thread_local! {
    /// This thread holds the VM lock.
    static HOLDING: Cell<bool> = const { Cell::new(false) };
    /// The run in progress on this thread, for `redis.call` and friends.
    static CURRENT: Cell<*mut RunState> = const { Cell::new(std::ptr::null_mut()) };
    /// While FUNCTION LOAD runs a library's code: when it is stopped.
    static LOAD_DEADLINE: Cell<Option<std::time::Instant>> = const { Cell::new(None) };
}

/// How long a library's code may run at FUNCTION LOAD, as in Redis: it
/// should only register functions, and nothing can stop it otherwise.
const LOAD_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(500);

/// What the Lua callbacks need of the run in progress.
struct RunState {
    srv: *const Server,
    client: Client,
    now: u64,
    /// Write commands are refused (EVAL_RO, `no-writes`).
    read_only: bool,
    /// `redis.setresp(3)` was called.
    resp3: bool,
    /// The reply of the command `redis.call` runs.
    buf: Vec<u8>,
    /// Number arguments of a `redis.call`, printed, NUL-separated.
    numbers: Vec<u8>,
    /// The argument vector's allocation, kept between calls.
    spare: Vec<&'static [u8]>,
    /// When the run started, for `busy-reply-threshold`.
    started: std::time::Instant,
    /// The threshold in force, ms (0: never busy).
    busy_after_ms: u64,
    /// The run is past the threshold and has put the server in BUSY.
    busy: bool,
    /// The run has written: it can no longer be killed.
    wrote: bool,
    /// The run is a function (FCALL), not a script: FUNCTION KILL stops it.
    function: bool,
    /// A function's name and its call's keys and arguments, for FUNCTION
    /// STATS once it is busy. The slices are the caller's, valid for the
    /// run (as `srv`).
    function_call: Option<FunctionCall>,
    /// Memory was over the limit when the run started: write commands
    /// that may add memory are refused, as Redis refuses them then.
    oom: bool,
    /// The calling connection (null when none), for ACL LOG, and the
    /// command it runs. Set by `try_run` from a reference that outlives
    /// the run, and cleared after it.
    caller: *const ClientHandle,
    caller_cmd: &'static str,
}

/// A running function's name, whether it was called read-only, and its
/// keys and arguments (the caller's slices, valid for the run).
type FunctionCall = (String, bool, *const [&'static [u8]], *const [&'static [u8]]);

/// The instruction hook: puts the server in BUSY once the run passes
/// `busy-reply-threshold`, and stops it when a KILL asks.
fn busy_hook() -> mlua::Result<mlua::VmState> {
    let p = CURRENT.with(|c| c.get());
    // SAFETY: CURRENT points at the running state, or is null.
    let Some(st) = (unsafe { p.as_mut() }) else {
        if LOAD_DEADLINE
            .with(|d| d.get())
            .is_some_and(|d| std::time::Instant::now() >= d)
        {
            return Err(mlua::Error::RuntimeError(errors::FUNCTION_LOAD_TIMEOUT.into()));
        }
        return Ok(mlua::VmState::Continue);
    };
    // SAFETY: set by `try_run` from a reference that outlives the run.
    let Some(srv) = (unsafe { st.srv.as_ref() }) else {
        return Ok(mlua::VmState::Continue);
    };
    let kind = match st.function {
        true => BusyKind::Function,
        false => BusyKind::Script,
    };
    if !st.busy && st.busy_after_ms > 0 && st.started.elapsed().as_millis() as u64 >= st.busy_after_ms {
        st.busy = true;
        tracing::warn!("a script has run for {} ms: the server answers BUSY", st.busy_after_ms);
        if let Some((name, read_only, keys, args)) = &st.function_call {
            // SAFETY: set by `try_run` from slices that outlive the run.
            let (keys, args) = unsafe { (&**keys, &**args) };
            let mut command: Vec<Vec<u8>> = vec![
                if *read_only {
                    b"fcall_ro".to_vec()
                } else {
                    b"fcall".to_vec()
                },
                name.clone().into_bytes(),
                keys.len().to_string().into_bytes(),
            ];
            command.extend(keys.iter().chain(args).map(|a| a.to_vec()));
            srv.busy.describe(crate::state::RunningFunction {
                name: name.clone(),
                command,
                started: st.started,
            });
        }
        srv.busy.enter(kind, st.wrote);
        // The run keeps this thread: the other connections of its worker
        // go to another one, to be answered -BUSY meanwhile.
        leave_worker();
    }
    if st.busy && srv.busy.kill_requested() {
        return Err(mlua::Error::RuntimeError(errors::script_killed(kind).into()));
    }
    Ok(mlua::VmState::Continue)
}

/// `host.killed`, called by the sandbox's `pcall` and `xpcall` after
/// they caught an error: the KILL error's text when a kill was asked, for
/// the sandbox to raise again, so that a script cannot catch it (`while
/// true do pcall(f) end` would otherwise swallow every kill the hook
/// raises inside `f`); nil otherwise.
fn killed(_: &Lua, _: ()) -> mlua::Result<Option<&'static str>> {
    let p = CURRENT.with(|c| c.get());
    // SAFETY: CURRENT points at the running state, or is null.
    let Some(st) = (unsafe { p.as_ref() }) else {
        return Ok(None);
    };
    // SAFETY: set by `try_run` from a reference that outlives the run.
    let Some(srv) = (unsafe { st.srv.as_ref() }) else {
        return Ok(None);
    };
    if !(st.busy && srv.busy.kill_requested()) {
        return Ok(None);
    }
    Ok(Some(errors::script_killed(match st.function {
        true => BusyKind::Function,
        false => BusyKind::Script,
    })))
}

/// Sets [`CURRENT`] for the length of a run.
struct Running;

impl Running {
    fn start(st: &mut RunState) -> Running {
        CURRENT.with(|c| c.set(st as *mut RunState));
        Running
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(std::ptr::null_mut()));
    }
}

/// Entry points of the sandbox chunk.
struct Entry {
    env: Table,
    run_eval: Function,
    run_function: Function,
    /// What `functions.lua` takes from the sandbox.
    internal: Table,
}

/// Garbage the state may keep at rest: a run that leaves more than this
/// over what the last full collection left (or over half of that, for a
/// state holding much) ends with a full collection. Lua's own collector
/// starts a cycle only once memory doubles, so an idle state would keep
/// up to its own size in garbage, which INFO's used_memory_lua shows.
/// The cost is one collection per so much garbage: for a fresh state and
/// a script that leaves 144 bytes a run (its KEYS and ARGV tables), 8 KB
/// cost 1,800 instructions a run, 16 KB 1,100, 32 KB about 500, where Lua's
/// own pace costs 520 (a whole EVALSHA of such a script: 13,200).
const GARBAGE_AT_REST: usize = 32 << 10;

/// A compiled script and its declared flags.
struct Compiled {
    f: Function,
    flags: u32,
}

/// The Lua state.
struct Vm {
    lua: Lua,
    entry: Entry,
    keys: convert::Keys,
    scripts: HashMap<Sha, Compiled>,
    generation: u64,
    /// Library id -> its functions by lower-case name.
    functions: HashMap<u64, HashMap<String, Function>>,
    lib_generation: u64,
    state: Box<RunState>,
    /// This state's memory as last reported to [`lua_memory_changed`].
    reported: usize,
    /// This state's memory after its last full collection.
    live: usize,
}

impl Drop for Vm {
    fn drop(&mut self) {
        lua_memory_changed(self.reported, 0);
    }
}

impl Vm {
    fn new() -> mlua::Result<Vm> {
        // The debug library is loaded for the sandbox's error handler,
        // which keeps `debug.getinfo`; scripts never see `debug`.
        let libs = StdLib::TABLE | StdLib::STRING | StdLib::MATH | StdLib::DEBUG;
        // SAFETY: `debug` is needed for error positions; the sandbox
        // chunk keeps it to itself.
        let lua = unsafe { Lua::unsafe_new_with(libs, LuaOptions::default()) };
        // Every 100,000 instructions, as Redis checks: the BUSY state and
        // SCRIPT KILL.
        lua.set_hook(mlua::HookTriggers::new().every_nth_instruction(100_000), |_, _| {
            busy_hook()
        })?;
        let host = lua.create_table()?;
        // SAFETY: the functions follow the Lua C API's protocol.
        unsafe {
            host.set("call", lua.create_c_function(call::redis_call)?)?;
            host.set("pcall", lua.create_c_function(call::redis_pcall)?)?;
            host.set("acl_check_cmd", lua.create_c_function(call::redis_acl_check_cmd)?)?;
        }
        for (name, f) in [
            ("sha1hex", lua.create_function(sha1hex)?),
            ("log", lua.create_function(log)?),
            ("setresp", lua.create_function(setresp)?),
            ("set_repl", lua.create_function(set_repl)?),
        ] {
            host.set(name, trampoline::wrap(&lua, f, trampoline::RAISE_BARE)?)?;
        }
        host.set(
            "wrap",
            lua.create_function(|lua, (f, mode): (Function, i64)| trampoline::wrap(lua, f, mode as _))?,
        )?;
        host.set("killed", lua.create_function(killed)?)?;
        host.set("version", VERSION)?;
        host.set("version_num", VERSION_NUM)?;
        host.set(
            "library",
            lua.create_function(|lua, name: mlua::LuaString| library(lua, &name.as_bytes()))?,
        )?;
        let entry: Table = lua.load(include_str!("sandbox.lua")).set_name("=sandbox").call(host)?;
        let globals: Table = entry.get("globals")?;
        let env: Table = globals.raw_get("_G")?;
        let keys = convert::Keys::new(&lua)?;
        let entry = Entry {
            env,
            run_eval: entry.get("run_eval")?,
            run_function: entry.get("run_function")?,
            internal: entry.get("internal")?,
        };
        // Building the state left the sandbox's main chunk, its source
        // text and the temporaries of the setup behind. (A second cycle
        // frees what the first finalised.)
        lua.gc_collect()?;
        lua.gc_collect()?;
        let live = lua.used_memory();
        let handle = Arc::new(script_client_handle());
        Ok(Vm {
            lua,
            entry,
            keys,
            scripts: HashMap::new(),
            generation: 0,
            functions: HashMap::new(),
            lib_generation: 0,
            state: Box::new(RunState {
                srv: std::ptr::null(),
                client: Client::new(handle),
                now: 0,
                read_only: false,
                resp3: false,
                buf: Vec::new(),
                numbers: Vec::new(),
                spare: Vec::new(),
                started: std::time::Instant::now(),
                busy_after_ms: 0,
                busy: false,
                wrote: false,
                function: false,
                function_call: None,
                oom: false,
                caller: std::ptr::null(),
                caller_cmd: "",
            }),
            reported: 0,
            live,
        })
    }

    /// FUNCTION LOAD's code (`functions.lua`): its `library_env` and
    /// `load_library`. Loaded for each library compiled and let go after
    /// (136 us a load, 9.5 KB kept otherwise): libraries are compiled on
    /// FUNCTION LOAD and on a function's first call after a change.
    fn function_loader(&self) -> Result<(Function, Function), String> {
        let t: Table = self
            .lua
            .load(include_str!("functions.lua"))
            .set_name("=functions")
            .call(self.entry.internal.clone())
            .map_err(|e| format!("ERR {e}"))?;
        let get = |name: &str| t.get::<Function>(name).map_err(|e| format!("ERR {e}"));
        Ok((get("library_env")?, get("load_library")?))
    }

    /// The compiled script of `sha`, compiling `body` on a miss; caches
    /// the body in the server's script cache.
    fn script(&mut self, srv: &Server, sha: &Sha, body: &[u8]) -> Result<&Compiled, String> {
        self.sync(srv);
        if !self.scripts.contains_key(sha) {
            let (fl, code) = shebang(body)?;
            let f = self
                .lua
                .load(&*code)
                .set_name("@user_script")
                .set_environment(self.entry.env.clone())
                .into_function()
                .map_err(|e| errors::script_compile(&lua_message(&e)))?;
            srv.scripts.insert(*sha, body);
            self.scripts.insert(*sha, Compiled { f, flags: fl });
        }
        self.scripts.get(sha).ok_or_else(|| errors::SCRIPT_NESTED.to_string())
    }

    /// Between runs: collects the garbage fully once there is more than
    /// [`GARBAGE_AT_REST`] of it, and brings this state's share of the Lua
    /// memory total up to date.
    fn settle(&mut self) {
        let mut now = self.lua.used_memory();
        if now > self.live + GARBAGE_AT_REST.max(self.live / 2) {
            // A collection runs finalizers, which may fail only as Lua
            // code fails; the memory figure is read again either way.
            let _ = self.lua.gc_collect();
            now = self.lua.used_memory();
            self.live = now;
        }
        lua_memory_changed(self.reported, now);
        self.reported = now;
    }

    /// Drops compiled code the server no longer has.
    fn sync(&mut self, srv: &Server) {
        let g = srv.scripts.generation();
        if g != self.generation {
            self.scripts.clear();
            self.generation = g;
        }
        let g = srv.scripts.lib_generation();
        if g != self.lib_generation {
            self.functions.clear();
            self.lib_generation = g;
        }
    }

    /// Compiles and runs a library's code; the functions it registered.
    fn load_library(&mut self, code: &[u8]) -> Result<Vec<FunctionMeta>, String> {
        let (_, list) = self.compile_library(code)?;
        let mut out = Vec::new();
        for item in list.sequence_values::<Table>() {
            let item = item.map_err(|e| format!("ERR {e}"))?;
            let name: String = item.get("name").map_err(|e| format!("ERR {e}"))?;
            let description: Option<mlua::LuaString> = item.get("description").map_err(|e| format!("ERR {e}"))?;
            let flag_list: Table = item.get("flags").map_err(|e| format!("ERR {e}"))?;
            let mut fl = 0;
            for f in flag_list.sequence_values::<mlua::LuaString>().flatten() {
                fl |= script_flags::parse(&f.as_bytes()).unwrap_or(0);
            }
            out.push(FunctionMeta {
                name,
                description: description.map(|d| d.as_bytes().to_vec()),
                flags: fl,
            });
        }
        Ok(out)
    }

    /// Runs a library's code in a fresh environment; the list of
    /// `{name, callback, flags, description}` it registered.
    fn compile_library(&mut self, code: &[u8]) -> Result<(Table, Table), String> {
        let (library_env, load_library) = self.function_loader()?;
        let (env, meta): (Table, Table) = library_env.call(()).map_err(|e| format!("ERR {e}"))?;
        // The `#!lua` line becomes a comment, so line numbers count it as
        // Redis's do.
        let mut code = code.to_vec();
        if code.starts_with(b"#!") {
            code[..2].copy_from_slice(b"--");
        }
        let chunk = self
            .lua
            .load(&code)
            .set_name("@user_function")
            .set_environment(env)
            .into_function()
            .map_err(|e| errors::function_compile(&lua_message(&e)))?;
        LOAD_DEADLINE.with(|d| d.set(Some(std::time::Instant::now() + LOAD_TIMEOUT)));
        let loaded: mlua::Result<(bool, Table)> = load_library.call((chunk, meta.clone()));
        LOAD_DEADLINE.with(|d| d.set(None));
        let (ok, r) = loaded.map_err(|e| format!("ERR {e}"))?;
        if !ok {
            let msg: String = r.get::<Option<String>>("err").ok().flatten().unwrap_or_default();
            return Err(errors::function_register(&msg));
        }
        Ok((meta, r))
    }

    /// The compiled function `lib`'s `name` in this state, loading the
    /// library's code on first use.
    fn function(&mut self, lib: &Library, name: &str) -> Result<Function, String> {
        let key = name.to_ascii_lowercase();
        if let Some(f) = self.functions.get(&lib.id).and_then(|m| m.get(&key)) {
            return Ok(f.clone());
        }
        let (_, list) = self.compile_library(&lib.code)?;
        let mut map = HashMap::new();
        for item in list.sequence_values::<Table>().flatten() {
            let n: String = item.get("name").map_err(|e| format!("ERR {e}"))?;
            let f: Function = item.get("callback").map_err(|e| format!("ERR {e}"))?;
            map.insert(n.to_ascii_lowercase(), f);
        }
        let f = map
            .get(&key)
            .cloned()
            .ok_or_else(|| errors::FUNCTION_NOT_FOUND.to_string())?;
        self.functions.insert(lib.id, map);
        Ok(f)
    }

    fn run(&mut self, srv: &Server, src: Source<'_>, call: &Call<'_>, out: &mut Reply<'_>) -> Outcome {
        match self.try_run(srv, src, call, out) {
            Ok(outcome) => outcome,
            Err(e) => {
                out.error(&e);
                Outcome::Failed { counted: false }
            }
        }
    }

    fn try_run(
        &mut self,
        srv: &Server,
        src: Source<'_>,
        call: &Call<'_>,
        out: &mut Reply<'_>,
    ) -> Result<Outcome, String> {
        self.sync(srv);
        let mut label = [0u8; 40];
        let (f, fl, is_function, name_len) = match src {
            Source::Body(body) => {
                let sha = sha1_hex(body);
                let c = self.script(srv, &sha, body)?;
                label = sha;
                (c.f.clone(), c.flags, false, 40)
            }
            Source::Sha(arg) => {
                let sha = parse_sha(arg).ok_or(errors::NOSCRIPT)?;
                let c = match self.scripts.contains_key(&sha) {
                    true => self.scripts.get(&sha),
                    false => {
                        let body = srv.scripts.get(&sha).ok_or(errors::NOSCRIPT)?;
                        Some(self.script(srv, &sha, &body)?)
                    }
                };
                let c = c.ok_or(errors::NOSCRIPT)?;
                label = sha;
                (c.f.clone(), c.flags, false, 40)
            }
            Source::Function(name) => {
                let (lib, i) = srv.scripts.function(name).ok_or(errors::FUNCTION_NOT_FOUND)?;
                let meta = &lib.functions[i];
                let f = self.function(&lib, &meta.name)?;
                let n = meta.name.len().min(40);
                label[..n].copy_from_slice(&meta.name.as_bytes()[..n]);
                (f, meta.flags | script_flags::DECLARED, true, n)
            }
        };
        let declared = fl & script_flags::DECLARED != 0;
        if call.read_only && declared && fl & script_flags::NO_WRITES == 0 {
            return Err(errors::SCRIPT_WRITE_FLAG_RO.into());
        }
        // A script that declared it may write (a shebang without
        // allow-oom) is refused whole when memory is over the limit; one
        // without flags runs, and only its writes that add memory fail.
        let may_write = !call.read_only && fl & script_flags::NO_WRITES == 0;
        if self.state.oom && may_write && declared && fl & script_flags::ALLOW_OOM == 0 {
            return Err(errors::OOM.into());
        }
        self.state.oom &= fl & script_flags::ALLOW_OOM == 0;
        let lua = &self.lua;
        let keys = string_table(lua, call.keys).map_err(|e| format!("ERR {e}"))?;
        let args = string_table(lua, call.args).map_err(|e| format!("ERR {e}"))?;

        let st = &mut *self.state;
        st.srv = srv as *const Server;
        st.now = call.now;
        st.read_only = call.read_only || fl & script_flags::NO_WRITES != 0;
        st.resp3 = false;
        st.client.set_db(call.db);
        st.client.resp3 = false;
        st.client.in_script = true;
        st.client.master = call.master;
        // The same user run after run, as a rule: no reference counting then.
        match call.caller {
            Some((user, _)) if !Arc::ptr_eq(user, &st.client.user) => st.client.user = user.clone(),
            None if !Arc::ptr_eq(&st.client.user, &srv.acl.default_user()) => st.client.user = srv.acl.default_user(),
            _ => {}
        }
        st.caller = call.caller.map_or(std::ptr::null(), |(_, h)| Arc::as_ptr(h));
        st.caller_cmd = match (src, call.read_only) {
            (Source::Body(_), false) => "eval",
            (Source::Body(_), true) => "eval_ro",
            (Source::Sha(_), false) => "evalsha",
            (Source::Sha(_), true) => "evalsha_ro",
            (Source::Function(_), false) => "fcall",
            (Source::Function(_), true) => "fcall_ro",
        };
        st.started = std::time::Instant::now();
        st.busy_after_ms = srv.settings.int("busy-reply-threshold").unwrap_or(5000).max(0) as u64;
        st.busy = false;
        st.wrote = false;
        st.function = is_function;
        // The second cast changes only the lifetime, which clippy does not see.
        #[allow(clippy::unnecessary_cast)]
        let function_call = match src {
            // SAFETY (lifetimes): the slices outlive the run; the pointers
            // are cleared below before `call` goes.
            Source::Function(_) => Some((
                String::from_utf8_lossy(&label[..name_len]).into_owned(),
                call.read_only,
                call.keys as *const [&[u8]] as *const [&'static [u8]],
                call.args as *const [&[u8]] as *const [&'static [u8]],
            )),
            _ => None,
        };
        st.function_call = function_call;
        let running = Running::start(st);
        let result: mlua::Result<(bool, Value)> = if is_function {
            self.entry.run_function.call((f, keys, args))
        } else {
            self.entry.run_eval.call((f, keys, args))
        };
        drop(running);
        self.state.function_call = None;
        self.state.caller = std::ptr::null();
        if self.state.busy {
            srv.busy.leave();
        }
        self.state.srv = std::ptr::null();
        let (ok, v) = result.map_err(|e| format!("ERR {}", lua_message(&e)))?;
        if ok {
            return Ok(convert::write_value(&self.keys, &v, out, 0));
        }
        let name = String::from_utf8_lossy(&label[..name_len]);
        let (text, counted) = self.keys.error_text(&v, &name);
        out.error(&text);
        Ok(Outcome::Failed { counted })
    }
}

/// One of the libraries written in Rust, ready for the sandbox to
/// protect: built when a script first names it.
fn library(lua: &Lua, name: &[u8]) -> mlua::Result<Table> {
    match name {
        b"cjson" => trampoline::wrap_module(lua, cjson::module(lua)?, cjson::MULTI),
        b"bit" => trampoline::wrap_module(lua, bit::module(lua)?, &[]),
        b"struct" => trampoline::wrap_module(lua, structlib::module(lua)?, &["unpack"]),
        b"cmsgpack" => trampoline::wrap_module(lua, msgpack::module(lua)?, &["unpack", "unpack_one", "unpack_limit"]),
        _ => Err(mlua::Error::RuntimeError("no such library".into())),
    }
}

fn string_table(lua: &Lua, items: &[&[u8]]) -> mlua::Result<Table> {
    let t = lua.create_table_with_capacity(items.len(), 0)?;
    for (i, s) in items.iter().enumerate() {
        t.raw_set(i + 1, lua.create_string(s)?)?;
    }
    Ok(t)
}

/// A Lua error's message without mlua's decorations.
fn lua_message(e: &mlua::Error) -> String {
    match e {
        mlua::Error::SyntaxError { message, .. } => message.clone(),
        mlua::Error::RuntimeError(m) => m.clone(),
        mlua::Error::CallbackError { cause, .. } => lua_message(cause),
        mlua::Error::MemoryError(m) => m.clone(),
        other => other.to_string(),
    }
}

/// The handle of the scripts' client: never registered, so CLIENT LIST
/// does not show it, as Redis does not show its Lua client.
fn script_client_handle() -> ClientHandle {
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], 0).into();
    ClientHandle::new(
        0,
        Proto::Resp,
        addr,
        addr,
        0,
        tokio_util::sync::CancellationToken::new(),
        User::detached_default(),
    )
}

/// The run in progress, for the callbacks; `None` outside a run.
fn current<'a>() -> Option<&'a mut RunState> {
    let p = CURRENT.with(|c| c.get());
    // SAFETY: CURRENT points at the Vm's boxed RunState only while
    // `try_run` is inside the Lua call, and `try_run` does not touch the
    // state during that call; the callbacks run on this thread, one at a
    // time, within it.
    unsafe { p.as_mut() }
}

fn sha1hex(lua: &Lua, args: MultiValue) -> mlua::Result<(Value, Option<&'static str>)> {
    if args.len() != 1 {
        return Ok((Value::Nil, Some("wrong number of arguments")));
    }
    let s = match &args[0] {
        Value::String(s) => s.as_bytes().to_vec(),
        Value::Integer(i) => i.to_string().into_bytes(),
        Value::Number(n) => convert::format_g(*n, 14).into_bytes(),
        _ => Vec::new(),
    };
    let sha = sha1_hex(&s);
    Ok((Value::String(lua.create_string(sha)?), None))
}

fn log(_: &Lua, args: MultiValue) -> mlua::Result<(Value, Option<&'static str>)> {
    if args.len() < 2 {
        return Ok((Value::Nil, Some("redis.log() requires two arguments or more.")));
    }
    let level = match &args[0] {
        Value::Integer(i) => *i,
        Value::Number(n) => *n as i64,
        _ => return Ok((Value::Nil, Some("First argument must be a number (log level)."))),
    };
    if !(0..=3).contains(&level) {
        return Ok((Value::Nil, Some("Invalid debug level.")));
    }
    let mut msg = String::new();
    for (i, a) in args.iter().skip(1).enumerate() {
        if i > 0 {
            msg.push(' ');
        }
        match a {
            Value::String(s) => msg.push_str(&s.to_string_lossy()),
            Value::Integer(i) => msg.push_str(&i.to_string()),
            Value::Number(n) => msg.push_str(&convert::format_g(*n, 14)),
            _ => {}
        }
    }
    match level {
        0 => tracing::debug!(target: "script", "{msg}"),
        1 | 2 => tracing::info!(target: "script", "{msg}"),
        _ => tracing::warn!(target: "script", "{msg}"),
    }
    Ok((Value::Nil, None))
}

fn setresp(_: &Lua, args: MultiValue) -> mlua::Result<(Value, Option<&'static str>)> {
    if args.len() != 1 {
        return Ok((Value::Nil, Some("redis.setresp() requires one argument.")));
    }
    let v = match &args[0] {
        Value::Integer(i) => *i,
        Value::Number(n) => *n as i64,
        _ => 0,
    };
    if v != 2 && v != 3 {
        return Ok((Value::Nil, Some("RESP version must be 2 or 3.")));
    }
    if let Some(st) = current() {
        st.resp3 = v == 3;
    }
    Ok((Value::Nil, None))
}

fn set_repl(_: &Lua, args: MultiValue) -> mlua::Result<(Value, Option<&'static str>)> {
    if args.len() != 1 {
        return Ok((Value::Nil, Some("redis.set_repl() requires one argument.")));
    }
    let v = match &args[0] {
        Value::Integer(i) => *i,
        Value::Number(n) => *n as i64,
        _ => -1,
    };
    if !(0..=3).contains(&v) {
        return Ok((
            Value::Nil,
            Some("Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE."),
        ));
    }
    Ok((Value::Nil, None))
}

/// The libraries for FUNCTION LIST, filtered by a glob on their names.
pub(crate) fn list_libraries(srv: &Server, pattern: Option<&[u8]>) -> Vec<Arc<Library>> {
    srv.scripts
        .libraries()
        .into_iter()
        .filter(|l| pattern.is_none_or(|p| crate::util::glob::matches(p, l.name.as_bytes(), false)))
        .collect()
}

#[cfg(test)]
mod tests;

/// What the Rust-written libraries answer: a value, or the message the
/// Lua side raises (see `wrap1` in `sandbox.lua`).
pub(crate) type LibResult = mlua::Result<(Value, Option<String>)>;

/// A library error, raised by the Lua side.
pub(crate) fn lib_error(msg: impl Into<String>) -> LibResult {
    Ok((Value::Nil, Some(msg.into())))
}

/// luaL_argerror's words.
pub(crate) fn bad_arg(n: usize, func: &str, msg: &str) -> String {
    format!("bad argument #{n} to '{func}' ({msg})")
}

/// The Lua type name luaL_typerror prints; "no value" past the arguments.
pub(crate) fn type_name(v: Option<&Value>) -> &'static str {
    match v {
        None => "no value",
        Some(Value::Nil) => "nil",
        Some(Value::Boolean(_)) => "boolean",
        Some(Value::Integer(_) | Value::Number(_)) => "number",
        Some(Value::String(_)) => "string",
        Some(Value::Table(_)) => "table",
        Some(Value::Function(_)) => "function",
        Some(Value::Thread(_)) => "thread",
        Some(_) => "userdata",
    }
}

/// A number argument as lua_tonumber reads it: numbers, and strings that
/// hold one (decimal or hex, surrounding spaces allowed).
pub(crate) fn to_number(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Integer(i) => Some(*i as f64),
        Value::Number(n) => Some(*n),
        Value::String(s) => {
            let b = s.as_bytes();
            let t = std::str::from_utf8(&b).ok()?.trim();
            let (neg, digits) = match t.strip_prefix('-') {
                Some(d) => (true, d),
                None => (false, t),
            };
            if let Some(hex) = digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X")) {
                let v = u64::from_str_radix(hex, 16).ok()? as f64;
                return Some(if neg { -v } else { v });
            }
            t.parse().ok()
        }
        _ => None,
    }
}

/// luaL_checknumber: the number, or its argument error.
pub(crate) fn check_number(args: &MultiValue, i: usize, func: &str) -> Result<f64, String> {
    let v = args.get(i);
    to_number(v).ok_or_else(|| bad_arg(i + 1, func, &format!("number expected, got {}", type_name(v))))
}

/// A string argument as luaL_checklstring reads it (numbers print as %.14g).
pub(crate) fn check_bytes(args: &MultiValue, i: usize, func: &str) -> Result<Vec<u8>, String> {
    match args.get(i) {
        Some(Value::String(s)) => Ok(s.as_bytes().to_vec()),
        Some(Value::Integer(n)) => Ok(n.to_string().into_bytes()),
        Some(Value::Number(n)) => Ok(format_g(*n, 14).into_bytes()),
        v => Err(bad_arg(i + 1, func, &format!("string expected, got {}", type_name(v)))),
    }
}
