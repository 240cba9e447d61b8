//! `hippo user create|deactivate|reactivate|list|reset-password|mfa-reset|api-key|sessions|revoke-sessions`:
//! account administration from the shell, through the same use cases as
//! the API (audited with `via: cli`).

use crate::settings::Config;
use anyhow::{Context, Result, bail};
use clap::Subcommand;
use hippo_service::Principal;
use hippo_service::users::{NewApiKey, NewUser};
use std::io::Read;
use zeroize::Zeroizing;

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account and print its id.
    Create {
        /// The sign-in name: 3 to 64 lowercase letters, digits, `.`, `_` or
        /// `-`, starting with a letter or digit; unique.
        #[arg(long)]
        username: String,
        /// admin, clinician, staff, auditor or service.
        #[arg(long)]
        role: String,
        /// The name colleagues see (default: the username).
        #[arg(long)]
        display_name: Option<String>,
        /// Read the password from standard input (first line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// End an account's access now: every session ends; history stays.
    Deactivate {
        /// The user (id or username).
        user: String,
    },
    /// Restore a deactivated account.
    Reactivate {
        /// The user (id or username).
        user: String,
    },
    /// List accounts (a table, or with --json a JSON array for scripts).
    List {
        /// A JSON array instead of the table.
        #[arg(long)]
        json: bool,
    },
    /// Set a temporary password (printed) that must be changed at next sign-in.
    ResetPassword {
        /// The user (id or username).
        user: String,
    },
    /// Remove the user's authenticator and recovery codes (a lost phone):
    /// every session ends; the next sign-in enrols MFA again.
    MfaReset {
        /// The user (id or username).
        user: String,
    },
    /// API keys of a service account.
    #[command(subcommand)]
    ApiKey(ApiKeyCommand),
    /// List a user's live sign-in sessions (API keys: `api-key list`).
    Sessions {
        /// The user (id or username).
        user: String,
        /// A JSON array instead of the table.
        #[arg(long)]
        json: bool,
    },
    /// End every sign-in session of a user (the account stays active; API
    /// keys keep working), or with --all of every user: the
    /// organisation-wide sign-out. A running server closes the sockets
    /// within seconds.
    RevokeSessions {
        /// The user (id or username).
        #[arg(required_unless_present = "all")]
        user: Option<String>,
        /// Every user's sign-in sessions.
        #[arg(long, conflicts_with = "user")]
        all: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Create a key for a service account and print it (shown this once;
    /// hippo keeps only its hash). Its id goes to standard error.
    Create {
        /// The service account (id or username).
        user: String,
        /// A label for administrators.
        #[arg(long)]
        name: String,
        /// How long it works, such as 90d (default) or 365d (at most 366d).
        #[arg(long)]
        expires_in: Option<String>,
        /// An address or CIDR network uses may come from (repeatable).
        #[arg(long = "allowed-ip")]
        allowed_ips: Vec<String>,
        /// SHA-256 of the client certificate every use must present.
        #[arg(long)]
        client_cert_sha256: Option<String>,
    },
    /// Revoke a key now (its sockets close within seconds).
    Revoke {
        /// The key's id (from `api-key list`; not the key itself).
        id: String,
    },
    /// List a service account's keys (never the keys themselves).
    List {
        /// The service account (id or username).
        user: String,
        /// A JSON array instead of the table.
        #[arg(long)]
        json: bool,
    },
}

fn read_password() -> Result<Zeroizing<String>> {
    let mut input = Zeroizing::new(String::new());
    std::io::stdin()
        .take(64 * 1024)
        .read_to_string(&mut input)
        .context("cannot read the password from standard input")?;
    let line = input.lines().next().unwrap_or_default();
    if line.is_empty() {
        bail!("no password on standard input");
    }
    Ok(Zeroizing::new(line.to_owned()))
}

pub async fn run(config: Config, cmd: UserCommand) -> Result<()> {
    let password = match &cmd {
        UserCommand::Create { .. } => Some(read_password()?),
        _ => None,
    };
    let app = if matches!(cmd, UserCommand::Create { .. }) {
        // The first administrator may be created before the first start.
        let dir = crate::app::absolute(&config.data_dir);
        let fresh = !dir.exists();
        let app = crate::app::open(&config).await?;
        if fresh {
            eprintln!("created a new hippo data dir at {}", dir.display());
        }
        app
    } else {
        crate::app::open_existing(&config).await?
    };
    let hippo = &app.hippo;
    let result: Result<()> = match cmd {
        UserCommand::Create {
            username,
            role,
            display_name,
            ..
        } => {
            let user = hippo
                .users()
                .create(
                    Principal::Operator,
                    NewUser {
                        username,
                        display_name,
                        role,
                        password: password.unwrap_or_default(),
                    },
                )
                .await?;
            println!("{}", user.id);
            Ok(())
        }
        UserCommand::Deactivate { user } => {
            let u = hippo.users().deactivate(Principal::Operator, &user).await?;
            eprintln!("deactivated {} ({}); every session ended", u.username, u.id);
            Ok(())
        }
        UserCommand::Reactivate { user } => {
            let u = hippo.users().reactivate(Principal::Operator, &user).await?;
            eprintln!("reactivated {} ({})", u.username, u.id);
            Ok(())
        }
        UserCommand::List { json: true } => {
            let users = hippo.users().list(Principal::Operator).await?;
            let rows: Vec<serde_json::Value> = users
                .iter()
                .map(|u| {
                    serde_json::json!({
                        "id": u.id.as_str(),
                        "username": u.username,
                        "display_name": u.display_name,
                        "role": u.role.as_str(),
                        "status": u.status.as_str(),
                        "mfa_enabled": u.mfa_enabled,
                        "created_at": u.created_at.to_rfc3339(),
                    })
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&rows)?);
            Ok(())
        }
        UserCommand::List { json: false } => {
            println!(
                "{:<36}  {:<24}  {:<9}  {:<11}  mfa",
                "id", "username", "role", "status"
            );
            for u in hippo.users().list(Principal::Operator).await? {
                println!(
                    "{:<36}  {:<24}  {:<9}  {:<11}  {}",
                    u.id,
                    u.username,
                    u.role.as_str(),
                    u.status.as_str(),
                    if u.mfa_enabled { "yes" } else { "no" }
                );
            }
            Ok(())
        }
        UserCommand::ResetPassword { user } => {
            let temporary = hippo
                .users()
                .reset_password(Principal::Operator, &user)
                .await?;
            println!("{}", temporary.as_str());
            Ok(())
        }
        UserCommand::MfaReset { user } => {
            let u = hippo.users().reset_mfa(Principal::Operator, &user).await?;
            eprintln!(
                "MFA reset for {} ({}); every session ended; the next sign-in enrols again",
                u.username, u.id
            );
            Ok(())
        }
        UserCommand::ApiKey(cmd) => api_key(hippo, cmd).await,
        UserCommand::Sessions { user, json } => sessions(hippo, &user, json).await,
        UserCommand::RevokeSessions { user, all } => revoke_sessions(hippo, user, all).await,
    };
    app.store.close().await;
    result
}

async fn api_key(hippo: &hippo_service::Hippo, cmd: ApiKeyCommand) -> Result<()> {
    match cmd {
        ApiKeyCommand::Create {
            user,
            name,
            expires_in,
            allowed_ips,
            client_cert_sha256,
        } => {
            let created = hippo
                .users()
                .create_api_key(
                    Principal::Operator,
                    &user,
                    NewApiKey {
                        name,
                        expires_in,
                        allowed_ips,
                        client_cert_sha256,
                    },
                )
                .await?;
            eprintln!(
                "API key {} created; expires {}; store it now, it is not shown again",
                created.view.id,
                created.view.expires_at.to_rfc3339()
            );
            println!("{}", created.key.as_str());
        }
        ApiKeyCommand::Revoke { id } => {
            let k = hippo
                .users()
                .revoke_api_key(Principal::Operator, &id)
                .await?;
            eprintln!("API key {} ({}) revoked", k.id, k.name);
        }
        ApiKeyCommand::List { user, json: true } => {
            let rows: Vec<serde_json::Value> = hippo
                .users()
                .list_api_keys(Principal::Operator, &user)
                .await?
                .iter()
                .map(|k| {
                    serde_json::json!({
                        "id": k.id.as_str(),
                        "name": k.name,
                        "state": k.state,
                        "created_at": k.created_at.to_rfc3339(),
                        "expires_at": k.expires_at.to_rfc3339(),
                        "last_used_at": k.last_used_at.map(|t| t.to_rfc3339()),
                        "allowed_ips": k.allowed_ips,
                    })
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&rows)?);
        }
        ApiKeyCommand::List { user, json: false } => {
            println!(
                "{:<36}  {:<8}  {:<20}  {:<20}  name",
                "id", "state", "expires", "last used"
            );
            for k in hippo
                .users()
                .list_api_keys(Principal::Operator, &user)
                .await?
            {
                println!(
                    "{:<36}  {:<8}  {:<20}  {:<20}  {}",
                    k.id,
                    k.state,
                    k.expires_at.to_rfc3339(),
                    k.last_used_at
                        .map_or_else(|| "never".to_owned(), |t| t.to_rfc3339()),
                    k.name
                );
            }
        }
    }
    Ok(())
}

async fn sessions(hippo: &hippo_service::Hippo, user: &str, json: bool) -> Result<()> {
    if json {
        let rows: Vec<serde_json::Value> = hippo
            .users()
            .list_user_sessions(Principal::Operator, user)
            .await?
            .iter()
            .map(|s| {
                serde_json::json!({
                    "id": s.id.as_str(),
                    "created_at": s.created_at.to_rfc3339(),
                    "last_seen_at": s.last_seen_at.to_rfc3339(),
                    "expires_at": s.expires_at.to_rfc3339(),
                    "ip": s.ip,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    println!(
        "{:<36}  {:<24}  {:<24}  {:<24}  ip",
        "id", "created", "last seen", "expires"
    );
    for s in hippo
        .users()
        .list_user_sessions(Principal::Operator, user)
        .await?
    {
        println!(
            "{:<36}  {:<24}  {:<24}  {:<24}  {}",
            s.id,
            s.created_at.to_rfc3339(),
            s.last_seen_at.to_rfc3339(),
            s.expires_at.to_rfc3339(),
            s.ip.as_deref().unwrap_or("-")
        );
    }
    Ok(())
}

async fn revoke_sessions(
    hippo: &hippo_service::Hippo,
    user: Option<String>,
    all: bool,
) -> Result<()> {
    match (user, all) {
        (Some(user), false) => {
            let ended = hippo
                .users()
                .revoke_user_sessions(Principal::Operator, &user)
                .await?;
            eprintln!(
                "ended {ended} sign-in session(s) of {user}; API keys are unaffected; \
                 a running server closes their sockets within seconds"
            );
        }
        (None, true) => {
            let ended = hippo
                .users()
                .revoke_all_sessions(Principal::Operator)
                .await?;
            eprintln!(
                "ended {ended} sign-in session(s) of every user; API keys are unaffected; \
                 a running server closes their sockets within seconds"
            );
        }
        _ => bail!("name a user or give --all, not both"),
    }
    Ok(())
}
