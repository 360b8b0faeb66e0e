use clap::Parser;
use ferrocache::config::{Args, Config};
use tracing_subscriber::EnvFilter;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let config = match Config::from_args(Args::parse()) {
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
    match ferrocache::server::run(config) {
        Ok(running) => running.wait(),
        Err(e) => {
            tracing::error!("cannot start: {e}");
            std::process::exit(1);
        }
    }
}
