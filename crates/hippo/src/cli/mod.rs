//! The command tree of contract.md: `serve`, `user …`, `audit …`, `backup …`, `retention run`, `keys rotate`,
//! `settings example|check`, `completions bash|zsh|fish|…` and `man`. Errors end the process with one clear line and a non-zero
//! exit code.

pub mod audit;
pub mod backup;
pub mod compliance;
pub mod dev;
pub mod keys;
pub mod patient;
pub mod proof;
pub mod retention;
pub mod serve;
pub mod user;

use crate::settings::SettingArgs;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use std::process::ExitCode;

/// hippo: secure messaging for healthcare.
///
/// Every setting is a flag, a HIPPO_* environment variable and a key of the
/// --config file (flag > environment > file > default); each command's
/// --help lists the settings it uses, `hippo --help` lists them all.
#[derive(Debug, Parser)]
#[command(name = "hippo", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The whole command tree: the subcommands with every setting added (see
/// `settings::add_to_command`).
pub fn command() -> clap::Command {
    crate::settings::add_to_command(Cli::command())
}

/// Parses `args` (the program name first): the command and the settings
/// given as flags or environment variables. A bad flag is a clap error.
/// Use this rather than `Cli::parse()`, whose command has no settings.
pub fn parse_from<I, T>(args: I) -> Result<(Cli, SettingArgs), clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let matches = command().try_get_matches_from(args)?;
    let cli = Cli::from_arg_matches(&matches).map_err(|e| e.format(&mut command()))?;
    Ok((cli, crate::settings::from_matches(&matches)))
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
    /// The compliance evidence report (`compliance report --format html`).
    #[command(subcommand)]
    Compliance(compliance::ComplianceCommand),
    /// A patient's copy of her messages (`patient export --id ID`).
    #[command(subcommand)]
    Patient(patient::PatientCommand),
    /// Apply retention policies now (serve also does it every hour).
    #[command(subcommand)]
    Retention(retention::RetentionCommand),
    /// Master key rotation.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Settings helpers.
    #[command(subcommand)]
    Settings(SettingsCommand),
    /// Development tools (`dev fake-whatsapp`: a fake WhatsApp Cloud API).
    #[command(subcommand)]
    Dev(dev::DevCommand),
    /// Print shell completions for every command and setting, e.g.
    /// `hippo completions bash > /etc/bash_completion.d/hippo`.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `hippo man > hippo.1`.
    Man,
}

#[derive(Debug, Subcommand)]
pub enum SettingsCommand {
    /// Print the documented example settings file (docs/hippo.example.toml).
    Example,
    /// Print every resolved setting and where its value came from (flag,
    /// env, file or default), secrets redacted; exit 2 if any is invalid
    /// or names a file that cannot be read.
    Check,
}

/// Logging to stderr (coloured only on a terminal) as the `log` and
/// `log_format` settings say (`HIPPO_LOG`, `HIPPO_LOG_FORMAT` or the
/// config file). Nothing identifying is logged: see docs/LOGGING.md.
pub fn init_logging(config: &crate::settings::Config) {
    use tracing_subscriber::EnvFilter;
    // Checked when the settings were read.
    let filter = EnvFilter::try_new(&config.log).unwrap_or_else(|_| EnvFilter::new("info"));
    // Colour only for a person at a terminal: never escape codes in files
    // or journald.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let result = match config.log_format {
        crate::settings::LogFormat::Json => builder.json().try_init(),
        crate::settings::LogFormat::Text => builder.try_init(),
    };
    // Already set (a test harness): keep that one.
    let _ = result;
}

/// Writes generated text to stdout; a closed pipe or full disk is one line.
fn print_bytes(bytes: &[u8], what: &str) -> ExitCode {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hippo: cannot write {what}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let (cli, settings) = match parse_from(std::env::args_os()) {
        Ok(parsed) => parsed,
        Err(e) => e.exit(),
    };
    match &cli.command {
        Command::Settings(SettingsCommand::Example) => {
            print!("{}", crate::settings::example_toml());
            return ExitCode::SUCCESS;
        }
        Command::Completions { shell } => {
            // Into memory first: the generator panics on a write error
            // (a closed pipe), which must be one line instead.
            let mut out = Vec::new();
            clap_complete::generate(*shell, &mut command(), "hippo", &mut out);
            return print_bytes(&out, "the completions");
        }
        Command::Man => {
            let mut out = Vec::new();
            if let Err(e) = clap_mangen::Man::new(command()).render(&mut out) {
                eprintln!("hippo: cannot render the manual page: {e}");
                return ExitCode::FAILURE;
            }
            return print_bytes(&out, "the manual page");
        }
        _ => {}
    }
    let (config, resolved) = match settings.resolve_with_sources() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("hippo: {e}");
            return ExitCode::from(2);
        }
    };
    if let Command::Settings(SettingsCommand::Check) = cli.command {
        if let Err(e) = config.check_files() {
            eprintln!("hippo: {e}");
            return ExitCode::from(2);
        }
        print!("{}", crate::settings::check_report(&resolved, &config));
        for var in crate::settings::unknown_env_vars() {
            println!("# {var}: unknown environment variable, ignored (typo?)");
        }
        return ExitCode::SUCCESS;
    }
    init_logging(&config);
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
            Command::Compliance(cmd) => compliance::run(config, cmd)
                .await
                .map(|()| ExitCode::SUCCESS),
            Command::Patient(cmd) => patient::run(config, cmd).await.map(|()| ExitCode::SUCCESS),
            Command::Retention(cmd) => retention::run(config, cmd)
                .await
                .map(|()| ExitCode::SUCCESS),
            Command::Keys(cmd) => keys::run(config, cmd).await.map(|()| ExitCode::SUCCESS),
            Command::Settings(_) | Command::Completions { .. } | Command::Man => {
                Ok(ExitCode::SUCCESS)
            }
            Command::Dev(cmd) => dev::run(config, cmd).await.map(|()| ExitCode::SUCCESS),
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
