//! A PostgreSQL server of the test's own, for faults the shared server must never see:
//! restarts, `SIGKILL`, server-wide settings (`idle_session_timeout`), TLS with a test CA,
//! password authentication.
//!
//! [`PrivateServer::start`] runs `initdb` (PostgreSQL 15's, `/usr/lib/postgresql/15/bin`,
//! or `PG_BIN`) into a fresh folder under the temporary directory and starts the server
//! on a free port of 127.0.0.1, its socket in that folder. `initdb` refuses to run as
//! root, so as root every server command runs as the `postgres` OS user (`runuser`), which
//! owns the folder. Dropping the value stops the server (`pg_ctl stop -m immediate`) and
//! removes the folder, also when the test panics. Commands block; call the methods from a
//! multi-thread tokio runtime (they step aside with `block_in_place`).

use std::fmt::Write as _;
use std::net::TcpListener;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// Where PostgreSQL's server programs are, unless `PG_BIN` says otherwise.
pub const DEFAULT_PG_BIN: &str = "/usr/lib/postgresql/15/bin";

/// The OS user that runs the server when the tests run as root.
const SERVER_OS_USER: &str = "postgres";

/// What the server is started with besides the defaults.
#[derive(Debug, Clone, Default)]
pub struct ServerSetup {
    /// Serve TLS with this certificate and key (PEM files); `ssl = on`.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Users (name, password) that must authenticate with SCRAM over TCP; every other
    /// user is trusted.
    pub password_users: Vec<(String, String)>,
}

/// A running PostgreSQL server of one's own.
#[derive(Debug)]
pub struct PrivateServer {
    /// The folder holding everything: `data/`, the socket, the log, TLS files.
    base: PathBuf,
    port: u16,
    /// Run server commands as [`SERVER_OS_USER`] (the tests run as root).
    as_server_user: bool,
}

/// `true` when this process runs as root.
fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|metadata| metadata.uid() == 0)
}

fn pg_bin(program: &str) -> PathBuf {
    Path::new(&std::env::var("PG_BIN").unwrap_or_else(|_| DEFAULT_PG_BIN.to_owned())).join(program)
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free local port")
}

impl PrivateServer {
    /// `initdb`, configure and start a server (see the module documentation).
    /// Panics, with the reason, when PostgreSQL's programs are missing or it will not
    /// start.
    pub fn start(label: &str, setup: &ServerSetup) -> PrivateServer {
        tokio::task::block_in_place(|| Self::start_blocking(label, setup))
    }

    fn start_blocking(label: &str, setup: &ServerSetup) -> PrivateServer {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let base = std::env::temp_dir().join(format!(
            "rst_pg_{label}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&base);
        std::fs::create_dir_all(&base)
            .unwrap_or_else(|error| panic!("creating {}: {error}", base.display()));
        let mut server = PrivateServer {
            base,
            port: free_port(),
            as_server_user: running_as_root(),
        };
        if server.as_server_user {
            server.run_plain(Command::new("chown").arg(SERVER_OS_USER).arg(&server.base));
        }
        let initdb = pg_bin("initdb");
        assert!(
            initdb.exists(),
            "{} is missing: these tests start a PostgreSQL server of their own and need \
             PostgreSQL 15's server programs (apt-get install postgresql-15), or PG_BIN \
             pointing at them",
            initdb.display()
        );
        server.run_server_command(
            server
                .server_command(&initdb)
                .arg("-D")
                .arg(server.data())
                .args(["-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"]),
        );
        server.configure(setup);
        // Another process may take the port between `free_port` and the start: retry.
        for attempt in 1..=5 {
            let started = server.pg_ctl(&["-w", "-t", "60", "start"]);
            if started.status.success() {
                return server;
            }
            assert!(attempt < 5, "{}", server.failure("pg_ctl start", &started));
            server.port = free_port();
            server.write_port();
        }
        unreachable!()
    }

    /// The data folder.
    pub fn data(&self) -> PathBuf {
        self.base.join("data")
    }

    /// The folder of the server's files, where tests can put their own (certificates).
    pub fn base(&self) -> &Path {
        &self.base
    }

    /// The port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `postgres://postgres@127.0.0.1:<port>/postgres`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn configure(&self, setup: &ServerSetup) {
        let mut conf = String::new();
        let socket_dir = self.base.display();
        writeln!(
            conf,
            "\n# runtime-store tests\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{socket_dir}'\n\
             max_connections = 40\nshared_buffers = 16MB\n\
             # The faults kill processes, never the machine: the kernel keeps what was written.\n\
             fsync = off\nlog_connections = off\ninclude_if_exists = 'port.conf'"
        )
        .expect("writing to a String");
        if let Some((cert, key)) = &setup.tls {
            for file in [cert, key] {
                if self.as_server_user {
                    self.run_plain(Command::new("chown").arg(SERVER_OS_USER).arg(file));
                }
                std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))
                    .unwrap_or_else(|error| panic!("chmod {}: {error}", file.display()));
            }
            writeln!(
                conf,
                "ssl = on\nssl_cert_file = '{}'\nssl_key_file = '{}'",
                cert.display(),
                key.display()
            )
            .expect("writing to a String");
        }
        append(&self.data().join("postgresql.conf"), &conf);
        self.write_port();
        if !setup.password_users.is_empty() {
            let hba_path = self.data().join("pg_hba.conf");
            let trusted = std::fs::read_to_string(&hba_path)
                .unwrap_or_else(|error| panic!("reading {}: {error}", hba_path.display()));
            let mut hba = String::new();
            for (user, _) in &setup.password_users {
                writeln!(hba, "host all {user} 127.0.0.1/32 scram-sha-256")
                    .expect("writing to a String");
            }
            hba.push_str(&trusted);
            std::fs::write(&hba_path, hba)
                .unwrap_or_else(|error| panic!("writing {}: {error}", hba_path.display()));
        }
    }

    /// The port lives in a file of its own so that a retry can change it.
    fn write_port(&self) {
        let path = self.data().join("port.conf");
        std::fs::write(&path, format!("port = {}\n", self.port))
            .unwrap_or_else(|error| panic!("writing {}: {error}", path.display()));
        if self.as_server_user {
            self.run_plain(Command::new("chown").arg(SERVER_OS_USER).arg(&path));
        }
    }

    /// `pg_ctl restart -m fast`: every session is ended (57P01), the server shuts down
    /// cleanly and comes back; returns once it accepts connections.
    pub fn restart(&self) {
        tokio::task::block_in_place(|| {
            let output = self.pg_ctl(&["-w", "-t", "60", "-m", "fast", "restart"]);
            assert!(
                output.status.success(),
                "{}",
                self.failure("pg_ctl restart", &output)
            );
        });
    }

    /// Kills every server process with `SIGKILL` (a crash: no shutdown, no checkpoint)
    /// and waits until they are gone. Server processes are found by their working
    /// directory, the data folder, so that a backend forked at the last moment is caught
    /// too. The stale `postmaster.pid` is removed, as after a machine crash: the killed
    /// postmaster may linger as a zombie, which `pg_ctl start` would take for a live one.
    pub fn kill(&self) {
        tokio::task::block_in_place(|| {
            let data = std::fs::canonicalize(self.data()).expect("the data folder");
            loop {
                let doomed = processes_in(&data);
                if doomed.is_empty() {
                    break;
                }
                let mut kill = Command::new("kill");
                kill.arg("-KILL").args(doomed.iter().map(u32::to_string));
                // A process may exit on its own in between: the exit status does not
                // matter, only that none is left.
                let _ = kill.output();
                std::thread::sleep(Duration::from_millis(10));
            }
            let _ = std::fs::remove_file(data.join("postmaster.pid"));
            for stale in [".s.PGSQL.{port}.lock", ".s.PGSQL.{port}"] {
                let name = stale.replace("{port}", &self.port.to_string());
                let _ = std::fs::remove_file(self.base.join(name));
            }
        });
    }

    /// Starts the server after [`PrivateServer::kill`] (it recovers from its WAL first).
    pub fn start_again(&self) {
        tokio::task::block_in_place(|| {
            let output = self.pg_ctl(&["-w", "-t", "60", "start"]);
            assert!(
                output.status.success(),
                "{}",
                self.failure("pg_ctl start", &output)
            );
        });
    }

    /// The postmaster's process id (first line of `postmaster.pid`).
    pub fn postmaster_pid(&self) -> u32 {
        let path = self.data().join("postmaster.pid");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|error| panic!("reading {}: {error}", path.display()));
        text.lines()
            .next()
            .and_then(|line| line.trim().parse().ok())
            .unwrap_or_else(|| panic!("{} holds no pid: {text:?}", path.display()))
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.base.join("log")).unwrap_or_default()
    }

    /// `command` run as the server's OS user (`runuser` when root).
    fn server_command(&self, program: &Path) -> Command {
        if self.as_server_user {
            let mut command = Command::new("runuser");
            command.args(["-u", SERVER_OS_USER, "--"]).arg(program);
            command
        } else {
            Command::new(program)
        }
    }

    /// Runs a command as the server's OS user, with the folder as working directory
    /// (whatever it writes lands there, owned by that user).
    pub fn run_as_server_user(&self, program: &str, args: &[&str]) -> Output {
        tokio::task::block_in_place(|| {
            self.run_server_command(self.server_command(Path::new(program)).args(args))
        })
    }

    fn pg_ctl(&self, args: &[&str]) -> Output {
        self.try_pg_ctl(args)
            .unwrap_or_else(|error| panic!("running pg_ctl: {error}"))
    }

    fn try_pg_ctl(&self, args: &[&str]) -> std::io::Result<Output> {
        let mut command = self.server_command(&pg_bin("pg_ctl"));
        command
            .arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(self.base.join("log"))
            .args(args)
            .current_dir(&self.base);
        command.output()
    }

    fn run_server_command(&self, command: &mut Command) -> Output {
        let output = command
            .current_dir(&self.base)
            .output()
            .unwrap_or_else(|error| panic!("running {command:?}: {error}"));
        assert!(
            output.status.success(),
            "{}",
            self.failure(&format!("{command:?}"), &output)
        );
        output
    }

    fn run_plain(&self, command: &mut Command) {
        let output = command
            .output()
            .unwrap_or_else(|error| panic!("running {command:?}: {error}"));
        assert!(
            output.status.success(),
            "{}",
            self.failure(&format!("{command:?}"), &output)
        );
    }

    fn failure(&self, what: &str, output: &Output) -> String {
        format!(
            "{what} failed ({}): {}{}\nserver log:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
            self.log()
        )
    }
}

impl Drop for PrivateServer {
    fn drop(&mut self) {
        // Never panics: it may run while a failed test unwinds.
        let _ = self.try_pg_ctl(&["-w", "-t", "30", "-m", "immediate", "stop"]);
        let _ = std::fs::remove_dir_all(&self.base);
    }
}

fn append(path: &Path, text: &str) {
    use std::io::Write;
    std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .and_then(|mut file| file.write_all(text.as_bytes()))
        .unwrap_or_else(|error| panic!("appending to {}: {error}", path.display()));
}

/// The live processes whose working directory is `dir` (PostgreSQL's server processes
/// all work in the data folder).
fn processes_in(dir: &Path) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| {
            std::fs::read_link(format!("/proc/{pid}/cwd")).is_ok_and(|cwd| cwd == dir) && alive(pid)
        })
        .collect()
}

/// The state of process `pid`, from `/proc/<pid>/stat`.
fn state_of(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (comm) state ...`; comm may hold spaces and parentheses.
    stat[stat.rfind(')')? + 1..]
        .split_whitespace()
        .next()?
        .chars()
        .next()
}

/// Whether `pid` is a live process (a zombie is dead).
fn alive(pid: u32) -> bool {
    state_of(pid).is_some_and(|state| state != 'Z' && state != 'X')
}
