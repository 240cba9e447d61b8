//! `hippo patient export --id ID [--format fhir|html]`: the patient's copy
//! of her messages and files (right of access) from the shell, for the
//! privacy officer's request when no one on her care team can make it.
//! The same document as `GET /api/v1/patients/{id}/export`, recorded as
//! `patient.export` with `via: cli`.

use crate::settings::Config;
use anyhow::{Result, anyhow, bail};
use clap::Subcommand;
use std::io::Write;

#[derive(Debug, Subcommand)]
pub enum PatientCommand {
    /// Write every message to and from a patient, with its files, to
    /// standard output: a FHIR R4 Bundle (fhir, the default) or a readable
    /// page (html).
    Export {
        /// The patient's id.
        #[arg(long)]
        id: String,
        /// fhir or html.
        #[arg(long, default_value = "fhir")]
        format: String,
    },
}

pub async fn run(config: Config, cmd: PatientCommand) -> Result<()> {
    let PatientCommand::Export { id, format } = cmd;
    let html = match format.as_str() {
        "fhir" => false,
        "html" => true,
        other => bail!("--format must be fhir or html, not `{other}`"),
    };
    let app = crate::app::open_existing(&config).await?;
    let record = app
        .hippo
        .fhir()
        .export_patient(hippo_service::Principal::Operator, &id)
        .await
        .map_err(|e| anyhow!("{e}"));
    app.store.close().await;
    let record = record?;
    let text = if html {
        hippo_http::routes::patient_export::render(&record)
    } else {
        let mut json = serde_json::to_string_pretty(&record.fhir_bundle())?;
        json.push('\n');
        json
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}
