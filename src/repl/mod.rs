//! Copies of the dataset in Redis's formats: RDB snapshots (`rdb`), and
//! the replication stream a primary keeps for its replicas (`feed`).
//!
//! It sits between `command` (which asks for a save, a dump or a load,
//! and hands in what commands changed) and `store` (whose items it reads
//! and writes); it knows no socket and spells no wire reply. The links
//! between primary and replica are `server::primary` and
//! `server::replica`.

pub(crate) mod feed;
pub(crate) mod rdb;
