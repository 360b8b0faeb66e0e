//! Start-up configuration: command-line flags and a redis.conf-style file
//! of `directive value` lines. A flag given on the command line wins over
//! the file, and the file over the defaults.

mod settings;

pub(crate) use settings::{notify, policy_name, OutputLimit, SetError, Settings};

use clap::Parser;
use std::path::PathBuf;

/// Command-line flags. Every long one can also be given in the config
/// file under the same name (`memcache-port 11211`, `maxmemory 1gb`);
/// memcached's `-m` and `-M` are the file's `maxmemory` (in megabytes) and
/// `memcache-evictions no`. As with redis-server, every other parameter
/// the config file takes is also a flag, `--name value [value ...]`
/// ([`Args::from_argv`] sets those apart before clap sees the rest).
#[derive(Parser, Debug, Default, Clone)]
#[command(
    name = "ferrocache",
    version,
    about = "A cache server for Redis and memcached clients",
    after_help = SETTINGS_HELP
)]
pub struct Args {
    /// RESP (Redis protocol) port; 0 disables it [default: 6379]
    #[arg(long)]
    pub(crate) port: Option<u16>,
    /// memcached protocol port; 0 disables it [default: 11211]
    #[arg(long)]
    pub(crate) memcache_port: Option<u16>,
    /// Address to listen on [default: 127.0.0.1]
    #[arg(long)]
    pub(crate) bind: Option<String>,
    /// Worker threads [default: the number of cores]
    #[arg(long)]
    pub(crate) threads: Option<usize>,
    /// Number of databases [default: 16]
    #[arg(long)]
    pub(crate) databases: Option<usize>,
    /// Largest value a memcached client may store, with a unit (1mb, 512kb) or in bytes [default: 1mb]
    #[arg(long, value_parser = parse_memory_arg)]
    pub(crate) max_item_size: Option<u64>,
    /// Memory limit, with a unit (100mb, 1gb) or in bytes; 0 for none [default: 0]
    #[arg(long, value_parser = parse_memory_arg, value_name = "BYTES", conflicts_with = "memory_mb")]
    pub(crate) maxmemory: Option<u64>,
    /// memcached's -m: the memory limit in megabytes (-m 64 is 64 MB); sets maxmemory
    #[arg(short = 'm', value_parser = parse_megabytes, value_name = "MEGABYTES")]
    pub(crate) memory_mb: Option<u64>,
    /// memcached's -M: memcached writes answer SERVER_ERROR out of memory instead of evicting (memcache-evictions no)
    #[arg(short = 'M', long)]
    pub(crate) disable_evictions: bool,
    /// Allow DEBUG (no, yes, or local: from loopback clients only) [default: no]
    #[arg(long, value_name = "no|yes|local")]
    pub(crate) enable_debug_command: Option<String>,
    /// Log level: error, warn, info, debug or trace, or redis-server's nothing, warning, notice, verbose [default: info]
    #[arg(long)]
    pub(crate) loglevel: Option<String>,
    /// Read settings from this file
    #[arg(long, conflicts_with = "config_path")]
    pub(crate) config: Option<PathBuf>,
    /// Read settings from this file (as `redis-server /path/redis.conf`)
    #[arg(value_name = "CONFIG_FILE")]
    pub(crate) config_path: Option<PathBuf>,
    /// `--name value ...` flags for the other configuration parameters, in
    /// the order given.
    #[arg(skip)]
    pub(crate) settings: Vec<(String, Vec<String>)>,
}

const SETTINGS_HELP: &str = "\
Any configuration parameter (every name CONFIG GET * lists) is also accepted as
--name value [value ...], as redis-server takes it, with the config file's
validation; flags win over the file. For example:
  ferrocache --maxmemory 100mb --maxmemory-policy allkeys-lru --save ''
  ferrocache /etc/ferrocache.conf --requirepass secret
  ferrocache --client-output-buffer-limit normal 64mb 16mb 60";

impl Args {
    /// Parses the process's arguments; prints help or an error and exits
    /// when asked to or when they are wrong, as clap does.
    pub fn from_env() -> Args {
        Args::from_argv(std::env::args_os())
    }

    /// Parses `argv` (program name first). A `--name` that is not one of
    /// the flags above but names a configuration parameter takes the words
    /// after it up to the next `--` word as its value, as redis-server
    /// reads its command line: `--save ''`, `--save 3600 1 300 100`,
    /// `--client-output-buffer-limit "normal 0 0 0"`, or one word holding
    /// both (`"--port 7000"`). A bare `--save` means `--save ''`. Anything
    /// else goes to clap, which refuses unknown flags.
    pub fn from_argv<I, T>(argv: I) -> Args
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let (rest, settings) = split_settings(argv.into_iter().map(Into::into).collect());
        let mut args = Args::parse_from(rest);
        args.settings = settings;
        args
    }

    /// [`Args::from_argv`] that returns clap's error instead of exiting.
    pub fn try_from_argv<I, T>(argv: I) -> Result<Args, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let (rest, settings) = split_settings(argv.into_iter().map(Into::into).collect());
        let mut args = Args::try_parse_from(rest)?;
        args.settings = settings;
        Ok(args)
    }
}

/// Sets the configuration-parameter flags apart from the ones clap
/// declares: returns the arguments for clap and the parameters with
/// their words.
fn split_settings(argv: Vec<std::ffi::OsString>) -> (Vec<std::ffi::OsString>, Vec<(String, Vec<String>)>) {
    use clap::CommandFactory;
    let cmd = Args::command();
    let declared = |name: &str| {
        let name = name.split('=').next().unwrap_or(name);
        cmd.get_arguments().any(|a| a.get_long() == Some(name)) || name == "help" || name == "version"
    };
    let mut rest = Vec::with_capacity(argv.len());
    let mut settings: Vec<(String, Vec<String>)> = Vec::new();
    let mut words = argv.into_iter().peekable();
    if let Some(program) = words.next() {
        rest.push(program);
    }
    while let Some(word) = words.next() {
        let Some(body) = word.to_str().and_then(|w| w.strip_prefix("--")) else {
            rest.push(word);
            continue;
        };
        let mut parts = body.split_whitespace();
        let name = parts.next().unwrap_or("").to_string();
        if !name.is_empty() && declared(&name) {
            // One word holding a declared flag and its value ("--port 7000")
            // becomes two for clap.
            rest.push(format!("--{name}").into());
            rest.extend(parts.map(Into::into));
            continue;
        }
        if !Settings::knows(&name) {
            rest.push(word);
            continue;
        }
        let mut vals: Vec<String> = parts.map(str::to_string).collect();
        let is_option = |w: &std::ffi::OsString| w.to_str().is_some_and(|w| w.starts_with("--"));
        if vals.is_empty() {
            // The word after a name is its value even when it starts with
            // `--` (`--requirepass --x`), except for `--save`, which may
            // stand alone for "no snapshots".
            let save = name.eq_ignore_ascii_case("save");
            match words.peek() {
                Some(w) if save && is_option(w) => vals.push(String::new()),
                None if save => vals.push(String::new()),
                Some(_) => vals.extend(words.next().map(|w| w.to_string_lossy().into_owned())),
                None => {}
            }
        }
        while let Some(w) = words.next_if(|w| !is_option(w)) {
            vals.push(w.to_string_lossy().into_owned());
        }
        settings.push((name, vals));
    }
    (rest, settings)
}

/// The resolved configuration the server starts with.
#[derive(Debug, Clone)]
pub struct Config {
    pub(crate) port: u16,
    pub(crate) memcache_port: u16,
    pub(crate) bind: String,
    pub(crate) threads: usize,
    pub(crate) databases: usize,
    pub(crate) max_item_size: u64,
    pub loglevel: String,
    pub(crate) config_file: Option<PathBuf>,
    /// Other settings from the file (`maxmemory 100mb`), applied to the
    /// runtime settings table at start.
    pub(crate) overrides: Vec<(String, String)>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            port: 6379,
            memcache_port: 11211,
            bind: "127.0.0.1".into(),
            threads: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            databases: 16,
            max_item_size: 1024 * 1024,
            loglevel: "info".into(),
            config_file: None,
            overrides: Vec::new(),
        }
    }
}

impl Config {
    /// Resolves flags over the file over the defaults.
    pub fn from_args(args: Args) -> Result<Config, String> {
        let mut c = Config::default();
        if let Some(path) = args.config.as_ref().or(args.config_path.as_ref()) {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("Fatal error, can't open config file '{}': {e}", path.display()))?;
            c.apply_file(&text)?;
            c.config_file = Some(path.clone());
        }
        if let Some(v) = args.port {
            c.port = v;
        }
        if let Some(v) = args.memcache_port {
            c.memcache_port = v;
        }
        if let Some(v) = args.bind {
            c.bind = v;
        }
        if let Some(v) = args.threads {
            c.threads = v;
        }
        if let Some(v) = args.databases {
            c.databases = v;
        }
        if let Some(v) = args.max_item_size {
            c.max_item_size = v;
        }
        if let Some(v) = args.loglevel {
            c.loglevel = tracing_level(&v);
        }
        // Settings flags go after the file's lines, so they win.
        if let Some(bytes) = args.maxmemory.or(args.memory_mb) {
            c.overrides.push(("maxmemory".into(), bytes.to_string()));
        }
        if args.disable_evictions {
            c.overrides.push(("memcache-evictions".into(), "no".into()));
        }
        if let Some(v) = args.enable_debug_command {
            Settings::check_startup("enable-debug-command", &v)
                .map_err(|why| format!("--enable-debug-command: {why}"))?;
            c.overrides.push(("enable-debug-command".into(), v));
        }
        for (name, vals) in &args.settings {
            let shown = || format!("--{name} {}", vals.join(" "));
            let applied = match vals.is_empty() {
                true => Err("Bad directive or wrong number of arguments".to_string()),
                false => c.apply_directive(&name.to_ascii_lowercase(), vals),
            };
            applied.map_err(|why| {
                format!(
                    "\n*** FATAL CONFIG ERROR ***\nReading the command line, at '{}'\n{why}",
                    shown()
                )
            })?;
        }
        c.validate()?;
        Ok(c)
    }

    fn validate(&self) -> Result<(), String> {
        if self.threads == 0 {
            return Err("threads must be at least 1".into());
        }
        if self.databases == 0 || self.databases > 1 << 20 {
            return Err("databases must be between 1 and 1048576".into());
        }
        if self.max_item_size == 0 {
            return Err("max-item-size must be positive".into());
        }
        let last = |name: &str, default: i64| {
            self.overrides
                .iter()
                .rev()
                .find(|(k, _)| k == name)
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(default)
        };
        settings::check_watermarks(
            last("maxmemory-low-watermark", 95),
            last("maxmemory-high-watermark", 100),
        )
    }

    /// Applies the lines of a config file. Errors name the line, as
    /// redis-server's do.
    pub(crate) fn apply_file(&mut self, text: &str) -> Result<(), String> {
        for (n, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fail = |why: &str| {
                format!(
                    "\n*** FATAL CONFIG FILE ERROR ***\nReading the configuration file, at line {}\n>>> '{}'\n{why}",
                    n + 1,
                    line
                )
            };
            let words = split_line(line).ok_or_else(|| fail("Unbalanced quotes in configuration line"))?;
            let (name, vals) = words
                .split_first()
                .ok_or_else(|| fail("Bad directive or wrong number of arguments"))?;
            let name = name.to_ascii_lowercase();
            self.apply_directive(&name, vals).map_err(|why| fail(&why))?;
        }
        Ok(())
    }

    /// Applies one directive, `name` (lower case) with its words, from
    /// the config file or the command line; the reason when it is refused.
    fn apply_directive(&mut self, name: &str, vals: &[String]) -> Result<(), String> {
        const BAD: &str = "Bad directive or wrong number of arguments";
        let one = || -> Result<&str, String> {
            match vals {
                [v] => Ok(v.as_str()),
                _ => Err(BAD.to_string()),
            }
        };
        let num = |v: &str| {
            v.parse::<u64>()
                .map_err(|_| "argument couldn't be parsed into an integer".to_string())
        };
        let port = |v: u64| u16::try_from(v).map_err(|_| "Invalid port".to_string());
        match name {
            "port" => self.port = port(num(one()?)?)?,
            "memcache-port" => self.memcache_port = port(num(one()?)?)?,
            "bind" if vals.is_empty() => return Err(BAD.to_string()),
            "bind" => self.bind = vals.join(" "),
            "threads" => self.threads = num(one()?)? as usize,
            "databases" => self.databases = num(one()?)? as usize,
            "max-item-size" => {
                self.max_item_size =
                    parse_memory(one()?).ok_or_else(|| "argument must be a memory value".to_string())?
            }
            "loglevel" => self.loglevel = tracing_level(one()?),
            _ if Settings::knows(name) => {
                let value = vals.join(" ");
                Settings::check_startup(name, &value)?;
                self.overrides.push((name.to_string(), value))
            }
            _ => return Err(BAD.to_string()),
        }
        Ok(())
    }
}

/// The log filter for a `loglevel`: tracing's own names pass as they are,
/// redis-server's are mapped to the nearest (`notice` is `info`), so a
/// redis.conf or a redis-server command line keeps the log it asks for.
fn tracing_level(level: &str) -> String {
    match level.to_ascii_lowercase().as_str() {
        "nothing" => "off".into(),
        "warning" => "warn".into(),
        "notice" => "info".into(),
        "verbose" => "debug".into(),
        _ => level.to_string(),
    }
}

/// Splits a config line into words; "double" and 'single' quotes group.
fn split_line(line: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut args = Vec::new();
    if !crate::util::split::split_args(line.as_bytes(), &mut out, &mut args) {
        return None;
    }
    Some(
        args.iter()
            .map(|&(s, e)| String::from_utf8_lossy(&out[s..e]).into_owned())
            .collect(),
    )
}

/// Reads a memory size as redis.conf does: `1024`, `1k` (1000), `1kb`
/// (1024), `1m`, `1mb`, `1g`, `1gb`, in any letter case.
pub(crate) fn parse_memory(s: &str) -> Option<u64> {
    let s = s.trim().to_ascii_lowercase();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num.parse().ok()?;
    let mul: u64 = match unit {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    n.checked_mul(mul)
}

/// memcached's `-m`: a whole number of megabytes.
fn parse_megabytes(s: &str) -> Result<u64, String> {
    s.parse::<u64>()
        .ok()
        .and_then(|mb| mb.checked_mul(1024 * 1024))
        .ok_or_else(|| format!("'{s}' is not a number of megabytes"))
}

fn parse_memory_arg(s: &str) -> Result<u64, String> {
    parse_memory(s).ok_or_else(|| format!("'{s}' is not a memory size (e.g. 1048576, 512kb, 1mb)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_units_follow_redis_conf() {
        assert_eq!(parse_memory("1024"), Some(1024));
        assert_eq!(parse_memory("1k"), Some(1000));
        assert_eq!(parse_memory("1KB"), Some(1024));
        assert_eq!(parse_memory("2mb"), Some(2 * 1024 * 1024));
        assert_eq!(parse_memory("1gb"), Some(1 << 30));
        assert_eq!(parse_memory("1x"), None);
        assert_eq!(parse_memory(""), None);
    }

    #[test]
    fn file_sets_values_and_flags_win() {
        let dir = std::env::temp_dir().join(format!("ferrocache-conf-{}", std::process::id()));
        std::fs::write(
            &dir,
            "# comment\nport 7000\nmemcache-port 0\ndatabases 4\nmax-item-size 2mb\nmaxmemory 100mb\n",
        )
        .unwrap();
        let args = Args {
            port: Some(7001),
            config: Some(dir.clone()),
            ..Default::default()
        };
        let c = Config::from_args(args).unwrap();
        std::fs::remove_file(&dir).unwrap();
        assert_eq!(c.port, 7001);
        assert_eq!(c.memcache_port, 0);
        assert_eq!(c.databases, 4);
        assert_eq!(c.max_item_size, 2 * 1024 * 1024);
        assert_eq!(c.overrides, vec![("maxmemory".to_string(), "100mb".to_string())]);
    }

    fn parse(argv: &[&str]) -> Result<Config, String> {
        let args = Args::try_from_argv(std::iter::once("ferrocache").chain(argv.iter().copied()))
            .map_err(|e| e.to_string())?;
        Config::from_args(args)
    }

    fn override_of<'a>(c: &'a Config, name: &str) -> Option<&'a str> {
        c.overrides
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn maxmemory_flag_takes_units_and_m_takes_megabytes() {
        let c = parse(&["--maxmemory", "100mb"]).unwrap();
        assert_eq!(override_of(&c, "maxmemory"), Some("104857600"));
        let c = parse(&["--maxmemory", "1gb"]).unwrap();
        assert_eq!(override_of(&c, "maxmemory"), Some("1073741824"));
        let c = parse(&["-m", "64"]).unwrap();
        assert_eq!(override_of(&c, "maxmemory"), Some("67108864"));
        assert!(parse(&["-m", "64mb"]).is_err());
        assert!(
            parse(&["-m", "64", "--maxmemory", "1gb"]).is_err(),
            "two limits at once"
        );
        assert_eq!(override_of(&parse(&[]).unwrap(), "maxmemory"), None);
    }

    #[test]
    fn disable_evictions_flag_sets_memcache_evictions_no() {
        for flag in ["-M", "--disable-evictions"] {
            let c = parse(&[flag]).unwrap();
            assert_eq!(override_of(&c, "memcache-evictions"), Some("no"), "{flag}");
        }
        assert_eq!(override_of(&parse(&[]).unwrap(), "memcache-evictions"), None);
    }

    #[test]
    fn enable_debug_command_flag_sets_the_setting() {
        let c = parse(&["--enable-debug-command", "local"]).unwrap();
        assert_eq!(override_of(&c, "enable-debug-command"), Some("local"));
        assert!(parse(&["--enable-debug-command", "sometimes"]).is_err());
    }

    #[test]
    fn maxmemory_flag_wins_over_the_file() {
        let path = std::env::temp_dir().join(format!("ferrocache-conf-mm-{}", std::process::id()));
        std::fs::write(&path, "maxmemory 5mb\n").unwrap();
        let c = parse(&["--config", path.to_str().unwrap(), "-m", "1"]);
        std::fs::remove_file(&path).unwrap();
        let c = c.unwrap();
        assert_eq!(override_of(&c, "maxmemory"), Some("1048576"));
        assert_eq!(Settings::new(&c).maxmemory(), 1 << 20);
    }

    #[test]
    fn low_watermark_above_high_in_the_file_is_fatal() {
        let path = std::env::temp_dir().join(format!("ferrocache-conf-wm-{}", std::process::id()));
        // Order in the file does not matter, only the final pair.
        std::fs::write(&path, "maxmemory-high-watermark 50\nmaxmemory-low-watermark 40\n").unwrap();
        assert!(parse(&["--config", path.to_str().unwrap()]).is_ok());
        std::fs::write(&path, "maxmemory-high-watermark 50\n").unwrap();
        let e = parse(&["--config", path.to_str().unwrap()]);
        std::fs::remove_file(&path).unwrap();
        assert!(e.unwrap_err().contains("can't be greater than"));
    }

    #[test]
    fn any_parameter_is_a_flag_as_redis_server_takes_it() {
        let c = parse(&[
            "--maxmemory",
            "100mb",
            "--maxmemory-policy",
            "allkeys-lru",
            "--hz",
            "20",
        ])
        .unwrap();
        assert_eq!(override_of(&c, "maxmemory-policy"), Some("allkeys-lru"));
        assert_eq!(override_of(&c, "hz"), Some("20"));
        assert_eq!(override_of(&c, "maxmemory"), Some("104857600"));
        // Several words, one quoted word, or name and value in one word.
        let c = parse(&[
            "--client-output-buffer-limit",
            "normal",
            "1mb",
            "0",
            "0",
            "--timeout",
            "5",
        ])
        .unwrap();
        assert_eq!(override_of(&c, "client-output-buffer-limit"), Some("normal 1mb 0 0"));
        assert_eq!(override_of(&c, "timeout"), Some("5"));
        let c = parse(&[
            "--client-output-buffer-limit",
            "pubsub 1mb 0 0",
            "--timeout 7",
            "--port 7000",
        ])
        .unwrap();
        assert_eq!(c.port, 7000);
        assert_eq!(parse(&["--threads 3", "--port=7001"]).unwrap().threads, 3);
        assert_eq!(parse(&["--port=7001"]).unwrap().port, 7001);
        assert_eq!(override_of(&c, "client-output-buffer-limit"), Some("pubsub 1mb 0 0"));
        assert_eq!(override_of(&c, "timeout"), Some("7"));
        let s = Settings::new(&c);
        assert_eq!(
            s.get("client-output-buffer-limit").as_deref(),
            Some("normal 0 0 0 slave 268435456 67108864 60 pubsub 1048576 0 0")
        );
        // A negative number is a value, not a flag.
        let c = parse(&["--slowlog-log-slower-than", "-1"]).unwrap();
        assert_eq!(override_of(&c, "slowlog-log-slower-than"), Some("-1"));
        // The word after a name is its value even when it looks like a flag.
        let c = parse(&["--requirepass", "--secret--"]).unwrap();
        assert_eq!(override_of(&c, "requirepass"), Some("--secret--"));
    }

    #[test]
    fn redis_log_levels_map_to_tracing_levels() {
        assert_eq!(parse(&["--loglevel", "warning"]).unwrap().loglevel, "warn");
        assert_eq!(parse(&["--loglevel", "notice"]).unwrap().loglevel, "info");
        assert_eq!(parse(&["--loglevel", "debug"]).unwrap().loglevel, "debug");
        let mut c = Config::default();
        c.apply_file("loglevel nothing\n").unwrap();
        assert_eq!(c.loglevel, "off");
    }

    #[test]
    fn save_flag_alone_or_empty_means_no_snapshots() {
        for argv in [&["--save", ""][..], &["--save"], &["--save", "--hz", "5"]] {
            let c = parse(argv).unwrap();
            assert_eq!(override_of(&c, "save"), Some(""), "{argv:?}");
        }
        let c = parse(&["--save", "3600", "1", "300", "100"]).unwrap();
        assert_eq!(override_of(&c, "save"), Some("3600 1 300 100"));
    }

    #[test]
    fn parameter_flags_are_validated_like_the_file() {
        let e = parse(&["--maxmemory-policy", "sometimes"]).unwrap_err();
        assert!(e.contains("--maxmemory-policy sometimes"), "{e}");
        assert!(e.contains("argument(s) must be one of the following"), "{e}");
        let e = parse(&["--hz"]).unwrap_err();
        assert!(e.contains("wrong number of arguments"), "{e}");
        assert!(parse(&["--no-such-parameter", "1"]).is_err());
        assert!(parse(&["--maxclients", "0"]).is_err());
    }

    #[test]
    fn parameter_flags_win_over_the_file_and_a_leading_path_is_the_file() {
        let path = std::env::temp_dir().join(format!("ferrocache-conf-flags-{}", std::process::id()));
        std::fs::write(&path, "hz 30\ntimeout 9\n").unwrap();
        let p = path.to_str().unwrap();
        let c = parse(&[p, "--hz", "40"]);
        let d = parse(&["--config", p, "--timeout", "3"]);
        std::fs::remove_file(&path).unwrap();
        let s = Settings::new(&c.unwrap());
        assert_eq!(s.get("hz").as_deref(), Some("40"));
        assert_eq!(s.get("timeout").as_deref(), Some("9"));
        let s = Settings::new(&d.unwrap());
        assert_eq!(s.get("hz").as_deref(), Some("30"));
        assert_eq!(s.get("timeout").as_deref(), Some("3"));
    }

    #[test]
    fn bad_setting_value_in_file_is_fatal() {
        let mut c = Config::default();
        let e = c.apply_file("proto-max-bulk-len 1024\n").unwrap_err();
        assert!(e.contains("at line 1"), "{e}");
        assert!(c.overrides.is_empty());
    }

    #[test]
    fn unknown_directive_names_the_line() {
        let mut c = Config::default();
        let e = c.apply_file("port 1\nnot-a-thing 3\n").unwrap_err();
        assert!(e.contains("at line 2"), "{e}");
        assert!(e.contains("Bad directive or wrong number of arguments"), "{e}");
    }
}
