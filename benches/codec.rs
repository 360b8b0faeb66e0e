//! RESP codec micro-benchmarks: request decoding and reply encoding.
//!
//! Groups are named after the operation, ids after the sizes involved
//! (`"16b/1kb"` is a 16-byte key with a 1 KiB value), so a regression shows
//! which size it hurts. Throughput is in bytes of wire format, to compare
//! sizes, or in requests for the pipelined batches.

mod common;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ferrocache::{Decoded, Reply, RespDecoder};
use std::hint::black_box;

const MAX_BULK: usize = 512 * 1024 * 1024;
const KEY: &[u8] = b"key:000000000042";
const SIZES: [(&str, usize); 3] = [("16b", 16), ("1kb", 1024), ("64kb", 64 * 1024)];

/// `args` as a RESP multibulk request.
fn multibulk(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Gives an emptied vector's allocation a new element lifetime, so one
/// argument vector serves every request, as in the RESP session.
fn recycle<'b>(mut v: Vec<&[u8]>) -> Vec<&'b [u8]> {
    v.clear();
    v.into_iter().map(|_| -> &'b [u8] { &[] }).collect()
}

/// Decodes every request in `buf` and collects its arguments, as a
/// connection does before executing them; returns the request count.
fn decode_all(d: &mut RespDecoder, buf: &[u8], spare: &mut Vec<&'static [u8]>) -> usize {
    let mut argv = recycle(std::mem::take(spare));
    let mut pos = 0;
    let mut n = 0;
    loop {
        match d.decode(&buf[pos..]) {
            Ok(Decoded::Request(used)) => {
                let mut a = recycle(argv);
                d.args(&buf[pos..], &mut a);
                black_box(&a);
                argv = recycle(a);
                pos += used;
                n += 1;
            }
            Ok(Decoded::Skip(used)) => pos += used,
            Ok(Decoded::Incomplete) | Err(_) => break,
        }
    }
    *spare = recycle(argv);
    n
}

fn decode(c: &mut Criterion) {
    let mut args = Vec::new();

    let mut g = c.benchmark_group("resp_decode_get");
    let req = multibulk(&[b"GET", KEY]);
    g.throughput(Throughput::Bytes(req.len() as u64));
    g.bench_function(BenchmarkId::from_parameter("16b"), |b| {
        let mut d = RespDecoder::new(MAX_BULK);
        b.iter(|| decode_all(&mut d, black_box(&req), &mut args))
    });
    g.finish();

    let mut g = c.benchmark_group("resp_decode_set");
    for (name, size) in SIZES {
        let value = vec![b'v'; size];
        let req = multibulk(&[b"SET", KEY, &value]);
        g.throughput(Throughput::Bytes(req.len() as u64));
        g.bench_function(BenchmarkId::from_parameter(format!("16b/{name}")), |b| {
            let mut d = RespDecoder::new(MAX_BULK);
            b.iter(|| decode_all(&mut d, black_box(&req), &mut args))
        });
    }
    g.finish();

    // Sixteen requests in one buffer, as redis-benchmark -P 16 sends them.
    let mut g = c.benchmark_group("resp_decode_pipeline16");
    g.throughput(Throughput::Elements(16));
    let get: Vec<u8> = (0..16).flat_map(|_| multibulk(&[b"GET", KEY])).collect();
    let value = vec![b'v'; 64];
    let set: Vec<u8> = (0..16).flat_map(|_| multibulk(&[b"SET", KEY, &value])).collect();
    for (id, buf) in [("get/16b", &get), ("set/16b/64b", &set)] {
        g.bench_function(BenchmarkId::from_parameter(id), |b| {
            let mut d = RespDecoder::new(MAX_BULK);
            b.iter(|| {
                let n = decode_all(&mut d, black_box(buf), &mut args);
                debug_assert_eq!(n, 16);
                n
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("resp_decode_inline");
    let ping = b"PING\r\n";
    g.throughput(Throughput::Bytes(ping.len() as u64));
    g.bench_function(BenchmarkId::from_parameter("ping"), |b| {
        let mut d = RespDecoder::new(MAX_BULK);
        b.iter(|| decode_all(&mut d, black_box(ping), &mut args))
    });
    let set = b"SET key:000000000042 \"hello world\"\r\n";
    g.bench_function(BenchmarkId::from_parameter("set/16b/11b"), |b| {
        let mut d = RespDecoder::new(MAX_BULK);
        b.iter(|| decode_all(&mut d, black_box(set), &mut args))
    });
    g.finish();
}

fn encode(c: &mut Criterion) {
    // The output buffer is cleared, not reallocated, between iterations, as
    // a connection reuses its output buffer between batches.
    let mut out = Vec::with_capacity(128 * 1024);

    let mut g = c.benchmark_group("resp_encode_bulk");
    for (name, size) in SIZES {
        let value = vec![b'v'; size];
        g.throughput(Throughput::Bytes(size as u64));
        g.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| {
                out.clear();
                Reply::new(&mut out, false).bulk(black_box(&value));
                out.len()
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("resp_encode_int");
    for (name, v) in [("1digit", 7i64), ("19digits", i64::MIN + 1)] {
        g.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| {
                out.clear();
                Reply::new(&mut out, false).int(black_box(v));
                out.len()
            })
        });
    }
    g.finish();

    // An MGET-like reply: an array of 16 bulks of 16 bytes.
    let mut g = c.benchmark_group("resp_encode_array");
    let items: Vec<Vec<u8>> = (0..16).map(|i| format!("value:{i:010}").into_bytes()).collect();
    g.throughput(Throughput::Elements(16));
    g.bench_function(BenchmarkId::from_parameter("16x16b"), |b| {
        b.iter(|| {
            out.clear();
            let mut r = Reply::new(&mut out, false);
            r.array(items.len());
            for it in black_box(&items) {
                r.bulk(it);
            }
            out.len()
        })
    });
    g.finish();

    // A CONFIG GET / HGETALL-like reply of 16 pairs: a flat array of 32 in
    // RESP2, a `%16` map in RESP3.
    let mut g = c.benchmark_group("resp_encode_map");
    let pairs: Vec<(Vec<u8>, Vec<u8>)> = (0..16)
        .map(|i| {
            (
                format!("field:{i:04}").into_bytes(),
                format!("{}", i * 1000).into_bytes(),
            )
        })
        .collect();
    g.throughput(Throughput::Elements(16));
    for (id, resp3) in [("resp2/16", false), ("resp3/16", true)] {
        g.bench_function(BenchmarkId::from_parameter(id), |b| {
            b.iter(|| {
                out.clear();
                let mut r = Reply::new(&mut out, resp3);
                r.map(pairs.len());
                for (k, v) in black_box(&pairs) {
                    r.bulk(k);
                    r.bulk(v);
                }
                out.len()
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = decode, encode
}
criterion_main!(benches);
