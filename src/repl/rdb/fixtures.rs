//! DUMP payloads captured from redis-server 7.0.15, one for each encoding
//! it writes, and the values they hold.
//!
//! Captured with `list-max-listpack-size 4`, `list-compress-depth 1`,
//! `hash-max-listpack-entries 4`, `zset-max-listpack-entries 4`,
//! `set-max-intset-entries 4` and `DEBUG QUICKLIST-PACKED-THRESHOLD 100`,
//! so small values take the large encodings (LZF-compressed quicklist
//! nodes, plain nodes, hash tables, skiplists).

use super::dump::tests::sign;
use super::dump::{parse_payload, payload};
use super::io::Reader;
use super::types as t;
use super::value::tests::{hash, list, set, shape, zset};
use super::value::{read_value, Loaded};
use crate::store::Value;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn s(v: &str) -> Value {
    Value::Str(v.as_bytes().to_vec())
}

/// (name, OBJECT ENCODING, DUMP as hex, the value).
fn fixtures() -> Vec<(&'static str, &'static str, &'static str, Value)> {
    let many: Vec<Vec<u8>> = (0..20)
        .map(|i| format!("elem-{i}-{}", "x".repeat(30)).into_bytes())
        .collect();
    let many: Vec<&[u8]> = many.iter().map(Vec::as_slice).collect();
    let long_c = "c".repeat(40);
    let plain = vec![b'p'; 150];
    let fields: Vec<(Vec<u8>, Vec<u8>)> = (0..6)
        .map(|i| (format!("field{i}").into_bytes(), format!("value{i}").into_bytes()))
        .collect();
    let fields: Vec<(&[u8], &[u8])> = fields.iter().map(|(f, v)| (f.as_slice(), v.as_slice())).collect();
    vec![
        ("str_raw", "embstr", "000568656c6c6f0a006372df766534200a", s("hello")),
        ("str_int8", "int", "00c0ff0a000c937e2485089dc5", s("-1")),
        ("str_int16", "int", "00c139300a009d94ea2793fc08b9", s("12345")),
        ("str_int32", "int", "00c2ffffff7f0a002c74e59ee02eada1", s("2147483647")),
        (
            "str_int64_raw",
            "int",
            "0013393232333337323033363835343737353830370a003a657e9481e85f22",
            s("9223372036854775807"),
        ),
        (
            "str_lzf",
            "raw",
            "00c30932016161e025000161610a0009ac48b9ab15fbc9",
            s(&"a".repeat(50)),
        ),
        (
            "str_lzf_text",
            "raw",
            "00c31340dc0b666572726f63616368653a66e0c50a01653a0a00c6ada186b7851e1a",
            s(&"ferrocache:".repeat(20)),
        ),
        (
            "list_one_node",
            "quicklist",
            "120102161600000004008161020101ded4028568656c6c6f06ff0a00468adde364cc40e7",
            list(&[b"a", b"1", b"-300", b"hello"]),
        ),
        (
            "list_compressed_nodes",
            "quicklist",
            "120502c32940a30ea30000000400a5656c656d2d302d78e01400002680260031e01d260032e01d260033e016260126ff02c32940\
             a30ea30000000400a5656c656d2d342d78e01400002680260035e01d260036e01d260037e016260126ff02c33240a50ea5000000\
             0400a5656c656d2d382d78e01400002680260039e0172600a6604d013130e016270027a0270031e016270127ff02c32a40a70fa7\
             0000000400a6656c656d2d31322d78e014000027a0270033e01e270034e01e270035e016270127ff02c32a40a70fa70000000400\
             a6656c656d2d31362d78e014000027a0270037e01e270038e01e270039e016270127ff0a00591d4c20be93d823",
            list(&many),
        ),
        (
            "list_plain_node",
            "quicklist",
            "1203020e0e000000010085736d616c6c06ff01c3094096017070e08900017070020d0d0000000100847461696c05ff0a00e7e1d8\
             bab6e12981",
            list(&[b"small", &plain, b"tail"]),
        ),
        (
            "intset16",
            "intset",
            "0b0e0200000003000000feff01002c010a005b0aa862f794600a",
            set(&[b"1", b"-2", b"300"]),
        ),
        (
            "intset32",
            "intset",
            "0b14040000000300000090eefeff01000000a08601000a00a96546dfe464cca5",
            set(&[b"1", b"-70000", b"100000"]),
        ),
        (
            "intset64",
            "intset",
            "0b200800000003000000000efad5feffffff0100000000000000ffffffffffffff7f0a00b283e40ce05cdce9",
            set(&[b"1", b"-5000000000", b"9223372036854775807"]),
        ),
        (
            "set_hashtable",
            "hashtable",
            "0204056170706c65c30928016363e01b00016363c02a0662616e616e610a00dbd2d9800df78e18",
            set(&[b"apple", b"banana", b"42", long_c.as_bytes()]),
        ),
        (
            "set_hashtable_ints",
            "hashtable",
            "0206c00fc009c00cc006c000c0030a00432b652afe075a81",
            set(&[b"0", b"3", b"6", b"9", b"12", b"15"]),
        ),
        (
            "hash_listpack",
            "listpack",
            "101e1e00000006008266310382763103816e0211018362696704f26179fe04ff0a00fea65ab0fc7be66f",
            hash(&[(b"f1", b"v1"), (b"n", b"17"), (b"big", b"-99999")]),
        ),
        (
            "hash_hashtable",
            "hashtable",
            "0406066669656c64340676616c756534066669656c64330676616c756533066669656c64310676616c756531066669656c643506\
             76616c756535066669656c64320676616c756532066669656c64300676616c7565300a008f6559db50697b14",
            hash(&fields),
        ),
        (
            "zset_listpack",
            "listpack",
            "1122220000000800816202dffe0281610283312e3504816402640181630283696e6604ff0a00b7450085b9d7ae79",
            zset(&[(b"a", 1.5), (b"b", -2.0), (b"c", f64::INFINITY), (b"d", 100.0)]),
        ),
        (
            "zset_skiplist",
            "skiplist",
            "050601657dc39425ad49b254016300000000000008400161000000000000f83f01669a9999999999b93f01640000000000000000\
             0162000000000000f0ff0a00efa915481a5104ec",
            zset(&[
                (b"a", 1.5),
                (b"b", f64::NEG_INFINITY),
                (b"c", 3.0),
                (b"d", 0.0),
                (b"e", 1e100),
                (b"f", 0.1),
            ]),
        ),
    ]
}

#[test]
fn redis_7_0_payloads_of_every_encoding_decode_to_their_values() {
    for (name, _enc, h, want) in fixtures() {
        let got = parse_payload(&hex(h)).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!(shape(got.as_ref()), shape(want.as_ref()), "{name}");
    }
}

#[test]
fn string_payloads_match_redis_byte_for_byte() {
    // Strings are the one type written in the encoding Redis 7.0 uses;
    // LZF output may differ from liblzf's, so only uncompressed ones.
    for (name, _enc, h, v) in fixtures() {
        if name.starts_with("str_") && !name.contains("lzf") {
            assert_eq!(payload(v.as_ref(), true), hex(h), "{name}");
        }
    }
}

#[test]
fn redis_7_0_streams_are_skipped_to_their_end() {
    // XADD st 1-1 field value; XADD st 1-2 a 1 b 2; XGROUP CREATE st g1 0;
    // XREADGROUP GROUP g1 alice COUNT 1 STREAMS st >; DUMP st.
    let st = hex(
        "1301100000000000000001000000000000000139390000001300020100010101856669656c640600010201000100018576616c756506\
         04010001000101010201816102010181620202010801ff0201020101000002010267310101010100000000000000010000000000000001\
         ee4c4052a2010000010105616c696365ee4c4052a201000001000000000000000100000000000000010a00b049170cc2c932d2",
    );
    // XADD st2 5-0 x y; XDEL st2 5-0; DUMP st2: no nodes left.
    let empty = hex("13000005000000050001000a007c4ddec4dc2ccba7");
    for p in [st, empty] {
        let body = &p[..p.len() - 10];
        assert_eq!(body[0], t::STREAM_LISTPACKS_2);
        let mut r = Reader::new(&body[1..]);
        assert!(matches!(
            read_value(&mut r, body[0]).unwrap(),
            Loaded::Skipped("stream")
        ));
        assert_eq!(r.bytes_read() as usize, body.len() - 1);
        assert!(parse_payload(&p).is_err(), "a stream cannot be restored");
    }
}

#[test]
fn redis_payloads_survive_no_truncation_or_flipped_byte() {
    for (name, _enc, h, _) in fixtures() {
        let p = hex(h);
        for n in 0..p.len() {
            assert!(parse_payload(&p[..n]).is_err(), "{name} cut at {n}");
        }
        for i in 0..p.len() {
            let mut m = p.clone();
            m[i] ^= 0x10;
            assert!(parse_payload(&m).is_err(), "{name} byte {i}");
        }
        // With the checksum made good again, every flip reaches the
        // decoders of Redis's own encodings.
        let body = &p[..p.len() - 10];
        for i in 0..body.len() {
            for x in [0x01, 0x10, 0x80, 0xff] {
                let mut m = body.to_vec();
                m[i] ^= x;
                let _ = parse_payload(&sign(m, 10));
            }
        }
    }
}
