-- FUNCTION LOAD and the libraries' environments, loaded into the Lua state
-- to compile a library (on FUNCTION LOAD, and on a function's first call
-- after a change) and let go after.
--
-- Called with what sandbox.lua shares (its `entry.internal`); returns the
-- two entry points the Rust side keeps: `library_env` and `load_library`.

local internal = ...
local G, redis, host = internal.G, internal.redis, internal.host
local protect, refuse, readonly = internal.protect, internal.refuse, internal.readonly
local error_table, protected = internal.error_table, internal.protected
local error, type, tostring, select, ipairs, pairs, setmetatable = error, type, tostring, select, ipairs, pairs, setmetatable
local sfind = string.find

local entry = {}

local function nonexistent(_, k)
    error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
end

-- FUNCTION LOAD: while a library's code runs, it sees only a `redis`
-- with register_function and log; its functions then run with the full
-- globals. Each library has an environment of its own whose fallback is
-- switched from the one to the other.
local pending
local FLAGS = { ["no-writes"] = true, ["allow-oom"] = true, ["allow-stale"] = true, ["no-cluster"] = true,
    ["allow-cross-slot-keys"] = true }
local BAD_NAME = "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"

local function register(name, callback, flags, description)
    if pending == nil then
        -- A function kept a reference to the loading `redis` and calls it
        -- after the load.
        error(error_table("-ERR redis.register_function can only be called on FUNCTION LOAD command"))
    end
    if type(name) == "number" then
        name = tostring(name)
    end
    if type(name) ~= "string" then
        error(error_table("-ERR first argument to redis.register_function must be a string"))
    end
    if type(callback) ~= "function" then
        error(error_table("-ERR second argument to redis.register_function must be a function"))
    end
    if name == "" or sfind(name, "[^%w_]") then
        error(error_table("-ERR " .. BAD_NAME))
    end
    for _, f in ipairs(pending) do
        if f.name == name then
            error(error_table("-ERR Function already exists in the library"))
        end
    end
    pending[#pending + 1] = { name = name, callback = callback, flags = flags or {}, description = description }
end

local ARGS = { function_name = true, callback = true, flags = true, description = true }

local load_redis = {
    register_function = function(...)
        local n = select("#", ...)
        local a, b = ...
        if n == 1 and type(a) == "table" then
            for k in pairs(a) do
                if not ARGS[k] then
                    error(error_table("-ERR unknown argument given to redis.register_function"))
                end
            end
            local name, callback, flags, description = a.function_name, a.callback, a.flags, a.description
            if name == nil then
                error(error_table("-ERR redis.register_function must get a function name argument"))
            end
            if type(name) ~= "string" then
                error(error_table("-ERR function_name argument given to redis.register_function must be a string"))
            end
            if callback == nil then
                error(error_table("-ERR redis.register_function must get a callback argument"))
            end
            if type(callback) ~= "function" then
                error(error_table("-ERR callback argument given to redis.register_function must be a function"))
            end
            local fl = {}
            if flags ~= nil then
                if type(flags) ~= "table" then
                    error(error_table("-ERR flags argument to redis.register_function must be a table representing function flags"))
                end
                for _, f in ipairs(flags) do
                    if type(f) ~= "string" or not FLAGS[f] then
                        error(error_table("-ERR unknown flag given"))
                    end
                    fl[#fl + 1] = f
                end
            end
            if description ~= nil and type(description) ~= "string" then
                error(error_table("-ERR description argument given to redis.register_function must be a string"))
            end
            return register(name, callback, fl, description)
        end
        if n == 1 then
            error(error_table("-ERR calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments)."))
        end
        if n ~= 2 then
            error(error_table("-ERR wrong number of arguments to redis.register_function"))
        end
        return register(a, b)
    end,
    log = redis.log,
    LOG_DEBUG = 0,
    LOG_VERBOSE = 1,
    LOG_NOTICE = 2,
    LOG_WARNING = 3,
    REDIS_VERSION = host.version,
    REDIS_VERSION_NUM = host.version_num,
}
setmetatable(load_redis, { __index = nonexistent })
local LOADENV = setmetatable({ redis = protect(load_redis) }, { __index = nonexistent, __newindex = refuse })

-- A fresh environment for a library's chunk: (environment, its metatable).
entry.library_env = function()
    local meta = { __index = LOADENV, __newindex = refuse, __metatable = false }
    local env = setmetatable({}, meta)
    readonly[env] = {}
    return env, meta
end

-- Runs a library's chunk; (true, {registered functions}) or (false, error table).
entry.load_library = function(chunk, meta)
    pending = {}
    local ok, r = protected(chunk)
    local registered = pending
    pending = nil
    if not ok then
        return false, r
    end
    meta.__index = G
    return true, registered
end

return entry
