//! Wire-visible error texts, worded byte for byte as Redis words them.
//! Handlers reply with these; nothing else spells an error.

pub const SYNTAX: &str = "ERR syntax error";
pub const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
pub const NOT_FLOAT: &str = "ERR value is not a valid float";
pub const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
pub const OVERFLOW: &str = "ERR increment or decrement would overflow";
pub const INCR_NAN_OR_INF: &str = "ERR increment would produce NaN or Infinity";
pub const NO_SUCH_KEY: &str = "ERR no such key";
pub const DB_INDEX: &str = "ERR DB index is out of range";
pub const INVALID_DB_INDEX: &str = "ERR invalid DB index";
pub const STRING_TOO_LONG: &str = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
pub const OFFSET_OUT_OF_RANGE: &str = "ERR offset is out of range";
pub const INVALID_CURSOR: &str = "ERR invalid cursor";
pub const SAME_OBJECT: &str = "ERR source and destination objects are the same";
pub const NOT_POSITIVE_COUNT: &str = "ERR value is out of range, must be positive";
/// A `denyoom` command while memory is over `maxmemory` and the policy
/// cannot free any.
pub const OOM: &str = "OOM command not allowed when used memory > 'maxmemory'.";

pub fn wrong_arity(fullname: &str) -> String {
    format!("ERR wrong number of arguments for '{fullname}' command")
}

/// `ERR unknown command 'x', with args beginning with: 'a' 'b' `: the
/// preview stops once it reaches 128 bytes, each argument cut to what is left.
pub fn unknown_command(args: &[&[u8]]) -> String {
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

pub fn unknown_subcommand(sub: &[u8], cmd: &str) -> String {
    let sub = String::from_utf8_lossy(&sub[..sub.len().min(128)]);
    format!("ERR unknown subcommand '{sub}'. Try {} HELP.", cmd.to_ascii_uppercase())
}

pub fn invalid_expire(cmd: &str) -> String {
    format!("ERR invalid expire time in '{cmd}' command")
}

// keys
pub const EXPIRE_NX_AND_OTHERS: &str = "ERR NX and XX, GT or LT options at the same time are not compatible";
pub const EXPIRE_GT_AND_LT: &str = "ERR GT and LT options at the same time are not compatible";
pub const NOT_INT32: &str = "ERR value is out of range, value must between -2147483648 and 2147483647";
pub const LFU_NOT_SELECTED: &str = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";
pub const LFU_SELECTED: &str = "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";

/// `ERR Unsupported option x` for an unknown EXPIRE-family option; Redis
/// prints the option as a C string, so it stops at the first NUL byte.
pub fn unsupported_option(opt: &[u8]) -> String {
    let opt = opt.split(|&c| c == 0).next().unwrap_or_default();
    format!("ERR Unsupported option {}", String::from_utf8_lossy(opt))
}

// server
pub const NOPROTO: &str = "NOPROTO unsupported protocol version";
pub const PROTO_NOT_INTEGER: &str = "ERR Protocol version is not an integer or out of range";
pub const AUTH_NO_PASSWORD: &str = "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?";
pub const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";
pub const INVALID_FIRST_DB: &str = "ERR invalid first DB index";
pub const INVALID_SECOND_DB: &str = "ERR invalid second DB index";
pub const CLIENT_NAME: &str = "ERR Client names cannot contain spaces, newlines or special characters.";
pub const NO_SUCH_CLIENT: &str = "ERR No such client";
pub const INVALID_CLIENT_ID: &str = "ERR Invalid client ID";
pub const CLIENT_ID_POSITIVE: &str = "ERR client-id should be greater than 0";
pub const NO_CONFIG_FILE: &str = "ERR The server is running without a config file";
pub const INVALID_COMMAND: &str = "ERR Invalid command specified";
pub const INVALID_COMMAND_ARGS: &str = "ERR Invalid number of arguments specified for command";
pub const NO_KEY_ARGS: &str = "ERR The command has no key arguments";

pub fn hello_option(opt: &[u8]) -> String {
    format!("ERR Syntax error in HELLO option '{}'", String::from_utf8_lossy(opt))
}

pub fn unknown_client_type(t: &[u8]) -> String {
    format!("ERR Unknown client type '{}'", String::from_utf8_lossy(t))
}

/// CLIENT SETINFO's refusal of a name or version with spaces or newlines.
pub fn client_info_chars(attr: &str) -> String {
    format!("ERR {attr} cannot contain spaces, newlines or special characters.")
}

pub fn unrecognized_option(opt: &[u8]) -> String {
    format!("ERR Unrecognized option '{}'", String::from_utf8_lossy(opt))
}

// string
pub const DECREMENT_OVERFLOW: &str = "ERR decrement would overflow";

// hash
pub const HASH_NOT_INTEGER: &str = "ERR hash value is not an integer";
pub const HASH_NOT_FLOAT: &str = "ERR hash value is not a float";
/// An increment argument that is itself infinite (HINCRBYFLOAT h f inf).
pub const NAN_OR_INF: &str = "ERR value is NaN or Infinity";
/// A count outside what Redis's `getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX)` takes.
pub const NOT_LONG_RANGE: &str =
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";
/// HRANDFIELD ... WITHVALUES with a count whose reply length would overflow.
pub const OUT_OF_RANGE: &str = "ERR value is out of range";

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
