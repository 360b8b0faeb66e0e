//! Wire-visible error texts, worded byte for byte as Redis words them.
//! Handlers reply with these; nothing else spells an error.

use crate::config::SetError;
use crate::state::{BusyKind, KillRefused};

pub(crate) const SYNTAX: &str = "ERR syntax error";
pub(crate) const NOT_LISTPACK: &str = "ERR Not a listpack encoded object.";
pub(crate) const NOT_QUICKLIST: &str = "ERR Not a quicklist encoded object.";
pub(crate) const PACKED_THRESHOLD: &str = "ERR argument must be a memory value bigger than 1 and smaller than 4gb";
pub(crate) const RELOAD_OPTIONS: &str = "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.";
pub(crate) const RESP2_UNSUPPORTED: &str = "ERR RESP2 is not supported by this command";
pub(crate) const PROTOCOL_TYPE: &str = "ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false";
pub(crate) const LCS_NOT_STRINGS: &str = "ERR The specified keys must contain string values";
pub(crate) const LCS_LEN_AND_IDX: &str = "ERR If you want both the length and indexes, please just use IDX.";
pub(crate) const LCS_TOO_LONG: &str = "ERR String too long for LCS";
pub(crate) const LCS_OVER_BULK_LEN: &str =
    "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len";
pub(crate) const LCS_NO_MEMORY: &str = "ERR Insufficient memory, failed allocating transient memory for LCS";
pub(crate) const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
pub(crate) const NOT_FLOAT: &str = "ERR value is not a valid float";
pub(crate) const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
pub(crate) const OVERFLOW: &str = "ERR increment or decrement would overflow";
pub(crate) const INCR_NAN_OR_INF: &str = "ERR increment would produce NaN or Infinity";
pub(crate) const NO_SUCH_KEY: &str = "ERR no such key";
pub(crate) const DB_INDEX: &str = "ERR DB index is out of range";
pub(crate) const STRING_TOO_LONG: &str = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
pub(crate) const OFFSET_OUT_OF_RANGE: &str = "ERR offset is out of range";
pub(crate) const INVALID_CURSOR: &str = "ERR invalid cursor";
pub(crate) const SAME_OBJECT: &str = "ERR source and destination objects are the same";
pub(crate) const NOT_POSITIVE_COUNT: &str = "ERR value is out of range, must be positive";
/// A `denyoom` command while memory is over `maxmemory` and the policy
/// cannot free any.
pub(crate) const BGSAVE_IN_PROGRESS: &str = "ERR Background save already in progress";
pub(crate) const BGSAVE_OTHER_CHILD: &str = "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.";
/// SAVE that failed: Redis's bare error.
pub(crate) const SAVE_FAILED: &str = "ERR";
pub(crate) const SHUTDOWN_FAILED: &str = "ERR Errors trying to SHUTDOWN. Check logs.";
pub(crate) const RELOAD_SAVE_FAILED: &str = "ERR Error trying to save the DB";
pub(crate) const RELOAD_LOAD_FAILED: &str = "ERR Error trying to load the RDB dump, check server logs.";
pub(crate) const READONLY_REPLICA: &str = "READONLY You can't write against a read only replica.";
pub(crate) const READONLY_SCRIPT: &str = "READONLY Can not run script with write flag on readonly replica";
pub(crate) const MASTERDOWN: &str = "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";
pub(crate) const WAIT_REPLICA: &str = "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.";
pub(crate) const WAIT_TIMEOUT_NOT_INT: &str = "ERR timeout is not an integer or out of range";
pub(crate) const NOREPLICAS: &str = "NOREPLICAS Not enough good replicas to write.";

/// A write `sync-replicas` held past `sync-replicas-timeout`: applied
/// here, acknowledged by too few replicas (ferrocache's error).
pub(crate) fn not_replicated(acked: usize, needed: usize) -> String {
    format!(
        "NOTREPLICATED the write was applied but acknowledged by {acked} of the {needed} replicas sync-replicas asks for within sync-replicas-timeout: it may not be replicated"
    )
}
pub(crate) const NOMASTERLINK: &str = "NOMASTERLINK Can't SYNC while not connected with my master";
pub(crate) const INVALID_MASTER_PORT: &str = "ERR Invalid master port";
pub(crate) const MISCONF: &str = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";
pub(crate) const OOM: &str = "OOM command not allowed when used memory > 'maxmemory'.";

pub(crate) fn wrong_arity(fullname: &str) -> String {
    format!("ERR wrong number of arguments for '{fullname}' command")
}

/// `ERR unknown command 'x', with args beginning with: 'a' 'b' `: the
/// preview stops once it reaches 128 bytes, each argument cut to what is left.
pub(crate) fn unknown_command(args: &[&[u8]]) -> String {
    let name = String::from_utf8_lossy(&args[0][..args[0].len().min(128)]);
    let mut preview = String::new();
    for a in &args[1..] {
        if preview.len() >= 128 {
            break;
        }
        let room = 128 - preview.len();
        let a = String::from_utf8_lossy(&a[..a.len().min(room)]);
        preview.push('\'');
        preview.push_str(&a);
        preview.push_str("' ");
    }
    format!("ERR unknown command '{name}', with args beginning with: {preview}")
}

pub(crate) const BUSY_SCRIPT: &str =
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
pub(crate) const BUSY_FUNCTION: &str =
    "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";
pub(crate) const NOTBUSY: &str = "NOTBUSY No scripts in execution right now.";
pub(crate) const UNKILLABLE: &str = "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.";
/// Why SCRIPT KILL or FUNCTION KILL could not stop the busy run.
pub(crate) fn kill_refused(why: KillRefused) -> &'static str {
    match why {
        KillRefused::NotBusy => NOTBUSY,
        KillRefused::Unkillable => UNKILLABLE,
        KillRefused::OtherKind(BusyKind::Function) => BUSY_FUNCTION,
        KillRefused::OtherKind(BusyKind::Script) => BUSY_SCRIPT,
    }
}

/// The error a script stopped by SCRIPT KILL or FUNCTION KILL ends with.
pub(crate) fn script_killed(kind: BusyKind) -> &'static str {
    match kind {
        BusyKind::Script => "ERR Script killed by user with SCRIPT KILL...",
        BusyKind::Function => "ERR Script killed by user with FUNCTION KILL...",
    }
}

/// CONFIG SET's refusal of a parameter or its value.
pub(crate) fn config_set(e: &SetError) -> String {
    match e {
        SetError::Unknown(name) => format!("ERR Unknown option or number of arguments for CONFIG SET - '{name}'"),
        SetError::Failed { name, reason } => {
            format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {reason}")
        }
    }
}

pub(crate) const MULTI_NESTED: &str = "ERR MULTI calls can not be nested";
pub(crate) const EXEC_WITHOUT_MULTI: &str = "ERR EXEC without MULTI";
pub(crate) const DISCARD_WITHOUT_MULTI: &str = "ERR DISCARD without MULTI";
pub(crate) const WATCH_IN_MULTI: &str = "ERR WATCH inside MULTI is not allowed";
pub(crate) const EXECABORT: &str = "EXECABORT Transaction discarded because of previous errors.";
pub(crate) const REPLICA_KEYSPACE: &str = "ERR Replica can't interact with the keyspace";
pub(crate) const TRACKING_ONE_REDIRECT: &str = "ERR A client can only redirect to a single other client";
pub(crate) const TRACKING_NO_REDIRECT: &str = "ERR The client ID you want redirect to does not exist";
pub(crate) const TRACKING_PREFIX_NEEDS_BCAST: &str = "ERR PREFIX option requires BCAST mode to be enabled";
pub(crate) const TRACKING_BCAST_SWITCH: &str = "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.";
pub(crate) const TRACKING_OPTIN_BCAST: &str = "ERR OPTIN and OPTOUT are not compatible with BCAST";
pub(crate) const TRACKING_OPTIN_AND_OPTOUT: &str = "ERR You can't specify both OPTIN mode and OPTOUT mode";
pub(crate) const TRACKING_OPTIN_SWITCH: &str = "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.";
pub(crate) const CACHING_NOT_TRACKING: &str =
    "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled";
pub(crate) const CACHING_YES_NOT_OPTIN: &str =
    "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.";
pub(crate) const CACHING_NO_NOT_OPTOUT: &str =
    "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.";

pub(crate) const SSUBSCRIBE_DENY_BLOCKING: &str = "ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client";

/// A RESP2 client with subscriptions sent a command other than these.
pub(crate) fn subscribed_context(name: &str) -> String {
    format!("ERR Can't execute '{name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context")
}

pub(crate) const MONITOR_DENY_BLOCKING: &str = "ERR MONITOR isn't allowed for DENY BLOCKING client";
pub(crate) const NOT_IN_MULTI: &str = "ERR Command not allowed inside a transaction";
pub(crate) const DEBUG_NOT_ALLOWED: &str = "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.";

/// DEBUG's words for a subcommand it does not know or got the wrong
/// number of arguments for.
pub(crate) fn debug_unknown_subcommand(sub: &[u8]) -> String {
    let sub = String::from_utf8_lossy(&sub[..sub.len().min(128)]);
    format!("ERR unknown subcommand or wrong number of arguments for '{sub}'. Try DEBUG HELP.")
}

/// A subcommand that checks its own argument count, in Redis's words
/// (`addReplySubcommandSyntaxError`): `cmd` as the client sent it.
pub(crate) fn subcommand_syntax(sub: &[u8], cmd: &[u8]) -> String {
    let sub = String::from_utf8_lossy(&sub[..sub.len().min(128)]);
    let cmd = String::from_utf8_lossy(cmd).to_ascii_uppercase();
    format!("ERR unknown subcommand or wrong number of arguments for '{sub}'. Try {cmd} HELP.")
}

pub(crate) const SLOWLOG_COUNT: &str = "ERR count should be greater than or equal to -1";

pub(crate) fn latency_no_samples(event: &[u8]) -> String {
    format!(
        "ERR No samples available for event '{}'",
        String::from_utf8_lossy(event)
    )
}

pub(crate) fn unknown_subcommand(sub: &[u8], cmd: &str) -> String {
    let sub = String::from_utf8_lossy(&sub[..sub.len().min(128)]);
    format!("ERR unknown subcommand '{sub}'. Try {} HELP.", cmd.to_ascii_uppercase())
}

pub(crate) fn invalid_expire(cmd: &str) -> String {
    format!("ERR invalid expire time in '{cmd}' command")
}

// keys
pub(crate) const EXPIRE_NX_AND_OTHERS: &str = "ERR NX and XX, GT or LT options at the same time are not compatible";
pub(crate) const EXPIRE_GT_AND_LT: &str = "ERR GT and LT options at the same time are not compatible";
pub(crate) const NOT_INT32: &str = "ERR value is out of range, value must between -2147483648 and 2147483647";
pub(crate) const LFU_NOT_SELECTED: &str = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";
pub(crate) const LFU_SELECTED: &str = "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";

// DUMP, RESTORE, MIGRATE
pub(crate) const BUSYKEY: &str = "BUSYKEY Target key name already exists.";
pub(crate) const INVALID_TTL: &str = "ERR Invalid TTL value, must be >= 0";
pub(crate) const DUMP_PAYLOAD: &str = "ERR DUMP payload version or checksum are wrong";
pub(crate) const BAD_DATA_FORMAT: &str = "ERR Bad data format";
pub(crate) const INVALID_IDLETIME: &str = "ERR Invalid IDLETIME value, must be >= 0";
pub(crate) const INVALID_FREQ: &str = "ERR Invalid FREQ value, must be >= 0 and <= 255";
pub(crate) const MIGRATE_KEYS_NEED_EMPTY_KEY: &str =
    "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string";
/// Redis's own words, "client" though it means the target.
pub(crate) const MIGRATE_CONNECT: &str = "IOERR error or timeout connecting to the client";
pub(crate) const MIGRATE_WRITE: &str = "IOERR error or timeout writing to target instance";
/// Redis's own words, "reading to".
pub(crate) const MIGRATE_READ: &str = "IOERR error or timeout reading to target instance";

/// MIGRATE's report of the first error line the target answered (its
/// `-` dropped). Line breaks become spaces, as Redis's error replies
/// never carry one.
pub(crate) fn migrate_target_error(line: &[u8]) -> String {
    let text = String::from_utf8_lossy(line).replace(['\r', '\n'], " ");
    format!("ERR Target instance replied with error: {text}")
}

/// `ERR Unsupported option x` for an unknown EXPIRE-family option; Redis
/// prints the option as a C string, so it stops at the first NUL byte.
pub(crate) fn unsupported_option(opt: &[u8]) -> String {
    let opt = opt.split(|&c| c == 0).next().unwrap_or_default();
    format!("ERR Unsupported option {}", String::from_utf8_lossy(opt))
}

// server
pub(crate) const NOPROTO: &str = "NOPROTO unsupported protocol version";
pub(crate) const PROTO_NOT_INTEGER: &str = "ERR Protocol version is not an integer or out of range";
pub(crate) const AUTH_NO_PASSWORD: &str = "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?";
pub(crate) const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";
pub(crate) const NOAUTH: &str = "NOAUTH Authentication required.";
/// Redis 7.2's wording (7.0 lacks the `<proto>`).
pub(crate) const NOAUTH_HELLO: &str = "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time";
// ACL
pub(crate) const ACL_NO_FILE: &str = "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.";
pub(crate) const ACL_DEFAULT_STAYS: &str = "ERR The 'default' user cannot be removed";
pub(crate) const ACL_USERNAME: &str = "ERR Usernames can't contain spaces or null characters";
pub(crate) const ACL_GENPASS_BITS: &str =
    "ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096";
/// Why an ACL SETUSER rule was refused, after `modifier '<rule>': `.
pub(crate) const ACL_RULE_SYNTAX: &str = "Syntax error";
pub(crate) const ACL_RULE_UNKNOWN: &str = "Unknown command or category name in ACL";
pub(crate) const ACL_RULE_KEY_AFTER_ALL: &str = "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns";
pub(crate) const ACL_RULE_CHANNEL_AFTER_ALL: &str = "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels";
pub(crate) const ACL_RULE_NO_SUCH_PASSWORD: &str = "The password you are trying to remove from the user does not exist";
pub(crate) const ACL_RULE_BAD_HASH: &str =
    "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters";
pub(crate) const ACL_RULE_SUBCOMMAND_ARG: &str = "Allowing first-arg of a subcommand is not supported";
pub(crate) const NOPERM_KEY: &str = "NOPERM this user has no permissions to access one of the keys used as arguments";
pub(crate) const NOPERM_CHANNEL: &str =
    "NOPERM this user has no permissions to access one of the channels used as arguments";
/// `redis.call` of something the script's user may not do.
pub(crate) const SCRIPT_ACL_COMMAND: &str = "ERR The user executing the script can't run this command or subcommand";
pub(crate) const SCRIPT_ACL_KEY: &str =
    "ERR The user executing the script can't access at least one of the keys mentioned in the command arguments";
pub(crate) const SCRIPT_ACL_CHANNEL: &str =
    "ERR The user executing the script can't publish to the channel mentioned in the command";
pub(crate) const ACL_CHECK_INVALID: &str = "ERR Invalid command passed to redis.acl_check_cmd()";
pub(crate) const ACL_CHECK_OUTSIDE: &str = "ERR redis.acl_check_cmd can only be called inside a script invocation";

pub(crate) fn acl_rule(rule: &[u8], reason: &str) -> String {
    format!(
        "ERR Error in ACL SETUSER modifier '{}': {reason}",
        String::from_utf8_lossy(rule)
    )
}

pub(crate) fn acl_unmatched_paren(arg: &[u8]) -> String {
    format!(
        "ERR Unmatched parenthesis in acl selector starting at '{}'.",
        String::from_utf8_lossy(arg)
    )
}

pub(crate) fn acl_unknown_category(name: &[u8]) -> String {
    format!("ERR Unknown category '{}'", String::from_utf8_lossy(name))
}

pub(crate) fn acl_no_such_user(name: &[u8]) -> String {
    format!("ERR User '{}' not found", String::from_utf8_lossy(name))
}

/// CLIENT KILL USER of a user that does not exist.
pub(crate) fn no_such_user(name: &[u8]) -> String {
    format!("ERR No such user '{}'", String::from_utf8_lossy(name))
}

pub(crate) fn acl_no_such_command(name: &[u8]) -> String {
    format!("ERR Command '{}' not found", String::from_utf8_lossy(name))
}

pub(crate) fn acl_random(e: &std::io::Error) -> String {
    format!("ERR cannot read random bytes: {e}")
}

/// A command the user may not run (its full name: `config|get`).
pub(crate) fn noperm_command(fullname: &str) -> String {
    format!("NOPERM this user has no permissions to run the '{fullname}' command")
}

/// A queued command that the user's rules, changed since, no longer allow
/// when EXEC runs it: `reason` says what it may not do.
pub(crate) fn noperm_since_queued(reason: &str) -> String {
    format!("NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: {reason}")
}
pub(crate) const SINCE_QUEUED_COMMAND: &str = "no permission to execute the command or subcommand";
pub(crate) const SINCE_QUEUED_KEY: &str = "no permission to touch the specified keys";
pub(crate) const SINCE_QUEUED_CHANNEL: &str = "no permission to access one of the channels used as arguments";

/// ACL DRYRUN's answer (a bulk string, not an error) for a refused request.
pub(crate) fn dryrun_command(fullname: &str) -> String {
    format!("This user has no permissions to run the '{fullname}' command")
}

pub(crate) fn dryrun_key(key: &[u8]) -> String {
    format!(
        "This user has no permissions to access the '{}' key",
        String::from_utf8_lossy(key)
    )
}

pub(crate) fn dryrun_channel(channel: &[u8]) -> String {
    format!(
        "This user has no permissions to access the '{}' channel",
        String::from_utf8_lossy(channel)
    )
}

pub(crate) const INVALID_FIRST_DB: &str = "ERR invalid first DB index";
pub(crate) const INVALID_SECOND_DB: &str = "ERR invalid second DB index";
pub(crate) const CLIENT_NAME: &str = "ERR Client names cannot contain spaces, newlines or special characters.";
pub(crate) const NO_SUCH_CLIENT: &str = "ERR No such client";
pub(crate) const INVALID_CLIENT_ID: &str = "ERR Invalid client ID";
pub(crate) const CLIENT_ID_POSITIVE: &str = "ERR client-id should be greater than 0";
pub(crate) const NO_CONFIG_FILE: &str = "ERR The server is running without a config file";
pub(crate) const INVALID_COMMAND: &str = "ERR Invalid command specified";
pub(crate) const INVALID_COMMAND_ARGS: &str = "ERR Invalid number of arguments specified for command";
pub(crate) const NO_KEY_ARGS: &str = "ERR The command has no key arguments";
pub(crate) const INVALID_KEY_ARGS: &str = "ERR Invalid arguments specified for command";

pub(crate) const UNBLOCK_REASON: &str = "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR";

/// EXEC refused before it runs (`reason` without its `-`).
pub(crate) fn exec_refused(reason: &str) -> String {
    format!("EXECABORT Transaction discarded because of: {reason}")
}

pub(crate) fn hello_option(opt: &[u8]) -> String {
    format!("ERR Syntax error in HELLO option '{}'", String::from_utf8_lossy(opt))
}

pub(crate) fn unknown_client_type(t: &[u8]) -> String {
    format!("ERR Unknown client type '{}'", String::from_utf8_lossy(t))
}

/// CLIENT SETINFO's refusal of a name or version with spaces or newlines.
pub(crate) fn client_info_chars(attr: &str) -> String {
    format!("ERR {attr} cannot contain spaces, newlines or special characters.")
}

pub(crate) fn unrecognized_option(opt: &[u8]) -> String {
    format!("ERR Unrecognized option '{}'", String::from_utf8_lossy(opt))
}

// list
pub(crate) const INDEX_OUT_OF_RANGE: &str = "ERR index out of range";
pub(crate) const RANK_ZERO: &str = "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list";
/// A rank or count whose negation must fit 64 bits: LPOS RANK, and the
/// counts of SRANDMEMBER, HRANDFIELD and ZRANDMEMBER (Redis 7.2).
pub(crate) const NEGATABLE_RANGE: &str =
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";
pub(crate) const COUNT_NEGATIVE: &str = "ERR COUNT can't be negative";
pub(crate) const MAXLEN_NEGATIVE: &str = "ERR MAXLEN can't be negative";
pub(crate) const NUMKEYS_POSITIVE: &str = "ERR numkeys should be greater than 0";
pub(crate) const COUNT_POSITIVE: &str = "ERR count should be greater than 0";
pub(crate) const TIMEOUT_NOT_FLOAT: &str = "ERR timeout is not a float or out of range";
pub(crate) const TIMEOUT_NEGATIVE: &str = "ERR timeout is negative";
pub(crate) const TIMEOUT_NOT_INTEGER: &str = "ERR timeout is not an integer or out of range";
pub(crate) const PAUSE_MODE: &str = "ERR CLIENT PAUSE mode must be WRITE or ALL";
/// A blocked client ended by CLIENT UNBLOCK ... ERROR.
pub(crate) const UNBLOCKED: &str = "UNBLOCKED client unblocked via CLIENT UNBLOCK";
pub(crate) const TIMEOUT_OUT_OF_RANGE: &str = "ERR timeout is out of range";

// string
pub(crate) const DECREMENT_OVERFLOW: &str = "ERR decrement would overflow";

// bitmap
pub(crate) const BIT_OFFSET: &str = "ERR bit offset is not an integer or out of range";
pub(crate) const BIT_VALUE: &str = "ERR bit is not an integer or out of range";
pub(crate) const BIT_ARGUMENT: &str = "ERR The bit argument must be 1 or 0.";
pub(crate) const BITOP_NOT: &str = "ERR BITOP NOT must be called with a single source key.";
pub(crate) const BITFIELD_TYPE: &str =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";
pub(crate) const BITFIELD_OVERFLOW: &str = "ERR Invalid OVERFLOW type specified";
pub(crate) const BITFIELD_RO_WRITE: &str = "ERR BITFIELD_RO only supports the GET subcommand";

// sort
pub(crate) const SORT_NOT_DOUBLE: &str = "ERR One or more scores can't be converted into double";

// set
pub(crate) const NUMKEYS_TOO_MANY: &str = "ERR Number of keys can't be greater than number of args";
pub(crate) const LIMIT_NEGATIVE: &str = "ERR LIMIT can't be negative";

// sorted sets
pub(crate) const ZADD_XX_NX: &str = "ERR XX and NX options at the same time are not compatible";
pub(crate) const ZADD_GT_LT_NX: &str = "ERR GT, LT, and/or NX options at the same time are not compatible";
pub(crate) const ZADD_INCR_PAIR: &str = "ERR INCR option supports a single increment-element pair";
pub(crate) const SCORE_NAN: &str = "ERR resulting score is not a number (NaN)";
pub(crate) const MIN_MAX_NOT_FLOAT: &str = "ERR min or max is not a float";
pub(crate) const MIN_MAX_NOT_LEX: &str = "ERR min or max not valid string range item";
pub(crate) const LIMIT_NEEDS_BY: &str =
    "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX";
pub(crate) const WITHSCORES_BYLEX: &str = "ERR syntax error, WITHSCORES not supported in combination with BYLEX";
pub(crate) const WEIGHT_NOT_FLOAT: &str = "ERR weight value is not a float";

pub(crate) fn at_least_one_key(cmd: &str) -> String {
    format!("ERR at least 1 input key is needed for '{cmd}' command")
}
// hash
pub(crate) const HASH_NOT_INTEGER: &str = "ERR hash value is not an integer";
pub(crate) const HASH_NOT_FLOAT: &str = "ERR hash value is not a float";
/// An increment argument that is itself infinite (HINCRBYFLOAT h f inf).
pub(crate) const NAN_OR_INF: &str = "ERR value is NaN or Infinity";
/// HRANDFIELD ... WITHVALUES with a count whose reply length would overflow.
pub(crate) const OUT_OF_RANGE: &str = "ERR value is out of range";

// cache (ferrocache's CACHE.* commands: the first word is the error code
// a client library maps to its own exception)
pub(crate) const LOCKED: &str = "LOCKED the key is locked under another handle";
pub(crate) const BADHANDLE: &str = "BADHANDLE the handle given does not hold the lock";
pub(crate) const NOTLOCKED: &str = "NOTLOCKED the key is not locked";
pub(crate) const NOKEY: &str = "NOKEY no such key (CREATE locks a missing key)";
pub(crate) const EXISTS: &str = "EXISTS the key already exists";
pub(crate) const BAD_PRIORITY: &str =
    "ERR priority must be one of low, belownormal, normal, abovenormal, high, notremovable";
/// TAGS is parsed but refused until tags are implemented.
pub(crate) const DEPEND_NOKEY: &str = "NOKEY no such key (a dependency joins existing items)";
pub(crate) const CYCLE: &str = "CYCLE the dependency would make a cycle";

// scripting
pub(crate) const NOSCRIPT: &str = "NOSCRIPT No matching script. Please use EVAL.";
pub(crate) const NUMKEYS_NEGATIVE: &str = "ERR Number of keys can't be negative";
pub(crate) const SCRIPT_FLUSH_OPTION: &str = "ERR SCRIPT FLUSH only support SYNC|ASYNC option";
pub(crate) const SCRIPT_WRITE_FLAG_RO: &str = "ERR Can not execute a script with write flag using *_ro command.";
pub(crate) const FUNCTION_NOT_FOUND: &str = "ERR Function not found";
pub(crate) const RESTORE_POLICY: &str =
    "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.";
pub(crate) const NOT_A_FUNCTION: &str = "ERR given type is not a function";
pub(crate) const NO_DATA_TYPE: &str = "ERR can not read data type";

/// FUNCTION RESTORE's error for a library whose `field` is cut short.
pub(crate) fn library_field_cut(field: &str) -> String {
    format!("ERR Failed loading {field}")
}

pub(crate) const FUNCTION_FLUSH_OPTION: &str = "ERR FUNCTION FLUSH only supports SYNC|ASYNC option";
pub(crate) const LIBRARY_NOT_FOUND: &str = "ERR Library not found";
pub(crate) const LIBRARY_NAME_MISSING: &str = "ERR library name argument was not given";
/// What `redis.call` raises (and `redis.pcall` returns) when it cannot run
/// the command.
pub(crate) const SCRIPT_NO_ARGS: &str = "ERR Please specify at least one argument for this redis lib call";
pub(crate) const SCRIPT_ARG_TYPE: &str = "ERR Lua redis lib command arguments must be strings or integers";
pub(crate) const SCRIPT_UNKNOWN_COMMAND: &str = "ERR Unknown Redis command called from script";
pub(crate) const SCRIPT_ARITY: &str = "ERR Wrong number of args calling Redis command from script";
pub(crate) const SCRIPT_NOT_ALLOWED: &str = "ERR This Redis command is not allowed from script";
pub(crate) const SCRIPT_WRITE_RO: &str = "ERR Write commands are not allowed from read-only scripts.";

pub(crate) const SCRIPT_NESTED: &str = "ERR scripts cannot run scripts";
pub(crate) const NO_FUNCTIONS: &str = "ERR No functions registered";
pub(crate) const MISSING_LIBRARY_METADATA: &str = "ERR Missing library metadata";
pub(crate) const INVALID_LIBRARY_METADATA: &str = "ERR Invalid library metadata";
pub(crate) const LIBRARY_NAME_NOT_GIVEN: &str = "ERR Library name was not given";
pub(crate) const BAD_NUMBER_OF_KEYS: &str = "ERR Bad number of keys provided";
pub(crate) const NAME_GIVEN_TWICE: &str = "ERR Invalid metadata value, name argument was given multiple times";
/// Redis gives this text for bad function names too.
pub(crate) const BAD_LIBRARY_NAME: &str =
    "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";

pub(crate) fn lua_state(e: &dyn std::fmt::Display) -> String {
    format!("ERR Lua state: {e}")
}

pub(crate) fn library_exists(name: &str) -> String {
    format!("ERR Library '{name}' already exists")
}

/// FUNCTION RESTORE's words for the same conflict, without quotes.
pub(crate) fn restored_library_exists(name: &str) -> String {
    format!("ERR Library {name} already exists")
}

pub(crate) fn function_exists(name: &str) -> String {
    format!("ERR Function {name} already exists")
}

pub(crate) fn engine_not_found(engine: &str) -> String {
    format!("ERR Engine '{engine}' not found")
}

pub(crate) fn invalid_metadata_value(part: &str) -> String {
    format!("ERR Invalid metadata value given: {part}")
}

pub(crate) fn shebang_engine(engine: &str) -> String {
    format!("ERR Unexpected engine in script shebang: {engine}")
}

pub(crate) fn shebang_option(option: &str) -> String {
    format!("ERR Unknown lua shebang option: {option}")
}

pub(crate) fn shebang_flag(flag: &str) -> String {
    format!("ERR Unexpected flag in script shebang: {flag}")
}

pub(crate) fn script_compile(lua_message: &str) -> String {
    format!("ERR Error compiling script (new function): {lua_message}")
}

pub(crate) fn function_compile(lua_message: &str) -> String {
    format!("ERR Error compiling function: {lua_message}")
}

/// A library's code ran past the load timeout (wrapped by `function_register`).
pub(crate) const FUNCTION_LOAD_TIMEOUT: &str = "ERR FUNCTION LOAD timeout";

/// A library's code failed while it ran; `err` is its error table's text.
pub(crate) fn function_register(err: &str) -> String {
    format!("ERR Error registering functions: {err}")
}

/// FUNCTION LOAD's refusal of an option before the code.
pub(crate) fn unknown_option(arg: &[u8]) -> String {
    format!("ERR Unknown option given: {}", String::from_utf8_lossy(arg))
}

pub(crate) fn unknown_argument(arg: &[u8]) -> String {
    format!("ERR Unknown argument {}", String::from_utf8_lossy(arg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_command_previews_arguments() {
        let a: Vec<&[u8]> = vec![b"foo", b"a", b"bb"];
        assert_eq!(
            unknown_command(&a),
            "ERR unknown command 'foo', with args beginning with: 'a' 'bb' "
        );
        let a: Vec<&[u8]> = vec![b"foo"];
        assert_eq!(
            unknown_command(&a),
            "ERR unknown command 'foo', with args beginning with: "
        );
    }

    #[test]
    fn unknown_subcommand_names_the_help() {
        assert_eq!(
            unknown_subcommand(b"nope", "config"),
            "ERR unknown subcommand 'nope'. Try CONFIG HELP."
        );
    }
}
