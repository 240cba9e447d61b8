//! The real `hippo` binary, run as an operator would next to a server.

use crate::TestServer;
use std::path::PathBuf;

/// The `hippo` binary cargo built for this test run: `CARGO_BIN_EXE_hippo`
/// when cargo sets it at run time, else `hippo` next to the test binary's
/// `deps/` folder (where cargo puts it for hippo's own integration tests).
/// Another crate's tests that run the CLI need it built first
/// (`cargo build -p hippo`).
pub fn hippo_bin() -> PathBuf {
    if let Some(path) = std::env::var_os("CARGO_BIN_EXE_hippo") {
        return path.into();
    }
    let mut dir = std::env::current_exe().expect("test binary path");
    dir.pop();
    if dir.ends_with("deps") {
        dir.pop();
    }
    dir.join(format!("hippo{}", std::env::consts::EXE_SUFFIX))
}

/// The real `hippo` binary, with this process's `HIPPO_*` settings removed
/// and logging quiet.
pub fn hippo_command() -> std::process::Command {
    let mut c = std::process::Command::new(hippo_bin());
    for (k, _) in std::env::vars() {
        if k.starts_with("HIPPO_") {
            c.env_remove(k);
        }
    }
    c.env("HIPPO_LOG", "error");
    c
}

impl TestServer {
    /// The real `hippo` binary on this server's data (and database), as an
    /// operator would run it next to the server.
    pub fn cli(&self) -> std::process::Command {
        let mut c = hippo_command();
        c.arg("--data-dir").arg(&self.config.data_dir);
        if let Some(url) = &self.config.database_url {
            c.env("HIPPO_DATABASE_URL", url);
        }
        c
    }

    /// Runs the real binary with `args` without blocking the runtime (the
    /// server in this process keeps serving meanwhile).
    pub async fn run_cli(&self, args: &[&str]) -> std::process::Output {
        let mut cmd = self.cli();
        cmd.args(args);
        tokio::task::spawn_blocking(move || cmd.output().expect("run hippo"))
            .await
            .expect("cli task")
    }
}
