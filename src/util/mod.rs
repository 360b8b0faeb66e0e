//! Leaf helpers that every room may use and that use nothing of the
//! crate: exact number parsing and formatting, glob matching, argument
//! splitting, random numbers (cheap ones, and the kernel's for secrets),
//! SHA-256, locking.

pub(crate) mod glob;
pub(crate) mod mono;
pub(crate) mod number;
pub(crate) mod rand;
pub(crate) mod sha256;
pub(crate) mod split;
pub(crate) mod sync;
