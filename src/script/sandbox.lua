-- The sandbox every script runs in, built once per Lua state.
--
-- Called with `host`, a table of Rust functions; returns a table of the
-- entry points the Rust side keeps (the runners, the globals table, and
-- what functions.lua needs, loaded to compile a function library). Everything here is local to this chunk: scripts see only the
-- tables built below, never this chunk's environment.
--
-- Redis 7.0 makes the globals and every library table read-only (a flag
-- in its patched Lua). Stock Lua 5.1 has no such flag, so each protected
-- table is an empty proxy: reads fall through `__index` to the real
-- table (a table, so the VM follows it without a call), writes reach
-- `__newindex` and fail. `rawset` is wrapped to refuse proxies too.

local host = ...

local error, type, tostring, select, rawget, rawset, setmetatable, pairs, ipairs, unpack, pcall, xpcall, setfenv, loadstring =
    error, type, tostring, select, rawget, rawset, setmetatable, pairs, ipairs, unpack, pcall, xpcall, setfenv, loadstring
local getinfo = debug.getinfo
-- The rest of the debug library is never used: let it go.
debug = nil
local sformat, sfind, ssub = string.format, string.find, string.sub

local READONLY = "Attempt to modify a readonly table"
local readonly = setmetatable({}, { __mode = "k" })

local function refuse()
    error(READONLY, 2)
end

-- proxy -> the table it protects
local function protect(t)
    local p = setmetatable({}, { __index = t, __newindex = refuse, __metatable = false })
    readonly[p] = t
    return p
end

-- Redis's luaPushErrorBuff: "-CODE msg" keeps its code, anything else
-- gets the generic ERR.
local function error_table(e)
    if ssub(e, 1, 1) == "-" then
        local sp = sfind(e, " ", 1, true)
        if sp then
            return { err = ssub(e, 2) }
        end
        return { err = "ERR " .. ssub(e, 2) }
    end
    return { err = "ERR " .. e }
end
host.error_table = error_table

-- The `redis` table.
-- The functions that can raise an error are C functions made in Rust
-- (see call.rs and trampoline.rs), not Lua wrappers: a script's `return
-- redis.call(...)` would make a Lua wrapper a tail call, erasing the
-- script's frame and with it the line its error names.
local redis = {}
redis.call = host.call
redis.pcall = host.pcall
redis.acl_check_cmd = host.acl_check_cmd
redis.sha1hex = host.sha1hex
redis.error_reply = function(...)
    local e = ...
    if select("#", ...) ~= 1 or type(e) ~= "string" then
        return { err = "ERR wrong number or type of arguments" }
    end
    if ssub(e, 1, 1) ~= "-" then
        e = "-" .. e
    end
    return error_table(e)
end
redis.status_reply = function(...)
    local s = ...
    if select("#", ...) ~= 1 or type(s) ~= "string" then
        return { err = "ERR wrong number or type of arguments" }
    end
    return { ok = s }
end
redis.log = host.log
redis.LOG_DEBUG = 0
redis.LOG_VERBOSE = 1
redis.LOG_NOTICE = 2
redis.LOG_WARNING = 3
redis.setresp = host.setresp
redis.set_repl = host.set_repl
redis.REPL_NONE = 0
redis.REPL_AOF = 1
redis.REPL_SLAVE = 2
redis.REPL_REPLICA = 2
redis.REPL_ALL = 3
redis.replicate_commands = function()
    return true
end
redis.breakpoint = function()
    return false
end
redis.debug = function() end
redis.REDIS_VERSION = host.version
redis.REDIS_VERSION_NUM = host.version_num

-- The globals a script sees.
local G = {}
local PG = protect(G)
for _, name in ipairs({
    "assert", "error", "ipairs", "next", "pairs", "rawequal", "rawget", "select", "tonumber", "tostring",
    "type", "unpack", "gcinfo", "collectgarbage", "setmetatable", "getmetatable", "_VERSION",
}) do
    G[name] = _G[name]
end
-- Errors that scripts catch are the message, as Redis 7.0 gives them:
-- an error table from redis.call reaches pcall's caller as its text.
-- A kill is never caught: once host.killed gives its text, every pcall
-- and xpcall that catches an error raises the kill again.
local killed = host.killed
local function check_kill()
    local k = killed()
    if k then
        error({ err = k })
    end
end
local function caught(ok, ...)
    if not ok then
        check_kill()
        local e = ...
        if type(e) == "table" and rawget(e, "err") ~= nil then
            return false, e.err
        end
    end
    return ok, ...
end
G.pcall = function(f, ...)
    return caught(pcall(f, ...))
end
local function uncaught_kill(ok, ...)
    if not ok then
        check_kill()
    end
    return ok, ...
end
G.xpcall = function(f, h)
    return uncaught_kill(xpcall(f, h))
end
-- rawset is a C closure (host.wrap) so that its error names the
-- script's line even from `return rawset(...)`.
G.rawset = host.wrap(function(t, k, v)
    if readonly[t] then
        return nil, READONLY
    end
    return rawset(t, k, v), nil
end, 1)
-- The libraries written in Rust are built on a state's first use of each
-- (see `global_missing` below): until then G has no field for them, and
-- what reads G's fields raw, or walks them, builds them first.
local LIBRARIES = { cjson = true, bit = true, struct = true, cmsgpack = true }
local all_libraries = false
local next = next
-- Reads see through the proxies, as they see the tables in Redis.
G.rawget = function(t, k)
    local real = readonly[t] or t
    if real == G and LIBRARIES[k] then
        return G[k]
    end
    return rawget(real, k)
end
G.next = function(t, k)
    local real = readonly[t] or t
    if real == G and not all_libraries then
        for name in next, LIBRARIES do
            local _ = G[name]
        end
        all_libraries = true
    end
    return next(real, k)
end
G.pairs = function(t)
    return G.next, t, nil
end
-- Stock Lua 5.1 loads precompiled bytecode, which can break out of any
-- sandbox; Redis's Lua reads every chunk as text, so an ESC byte first is
-- a syntax error there. Refused here with the same message.
local sbyte, smatch = string.byte, string.match
G.loadstring = function(s, name)
    if type(s) == "string" and sbyte(s, 1) == 27 then
        local shown = name or smatch(s, "^[^%z\n]*")
        return nil, '[string "' .. shown .. "\"]:1: unexpected symbol near 'char(27)'"
    end
    local f, e = loadstring(s, name)
    if f then
        setfenv(f, PG)
    end
    return f, e
end
G.string = protect(string)
-- Methods on strings ("x"):upper() look up the same protected table, and
-- scripts see the strings' metatable read-only too.
local string_mt = getmetatable("")
string_mt.__index = G.string
string_mt.__metatable = protect({ __index = G.string })
-- The protected tables have no metatable, as far as scripts can tell,
-- but for _G, whose metatable Redis gives read-only: changing it fails as
-- changing _G does.
local getmetatable_ = getmetatable
local G_META = protect({})
G.getmetatable = function(t)
    if t == PG then
        return G_META
    end
    if readonly[t] then
        return nil
    end
    return getmetatable_(t)
end
G.setmetatable = host.wrap(function(t, mt)
    if readonly[t] then
        return nil, READONLY
    end
    return setmetatable(t, mt), nil
end, 1)
G.table = protect(table)
G.math = protect(math)
G.coroutine = protect(coroutine)
G.redis = protect(redis)
G._G = PG
-- A name G lacks: one of the libraries, built now (most scripts use none,
-- and a state would otherwise hold them all), or an error.
local library = host.library
local function global_missing(_, k)
    if LIBRARIES[k] then
        local lib = protect(library(k))
        rawset(G, k, lib)
        return lib
    end
    error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
end
setmetatable(G, { __index = global_missing, __newindex = refuse, __metatable = false })

-- Errors: the error handler records where in the user's code the error
-- happened (the innermost frame of the script, skipping C functions and
-- this chunk) and gives an error table, as Redis's handler does.
local function handler(err)
    local source, line
    local level = 2
    while true do
        local i = getinfo(level, "Sl")
        if not i then
            break
        end
        if i.source == "@user_script" or i.source == "@user_function" then
            source, line = i.source, i.currentline
            break
        end
        level = level + 1
    end
    local msg, counted
    if type(err) == "table" then
        msg = err.err
        if msg ~= nil then
            msg = tostring(msg)
        else
            msg = "ERR unknown error"
        end
        -- The error of a command redis.call ran, counted in the error
        -- stats when it happened.
        counted = rawget(err, "ignore_error_stats_update") == true or nil
    else
        msg = tostring(err)
        -- An error the host raised from its hook (SCRIPT KILL) carries its
        -- own code after the binding's prefix.
        msg = type(err) == "userdata" and msg:match("^runtime error: (ERR .*)$") or ("ERR " .. msg)
    end
    return { err = msg, source = source, line = line, ignore_error_stats_update = counted }
end

-- xpcall in Lua 5.1 passes no arguments: the callee and its arguments
-- wait in upvalues.
local pf, pa, pb
local function with_args()
    return pf(pa, pb)
end
local function without_args()
    return pf()
end

local entry = {}
entry.globals = G

-- Runs a script's chunk with KEYS and ARGV set; (true, result) or
-- (false, error table).
entry.run_eval = function(f, keys, argv)
    rawset(G, "KEYS", keys)
    rawset(G, "ARGV", argv)
    pf = f
    local ok, r = xpcall(without_args, handler)
    pf = nil
    return ok, r
end

-- Runs a function of a library with its keys and arguments.
entry.run_function = function(f, keys, args)
    pf, pa, pb = f, keys, args
    local ok, r = xpcall(with_args, handler)
    pf, pa, pb = nil, nil, nil
    return ok, r
end

-- Runs f() under the error handler: (true, result) or (false, error table).
local function protected(f)
    pf = f
    local ok, r = xpcall(without_args, handler)
    pf = nil
    return ok, r
end

-- What functions.lua, loaded to compile a function library, takes from
-- this chunk.
entry.internal = {
    G = G,
    redis = redis,
    host = host,
    protect = protect,
    refuse = refuse,
    readonly = readonly,
    error_table = error_table,
    protected = protected,
}

return entry
