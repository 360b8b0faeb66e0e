//! The runtime settings table behind CONFIG GET and CONFIG SET.

use super::Config;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;

/// A parameter's declaration.
struct Param {
    name: &'static str,
    default: &'static str,
}

const PARAMS: &[Param] = &[
    Param {
        name: "proto-max-bulk-len",
        default: "536870912",
    },
    Param {
        name: "client-query-buffer-limit",
        default: "1073741824",
    },
    Param {
        name: "maxmemory",
        default: "0",
    },
    Param {
        name: "maxmemory-policy",
        default: "noeviction",
    },
];

pub struct Settings {
    values: RwLock<BTreeMap<&'static str, String>>,
    proto_max_bulk_len: AtomicU64,
    query_buffer_limit: AtomicU64,
}

impl Settings {
    pub fn new(config: &Config) -> Settings {
        let values = PARAMS.iter().map(|p| (p.name, p.default.to_string())).collect();
        let s = Settings {
            values: RwLock::new(values),
            proto_max_bulk_len: AtomicU64::new(512 * 1024 * 1024),
            query_buffer_limit: AtomicU64::new(1024 * 1024 * 1024),
        };
        for (k, v) in &config.overrides {
            let _ = s.set(k, v);
        }
        s
    }

    /// True for every parameter name the table knows.
    pub fn knows(name: &str) -> bool {
        PARAMS.iter().any(|p| p.name.eq_ignore_ascii_case(name))
    }

    pub fn get(&self, name: &str) -> Option<String> {
        let v = self.values.read().unwrap_or_else(|p| p.into_inner());
        v.get(name).cloned()
    }

    pub fn set(&self, name: &str, value: &str) -> Result<(), String> {
        let p = PARAMS
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| format!("Unknown option or number of arguments for CONFIG SET - '{name}'"))?;
        match p.name {
            "proto-max-bulk-len" => self.proto_max_bulk_len.store(
                super::parse_memory(value).ok_or("argument must be a memory value")?,
                Ordering::Relaxed,
            ),
            "client-query-buffer-limit" => self.query_buffer_limit.store(
                super::parse_memory(value).ok_or("argument must be a memory value")?,
                Ordering::Relaxed,
            ),
            _ => {}
        }
        let mut v = self.values.write().unwrap_or_else(|p| p.into_inner());
        v.insert(p.name, value.to_string());
        Ok(())
    }

    pub fn proto_max_bulk_len(&self) -> usize {
        self.proto_max_bulk_len.load(Ordering::Relaxed) as usize
    }

    pub fn client_query_buffer_limit(&self) -> usize {
        self.query_buffer_limit.load(Ordering::Relaxed) as usize
    }
}
