//! Builds the one C file: INCRBYFLOAT's long double arithmetic.

fn main() {
    println!("cargo:rerun-if-changed=csrc/longdouble.c");
    cc::Build::new()
        .file("csrc/longdouble.c")
        .opt_level(2)
        .compile("ferro_longdouble");
}
