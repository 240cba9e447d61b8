//! The settings on the command line. Every command, at every level, accepts
//! every setting as a flag (so `hippo --data-dir D user list` and
//! `hippo user list --data-dir D` both work, and every command reads the
//! same settings as `serve`), but a command's `--help` lists only the
//! groups it uses: storage and keys everywhere, the rest where they matter.

use super::declare::{Group, Kind, SettingDoc};
use super::{SETTINGS, SettingArgs};
use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgMatches, Command};
use std::path::PathBuf;

/// The groups a top-level command (`None`: `hippo` itself) lists in its
/// `--help`.
fn shown_groups(top: Option<&str>) -> &'static [Group] {
    match top {
        None | Some("serve" | "settings") => Group::ALL,
        Some("user" | "retention") => &[Group::Storage, Group::Policy],
        Some("backup") => &[Group::Storage, Group::Backups],
        Some(_) => &[Group::Storage],
    }
}

fn config_arg() -> Arg {
    Arg::new("config")
        .long("config")
        .env("HIPPO_CONFIG")
        .value_name("FILE")
        .action(ArgAction::Set)
        .help("TOML settings file (see docs/hippo.example.toml, `hippo settings example`).")
        .help_heading(Group::Storage.title())
}

fn setting_arg(s: &SettingDoc, shown: bool) -> Arg {
    let mut arg = Arg::new(s.key)
        .long(s.key.replace('_', "-"))
        .env(s.env())
        .value_name(s.value_name)
        .action(ArgAction::Set)
        .help(s.help())
        .help_heading(s.group.title())
        .hide(!shown);
    match s.kind {
        Kind::Plain => {}
        Kind::Switch => arg = arg.num_args(0..=1).default_missing_value("true"),
        Kind::Secret => arg = arg.hide_env_values(true),
    }
    arg
}

/// Adds `--config` and every setting to `cmd` and to each of its
/// subcommands, shown in `--help` where the command uses them.
pub fn add_to_command(cmd: Command) -> Command {
    add(cmd, None)
}

fn add(mut cmd: Command, top: Option<&str>) -> Command {
    let shown = shown_groups(top);
    cmd = cmd.arg(config_arg());
    for s in SETTINGS {
        cmd = cmd.arg(setting_arg(s, shown.contains(&s.group)));
    }
    cmd.mut_subcommands(|sub| {
        let top = top.unwrap_or(sub.get_name()).to_owned();
        add(sub, Some(&top))
    })
}

/// The value of `id` given closest to the command; a flag beats the
/// environment. `bool`: it came from the environment.
fn best(chain: &[&ArgMatches], id: &str) -> Option<(String, bool)> {
    let mut best: Option<(String, bool)> = None;
    for m in chain {
        let Ok(Some(v)) = m.try_get_one::<String>(id) else {
            continue;
        };
        let from_env = m.value_source(id) == Some(ValueSource::EnvVariable);
        let better = match &best {
            None => true,
            Some((_, best_from_env)) => *best_from_env || !from_env,
        };
        if better {
            best = Some((v.clone(), from_env));
        }
    }
    best
}

/// The settings given on the command line or in the environment, from the
/// matches of a command built with [`add_to_command`].
pub fn from_matches(matches: &ArgMatches) -> SettingArgs {
    let mut chain = vec![matches];
    let mut last = matches;
    while let Some((_, sub)) = last.subcommand() {
        chain.push(sub);
        last = sub;
    }
    let mut args = SettingArgs {
        config: best(&chain, "config").map(|(v, _)| PathBuf::from(v)),
        ..SettingArgs::default()
    };
    for s in SETTINGS {
        let Some((value, from_env)) = best(&chain, s.key) else {
            continue;
        };
        if let Some(slot) = args.given_mut(s.key) {
            *slot = Some(value);
        }
        if from_env {
            args.from_env.push(s.key);
        }
    }
    args
}
