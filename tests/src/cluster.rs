//! A throwaway PostgreSQL cluster of a test's own (`initdb` and `pg_ctl` of
//! the installed server, on a free port, in a temp dir), so that a test can
//! stop and restart "the database" without disturbing any other test.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A private PostgreSQL server, removed when dropped.
pub struct TempCluster {
    dir: PathBuf,
    bin: PathBuf,
    /// Its port on 127.0.0.1.
    pub port: u16,
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Runs a server program, as `postgres` when we are root (initdb and the
/// server refuse to run as root).
fn run(bin: &Path, program: &str, args: &[&str]) {
    let exe = bin.join(program);
    let status = if is_root() {
        Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(&exe)
            .args(args)
            .status()
    } else {
        Command::new(&exe).args(args).status()
    }
    .unwrap();
    assert!(status.success(), "{program} {args:?} failed");
}

impl TempCluster {
    /// Creates and starts a cluster with trust authentication for `postgres`.
    pub fn start() -> Self {
        let bindir = Command::new("pg_config").arg("--bindir").output().unwrap();
        let bin = PathBuf::from(String::from_utf8(bindir.stdout).unwrap().trim());
        let dir = std::env::temp_dir().join(format!("usher-pg-{:016x}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        if is_root() {
            let status = Command::new("chown")
                .args(["postgres:postgres"])
                .arg(&dir)
                .status()
                .unwrap();
            assert!(status.success());
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let data = dir.join("data");
        run(
            &bin,
            "initdb",
            &[
                "-D",
                data.to_str().unwrap(),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        let cluster = Self { dir, bin, port };
        cluster.start_again();
        cluster
    }

    /// The connection URL of database `name` on this cluster.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// Stops the server (fast shutdown: open connections are cut).
    pub fn stop(&self) {
        let data = self.dir.join("data");
        run(
            &self.bin,
            "pg_ctl",
            &["-D", data.to_str().unwrap(), "-m", "fast", "-w", "stop"],
        );
    }

    /// Starts the server again on the same port and data.
    pub fn start_again(&self) {
        let data = self.dir.join("data");
        let log = self.dir.join("server.log");
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.display()
        );
        run(
            &self.bin,
            "pg_ctl",
            &[
                "-D",
                data.to_str().unwrap(),
                "-l",
                log.to_str().unwrap(),
                "-o",
                &options,
                "-w",
                "start",
            ],
        );
    }
}

impl Drop for TempCluster {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        let exe = self.bin.join("pg_ctl");
        let args = [
            "-D",
            data.to_str().unwrap_or(""),
            "-m",
            "immediate",
            "-w",
            "stop",
        ];
        let _ = if is_root() {
            Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(&exe)
                .args(args)
                .status()
        } else {
            Command::new(&exe).args(args).status()
        };
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
