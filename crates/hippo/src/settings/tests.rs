//! Unit tests: defaults, layering, errors, the generated example file and
//! the command line built from the declarations.

use super::*;
use std::time::Duration;

fn args() -> SettingArgs {
    SettingArgs::default()
}

fn parse(argv: &[&str]) -> SettingArgs {
    let (_, args) = crate::cli::parse_from(argv.iter().copied()).expect("parses");
    args
}

fn help(path: &[&str]) -> String {
    let mut cmd = crate::cli::command();
    cmd.build();
    let mut sub = &mut cmd;
    for name in path {
        sub = sub.find_subcommand_mut(name).expect("subcommand");
    }
    sub.render_long_help().to_string()
}

#[test]
fn defaults_match_the_contract() {
    let c = args().resolve().unwrap();
    assert_eq!(c.data_dir, PathBuf::from("./hippo-data"));
    assert_eq!(c.listen.to_string(), "127.0.0.1:8443");
    assert_eq!(c.session_idle_timeout, Duration::from_secs(900));
    assert_eq!(c.session_max_lifetime, Duration::from_secs(43_200));
    assert_eq!(c.login_max_failures, 5);
    assert_eq!(c.login_lockout, Duration::from_secs(900));
    assert!(c.require_mfa);
    assert!(!c.insecure_http);
    assert_eq!(c.master_key_file, PathBuf::from("./hippo-data/master.key"));
    assert!(c.master_key_file_is_default);
    assert_eq!(
        c.audit_signing_key_file,
        PathBuf::from("./hippo-data/audit-signing.key")
    );
    assert_eq!(c.max_upload, 100 * 1024 * 1024);
    assert_eq!(c.retention, None);
    assert_eq!(c.backup_interval, Duration::from_secs(86_400));
    assert_eq!(c.backup_keep, 14);
    assert_eq!(c.database_max_connections, 16);
    assert_eq!(c.cluster_bus, None, "SQLite: one node, no bus");
    assert!(c.whatsapp.is_none());
    assert!(c.inactive.is_empty());
}

#[test]
fn declarations_are_complete_and_distinct() {
    let mut keys: Vec<&str> = SETTINGS.iter().map(|s| s.key).collect();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), SETTINGS.len(), "a key is declared twice");
    for s in SETTINGS {
        assert!(
            s.text().ends_with('.'),
            "{}: document it in a sentence",
            s.key
        );
        assert!(!s.value_name.is_empty(), "{}", s.key);
    }
}

#[test]
fn flag_beats_file_and_file_beats_default() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hippo.toml");
    std::fs::write(
        &file,
        "listen = \"0.0.0.0:9000\"\nsession_idle_timeout = \"5m\"\nlogin_max_failures = 3\n",
    )
    .unwrap();
    let mut a = args();
    a.config = Some(file.clone());
    a.session_idle_timeout = Some("2m".into());
    let (c, resolved) = a.resolve_with_sources().unwrap();
    assert_eq!(c.listen.to_string(), "0.0.0.0:9000");
    assert_eq!(c.session_idle_timeout, Duration::from_secs(120));
    assert_eq!(c.login_max_failures, 3);
    assert_eq!(resolved.source("listen"), Some(&Source::File(file)));
    assert_eq!(resolved.source("session_idle_timeout"), Some(&Source::Flag));
    assert_eq!(resolved.source("login_lockout"), Some(&Source::Default));
    assert_eq!(resolved.value("login_lockout"), Some("15m"));
}

#[test]
fn an_empty_value_unsets_and_still_beats_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hippo.toml");
    std::fs::write(&file, "retention = \"30d\"\n").unwrap();
    let mut a = args();
    a.config = Some(file);
    assert_eq!(
        a.resolve().unwrap().retention,
        Some(Duration::from_secs(30 * 86_400))
    );
    a.retention = Some(String::new());
    assert_eq!(a.resolve().unwrap().retention, None);
}

#[test]
fn bad_values_name_the_setting() {
    let mut a = args();
    a.session_idle_timeout = Some("soon".into());
    let e = a.resolve().unwrap_err().to_string();
    assert!(
        e.starts_with("invalid setting --session-idle-timeout / HIPPO_SESSION_IDLE_TIMEOUT: "),
        "{e}"
    );
    let mut a = args();
    a.listen = Some("nowhere".into());
    assert_eq!(
        a.resolve().unwrap_err().to_string(),
        "invalid setting --listen / HIPPO_LISTEN: `nowhere` is not an address like 127.0.0.1:8443"
    );
    let mut a = args();
    a.tls_cert = Some("cert.pem".into());
    assert!(a.resolve().unwrap_err().to_string().contains("tls-key"));
    let mut a = args();
    a.database_url = Some("mysql://x".into());
    assert!(
        a.resolve()
            .unwrap_err()
            .to_string()
            .contains("--database-url")
    );
    let mut a = args();
    a.require_mfa = Some("perhaps".into());
    assert!(
        a.resolve()
            .unwrap_err()
            .to_string()
            .contains("--require-mfa")
    );
    let mut a = args();
    a.database_max_connections = Some("1".into());
    assert!(a.resolve().unwrap_err().to_string().contains("at least 2"));
    let mut a = args();
    a.whatsapp_phone_number_id = Some("123".into());
    let e = a.resolve().unwrap_err().to_string();
    assert!(
        e.contains("--whatsapp-business-account-id")
            && e.contains("missing: whatsapp_business_account_id, whatsapp_access_token"),
        "{e}"
    );
}

#[test]
fn cluster_bus_defaults_to_postgres_on_postgres_and_is_refused_on_sqlite() {
    let mut a = args();
    a.database_url = Some("postgres://hippo@db/hippo".into());
    assert_eq!(a.resolve().unwrap().cluster_bus, Some(ClusterBus::Postgres));
    a.cluster_bus = Some("nats://nats.internal:4222".into());
    assert_eq!(
        a.resolve().unwrap().cluster_bus,
        Some(ClusterBus::Nats("nats://nats.internal:4222".into()))
    );
    a.cluster_bus = Some("kafka://x:1".into());
    assert_eq!(
        a.resolve().unwrap_err().to_string(),
        "invalid setting --cluster-bus / HIPPO_CLUSTER_BUS: \
         `kafka://x:1` is not postgres or a nats://HOST:PORT URL"
    );

    let mut a = args();
    a.cluster_bus = Some("nats://nats.internal:4222".into());
    let e = a.resolve().unwrap_err().to_string();
    assert!(
        e.starts_with("invalid setting --cluster-bus / HIPPO_CLUSTER_BUS: ")
            && e.contains("cluster bus needs PostgreSQL"),
        "{e}"
    );
}

#[test]
fn unknown_file_keys_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hippo.toml");
    std::fs::write(&file, "lisen = \"0.0.0.0:9000\"\n").unwrap();
    let mut a = args();
    a.config = Some(file);
    assert!(
        a.resolve()
            .unwrap_err()
            .to_string()
            .contains("unknown key `lisen`")
    );
}

#[test]
fn example_file_is_current() {
    let committed = include_str!("../../../../docs/hippo.example.toml");
    assert_eq!(
        committed,
        example_toml(),
        "run: cargo run -- settings example > docs/hippo.example.toml"
    );
}

#[test]
fn the_example_file_is_a_valid_settings_file_once_uncommented() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hippo.toml");
    // Every `# key = value` line, with the derived and unset ones left out.
    let text: String = example_toml()
        .lines()
        .filter_map(|l| l.strip_prefix("# "))
        .filter(|l| {
            l.split_once(" = ").is_some_and(|(k, v)| {
                SETTINGS
                    .iter()
                    .any(|s| s.key == k && matches!(s.default, Fallback::Value(_)) && !v.is_empty())
            })
        })
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(
        text.lines().count(),
        SETTINGS
            .iter()
            .filter(|s| matches!(s.default, Fallback::Value(_)))
            .count()
    );
    std::fs::write(&file, text).unwrap();
    let mut a = args();
    a.config = Some(file);
    let (c, resolved) = a.resolve_with_sources().unwrap();
    assert_eq!(c.session_idle_timeout, Duration::from_secs(900));
    assert!(matches!(resolved.source("listen"), Some(Source::File(_))));
}

#[test]
fn check_report_shows_sources_and_redacts_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hippo.toml");
    std::fs::write(&file, "login_max_failures = 3\n").unwrap();
    let mut a = args();
    a.config = Some(file.clone());
    a.listen = Some("127.0.0.1:9999".into());
    a.database_url = Some("postgres://hippo:hunter2@db/hippo".into());
    a.from_env.push("database_url");
    let (config, resolved) = a.resolve_with_sources().unwrap();
    let report = check_report(&resolved, &config);
    assert!(!report.contains("hunter2"), "{report}");
    let line = |key: &str| -> String {
        report
            .lines()
            .find(|l| l.starts_with(&format!("{key} ")) || l.starts_with(&format!("# {key} ")))
            .unwrap_or_else(|| panic!("no {key} in {report}"))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(
        line("listen"),
        "listen = \"127.0.0.1:9999\" # flag --listen"
    );
    assert_eq!(
        line("database_url"),
        "database_url = \"<redacted>\" # env HIPPO_DATABASE_URL"
    );
    assert_eq!(
        line("login_max_failures"),
        format!("login_max_failures = 3 # file {}", file.display())
    );
    assert_eq!(line("login_lockout"), "login_lockout = \"15m\" # default");
    assert_eq!(line("cluster_bus"), "cluster_bus = \"postgres\" # default");
    assert_eq!(
        line("master_key_file"),
        "master_key_file = \"./hippo-data/master.key\" # default"
    );
    assert_eq!(line("tls_cert"), "# tls_cert unset # default");
    assert_eq!(report.lines().count(), SETTINGS.len());
    assert!(!format!("{a:?}").contains("hunter2"));
}

#[test]
fn the_command_line_is_consistent() {
    crate::cli::command().debug_assert();
}

#[test]
fn settings_are_accepted_before_and_after_the_subcommand() {
    let a = parse(&["hippo", "--listen", "0.0.0.0:1", "serve"]);
    assert_eq!(a.listen.as_deref(), Some("0.0.0.0:1"));
    let a = parse(&["hippo", "serve", "--listen", "0.0.0.0:2"]);
    assert_eq!(a.listen.as_deref(), Some("0.0.0.0:2"));
    // The flag nearest the command wins.
    let a = parse(&[
        "hippo",
        "--data-dir",
        "a",
        "user",
        "--data-dir",
        "b",
        "list",
    ]);
    assert_eq!(a.data_dir.as_deref(), Some("b"));
    let a = parse(&["hippo", "backup", "restore", "f.backup", "--data-dir", "d"]);
    assert_eq!(a.data_dir.as_deref(), Some("d"));
    // Settings a command does not list are still accepted (every command
    // reads the same settings as serve).
    let a = parse(&["hippo", "user", "list", "--session-idle-timeout", "5m"]);
    assert_eq!(a.session_idle_timeout.as_deref(), Some("5m"));
    let a = parse(&["hippo", "--insecure-http", "--require-mfa=false", "serve"]);
    assert_eq!(a.insecure_http.as_deref(), Some("true"));
    assert_eq!(a.require_mfa.as_deref(), Some("false"));
    assert!(a.from_env.is_empty());
    let e = crate::cli::parse_from(["hippo", "serve", "--lisen", "x"]).unwrap_err();
    assert!(e.to_string().contains("--lisen"), "{e}");
}

#[test]
fn each_command_lists_the_settings_it_uses() {
    let top = help(&[]);
    for s in SETTINGS {
        assert!(top.contains(&s.flag()), "hippo --help lacks {}", s.flag());
    }
    let serve = help(&["serve"]);
    for flag in ["--whatsapp-rate", "--listen", "--cluster-bus", "--data-dir"] {
        assert!(serve.contains(flag), "serve --help lacks {flag}");
    }
    assert!(serve.contains("[env: HIPPO_WHATSAPP_RATE=]"), "{serve}");
    assert!(
        serve.contains("HIPPO_WHATSAPP_ACCESS_TOKEN_FILE"),
        "{serve}"
    );
    let create = help(&["user", "create"]);
    for flag in [
        "--data-dir",
        "--database-url",
        "--master-key-file",
        "--require-mfa",
    ] {
        assert!(create.contains(flag), "user create --help lacks {flag}");
    }
    for flag in [
        "--whatsapp",
        "--listen",
        "--tls-cert",
        "--backup-dir",
        "--cluster-bus",
    ] {
        assert!(!create.contains(flag), "user create --help lists {flag}");
    }
    let verify = help(&["audit", "verify"]);
    assert!(verify.contains("--audit-signing-key-file"));
    assert!(!verify.contains("--session-idle-timeout"));
    assert!(help(&["backup", "create"]).contains("--backup-keep"));
}

#[test]
fn defaults_in_the_operations_guide_match_the_declarations() {
    let guide = include_str!("../../../../docs/OPERATIONS.md");
    let mut checked = 0;
    for row in guide.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = row.split('|').map(|c| c.trim().trim_matches('`')).collect();
        let name = cells[1];
        let key = name
            .strip_prefix("HIPPO_")
            .map_or_else(|| name.to_owned(), str::to_ascii_lowercase);
        let Some(s) = SETTINGS.iter().find(|s| s.key == key) else {
            continue;
        };
        assert_eq!(
            Fallback::Value(cells[2]),
            s.default,
            "docs/OPERATIONS.md: default of {name}"
        );
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} rows checked");
}

/// Every flag and argument of every command says what it is in `--help`.
#[test]
fn every_flag_and_argument_is_described() {
    fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
        for arg in cmd.get_arguments() {
            let id = arg.get_id().as_str();
            if matches!(id, "help" | "version") {
                continue;
            }
            if arg.get_help().is_none() && arg.get_long_help().is_none() {
                missing.push(format!("{path} {id}"));
            }
        }
        for sub in cmd.get_subcommands() {
            walk(sub, &format!("{path} {}", sub.get_name()), missing);
        }
    }
    let mut cmd = crate::cli::command();
    cmd.build();
    let mut missing = Vec::new();
    walk(&cmd, "hippo", &mut missing);
    assert_eq!(missing, Vec::<String>::new(), "arguments without help");
}

/// The log settings come from the file like any other (the environment
/// still beats it), and a filter that does not parse is refused.
#[test]
fn log_settings_are_settings() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hippo.toml");
    std::fs::write(
        &file,
        "log = \"warn,hippo::access=info\"\nlog_format = \"json\"\naccess_log = false\nmetrics_listen = \"127.0.0.1:9464\"\ntrusted_proxies = \"10.0.0.5, 10.1.0.0/16\"\n",
    )
    .unwrap();
    let mut a = args();
    a.config = Some(file.clone());
    let c = a.resolve().unwrap();
    assert_eq!(c.log, "warn,hippo::access=info");
    assert_eq!(c.log_format, LogFormat::Json);
    assert!(!c.access_log);
    assert_eq!(c.metrics_listen.unwrap().to_string(), "127.0.0.1:9464");
    assert_eq!(
        c.trusted_proxies
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["10.0.0.5/32", "10.1.0.0/16"]
    );
    let mut a = args();
    a.config = Some(file);
    a.log = Some("debug".into());
    assert_eq!(a.resolve().unwrap().log, "debug");

    let d = args().resolve().unwrap();
    assert_eq!(
        (d.log.as_str(), d.log_format, d.access_log),
        ("info", LogFormat::Text, true)
    );
    assert_eq!(d.metrics_listen, None);
    for bad in ["hippo=lots", "info,,=="] {
        let mut a = args();
        a.log = Some(bad.into());
        let err = a.resolve().unwrap_err().to_string();
        assert!(err.contains("log"), "{bad}: {err}");
    }
    let mut a = args();
    a.log_format = Some("xml".into());
    assert!(a.resolve().is_err());
}
