//! Store micro-benchmarks: the path a GET or SET takes once its arguments
//! are decoded (hash the key once, lock its shard, read or write the slot).
//!
//! Ids give key and value sizes (`"16b/1kb"`). Every operation takes `now`
//! as a parameter, so the benches pass a fixed clock.

mod common;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ferrocache::{EvictionPolicy, Expiry, Limits, Store};
use std::hint::black_box;
use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

const NOW: u64 = 1_700_000_000_000;
const DATABASES: usize = 16;
/// Keys in the prefilled store: enough to spread over every shard.
const KEYS: u64 = 100_000;
/// Bytes of values in a prefilled store at most: fewer keys for big values.
const FILL_BYTES: u64 = 256 << 20;
const SIZES: [(&str, usize); 3] = [("16b", 16), ("1kb", 1024), ("64kb", 64 * 1024)];

/// A 16-byte key, `key:NNNNNNNNNNNN`, the shape redis-benchmark uses.
fn key(i: u64) -> Vec<u8> {
    format!("key:{i:012}").into_bytes()
}

/// Keys a store prefilled with values of this size holds.
fn fill_keys(value_size: usize) -> u64 {
    KEYS.min(FILL_BYTES / value_size as u64)
}

fn filled(value_size: usize) -> Store {
    let store = Store::new(DATABASES, NOW);
    let value = vec![b'v'; value_size];
    for i in 0..fill_keys(value_size) {
        set(&store, &key(i), &value, 0);
    }
    store
}

/// SET as the string command runs it: the value is copied out of the
/// request buffer into the item's chunk.
fn set(store: &Store, key: &[u8], value: &[u8], expire_at: u64) -> u64 {
    store.with_slot(0, key, NOW, |slot| {
        slot.set_bytes(value, Expiry::from_deadline(expire_at), 0)
    })
}

/// GET: the value's length stands for encoding it into the reply.
fn get(store: &Store, key: &[u8]) -> Option<usize> {
    store.with_slot(0, key, NOW, |slot| {
        slot.read(true).and_then(|e| e.as_str()).map(|v| v.len())
    })
}

/// Keys cycled through by the single-threaded benches, so each iteration
/// lands on a different shard, as independent clients' requests would.
struct Keys {
    keys: Vec<Vec<u8>>,
    next: usize,
}

impl Keys {
    /// `n` keys picked over `0..range`.
    fn new(prefix: &str, n: u64, range: u64) -> Keys {
        let keys = (0..n)
            .map(|i| {
                let k = i.wrapping_mul(7919) % range;
                format!("{prefix}{k:012}").into_bytes()
            })
            .collect();
        Keys { keys, next: 0 }
    }

    fn next(&mut self) -> &[u8] {
        self.next = (self.next + 1) % self.keys.len();
        &self.keys[self.next]
    }
}

fn get_set(c: &mut Criterion) {
    let mut g = c.benchmark_group("store_get");
    for (name, size) in SIZES {
        let store = filled(size);
        let mut hits = Keys::new("key:", 4096, fill_keys(size));
        let mut misses = Keys::new("nokey:", 4096, KEYS);
        g.throughput(Throughput::Elements(1));
        g.bench_function(BenchmarkId::new("hit", format!("16b/{name}")), |b| {
            b.iter(|| get(&store, black_box(hits.next())))
        });
        if size == 16 {
            g.bench_function(BenchmarkId::new("miss", "16b"), |b| {
                b.iter(|| get(&store, black_box(misses.next())))
            });
        }
    }
    g.finish();

    let mut g = c.benchmark_group("store_set");
    for (name, size) in SIZES {
        let store = filled(size);
        let value = vec![b'w'; size];
        let mut keys = Keys::new("key:", 4096, fill_keys(size));
        let mut fresh = 0u64;
        g.throughput(Throughput::Bytes(size as u64));
        g.bench_function(BenchmarkId::new("overwrite", format!("16b/{name}")), |b| {
            b.iter(|| set(&store, black_box(keys.next()), black_box(&value), 0))
        });
        if size == 16 {
            // Inserting new keys, which grows the shards' tables. Every
            // million keys the database is emptied, lazily (its tables are
            // dropped on another thread), to bound the bench's memory.
            let empty = Store::new(DATABASES, NOW);
            let mut kbuf = Vec::with_capacity(16);
            g.bench_function(BenchmarkId::new("insert", "16b/16b"), |b| {
                b.iter(|| {
                    fresh += 1;
                    if fresh.is_multiple_of(1_000_000) {
                        empty.flush_db(0, true);
                    }
                    kbuf.clear();
                    let _ = write!(kbuf, "key:{fresh:012}");
                    set(&empty, black_box(&kbuf), black_box(&value), 0)
                })
            });
            g.bench_function(BenchmarkId::new("with_expiry", "16b/16b"), |b| {
                b.iter(|| set(&store, black_box(keys.next()), black_box(&value), NOW + 60_000))
            });
        }
    }
    g.finish();
}

/// Two threads running GET and SET at once. Each runs `iters` operations,
/// so one iteration is two concurrent operations: the time per iteration
/// falls below the single-threaded time as far as the shards' locks let
/// the threads overlap (and the machine has a second core).
fn contended(c: &mut Criterion) {
    let mut g = c.benchmark_group("store_contended");
    g.throughput(Throughput::Elements(2));
    let store = Arc::new(filled(64));
    let value = vec![b'w'; 64];
    for (id, spread) in [("2t/spread/16b/64b", true), ("2t/same_key/16b/64b", false)] {
        g.bench_function(BenchmarkId::from_parameter(id), |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                std::thread::scope(|s| {
                    for t in 0..2u64 {
                        let store = &store;
                        let value = &value;
                        s.spawn(move || {
                            let mut keys = Keys::new("key:", 1024, KEYS);
                            keys.next = (t as usize) * 512;
                            let same = key(42);
                            for i in 0..iters {
                                let k: &[u8] = if spread { keys.next() } else { &same };
                                // One write in four, on both threads.
                                if i % 4 == t {
                                    set(store, k, value, 0);
                                } else {
                                    black_box(get(store, k));
                                }
                            }
                        });
                    }
                });
                start.elapsed()
            })
        });
    }
    g.finish();
}

/// SCAN pages of COUNT keys over a database of 100k keys, continuing from
/// the cursor each page returned, as a client walks the keyspace.
fn scan(c: &mut Criterion) {
    let mut g = c.benchmark_group("store_scan");
    let store = filled(16);
    for count in [10usize, 100, 1000] {
        let mut cursor = 0u64;
        g.throughput(Throughput::Elements(count as u64));
        g.bench_function(BenchmarkId::from_parameter(format!("count{count}")), |b| {
            b.iter(|| {
                let page = store.scan(0, cursor, count, NOW, |_| true);
                cursor = page.cursor;
                page.keys.len()
            })
        });
    }
    g.finish();
}

/// Writes of new keys into a full store: every write first makes room
/// (`make_room`, as a denyoom command does), which evicts by the policy
/// once usage passes the high watermark. Ids give the policy and the
/// key and value sizes.
fn eviction_churn(c: &mut Criterion) {
    let mut g = c.benchmark_group("store_eviction_churn");
    g.throughput(Throughput::Elements(1));
    for policy in [
        EvictionPolicy::AllKeysLru,
        EvictionPolicy::AllKeysLfu,
        EvictionPolicy::AllKeysRandom,
    ] {
        let store = Store::new(DATABASES, NOW);
        store.set_limits(Limits {
            maxmemory: 32 << 20,
            policy,
            ..Limits::default()
        });
        let value = vec![b'v'; 100];
        let mut kbuf = Vec::with_capacity(16);
        let mut fresh = 0u64;
        // Fill past the limit first, so every measured write churns.
        while fresh < 400_000 {
            fresh += 1;
            kbuf.clear();
            let _ = write!(kbuf, "key:{fresh:012}");
            let _ = store.make_room(NOW, policy);
            set(&store, &kbuf, &value, 0);
        }
        let id = format!("{policy:?}/16b/100b").to_lowercase();
        g.bench_function(BenchmarkId::from_parameter(id), |b| {
            b.iter(|| {
                fresh += 1;
                kbuf.clear();
                let _ = write!(kbuf, "key:{fresh:012}");
                let _ = black_box(store.make_room(NOW, policy));
                set(&store, black_box(&kbuf), black_box(&value), 0)
            })
        });
        assert!(store.stats().evicted_keys > 0, "the churn evicted");
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = get_set, contended, scan, eviction_churn
}
criterion_main!(benches);
