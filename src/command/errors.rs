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

// string
pub const DECREMENT_OVERFLOW: &str = "ERR decrement would overflow";

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
