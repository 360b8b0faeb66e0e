//! The allocation limit of every target: a single allocation over 64 MB
//! aborts the run, and libFuzzer reports the input. (libFuzzer's own
//! `-malloc_limit_mb` needs a sanitizer's allocator; the targets run
//! without one, at many times the speed.)

use std::alloc::{GlobalAlloc, Layout, System};

pub const LIMIT: usize = 64 << 20;

pub struct Limited;

fn check(size: usize) {
    if size > LIMIT {
        eprintln!("allocation of {size} bytes is over the {LIMIT}-byte limit");
        std::process::abort();
    }
}

// SAFETY: every call is passed to the system allocator unchanged, after
// the size check.
unsafe impl GlobalAlloc for Limited {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        check(layout.size());
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        check(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        check(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}
