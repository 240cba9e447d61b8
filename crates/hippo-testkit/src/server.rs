//! [`TestServer`]: start, restart and stop a real hippo, and the
//! [`Builder`] that chooses its settings.

use crate::START;
use crate::pg::{fresh_pg_schema, on_postgres};
use hippo::settings::{Config, SettingArgs};
use hippo_core::{FakeClock, Timestamp};
use hippo_crypto::PasswordHasher;
use hippo_service::Hippo;
use hippo_whatsapp::FakeCloudApi;
use std::sync::Arc;
use std::time::Duration;

/// Settings for a test server in `dir`: loopback port 0, data in
/// `dir/data`, PostgreSQL in a fresh schema when the suite runs there.
pub async fn test_config(dir: &std::path::Path, tweak: impl FnOnce(&mut SettingArgs)) -> Config {
    let mut args = SettingArgs {
        data_dir: Some(dir.join("data").display().to_string()),
        listen: Some("127.0.0.1:0".into()),
        ..SettingArgs::default()
    };
    if on_postgres() {
        args.database_url = Some(fresh_pg_schema().await.1);
    }
    tweak(&mut args);
    args.resolve().expect("test settings")
}

/// A running hippo: its base URL, a client that trusts its generated
/// certificate, its fake clock, its `Hippo` and its settings.
pub struct TestServer {
    pub base: String,
    pub client: reqwest::Client,
    pub clock: FakeClock,
    pub hippo: Arc<Hippo>,
    pub config: Config,
    pub dir: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

type Setting<'a> = Box<dyn FnOnce(&mut SettingArgs) + 'a>;

/// How to start a [`TestServer`]; from [`TestServer::builder`].
#[must_use = "a builder does nothing until `.start()`"]
pub struct Builder<'a> {
    postgres: bool,
    settings: Vec<Setting<'a>>,
    whatsapp: Option<&'a FakeCloudApi>,
}

impl<'a> Builder<'a> {
    /// On PostgreSQL (a fresh schema) whatever `HIPPO_TEST_DATABASE` says.
    pub fn postgres(mut self) -> Self {
        self.postgres = true;
        self
    }

    /// Changes the settings; applied in the order given, after the
    /// harness's own.
    pub fn setting(mut self, tweak: impl FnOnce(&mut SettingArgs) + 'a) -> Self {
        self.settings.push(Box::new(tweak));
        self
    }

    /// Connects the server to a fake WhatsApp Cloud API: its base URL, ids
    /// and secrets in the settings (in order with [`Self::setting`]), and,
    /// once started, the fake's webhooks aimed at `/webhooks/whatsapp`.
    pub fn whatsapp(mut self, fake: &'a FakeCloudApi) -> Self {
        self.whatsapp = Some(fake);
        self.setting(|args| wire_whatsapp(fake, args))
    }

    /// Starts the server.
    pub async fn start(self) -> TestServer {
        let dir = tempfile::tempdir().expect("tempdir");
        let pg_url = if self.postgres && !on_postgres() {
            Some(fresh_pg_schema().await.1)
        } else {
            None
        };
        let settings = self.settings;
        let config = test_config(dir.path(), move |args| {
            if pg_url.is_some() {
                args.database_url = pg_url;
            }
            for tweak in settings {
                tweak(args);
            }
        })
        .await;
        let clock = FakeClock::new(Timestamp::from_millis(START));
        let server = TestServer::start_on(dir, config, clock).await;
        if let Some(fake) = self.whatsapp {
            fake.set_webhook_target(server.url("/webhooks/whatsapp"), server.client.clone());
        }
        server
    }
}

/// Points `args` at `fake`: what an operator puts in the `whatsapp_*`
/// settings for the real Cloud API.
pub fn wire_whatsapp(fake: &FakeCloudApi, args: &mut SettingArgs) {
    let c = fake.config();
    args.whatsapp_api_base = Some(fake.base_url());
    args.whatsapp_phone_number_id = Some(c.phone_number_id.clone());
    args.whatsapp_business_account_id = Some(c.business_account_id.clone());
    args.whatsapp_access_token = Some(c.access_token.clone());
    args.whatsapp_app_secret = Some(c.app_secret.clone());
    args.whatsapp_verify_token = Some("verify-me".into());
}

impl TestServer {
    /// A builder: `TestServer::builder().postgres().whatsapp(&fake)
    /// .setting(|a| …).start().await`.
    pub fn builder<'a>() -> Builder<'a> {
        Builder {
            postgres: false,
            settings: Vec::new(),
            whatsapp: None,
        }
    }

    /// A server with the harness's settings.
    pub async fn start() -> Self {
        Self::builder().start().await
    }

    /// A server with the harness's settings changed by `tweak`.
    pub async fn start_with(tweak: impl FnOnce(&mut SettingArgs)) -> Self {
        Self::builder().setting(tweak).start().await
    }

    /// Stops this server and starts a new one on the same data and clock,
    /// as a restart of the process would.
    pub async fn restart(mut self) -> Self {
        self.shut_down().await;
        self.hippo.store().close().await;
        let (dir, config, clock) = (
            std::mem::replace(&mut self.dir, tempfile::tempdir().expect("tempdir")),
            self.config.clone(),
            self.clock.clone(),
        );
        drop(self);
        Self::start_on(dir, config, clock).await
    }

    /// Starts a server on `config` (data in `dir`) with `clock`: a second
    /// node, or a server on restored data.
    pub async fn start_on(dir: tempfile::TempDir, config: Config, clock: FakeClock) -> Self {
        // Cheap argon2 parameters keep the suite fast; the production
        // parameters are measured in BENCHMARKS.md.
        let hasher = PasswordHasher::with_params(1024, 1, 1).expect("hasher");
        let app = hippo::app::open_with(&config, Arc::new(clock.clone()), hasher)
            .await
            .expect("open app");
        let forwarder = hippo::cli::serve::spawn_alert_forwarder(&config, &app.hippo)
            .expect("syslog forwarder");
        let relay = hippo::cluster::spawn_relay(
            config.database_url.as_deref().map(String::as_str),
            config.cluster_bus.as_ref(),
            &app.hippo,
        )
        .await
        .expect("cluster relay");
        let router = hippo_http::router(app.hippo.clone(), hippo::app::http_options(&config));
        let (addr_tx, addr_rx) = tokio::sync::oneshot::channel();
        let (shutdown_tx, shutdown_rx) = tokio::sync::oneshot::channel::<()>();
        let serve_config = config.clone();
        let (stop_workers, workers_stop) = tokio::sync::watch::channel(false);
        let mut workers = hippo::app::spawn_whatsapp_workers(&app.hippo, &workers_stop);
        workers.push(hippo::app::spawn_webhook_worker(&app.hippo, &workers_stop));
        // The audit sequencer, as serve runs it.
        let sequencer = {
            let hippo = app.hippo.clone();
            let stop = workers_stop.clone();
            tokio::spawn(async move { hippo.audit().run_sequencer(stop).await })
        };
        let witness = config.audit_witness_file.clone().map(|path| {
            hippo::witness::spawn(
                path,
                app.hippo.audit().subscribe_tree_heads(),
                workers_stop.clone(),
            )
            .expect("witness file")
        });
        let leases = app.hippo.clone();
        let task = tokio::spawn(async move {
            let _forwarder = forwarder;
            let _stop = workers_stop;
            hippo::cli::serve::serve_until(
                &serve_config,
                router,
                async {
                    let _ = shutdown_rx.await;
                },
                move |addr, _| {
                    let _ = addr_tx.send(addr);
                },
            )
            .await
            .expect("serve");
            let _ = stop_workers.send(true);
            for w in workers {
                let _ = w.await;
            }
            let _ = sequencer.await;
            if let Some(w) = witness {
                let _ = w.await;
            }
            leases.ops().release_leases().await;
            for task in relay.into_iter().flatten() {
                task.abort();
            }
        });
        let addr = addr_rx.await.expect("server address");
        let scheme = if config.insecure_http {
            "http"
        } else {
            "https"
        };
        let mut builder = reqwest::Client::builder().timeout(Duration::from_secs(30));
        if !config.insecure_http {
            let pem = std::fs::read(config.data_dir.join("tls/cert.pem")).expect("generated cert");
            builder = builder.tls_certs_only([reqwest::Certificate::from_pem(&pem).expect("pem")]);
        }
        Self {
            base: format!("{scheme}://localhost:{}", addr.port()),
            client: builder.build().expect("client"),
            clock,
            hippo: app.hippo,
            config,
            dir,
            shutdown: Some(shutdown_tx),
            task: Some(task),
        }
    }

    /// Stops the server (graceful drain, workers stopped, leases released).
    pub async fn stop(mut self) {
        self.shut_down().await;
    }

    async fn shut_down(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// Settings for another server on a new data dir that already holds
    /// this server's key files (master key, audit signing key): a second
    /// node of a cluster, or the target of a restore.
    pub async fn sibling_config(
        &self,
        tweak: impl FnOnce(&mut SettingArgs),
    ) -> (tempfile::TempDir, Config) {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = test_config(dir.path(), tweak).await;
        std::fs::create_dir_all(&config.data_dir).expect("data dir");
        for key in ["master.key", "audit-signing.key"] {
            std::fs::copy(self.config.data_dir.join(key), config.data_dir.join(key))
                .expect("copy key file");
        }
        (dir, config)
    }

    /// Another node of this server's cluster: the same PostgreSQL schema,
    /// key files and clock, its own data dir and port; `tweak` changes its
    /// settings.
    pub async fn second_node(&self, tweak: impl FnOnce(&mut SettingArgs)) -> TestServer {
        let url = self
            .config
            .database_url
            .as_ref()
            .map(|u| u.as_str().to_owned())
            .expect("nodes share PostgreSQL: start the first with .postgres()");
        let (dir, config) = self
            .sibling_config(|args| {
                args.database_url = Some(url);
                tweak(args);
            })
            .await;
        Self::start_on(dir, config, self.clock.clone()).await
    }

    /// The loopback port the server listens on.
    pub fn port(&self) -> u16 {
        let port = self.base.rsplit(':').next().expect("port in base URL");
        port.parse().expect("numeric port")
    }
}
