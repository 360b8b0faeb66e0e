//! Redis's RDB format, version 10 as Redis 7.0 writes it.
//!
//! A file is `REDIS0010`, auxiliary fields, then each database (its
//! number, its sizes, its keys with their expiry and access hints), the
//! function libraries, an end byte and a CRC-64 of everything before it.
//! A DUMP payload is one value in the same encoding, followed by the RDB
//! version and a CRC-64.
//!
//! - `io`: lengths, strings (integer, LZF and raw), doubles and times;
//!   a reader that counts and checksums what it reads
//! - `lzf`: the compression of long strings and quicklist nodes
//! - `packed`: ziplists, listpacks, intsets and zipmaps, checked and decoded
//! - `value`: one value after its type byte, written and read
//! - `dump`: DUMP/RESTORE payloads
//! - `file`: a whole snapshot written out, an RDB read into the store,
//!   with ferrocache's own attributes in auxiliary fields

pub(crate) mod dump;
pub(crate) mod file;
#[cfg(test)]
mod fixtures;
pub(crate) mod io;
pub(crate) mod lzf;
mod packed;
pub(crate) mod value;

/// The version ferrocache writes: Redis 7.0's.
pub(crate) const RDB_VERSION: u16 = 10;
/// The newest version ferrocache reads: Redis 7.2's.
pub(crate) const RDB_VERSION_MAX: u16 = 11;

/// Value types, the byte before a key.
pub(crate) mod types {
    pub(crate) const STRING: u8 = 0;
    pub(crate) const LIST: u8 = 1;
    pub(crate) const SET: u8 = 2;
    pub(crate) const ZSET: u8 = 3;
    pub(crate) const HASH: u8 = 4;
    pub(crate) const ZSET_2: u8 = 5;
    pub(crate) const MODULE: u8 = 6;
    pub(crate) const MODULE_2: u8 = 7;
    pub(crate) const HASH_ZIPMAP: u8 = 9;
    pub(crate) const LIST_ZIPLIST: u8 = 10;
    pub(crate) const SET_INTSET: u8 = 11;
    pub(crate) const ZSET_ZIPLIST: u8 = 12;
    pub(crate) const HASH_ZIPLIST: u8 = 13;
    pub(crate) const LIST_QUICKLIST: u8 = 14;
    pub(crate) const STREAM_LISTPACKS: u8 = 15;
    pub(crate) const HASH_LISTPACK: u8 = 16;
    pub(crate) const ZSET_LISTPACK: u8 = 17;
    pub(crate) const LIST_QUICKLIST_2: u8 = 18;
    pub(crate) const STREAM_LISTPACKS_2: u8 = 19;
    pub(crate) const SET_LISTPACK: u8 = 20;
    pub(crate) const STREAM_LISTPACKS_3: u8 = 21;
}

/// Opcodes: bytes in a type's place that are not a key.
pub(crate) mod opcodes {
    pub(crate) const FUNCTION2: u8 = 245;
    pub(crate) const FUNCTION_PRE_GA: u8 = 246;
    pub(crate) const MODULE_AUX: u8 = 247;
    pub(crate) const IDLE: u8 = 248;
    pub(crate) const FREQ: u8 = 249;
    pub(crate) const AUX: u8 = 250;
    pub(crate) const RESIZEDB: u8 = 251;
    pub(crate) const EXPIRETIME_MS: u8 = 252;
    pub(crate) const EXPIRETIME: u8 = 253;
    pub(crate) const SELECTDB: u8 = 254;
    pub(crate) const EOF: u8 = 255;
}

/// CRC-64 as Redis computes it (Jones polynomial, reflected): the
/// checksum of RDB files and DUMP payloads.
pub(crate) static CRC64: crc::Crc<u64> = crc::Crc::<u64>::new(&crc::CRC_64_REDIS);

#[cfg(test)]
mod tests {
    #[test]
    fn crc64_matches_redis_check_value() {
        // Redis's crc64 self-test: "123456789" gives e9c6d914c4b8d9ca.
        assert_eq!(super::CRC64.checksum(b"123456789"), 0xe9c6d914c4b8d9ca);
    }
}
