//! The command tree of contract.md: `serve`, `user …`, `audit …`, `backup …`, `retention run`, `keys rotate` and
//! `settings example|check`. Errors end the process with one clear line and a non-zero
//! exit code.

pub mod audit;
pub mod backup;
pub mod keys;
pub mod retention;
pub mod serve;
pub mod user;

use crate::settings::SettingArgs;
use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// hippo: secure messaging for healthcare.
#[derive(Debug, Parser)]
#[command(name = "hippo", version, about, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub settings: SettingArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server until SIGTERM/SIGINT, then drain and exit 0.
    Serve,
    /// Manage accounts from the shell (works with the server running or not).
    #[command(subcommand)]
    User(user::UserCommand),
    /// Examine the audit trail: verify, export, checkpoint.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Backups: create (online), verify, restore.
    #[command(subcommand)]
    Backup(backup::BackupCommand),
    /// Apply retention policies now (serve also does it every hour).
    #[command(subcommand)]
    Retention(retention::RetentionCommand),
    /// Master key rotation.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Settings helpers.
    #[command(subcommand)]
    Settings(SettingsCommand),
}

#[derive(Debug, Subcommand)]
pub enum SettingsCommand {
    /// Print the documented example settings file (docs/hippo.example.toml).
    Example,
    /// Check the settings and print them (secrets redacted).
    Check,
}

/// Logging to stderr. `HIPPO_LOG` sets the filter (default `info`),
/// `HIPPO_LOG_FORMAT=json` selects JSON lines. Nothing identifying is
/// logged: see docs/LOGGING.md.
pub fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("HIPPO_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let result = if std::env::var("HIPPO_LOG_FORMAT").is_ok_and(|v| v == "json") {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    let _ = result;
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Settings(SettingsCommand::Example) = cli.command {
        print!("{}", crate::settings::example_toml());
        return ExitCode::SUCCESS;
    }
    let config = match cli.settings.resolve() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("hippo: {e}");
            return ExitCode::from(2);
        }
    };
    init_logging();
    for var in crate::settings::unknown_env_vars() {
        tracing::warn!(variable = %var, "unknown HIPPO_* environment variable ignored (typo?)");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("hippo: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve => serve::run(config).await.map(|()| ExitCode::SUCCESS),
            Command::User(cmd) => user::run(config, cmd).await.map(|()| ExitCode::SUCCESS),
            Command::Audit(cmd) => audit::run(config, cmd).await,
            Command::Backup(cmd) => backup::run(config, cmd).await.map(|()| ExitCode::SUCCESS),
            Command::Retention(cmd) => retention::run(config, cmd)
                .await
                .map(|()| ExitCode::SUCCESS),
            Command::Keys(cmd) => keys::run(config, cmd).await.map(|()| ExitCode::SUCCESS),
            Command::Settings(SettingsCommand::Check) => {
                println!("{config:#?}");
                Ok(ExitCode::SUCCESS)
            }
            Command::Settings(SettingsCommand::Example) => Ok(ExitCode::SUCCESS),
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            // One line: the chain of causes, outermost first.
            let chain: Vec<String> = e.chain().map(ToString::to_string).collect();
            eprintln!("hippo: {}", chain.join(": "));
            ExitCode::FAILURE
        }
    }
}
