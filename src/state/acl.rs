//! ACL users and the log of refused requests.
//!
//! A [`User`] is shared by every connection logged in as it: a change of
//! its rules (ACL SETUSER) reaches them at their next command, as in Redis.
//! Rules are kept as data here; what a rule means (`+@read`, `~key*`) and
//! how a request is checked against them is the command layer's
//! (`command::acl`), which knows the command table. Commands are known by
//! their row in that table (the row of the per-command counters).
//!
//! The check a connection makes before each command is one load of
//! [`User::unrestricted`]: true for a user that may run every command on
//! every key and channel, the default user unless it was changed.

use crate::state::MAX_COMMANDS;
use crate::util::sync::lock;
use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};

/// Key permissions a pattern grants, and a key use needs.
pub(crate) const READ: u8 = 1;
pub(crate) const WRITE: u8 = 2;

/// A set of commands, by row.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct CommandSet([u64; MAX_COMMANDS / 64]);

impl CommandSet {
    pub(crate) const fn none() -> CommandSet {
        CommandSet([0; MAX_COMMANDS / 64])
    }

    pub(crate) const fn all() -> CommandSet {
        CommandSet([u64::MAX; MAX_COMMANDS / 64])
    }

    pub(crate) fn contains(&self, row: usize) -> bool {
        self.0.get(row / 64).is_some_and(|w| w & (1 << (row % 64)) != 0)
    }

    fn set(&mut self, row: usize, on: bool) {
        if let Some(w) = self.0.get_mut(row / 64) {
            if on {
                *w |= 1 << (row % 64);
            } else {
                *w &= !(1 << (row % 64));
            }
        }
    }
}

/// A key pattern and what it lets a command do to the keys it matches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct KeyPattern {
    pub(crate) pattern: Box<[u8]>,
    /// [`READ`], [`WRITE`] or both.
    pub(crate) perms: u8,
}

/// One set of permissions: the commands, keys and channels it allows. A
/// user has a root selector and may have more (`(~k* +get)`); a request is
/// allowed when any one of them allows all of it.
#[derive(Clone)]
pub(crate) struct Selector {
    pub(crate) commands: CommandSet,
    /// `+@all` with nothing taken away since: no bit needs testing.
    pub(crate) all_commands: bool,
    /// The last word on every command was `+@all`: ACL LIST describes the
    /// commands starting from `+@all` rather than `-@all`.
    pub(crate) future_commands: bool,
    /// First arguments allowed with a command whose own bit is off
    /// (`+select|0`), by the command's row.
    pub(crate) first_args: BTreeMap<usize, Vec<Box<[u8]>>>,
    pub(crate) all_keys: bool,
    pub(crate) keys: Vec<KeyPattern>,
    pub(crate) all_channels: bool,
    pub(crate) channels: Vec<Box<[u8]>>,
}

impl Selector {
    /// A selector that allows nothing, with every channel when
    /// `all_channels` (`acl-pubsub-default allchannels`).
    pub(crate) fn new(all_channels: bool) -> Selector {
        Selector {
            commands: CommandSet::none(),
            all_commands: false,
            future_commands: false,
            first_args: BTreeMap::new(),
            all_keys: false,
            keys: Vec::new(),
            all_channels,
            channels: Vec::new(),
        }
    }

    /// Allows or forbids the command of `row` alone, and forgets its
    /// allowed first arguments.
    pub(crate) fn set_command(&mut self, row: usize, allow: bool) {
        self.commands.set(row, allow);
        self.first_args.remove(&row);
        if !allow {
            self.all_commands = false;
        }
    }

    /// Every command (`+@all`), or none (`-@all`).
    pub(crate) fn set_all_commands(&mut self, allow: bool) {
        self.commands = if allow { CommandSet::all() } else { CommandSet::none() };
        self.all_commands = allow;
        self.future_commands = allow;
        self.first_args.clear();
    }

    /// Whether the command of `row` may run, given its first argument
    /// (after the subcommand) when it has one.
    pub(crate) fn allows_command(&self, row: usize, first_arg: Option<&[u8]>) -> bool {
        if self.all_commands || self.commands.contains(row) {
            return true;
        }
        match (first_arg, self.first_args.get(&row)) {
            (Some(arg), Some(allowed)) => allowed.iter().any(|a| a.eq_ignore_ascii_case(arg)),
            _ => false,
        }
    }

    /// Whether a command may use `key` as `perms` says (0 for a use that
    /// neither reads nor writes the value, which any pattern covers).
    pub(crate) fn allows_key(&self, key: &[u8], perms: u8) -> bool {
        self.all_keys
            || self
                .keys
                .iter()
                .any(|p| p.perms & perms == perms && crate::util::glob::matches(&p.pattern, key, false))
    }

    /// Adds a key pattern, or more permissions to the same pattern.
    pub(crate) fn add_key_pattern(&mut self, pattern: &[u8], perms: u8) {
        match self.keys.iter_mut().find(|p| *p.pattern == *pattern) {
            Some(p) => p.perms |= perms,
            None => self.keys.push(KeyPattern {
                pattern: pattern.into(),
                perms,
            }),
        }
        self.all_keys = false;
    }

    /// Adds a channel pattern once.
    pub(crate) fn add_channel(&mut self, pattern: &[u8]) {
        if !self.channels.iter().any(|c| **c == *pattern) {
            self.channels.push(pattern.into());
        }
        self.all_channels = false;
    }

    /// Whether the selector allows `channel`: a channel matched against
    /// the allowed patterns as globs; a subscription pattern (`pattern`)
    /// only when it is one of them, letter for letter.
    pub(crate) fn allows_channel(&self, channel: &[u8], pattern: bool) -> bool {
        self.all_channels
            || self.channels.iter().any(|p| match pattern {
                true => **p == *channel,
                false => crate::util::glob::matches(p, channel, false),
            })
    }

    fn unrestricted(&self) -> bool {
        self.all_commands && self.all_keys && self.all_channels
    }
}

/// A user's rules: whether it may log in, with which passwords, and what
/// it may do.
#[derive(Clone)]
pub(crate) struct Rules {
    pub(crate) enabled: bool,
    /// Any password logs in (`nopass`).
    pub(crate) nopass: bool,
    /// `sanitize-payload` (true) or `skip-sanitize-payload` (false), once
    /// either was given; stored and described, nothing reads it.
    pub(crate) sanitize_payload: Option<bool>,
    /// SHA-256 digests, in the order they were added.
    pub(crate) passwords: Vec<[u8; 32]>,
    pub(crate) root: Selector,
    pub(crate) selectors: Vec<Selector>,
}

impl Rules {
    /// A new user's: off, no password, nothing allowed.
    pub(crate) fn new(all_channels: bool) -> Rules {
        Rules {
            enabled: false,
            nopass: false,
            sanitize_payload: None,
            passwords: Vec::new(),
            root: Selector::new(all_channels),
            selectors: Vec::new(),
        }
    }

    /// The default user's at start: `on nopass ~* &* +@all`.
    fn everything() -> Rules {
        let mut r = Rules::new(true);
        r.enabled = true;
        r.nopass = true;
        r.root.all_keys = true;
        r.root.set_all_commands(true);
        r
    }

    /// Whether `password` logs this user in.
    pub(crate) fn accepts(&self, password: &[u8]) -> bool {
        self.enabled && (self.nopass || self.passwords.contains(&crate::util::sha256::digest(password)))
    }
}

/// A user: its name and its rules.
pub(crate) struct User {
    pub(crate) name: Box<[u8]>,
    rules: RwLock<Arc<Rules>>,
    unrestricted: AtomicBool,
    /// Deleted (ACL DELUSER): its connections are closing.
    removed: AtomicBool,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "User({})", String::from_utf8_lossy(&self.name))
    }
}

impl User {
    fn new(name: &[u8], rules: Rules) -> User {
        let unrestricted = rules.root.unrestricted();
        User {
            name: name.into(),
            rules: RwLock::new(Arc::new(rules)),
            unrestricted: AtomicBool::new(unrestricted),
            removed: AtomicBool::new(false),
        }
    }

    /// The user's rules as they are now.
    pub(crate) fn rules(&self) -> Arc<Rules> {
        self.rules.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// May run every command on every key and channel: nothing to check.
    pub(crate) fn unrestricted(&self) -> bool {
        self.unrestricted.load(Ordering::Acquire)
    }

    pub(crate) fn removed(&self) -> bool {
        self.removed.load(Ordering::Acquire)
    }

    fn set_rules(&self, rules: Rules) {
        let unrestricted = rules.root.unrestricted();
        *self.rules.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(rules);
        self.unrestricted.store(unrestricted, Ordering::Release);
    }

    /// A user of its own, for the scripts' client before its first run.
    pub(crate) fn detached_default() -> Arc<User> {
        Arc::new(User::new(b"default", Rules::everything()))
    }
}

/// Why a request was refused, in the order Redis ranks them when several
/// selectors refuse it for different reasons (the highest is told).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Denied {
    Command,
    Key,
    Auth,
    Channel,
}

/// Where a refused request came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LogContext {
    Toplevel,
    Multi,
    Lua,
}

/// One ACL LOG entry: events of the same kind within a minute of each
/// other are counted in one entry.
#[derive(Debug, Clone)]
pub(crate) struct LogEntry {
    pub(crate) count: u64,
    pub(crate) reason: Denied,
    pub(crate) context: LogContext,
    /// The command, key or channel refused; for a failed login, the
    /// command as sent (AUTH, HELLO).
    pub(crate) object: Vec<u8>,
    pub(crate) username: Vec<u8>,
    /// Unix ms of the latest event.
    pub(crate) at: u64,
    /// The client's CLIENT LIST line at the latest event.
    pub(crate) client_info: String,
}

/// Events this close together (ms) share an entry.
const LOG_GROUPING_MS: u64 = 60_000;
/// How many of the newest entries a new event is compared with.
const LOG_GROUPING_SCAN: usize = 10;

/// The users, the default one first among equals, and the ACL log.
pub(crate) struct Acl {
    users: RwLock<BTreeMap<Box<[u8]>, Arc<User>>>,
    default: Arc<User>,
    /// The default user has a password or is off: new connections must
    /// authenticate.
    auth_required: AtomicBool,
    /// Newest first.
    log: Mutex<VecDeque<LogEntry>>,
}

impl Default for Acl {
    fn default() -> Acl {
        let default = Arc::new(User::new(b"default", Rules::everything()));
        let mut users = BTreeMap::new();
        users.insert(Box::from(&b"default"[..]), default.clone());
        Acl {
            users: RwLock::new(users),
            default,
            auth_required: AtomicBool::new(false),
            log: Mutex::new(VecDeque::new()),
        }
    }
}

/// What [`Acl::remove`] refuses.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct DefaultUserStays;

impl Acl {
    pub(crate) fn default_user(&self) -> Arc<User> {
        self.default.clone()
    }

    /// New connections must log in: the default user has a password or is
    /// off.
    pub(crate) fn auth_required(&self) -> bool {
        self.auth_required.load(Ordering::Relaxed)
    }

    pub(crate) fn user(&self, name: &[u8]) -> Option<Arc<User>> {
        self.users.read().unwrap_or_else(|p| p.into_inner()).get(name).cloned()
    }

    /// Every user, in name order.
    pub(crate) fn users(&self) -> Vec<Arc<User>> {
        self.users
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect()
    }

    /// Changes a user's rules, creating the user (with `fresh`) when there
    /// is none: `change` works on a copy, and nothing changes unless it
    /// succeeds. Changes to users are made one at a time.
    pub(crate) fn set_user<E>(
        &self,
        name: &[u8],
        fresh: impl FnOnce() -> Rules,
        change: impl FnOnce(&mut Rules) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut users = self.users.write().unwrap_or_else(|p| p.into_inner());
        let existing = users.get(name).cloned();
        let mut rules = match &existing {
            Some(u) => (*u.rules()).clone(),
            None => fresh(),
        };
        change(&mut rules)?;
        match existing {
            Some(u) => {
                u.set_rules(rules);
                if Arc::ptr_eq(&u, &self.default) {
                    self.default_changed();
                }
            }
            None => {
                users.insert(name.into(), Arc::new(User::new(name, rules)));
            }
        }
        Ok(())
    }

    /// Deletes a user; None when there is none. Its connections must be
    /// closed by the caller; until then the user allows nothing.
    pub(crate) fn remove(&self, name: &[u8]) -> Result<Option<Arc<User>>, DefaultUserStays> {
        if name == b"default" {
            return Err(DefaultUserStays);
        }
        let removed = self.users.write().unwrap_or_else(|p| p.into_inner()).remove(name);
        if let Some(u) = &removed {
            u.removed.store(true, Ordering::Release);
            u.set_rules(Rules::new(false));
        }
        Ok(removed)
    }

    /// The user `name` if `password` logs it in.
    pub(crate) fn authenticate(&self, name: &[u8], password: &[u8]) -> Option<Arc<User>> {
        self.user(name).filter(|u| u.rules().accepts(password))
    }

    /// `requirepass`: the default user's one password, or none needed
    /// when it is empty. Its other rules stay.
    pub(crate) fn set_default_password(&self, password: &[u8]) {
        let _: Result<(), ()> = self.set_user(b"default", Rules::everything, |r| {
            r.passwords.clear();
            r.nopass = password.is_empty();
            if !password.is_empty() {
                r.passwords.push(crate::util::sha256::digest(password));
            }
            Ok(())
        });
    }

    fn default_changed(&self) {
        let r = self.default.rules();
        self.auth_required.store(!r.nopass || !r.enabled, Ordering::Relaxed);
    }

    /// Records a refusal, adding to the entry of the same event within the
    /// last minute when there is one among the newest, and keeps at most
    /// `max_len` entries.
    pub(crate) fn log(&self, entry: LogEntry, max_len: usize) {
        let mut log = lock(&self.log);
        let same = log.iter().take(LOG_GROUPING_SCAN).position(|e| {
            e.reason == entry.reason
                && e.context == entry.context
                && e.at.abs_diff(entry.at) <= LOG_GROUPING_MS
                && e.object == entry.object
                && e.username == entry.username
        });
        match same.and_then(|i| log.remove(i)) {
            Some(mut e) => {
                e.count += 1;
                e.at = entry.at;
                e.client_info = entry.client_info;
                log.push_front(e);
            }
            None => log.push_front(entry),
        }
        log.truncate(max_len);
    }

    /// The newest `count` entries, newest first.
    pub(crate) fn log_entries(&self, count: usize) -> Vec<LogEntry> {
        lock(&self.log).iter().take(count).cloned().collect()
    }

    pub(crate) fn log_reset(&self) {
        lock(&self.log).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(object: &str, at: u64) -> LogEntry {
        LogEntry {
            count: 1,
            reason: Denied::Key,
            context: LogContext::Toplevel,
            object: object.into(),
            username: b"u".to_vec(),
            at,
            client_info: format!("at={at}"),
        }
    }

    #[test]
    fn the_same_refusal_within_a_minute_adds_to_one_entry() {
        let acl = Acl::default();
        acl.log(entry("a", 1_000), 128);
        acl.log(entry("b", 2_000), 128);
        acl.log(entry("a", 3_000), 128);
        let log = acl.log_entries(10);
        assert_eq!(log.len(), 2);
        assert_eq!((log[0].object.as_slice(), log[0].count), (&b"a"[..], 2));
        assert_eq!(log[0].client_info, "at=3000", "the latest client");
        acl.log(entry("a", 3_000 + LOG_GROUPING_MS + 1), 128);
        assert_eq!(acl.log_entries(10).len(), 3, "a minute later it is new");
        acl.log(entry("c", 100_000), 2);
        assert_eq!(acl.log_entries(10).len(), 2, "trimmed to the maximum");
        acl.log_reset();
        assert!(acl.log_entries(10).is_empty());
    }

    #[test]
    fn the_default_user_cannot_be_removed_and_a_removed_user_allows_nothing() {
        let acl = Acl::default();
        assert!(matches!(acl.remove(b"default"), Err(DefaultUserStays)));
        acl.set_user(
            b"bob",
            || Rules::new(false),
            |r| -> Result<(), ()> {
                r.enabled = true;
                r.nopass = true;
                r.root.set_all_commands(true);
                r.root.all_keys = true;
                r.root.all_channels = true;
                Ok(())
            },
        )
        .unwrap();
        let bob = acl.user(b"bob").unwrap();
        assert!(bob.unrestricted());
        assert!(acl.authenticate(b"bob", b"any").is_some());
        let gone = acl.remove(b"bob").unwrap().unwrap();
        assert!(gone.removed() && !gone.unrestricted());
        assert!(acl.authenticate(b"bob", b"any").is_none());
        assert!(matches!(acl.remove(b"bob"), Ok(None)));
    }

    #[test]
    fn requirepass_sets_the_default_users_only_password() {
        let acl = Acl::default();
        assert!(!acl.auth_required());
        acl.set_default_password(b"secret");
        assert!(acl.auth_required());
        assert!(acl.authenticate(b"default", b"secret").is_some());
        assert!(acl.authenticate(b"default", b"other").is_none());
        acl.set_default_password(b"");
        assert!(!acl.auth_required());
        assert!(acl.authenticate(b"default", b"other").is_some());
    }

    #[test]
    fn a_failed_change_leaves_the_user_as_it_was() {
        let acl = Acl::default();
        let r: Result<(), &str> = acl.set_user(
            b"default",
            || unreachable!(),
            |r| {
                r.enabled = false;
                Err("no")
            },
        );
        assert_eq!(r, Err("no"));
        assert!(acl.default_user().rules().enabled);
        let r: Result<(), &str> = acl.set_user(b"new", || Rules::new(false), |_| Err("no"));
        assert!(r.is_err() && acl.user(b"new").is_none());
    }

    #[test]
    fn key_patterns_merge_permissions_and_need_what_the_use_needs() {
        let mut s = Selector::new(false);
        s.add_key_pattern(b"r*", READ);
        s.add_key_pattern(b"w*", WRITE);
        s.add_key_pattern(b"r*", WRITE);
        assert_eq!(s.keys.len(), 2);
        assert!(s.allows_key(b"rx", READ | WRITE));
        assert!(s.allows_key(b"wx", WRITE) && !s.allows_key(b"wx", READ));
        assert!(s.allows_key(b"wx", 0));
        assert!(!s.allows_key(b"zz", 0));
    }

    #[test]
    fn first_arguments_allow_a_command_whose_bit_is_off() {
        let mut s = Selector::new(false);
        s.first_args.insert(5, vec![Box::from(&b"zero"[..])]);
        assert!(s.allows_command(5, Some(b"ZERO")));
        assert!(!s.allows_command(5, Some(b"one")) && !s.allows_command(5, None));
        s.set_command(5, false);
        assert!(
            !s.allows_command(5, Some(b"zero")),
            "a rule on the command forgets them"
        );
    }
}
