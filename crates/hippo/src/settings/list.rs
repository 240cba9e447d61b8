//! Every setting, declared once. The key `foo_bar` is the TOML key, the
//! flag `--foo-bar` and the environment variable `HIPPO_FOO_BAR`; the doc
//! comment is the `--help` text and the example file's comment. A new
//! setting is one entry here (plus, when it needs more than its own value,
//! a line in `config.rs`).

use super::declare::Fallback::{Derived, Unset, Value};
use super::declare::{Group, Kind, SettingDoc, optional, required, settings};
use super::parse::{self, ClusterBus};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use zeroize::Zeroizing;

settings! {
    /// Directory for the SQLite database, generated TLS certificate and
    /// master key (created on first start, mode 0700).
    data_dir: PathBuf {
        group: Storage, kind: Plain, value_name: "DIR",
        default: Value("./hippo-data"), parse: required(parse::path),
    }
    /// Empty: SQLite file inside data_dir.
    /// `postgres://user@host/db?sslmode=verify-full` selects PostgreSQL.
    database_url: Option<Zeroizing<String>> {
        group: Storage, kind: Secret, value_name: "URL",
        default: Unset, parse: optional(parse::database_url),
    }
    /// PostgreSQL: connections each node keeps (plus two for cluster events).
    database_max_connections: u32 {
        group: Storage, kind: Plain, value_name: "N",
        default: Value("16"), parse: required(parse::number::<2>),
    }
    /// Master key file (mode 0600). Created on first start; keep it apart
    /// from the data and backups in production.
    master_key_file: Option<PathBuf> {
        group: Storage, kind: Plain, value_name: "FILE",
        default: Derived("<data_dir>/master.key"), parse: optional(parse::path),
    }
    /// Ed25519 key (mode 0600) that signs audit checkpoints. Created on
    /// first start; keep it apart from the database.
    audit_signing_key_file: Option<PathBuf> {
        group: Storage, kind: Plain, value_name: "FILE",
        default: Derived("<data_dir>/audit-signing.key"), parse: optional(parse::path),
    }

    /// Address and port to serve on.
    listen: SocketAddr {
        group: Server, kind: Plain, value_name: "ADDR",
        default: Value("127.0.0.1:8443"), parse: required(parse::addr),
    }
    /// PEM certificate chain. Empty (with tls_key empty): a self-signed
    /// localhost certificate is generated into data_dir/tls and its SHA-256
    /// fingerprint printed.
    tls_cert: Option<PathBuf> {
        group: Server, kind: Plain, value_name: "PEM",
        default: Unset, parse: optional(parse::path),
    }
    /// PEM private key for tls_cert.
    tls_key: Option<PathBuf> {
        group: Server, kind: Plain, value_name: "PEM",
        default: Unset, parse: optional(parse::path),
    }
    /// PEM CA bundle. When set, every client must present a certificate
    /// signed by it (mutual TLS).
    tls_client_ca: Option<PathBuf> {
        group: Server, kind: Plain, value_name: "PEM",
        default: Unset, parse: optional(parse::path),
    }
    /// Serve plain HTTP, only behind a TLS-terminating proxy. Warned about
    /// at start.
    insecure_http: bool {
        group: Server, kind: Switch, value_name: "BOOL",
        default: Value("false"), parse: required(parse::boolean),
    }
    /// Reverse proxies (CIDR, comma-separated, such as 10.0.0.5/32) whose
    /// forwarded_header names the client: a request from one of them is
    /// recorded with the address the proxy saw (the right-most untrusted
    /// entry). Empty: the peer's own address, and the header is ignored.
    trusted_proxies: Option<Vec<hippo_service::net::IpNet>> {
        group: Server, kind: Plain, value_name: "CIDRS",
        default: Unset, parse: optional(parse::network_list),
    }
    /// The header the trusted proxies name the client in: x-forwarded-for
    /// or forwarded (RFC 7239). Only this one is read: set the one your
    /// proxy overwrites.
    forwarded_header: hippo_service::net::ForwardedHeader {
        group: Server, kind: Plain, value_name: "HEADER",
        default: Value("x-forwarded-for"), parse: required(parse::forwarded_header),
    }
    /// API requests a second one client address (IPv6: its /64) may send
    /// without a credential (sign-in, say) or with one that is refused,
    /// with ten seconds' worth saved up; more get 429. Requests with a
    /// credential are always served. 0 turns the limit off.
    unauthenticated_rate: u32 {
        group: Server, kind: Plain, value_name: "N",
        default: Value("20"), parse: required(parse::number::<0>),
    }
    /// A client must finish the TLS handshake within this.
    handshake_timeout: Duration {
        group: Server, kind: Plain, value_name: "DURATION",
        default: Value("10s"), parse: required(parse::duration),
    }
    /// A request head must arrive within this once the connection waits
    /// for one: after the handshake and after each response, so it also
    /// ends idle HTTP/1.1 keep-alive connections.
    header_timeout: Duration {
        group: Server, kind: Plain, value_name: "DURATION",
        default: Value("10s"), parse: required(parse::duration),
    }
    /// A connection (HTTP/2 included) that moves no byte either way for
    /// this long is closed.
    idle_timeout: Duration {
        group: Server, kind: Plain, value_name: "DURATION",
        default: Value("60s"), parse: required(parse::duration),
    }
    /// A request body may take this long before it must keep up with
    /// min_body_rate.
    body_timeout: Duration {
        group: Server, kind: Plain, value_name: "DURATION",
        default: Value("10s"), parse: required(parse::duration),
    }
    /// After body_timeout, a request body must have arrived at this many
    /// bytes per second on average, or reading it fails.
    min_body_rate: u32 {
        group: Server, kind: Plain, value_name: "BYTES",
        default: Value("1024"), parse: required(parse::number::<1>),
    }
    /// Open connections one address may hold (trusted proxies exempt).
    /// Raise it when many clients share one address (a hospital's NAT).
    max_connections_per_address: u32 {
        group: Server, kind: Plain, value_name: "N",
        default: Value("256"), parse: required(parse::number::<1>),
    }

    /// How cluster events travel between nodes: postgres (LISTEN/NOTIFY on
    /// the database) or nats://HOST:PORT. Needs PostgreSQL (refused with
    /// SQLite, which runs as one node).
    cluster_bus: Option<ClusterBus> {
        group: Cluster, kind: Plain, value_name: "BUS",
        default: Derived("postgres"), parse: optional(parse::cluster_bus),
    }

    /// A session not used for this long ends (automatic logoff).
    session_idle_timeout: Duration {
        group: Policy, kind: Plain, value_name: "DURATION",
        default: Value("15m"), parse: required(parse::duration),
    }
    /// A session ends this long after sign-in, however active.
    session_max_lifetime: Duration {
        group: Policy, kind: Plain, value_name: "DURATION",
        default: Value("12h"), parse: required(parse::duration),
    }
    /// Failed sign-ins in a row before the account is locked.
    login_max_failures: u32 {
        group: Policy, kind: Plain, value_name: "N",
        default: Value("5"), parse: required(parse::number::<1>),
    }
    /// How long a locked account stays locked.
    login_lockout: Duration {
        group: Policy, kind: Plain, value_name: "DURATION",
        default: Value("15m"), parse: required(parse::duration),
    }
    /// Require TOTP for every account. Off: passwords must be at least 15
    /// characters.
    require_mfa: bool {
        group: Policy, kind: Switch, value_name: "BOOL",
        default: Value("true"), parse: required(parse::boolean),
    }
    /// The organisation's name (a hospital's, say). New passwords may not
    /// contain it, as they may not contain hippo or the username.
    organisation_name: Option<String> {
        group: Policy, kind: Plain, value_name: "NAME",
        default: Unset, parse: optional(parse::text),
    }
    /// How long emergency (break-glass) access to a conversation lasts.
    break_glass_duration: Duration {
        group: Policy, kind: Plain, value_name: "DURATION",
        default: Value("1h"), parse: required(parse::duration),
    }
    /// Largest accepted file upload; larger uploads get 413
    /// payload_too_large.
    max_upload: u64 {
        group: Policy, kind: Plain, value_name: "SIZE",
        default: Value("100MiB"), parse: required(parse::size),
    }
    /// Default message retention such as 7y (conversations may set their
    /// own); empty keeps messages until erased. Audit records are never
    /// purged.
    retention: Option<Duration> {
        group: Policy, kind: Plain, value_name: "DURATION",
        default: Unset, parse: optional(parse::retention),
    }
    /// Deactivate active accounts with no successful action for this long
    /// (counted from creation if never used), such as 90d, checked every
    /// hour; each is recorded (`user.deactivate`, `reason: dormant`). The
    /// last active administrator is kept. Empty: never (the compliance
    /// report still lists dormant accounts).
    deactivate_after: Option<Duration> {
        group: Policy, kind: Plain, value_name: "DURATION",
        default: Unset, parse: optional(parse::deactivate_after),
    }

    /// Forward security alerts to a SIEM as RFC 5424 syslog: tcp://host:port
    /// or tls://host:port. Empty: alerts are only stored and logged.
    syslog_target: Option<crate::syslog::Target> {
        group: Alerts, kind: Plain, value_name: "URL",
        default: Unset, parse: optional(parse::syslog_target),
    }
    /// The activity review reads the audit trail in windows this long and
    /// raises an alert for each account that, within one, reaches one of
    /// the activity_* thresholds below. 0: no review.
    activity_review_window: Duration {
        group: Alerts, kind: Plain, value_name: "DURATION",
        default: Value("1h"), parse: required(parse::activity_window),
    }
    /// Alert (`bulk_read`) when one account reads this many messages,
    /// files, conversations or patient records in one window; 0: never.
    activity_bulk_reads: u32 {
        group: Alerts, kind: Plain, value_name: "N",
        default: Value("500"), parse: required(parse::number::<0>),
    }
    /// Alert (`many_patients`) when one account's records concern this many
    /// different patients in one window; 0: never.
    activity_many_patients: u32 {
        group: Alerts, kind: Plain, value_name: "N",
        default: Value("50"), parse: required(parse::number::<0>),
    }
    /// Alert (`repeated_denials`) when one account is denied this many
    /// times in one window; 0: never.
    activity_denied: u32 {
        group: Alerts, kind: Plain, value_name: "N",
        default: Value("20"), parse: required(parse::number::<0>),
    }
    /// Alert (`break_glass_repeated`) when one account opens break-glass
    /// this many times in one window; 0: never.
    activity_break_glass: u32 {
        group: Alerts, kind: Plain, value_name: "N",
        default: Value("3"), parse: required(parse::number::<0>),
    }
    /// Alert (`after_hours`) when one account reads this many records in
    /// one window at hours (UTC) it does not usually work, learned from its
    /// last 28 days (an account with under 5 days of history is not
    /// judged); 0: never.
    activity_after_hours: u32 {
        group: Alerts, kind: Plain, value_name: "N",
        default: Value("5"), parse: required(parse::number::<0>),
    }
    /// Alert (`flagged_patient_access`) when one account reads a patient
    /// flagged vip or workforce_member this many times in one window from
    /// outside her care team (break-glass included); 0: never.
    activity_flagged_patients: u32 {
        group: Alerts, kind: Plain, value_name: "N",
        default: Value("1"), parse: required(parse::number::<0>),
    }
    /// PEM CA certificate(s) that signed the syslog collector's certificate
    /// (required for tls://).
    syslog_ca_file: Option<PathBuf> {
        group: Alerts, kind: Plain, value_name: "PEM",
        default: Unset, parse: optional(parse::path),
    }
    /// PEM certificate hippo presents to a tls:// collector that asks for
    /// one (with syslog_client_key).
    syslog_client_cert: Option<PathBuf> {
        group: Alerts, kind: Plain, value_name: "PEM",
        default: Unset, parse: optional(parse::path),
    }
    /// PEM private key of syslog_client_cert (mode 0600).
    syslog_client_key: Option<PathBuf> {
        group: Alerts, kind: Plain, value_name: "PEM",
        default: Unset, parse: optional(parse::path),
    }
    /// Forward every audit record to syslog_target too (`audit_record`
    /// messages, from where the last forwarding stopped, so a restart or an
    /// unreachable collector loses none), not only alerts and tree heads.
    syslog_forward_trail: bool {
        group: Alerts, kind: Switch, value_name: "BOOL",
        default: Value("true"), parse: required(parse::boolean),
    }
    /// Append every audit tree head this node signs to FILE (one JSON line
    /// each, synced): a witness out of the database's reach, for `hippo
    /// audit verify --witness FILE`. Put it on another volume or host.
    audit_witness_file: Option<PathBuf> {
        group: Alerts, kind: Plain, value_name: "FILE",
        default: Unset, parse: optional(parse::path),
    }

    /// Directory for scheduled backups from serve (each also writes its key
    /// file NAME.keys); empty disables them. Keep it on another volume.
    backup_dir: Option<PathBuf> {
        group: Backups, kind: Plain, value_name: "DIR",
        default: Unset, parse: optional(parse::path),
    }
    /// Time between scheduled backups.
    backup_interval: Duration {
        group: Backups, kind: Plain, value_name: "DURATION",
        default: Value("24h"), parse: required(parse::duration),
    }
    /// Scheduled backups to keep.
    backup_keep: u32 {
        group: Backups, kind: Plain, value_name: "N",
        default: Value("14"), parse: required(parse::number::<1>),
    }
    /// Time between restore drills from serve: the newest scheduled backup
    /// restored into a scratch copy and verified, as `hippo backup drill`
    /// does, and recorded (`backup.drill`); empty: no drills.
    backup_drill_interval: Option<Duration> {
        group: Backups, kind: Plain, value_name: "DURATION",
        default: Unset, parse: optional(parse::duration),
    }

    /// WhatsApp Cloud API host (Meta's Graph API).
    whatsapp_api_base: String {
        group: Whatsapp, kind: Plain, value_name: "URL",
        default: Value("https://graph.facebook.com"), parse: required(parse::api_base),
    }
    /// Graph API version used for every call.
    whatsapp_api_version: String {
        group: Whatsapp, kind: Plain, value_name: "VERSION",
        default: Value("v25.0"), parse: required(parse::api_version),
    }
    /// The business phone number's id. The WhatsApp channel is on when
    /// this, the business account id, access token, app secret and verify
    /// token are all set; otherwise its endpoints answer 503
    /// channel_not_configured.
    whatsapp_phone_number_id: Option<String> {
        group: Whatsapp, kind: Plain, value_name: "ID",
        default: Unset, parse: optional(parse::text),
    }
    /// The WhatsApp Business Account (WABA) id, for templates.
    whatsapp_business_account_id: Option<String> {
        group: Whatsapp, kind: Plain, value_name: "ID",
        default: Unset, parse: optional(parse::text),
    }
    /// System user access token.
    whatsapp_access_token: Option<Zeroizing<String>> {
        group: Whatsapp, kind: Secret, value_name: "TOKEN",
        default: Unset, parse: optional(parse::secret),
    }
    /// App secret that signs webhooks (X-Hub-Signature-256).
    whatsapp_app_secret: Option<Zeroizing<String>> {
        group: Whatsapp, kind: Secret, value_name: "SECRET",
        default: Unset, parse: optional(parse::secret),
    }
    /// Token Meta echoes in the webhook verification handshake.
    whatsapp_verify_token: Option<Zeroizing<String>> {
        group: Whatsapp, kind: Secret, value_name: "TOKEN",
        default: Unset, parse: optional(parse::secret),
    }
    /// notify_only: only templates marked PHI-free may be sent, no free
    /// text. patient_requested: free text too, for patients with a recorded
    /// request after the risk warning.
    whatsapp_phi_mode: hippo_core::PhiMode {
        group: Whatsapp, kind: Plain, value_name: "MODE",
        default: Value("notify_only"), parse: required(parse::phi_mode),
    }
    /// Messages per second sent to the Cloud API (one sender per cluster,
    /// token bucket).
    whatsapp_rate: u32 {
        group: Whatsapp, kind: Plain, value_name: "N",
        default: Value("80"), parse: required(parse::number::<1>),
    }
    /// A send that was in flight when its process stopped is sent again
    /// only after this long without a webhook proving Meta accepted it.
    whatsapp_in_doubt_after: Duration {
        group: Whatsapp, kind: Plain, value_name: "DURATION",
        default: Value("5m"), parse: required(parse::duration),
    }

    /// STUN and TURN servers for calls, comma-separated, such as
    /// turn:turn.example.org:3478?transport=udp,stun:turn.example.org:3478.
    /// Empty: clients get no ICE servers (calls work only where the parties
    /// reach each other directly).
    turn_urls: Option<Vec<String>> {
        group: Calls, kind: Plain, value_name: "URLS",
        default: Unset, parse: optional(parse::url_list),
    }
    /// File holding coturn's static-auth-secret (use-auth-secret): TURN
    /// credentials are derived from it and expire after at most 10 minutes.
    turn_secret_file: Option<PathBuf> {
        group: Calls, kind: Plain, value_name: "FILE",
        default: Unset, parse: optional(parse::path),
    }
    /// UDP address of hippo's media server (SFU) for group calls, such as
    /// 0.0.0.0:8446. Empty: no SFU, and calls of three or more answer 503.
    media_listen: Option<SocketAddr> {
        group: Calls, kind: Plain, value_name: "ADDR",
        default: Unset, parse: optional(parse::addr),
    }
    /// The address clients send media to (the SFU's host candidate), when
    /// media_listen is a wildcard or behind NAT, such as 203.0.113.7:8446.
    media_public_addr: Option<SocketAddr> {
        group: Calls, kind: Plain, value_name: "ADDR",
        default: Unset, parse: optional(parse::addr),
    }
    /// Every call relay only (through TURN), so no party ever sees another's
    /// network address. Off: the caller may still ask for it per call.
    calls_relay_only: bool {
        group: Calls, kind: Switch, value_name: "BOOL",
        default: Value("false"), parse: required(parse::boolean),
    }

    /// Origins whose web pages may call the API (CORS), comma-separated,
    /// such as https://ehr.example.org. Such pages sign in with a bearer
    /// token or API key (never the cookie). Empty: same origin only.
    cors_origins: Option<Vec<String>> {
        group: Integrations, kind: Plain, value_name: "ORIGINS",
        default: Unset, parse: optional(parse::origin_list),
    }
    /// Networks outgoing webhooks may be delivered to although they are
    /// not public (CIDR, comma-separated, such as 10.20.0.0/16). A loopback
    /// network here also allows plain http to it, for development.
    webhook_allowed_networks: Option<Vec<hippo_service::net::IpNet>> {
        group: Integrations, kind: Plain, value_name: "CIDRS",
        default: Unset, parse: optional(parse::network_list),
    }
    /// How long one webhook delivery attempt may take before it counts as
    /// failed and is retried.
    webhook_timeout: Duration {
        group: Integrations, kind: Plain, value_name: "DURATION",
        default: Value("10s"), parse: required(parse::duration),
    }

    /// What is logged to stderr: a level (error, warn, info, debug) or
    /// tracing directives such as info,hippo::access=off. Nothing
    /// identifying is logged at any level (docs/LOGGING.md).
    log: String {
        group: Logs, kind: Plain, value_name: "FILTER",
        default: Value("info"), parse: required(parse::log_filter),
    }
    /// text (one line per event) or json (one JSON object per line, for a
    /// log collector).
    log_format: parse::LogFormat {
        group: Logs, kind: Plain, value_name: "FORMAT",
        default: Value("text"), parse: required(parse::log_format),
    }
    /// A log line per HTTP request: method, route template, status,
    /// latency and request id (never a path with ids, a query, an address
    /// or a body).
    access_log: bool {
        group: Logs, kind: Switch, value_name: "BOOL",
        default: Value("true"), parse: required(parse::boolean),
    }
    /// Serve /metrics on this address (plain HTTP, for Prometheus on an
    /// internal network), such as 127.0.0.1:9464, and no longer on the
    /// API's listener. Empty: /metrics is on the API's listener.
    metrics_listen: Option<SocketAddr> {
        group: Logs, kind: Plain, value_name: "ADDR",
        default: Unset, parse: optional(parse::addr),
    }
}
