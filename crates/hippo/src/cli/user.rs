//! `hippo user create|deactivate|reactivate|list|reset-password|mfa-reset`: account
//! administration from the shell, through the same use cases as the API
//! (audited with `via: cli`).

use crate::settings::Config;
use anyhow::{Context, Result, bail};
use clap::Subcommand;
use hippo_service::Principal;
use hippo_service::users::NewUser;
use std::io::Read;
use zeroize::Zeroizing;

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account and print its id.
    Create {
        #[arg(long)]
        username: String,
        /// admin, clinician, staff, auditor or service.
        #[arg(long)]
        role: String,
        #[arg(long)]
        display_name: Option<String>,
        /// Read the password from standard input (first line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// End an account's access now: every session ends; history stays.
    Deactivate { user: String },
    /// Restore a deactivated account.
    Reactivate { user: String },
    /// List accounts.
    List,
    /// Set a temporary password (printed) that must be changed at next sign-in.
    ResetPassword { user: String },
    /// Remove the user's authenticator and recovery codes (a lost phone):
    /// every session ends; the next sign-in enrols MFA again.
    MfaReset { user: String },
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
    let app = crate::app::open(&config).await?;
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
        UserCommand::List => {
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
    };
    app.store.close().await;
    result
}
