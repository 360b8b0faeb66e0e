use ferrocache::{Args, Config};
use tracing_subscriber::EnvFilter;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (mimalloc.h, v3 numbering).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() {
    // Return freed pages to the kernel at once rather than 10 ms later:
    // hash tables that grow leave their old buckets behind, and threads
    // that go idle after a load would otherwise keep them resident.
    // MIMALLOC_PURGE_DELAY in the environment still has the last word.
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets a process-wide option; no pointers are involved.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
    }
    let config = match Config::from_args(Args::from_env()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&config.loglevel));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match ferrocache::run(config) {
        Ok(running) => running.wait(),
        Err(e) => {
            tracing::error!("cannot start: {e}");
            std::process::exit(1);
        }
    }
}
