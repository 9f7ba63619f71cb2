//! The real `usher` binary as a child process, its output captured.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use secrecy::ExposeSecret;
use usher_app::Settings;

/// A running `usher` process whose stdout and stderr go to a file.
pub struct UsherProcess {
    child: Child,
    log: PathBuf,
    /// Where it listens, read from its start-up line.
    pub addr: String,
}

/// The environment variables that give a process `settings`.
pub fn settings_env(settings: &Settings) -> Vec<(String, String)> {
    let mut env = vec![
        (
            "USHER__DATABASE__URL".into(),
            settings.database.url.expose_secret().to_owned(),
        ),
        (
            "USHER__DATABASE__POOL_SIZE".into(),
            settings.database.pool_size.to_string(),
        ),
        ("USHER__HTTP__LISTEN".into(), settings.http.listen.clone()),
        (
            "USHER__HTTP__PUBLIC_URL".into(),
            settings.http.public_url.clone(),
        ),
        (
            "USHER__HTTP__WORKERS".into(),
            settings.http.workers.to_string(),
        ),
        (
            "USHER__TELEGRAM__API_URL".into(),
            settings.telegram.api_url.clone(),
        ),
        (
            "USHER__TELEGRAM__TIMEOUT_MS".into(),
            settings.telegram.timeout_ms.to_string(),
        ),
    ];
    if let Some(key) = &settings.secrets.token_key {
        env.push((
            "USHER__SECRETS__TOKEN_KEY".into(),
            key.expose_secret().to_owned(),
        ));
    }
    env
}

/// The address in usher's start-up line, in the text or the JSON log format.
fn listening_addr(log: &str) -> Option<String> {
    for marker in [
        "usher is listening addr=",
        "\"usher is listening\",\"addr\":\"",
    ] {
        if let Some(at) = log.find(marker) {
            let rest = &log[at + marker.len()..];
            let end = rest.find(|c: char| c.is_whitespace() || c == '"')?;
            return Some(rest[..end].to_owned());
        }
    }
    None
}

impl UsherProcess {
    /// Runs `bin migrate`, then `bin serve`, with `env` (and `RUST_LOG` as
    /// given), as a deploy does, and waits until it listens.
    pub fn serve(bin: &Path, env: &[(String, String)], rust_log: &str) -> Self {
        let migrated = Self::migrate(bin, env);
        assert!(
            migrated.status.success(),
            "usher migrate failed:\n{}",
            String::from_utf8_lossy(&migrated.stderr)
        );
        Self::serve_only(bin, env, rust_log)
    }

    /// Runs `bin migrate` with `env` to its end; its status and output.
    pub fn migrate(bin: &Path, env: &[(String, String)]) -> std::process::Output {
        Command::new(bin)
            .arg("migrate")
            .arg("--config-dir")
            .arg(std::env::temp_dir().join("usher-no-config"))
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    /// Runs `bin serve` alone (no migration first), and waits until it
    /// listens.
    pub fn serve_only(bin: &Path, env: &[(String, String)], rust_log: &str) -> Self {
        Self::start(bin, &["serve"], env, rust_log)
    }

    /// Runs `bin` with `args` (a command that serves), and waits until it
    /// listens.
    pub fn start(bin: &Path, args: &[&str], env: &[(String, String)], rust_log: &str) -> Self {
        let log = std::env::temp_dir().join(format!("usher-{:016x}.log", rand::random::<u64>()));
        let out = std::fs::File::create(&log).unwrap();
        let err = out.try_clone().unwrap();
        let child = Command::new(bin)
            .args(args)
            .arg("--config-dir")
            .arg(std::env::temp_dir().join("usher-no-config"))
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            // The start-up line tells the port, whatever else is filtered.
            .env("RUST_LOG", format!("{rust_log},usher_app::server=info"))
            .stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .spawn()
            .unwrap();
        let mut process = Self {
            child,
            log,
            addr: String::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let text = process.output();
            if let Some(addr) = listening_addr(&text) {
                process.addr = addr;
                break;
            }
            if let Ok(Some(status)) = process.child.try_wait() {
                panic!("usher exited with {status} before listening:\n{text}");
            }
            assert!(Instant::now() < deadline, "usher did not start:\n{text}");
            std::thread::sleep(Duration::from_millis(20));
        }
        process
    }

    /// `http://ADDR`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Everything the process wrote so far.
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM without waiting.
    pub fn signal_term(&self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
    }

    /// Kills the process at once (SIGKILL), as a crash would.
    pub fn kill_now(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits up to `timeout` for the process to exit; its status if it did.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Sends SIGTERM and waits for the process to exit.
    pub fn terminate(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

impl Drop for UsherProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

/// Creates an account with `bin account create` on `database_url` and
/// returns its key (the one line the command prints).
pub fn cli_account(bin: &Path, database_url: &str) -> String {
    let out = Command::new(bin)
        .args(["account", "create", "--config-dir", "/nonexistent"])
        .env("USHER__DATABASE__URL", database_url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}
