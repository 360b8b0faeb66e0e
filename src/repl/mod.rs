//! Copies of the dataset in Redis's formats: RDB snapshots (`rdb`), and
//! the files and streams they are written to and read from.
//!
//! It sits between `command` (which asks for a save, a dump or a load)
//! and `store` (whose items it reads and writes); it knows no socket and
//! spells no wire reply.

pub(crate) mod rdb;
