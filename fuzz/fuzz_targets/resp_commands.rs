#![no_main]

mod limit;

#[global_allocator]
static ALLOC: limit::Limited = limit::Limited;

libfuzzer_sys::fuzz_target!(|data: &[u8]| ferrocache::fuzzing::resp_commands(data));
