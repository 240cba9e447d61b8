//! Patients: registration with a phone number and recorded WhatsApp
//! consent, the patient's conversation (its members are the care team),
//! opt-in/opt-out, and the patient's request for WhatsApp despite the risk
//! warning (needed for free text under `patient_requested`).
//!
//! Name, phone, MRN and consent source are sealed with the directory key;
//! phone and MRN are found through keyed blind indexes. Every read and
//! change is audited with the patient's id.

use crate::{Actor, Event, Result, ServiceError};
use hippo_core::patient::{parse_mrn, parse_residence_state};
use hippo_core::{
    AuditAction, Conversation, ConversationId, ConversationKind, DisplayName, Outcome, Patient,
    PatientId, PhoneNumber, UserId,
};
use hippo_store::{ConversationRow, PatientRow};

const TABLE: &str = "patients";

/// A patient found by MRN for emergency access: who it is and where their
/// conversation is, nothing more.
#[derive(Debug, Clone)]
pub struct PatientMatch {
    pub id: String,
    pub display_name: String,
    pub conversation_id: String,
    /// Already a member: no break-glass needed.
    pub on_care_team: bool,
}

/// A patient to register.
#[derive(Debug, Default)]
pub struct NewPatient {
    pub display_name: String,
    pub phone: String,
    pub mrn: Option<String>,
    pub whatsapp_opt_in: bool,
    pub opt_in_source: Option<String>,
    /// A US postal code (`CA`), where known.
    pub residence_state: Option<String>,
    pub vip: bool,
    pub workforce_member: bool,
    /// The care team besides the caller.
    pub member_ids: Vec<String>,
}

/// Changes to a patient; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct PatientPatch {
    pub display_name: Option<String>,
    pub phone: Option<String>,
    /// `Some(None)` removes the MRN.
    pub mrn: Option<Option<String>>,
    pub whatsapp_opt_in: Option<bool>,
    pub opt_in_source: Option<String>,
    /// `Some(None)` removes the state of residence.
    pub residence_state: Option<Option<String>>,
    pub vip: Option<bool>,
    pub workforce_member: Option<bool>,
    /// The whole care team (replaces the members).
    pub member_ids: Option<Vec<String>>,
    /// `Some(Some(v))`: the patient asked for WhatsApp after seeing risk
    /// warning version `v`; `Some(None)` withdraws the request.
    pub whatsapp_phi_request: Option<Option<String>>,
}

fn parse_source(source: Option<&str>) -> Result<Option<String>> {
    match source.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) if s.len() > 200 || s.chars().any(char::is_control) => Err(
            ServiceError::validation("opt_in_source must be at most 200 printable characters"),
        ),
        Some(s) => Ok(Some(s.to_owned())),
    }
}

fn parse_warning_version(v: &str) -> Result<String> {
    let t = v.trim();
    if t.is_empty() || t.len() > 64 || t.chars().any(char::is_control) {
        return Err(ServiceError::validation(
            "whatsapp_phi_request.warning_version must be 1 to 64 printable characters",
        ));
    }
    Ok(t.to_owned())
}

/// Patients and their care teams (`hippo.patients()`).
#[derive(Debug, Clone)]
pub struct Patients {
    core: std::sync::Arc<crate::core::Core>,
}

impl Patients {
    pub(crate) fn new(core: std::sync::Arc<crate::core::Core>) -> Self {
        Self { core }
    }
}

impl Patients {
    pub(crate) fn patient_view(&self, row: &PatientRow, members: Vec<UserId>) -> Result<Patient> {
        let id = row.id.as_str();
        let open = |column: &str, sealed: &[u8]| {
            self.core
                .keys
                .open_directory_field(TABLE, column, id, sealed)
        };
        let phone = open("phone", &row.phone_enc)?;
        Ok(Patient {
            id: row.id.clone(),
            display_name: open("display_name", &row.display_name_enc)?,
            phone: PhoneNumber::parse(&phone)
                .map_err(|_| ServiceError::Internal("stored phone is not E.164".into()))?,
            mrn: row.mrn_enc.as_deref().map(|m| open("mrn", m)).transpose()?,
            whatsapp_opt_in: row.whatsapp_opt_in,
            opt_in_at: row.opt_in_at,
            opt_in_source: row
                .opt_in_source_enc
                .as_deref()
                .map(|s| open("opt_in_source", s))
                .transpose()?,
            opt_in_by: row.opt_in_by.clone(),
            opted_out_at: row.opted_out_at,
            phi_request_warning_version: row.phi_request_warning_version.clone(),
            phi_request_at: row.phi_request_at,
            last_inbound_at: row.last_inbound_at,
            residence_state: row.residence_state.clone(),
            vip: row.vip,
            workforce_member: row.workforce_member,
            conversation_id: row.conversation_id.clone(),
            member_ids: members,
            created_at: row.created_at,
        })
    }

    /// The caller and the active messaging users among `ids`, without
    /// duplicates, the caller first.
    async fn care_team(&self, actor: &Actor, ids: &[String]) -> Result<Vec<UserId>> {
        self.messaging_users(vec![actor.user.id.clone()], ids).await
    }

    /// `first`, then the active messaging users among `ids`, without
    /// duplicates.
    async fn messaging_users(
        &self,
        mut members: Vec<UserId>,
        ids: &[String],
    ) -> Result<Vec<UserId>> {
        if ids.len() > hippo_core::conversation::MAX_MEMBERS {
            return Err(ServiceError::validation("too many members"));
        }
        for id in ids {
            let uid = self.core.messaging_user(id).await?;
            if !members.contains(&uid) {
                members.push(uid);
            }
        }
        Ok(members)
    }

    /// A patient whose care team the actor is on; for anyone else it does
    /// not exist (recorded as denied).
    pub(crate) async fn care_team_patient(
        &self,
        actor: &Actor,
        id: &str,
        action: AuditAction,
    ) -> Result<(PatientRow, ConversationRow, Vec<UserId>)> {
        self.core
            .require_messaging_for(actor, action, Some(("patient", id)))
            .await?;
        if let Some(pid) = PatientId::parse(id)
            && let Some(row) = self.core.store.get_patient(&pid).await?
            && let Some(conv) = self
                .core
                .store
                .get_conversation(&row.conversation_id)
                .await?
        {
            let members = self.core.store.list_members(&conv.id).await?;
            if members.contains(&actor.user.id) {
                return Ok((row, conv, members));
            }
        }
        let mut ev = actor
            .event(self.core.clock.now(), action, Outcome::Denied)
            .resource("patient", id.chars().take(64).collect::<String>())
            .detail(serde_json::json!({ "reason": "not_found" }));
        if let Some(pid) = PatientId::parse(id) {
            ev.patient_id = Some(pid.to_string());
        }
        self.core.audit_alone(ev).await?;
        Err(ServiceError::not_found())
    }

    /// Registers a patient and opens the patient's conversation with the
    /// caller and `member_ids` as the care team.
    pub async fn create(&self, actor: &Actor, input: NewPatient) -> Result<Patient> {
        self.core
            .require_messaging(actor, AuditAction::PatientCreate)
            .await?;
        let name = DisplayName::parse(&input.display_name).map_err(ServiceError::validation)?;
        let phone = PhoneNumber::parse(&input.phone).map_err(ServiceError::validation)?;
        let mrn = input
            .mrn
            .as_deref()
            .map(parse_mrn)
            .transpose()
            .map_err(ServiceError::validation)?;
        let source = parse_source(input.opt_in_source.as_deref())?;
        let residence_state = input
            .residence_state
            .as_deref()
            .map(parse_residence_state)
            .transpose()
            .map_err(ServiceError::validation)?;
        let members = self.care_team(actor, &input.member_ids).await?;
        let phone_index = self.core.keys.phone_index(phone.as_str());
        if self
            .core
            .store
            .get_patient_by_phone_index(&phone_index)
            .await?
            .is_some()
        {
            return Err(ServiceError::public(
                hippo_core::ErrorCode::Conflict,
                "a patient with this phone number is already registered",
            ));
        }
        let now = self.core.clock.now();
        let id = PatientId::generate();
        let pid = id.as_str();
        let conversation_id = ConversationId::generate();
        self.core
            .keys
            .ensure_current(self.core.store.as_ref())
            .await?;
        let (key_row, _key) = self.core.keys.new_conversation_key(now)?;
        let conv = ConversationRow {
            id: conversation_id.clone(),
            kind: ConversationKind::Patient,
            title_enc: None,
            data_key_id: key_row.id.clone(),
            created_by: actor.user.id.clone(),
            created_at: now,
            updated_at: now,
            last_seq: 0,
        };
        let seal = |column: &str, text: &str| {
            self.core
                .keys
                .seal_directory_field(TABLE, column, pid, text)
        };
        let row = PatientRow {
            display_name_enc: seal("display_name", name.as_str())?,
            phone_enc: seal("phone", phone.as_str())?,
            phone_index,
            mrn_enc: mrn.as_deref().map(|m| seal("mrn", m)).transpose()?,
            mrn_index: mrn.as_deref().map(|m| self.core.keys.mrn_index(m)),
            conversation_id: conversation_id.clone(),
            whatsapp_opt_in: input.whatsapp_opt_in,
            opt_in_at: input.whatsapp_opt_in.then_some(now),
            opt_in_source_enc: match (&source, input.whatsapp_opt_in) {
                (Some(s), true) => Some(seal("opt_in_source", s)?),
                _ => None,
            },
            opt_in_by: input.whatsapp_opt_in.then(|| actor.user.id.clone()),
            opted_out_at: None,
            phi_request_warning_version: None,
            phi_request_at: None,
            last_inbound_at: None,
            residence_state,
            vip: input.vip,
            workforce_member: input.workforce_member,
            created_by: actor.user.id.clone(),
            created_at: now,
            updated_at: now,
            id: id.clone(),
        };
        let mut tx = self.core.store.begin_write().await?;
        self.core.keys.check_wrapping(tx.as_mut(), &key_row).await?;
        tx.insert_data_key(&key_row).await?;
        tx.insert_conversation(&conv).await?;
        for m in &members {
            tx.add_member(&conv.id, m, now).await?;
        }
        tx.insert_patient(&row).await?;
        let mut ev = actor
            .event(now, AuditAction::PatientCreate, Outcome::Success)
            .resource("patient", pid)
            .detail(serde_json::json!({
                "conversation_id": conversation_id.as_str(),
                "members": members.len(),
                "whatsapp_opt_in": input.whatsapp_opt_in,
                "mrn": mrn.is_some(),
                "vip": input.vip,
                "workforce_member": input.workforce_member,
            }));
        ev.patient_id = Some(pid.to_owned());
        tx.append_audit(&ev).await?;
        if input.whatsapp_opt_in {
            let mut consent = actor
                .event(now, AuditAction::PatientConsent, Outcome::Success)
                .resource("patient", pid)
                .detail(serde_json::json!({
                    "whatsapp_opt_in": true,
                    "source_recorded": source.is_some(),
                }));
            consent.patient_id = Some(pid.to_owned());
            tx.append_audit(&consent).await?;
        }
        tx.commit().await?;
        self.core.events.publish(Event::ConversationUpdated {
            conversation: Conversation {
                id: conversation_id,
                kind: ConversationKind::Patient,
                title: None,
                members: self.core.members_of(&members).await?,
                member_ids: members.clone(),
                created_at: now,
                last_seq: 0,
                unread_count: None,
                last_message_at: None,
            },
            recipients: members.clone(),
        });
        self.patient_view(&row, members)
    }

    /// One patient, for the care team; the read is recorded.
    pub async fn get(&self, actor: &Actor, id: &str) -> Result<Patient> {
        let (row, _conv, members) = self
            .care_team_patient(actor, id, AuditAction::PatientRead)
            .await?;
        let view = self.patient_view(&row, members)?;
        let mut ev = actor
            .event(
                self.core.clock.now(),
                AuditAction::PatientRead,
                Outcome::Success,
            )
            .resource("patient", row.id.as_str());
        ev.patient_id = Some(row.id.to_string());
        self.core.audit_alone(ev).await?;
        Ok(view)
    }

    /// Emergency lookup by MRN, for clinicians who are not on the care
    /// team (the way into break-glass): only the exact MRN finds anyone, and
    /// what comes back is the minimum to pick the right person and open the
    /// conversation. Recorded as `patient.lookup` with the ids found (never
    /// the MRN typed).
    pub async fn lookup_by_mrn(&self, actor: &Actor, mrn: &str) -> Result<Vec<PatientMatch>> {
        self.core
            .require_messaging(actor, AuditAction::PatientLookup)
            .await?;
        if actor.user.role != hippo_core::Role::Clinician {
            self.core
                .audit_alone(
                    actor
                        .event(
                            self.core.clock.now(),
                            AuditAction::PatientLookup,
                            Outcome::Denied,
                        )
                        .detail(serde_json::json!({ "reason": "role" })),
                )
                .await?;
            return Err(ServiceError::public(
                hippo_core::ErrorCode::Forbidden,
                "only clinicians look patients up for emergency access",
            ));
        }
        let mrn = parse_mrn(mrn).map_err(ServiceError::validation)?;
        let rows = self
            .core
            .store
            .list_patients_by_mrn_index(&self.core.keys.mrn_index(&mrn))
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let members = self.core.store.list_members(&row.conversation_id).await?;
            let view = self.patient_view(row, members.clone())?;
            out.push(PatientMatch {
                id: view.id.to_string(),
                display_name: view.display_name,
                conversation_id: row.conversation_id.to_string(),
                on_care_team: members.contains(&actor.user.id),
            });
        }
        self.core
            .audit_alone(
                actor
                    .event(
                        self.core.clock.now(),
                        AuditAction::PatientLookup,
                        Outcome::Success,
                    )
                    .detail(serde_json::json!({
                        "found": rows.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
                    })),
            )
            .await?;
        Ok(out)
    }

    /// The patient whose conversation this is, for its care team (the read
    /// is recorded as `get` records it); `None` if no patient owns it.
    pub async fn find_by_conversation(
        &self,
        actor: &Actor,
        conversation_id: &str,
    ) -> Result<Option<Patient>> {
        self.core
            .require_messaging(actor, AuditAction::PatientRead)
            .await?;
        let Some(conv) = hippo_core::ConversationId::parse(conversation_id) else {
            return Ok(None);
        };
        match self.core.store.get_patient_by_conversation(&conv).await? {
            Some(row) => self.get(actor, row.id.as_str()).await.map(Some),
            None => Ok(None),
        }
    }

    /// The patients whose care team the caller is on (newest first); the
    /// listing is recorded.
    pub async fn list(&self, actor: &Actor) -> Result<Vec<Patient>> {
        self.core
            .require_messaging(actor, AuditAction::PatientRead)
            .await?;
        let rows = self.core.store.list_patients_for(&actor.user.id).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let members = self.core.store.list_members(&row.conversation_id).await?;
            out.push(self.patient_view(row, members)?);
        }
        self.core
            .audit_alone(
                actor
                    .event(
                        self.core.clock.now(),
                        AuditAction::PatientRead,
                        Outcome::Success,
                    )
                    .detail(serde_json::json!({
                        "listed": rows.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
                    })),
            )
            .await?;
        Ok(out)
    }

    /// Changes a patient: details, consent, care team, WhatsApp request.
    pub async fn update(&self, actor: &Actor, id: &str, patch: PatientPatch) -> Result<Patient> {
        let (mut row, conv, old_members) = self
            .care_team_patient(actor, id, AuditAction::PatientUpdate)
            .await?;
        let pid = row.id.to_string();
        let now = self.core.clock.now();
        let mut changed: Vec<&str> = Vec::new();
        let seal = |column: &str, text: &str| {
            self.core
                .keys
                .seal_directory_field(TABLE, column, &pid, text)
        };
        if let Some(name) = &patch.display_name {
            let name = DisplayName::parse(name).map_err(ServiceError::validation)?;
            row.display_name_enc = seal("display_name", name.as_str())?;
            changed.push("display_name");
        }
        if let Some(phone) = &patch.phone {
            let phone = PhoneNumber::parse(phone).map_err(ServiceError::validation)?;
            let index = self.core.keys.phone_index(phone.as_str());
            if index != row.phone_index {
                if self
                    .core
                    .store
                    .get_patient_by_phone_index(&index)
                    .await?
                    .is_some()
                {
                    return Err(ServiceError::public(
                        hippo_core::ErrorCode::Conflict,
                        "a patient with this phone number is already registered",
                    ));
                }
                row.phone_enc = seal("phone", phone.as_str())?;
                row.phone_index = index;
                // A new number has neither the old consent nor the old
                // service window.
                row.whatsapp_opt_in = false;
                row.last_inbound_at = None;
                changed.push("phone");
            }
        }
        if let Some(mrn) = &patch.mrn {
            let mrn = mrn
                .as_deref()
                .map(parse_mrn)
                .transpose()
                .map_err(ServiceError::validation)?;
            row.mrn_enc = mrn.as_deref().map(|m| seal("mrn", m)).transpose()?;
            row.mrn_index = mrn.as_deref().map(|m| self.core.keys.mrn_index(m));
            changed.push("mrn");
        }
        if let Some(state) = &patch.residence_state {
            row.residence_state = state
                .as_deref()
                .map(parse_residence_state)
                .transpose()
                .map_err(ServiceError::validation)?;
            changed.push("residence_state");
        }
        if let Some(vip) = patch.vip {
            row.vip = vip;
            changed.push("vip");
        }
        if let Some(workforce) = patch.workforce_member {
            row.workforce_member = workforce;
            changed.push("workforce_member");
        }
        let source = parse_source(patch.opt_in_source.as_deref())?;
        let mut consent: Option<bool> = None;
        if let Some(opt_in) = patch.whatsapp_opt_in {
            if opt_in != row.whatsapp_opt_in || (opt_in && source.is_some()) {
                consent = Some(opt_in);
            }
            row.whatsapp_opt_in = opt_in;
            if opt_in {
                row.opt_in_at = Some(now);
                row.opt_in_by = Some(actor.user.id.clone());
                row.opt_in_source_enc = source
                    .as_deref()
                    .map(|s| seal("opt_in_source", s))
                    .transpose()?;
                row.opted_out_at = None;
            } else {
                row.opted_out_at = Some(now);
            }
        } else if changed.contains(&"phone") {
            consent = Some(false);
            row.opted_out_at = Some(now);
        }
        if let Some(request) = &patch.whatsapp_phi_request {
            match request {
                Some(v) => {
                    row.phi_request_warning_version = Some(parse_warning_version(v)?);
                    row.phi_request_at = Some(now);
                }
                None => {
                    row.phi_request_warning_version = None;
                    row.phi_request_at = None;
                }
            }
            changed.push("whatsapp_phi_request");
        }
        let new_members = match &patch.member_ids {
            Some(ids) => Some(self.care_team_from(ids).await?),
            None => None,
        };
        if changed.is_empty() && consent.is_none() && new_members.is_none() {
            return Err(ServiceError::validation("nothing to change"));
        }
        row.updated_at = now;
        let mut tx = self.core.store.begin_write().await?;
        tx.update_patient(&row).await?;
        let mut members = old_members.clone();
        if let Some(new) = &new_members {
            for m in new {
                if !old_members.contains(m) {
                    tx.add_member(&conv.id, m, now).await?;
                }
            }
            for m in &old_members {
                if !new.contains(m) {
                    tx.remove_member(&conv.id, m).await?;
                }
            }
            members = new.clone();
            changed.push("members");
        }
        let mut ev = actor
            .event(now, AuditAction::PatientUpdate, Outcome::Success)
            .resource("patient", pid.as_str())
            .detail(serde_json::json!({ "changed": changed, "members": members.len() }));
        ev.patient_id = Some(pid.clone());
        tx.append_audit(&ev).await?;
        if let Some(opt_in) = consent {
            let mut ev = actor
                .event(now, AuditAction::PatientConsent, Outcome::Success)
                .resource("patient", pid.as_str())
                .detail(serde_json::json!({
                    "whatsapp_opt_in": opt_in,
                    "source_recorded": opt_in && source.is_some(),
                    "via": "api",
                }));
            ev.patient_id = Some(pid.clone());
            tx.append_audit(&ev).await?;
        }
        tx.commit().await?;
        if new_members.is_some() {
            let mut recipients = members.clone();
            recipients.extend(old_members.iter().filter(|m| !members.contains(m)).cloned());
            self.core.events.publish(Event::ConversationUpdated {
                conversation: Conversation {
                    id: conv.id.clone(),
                    kind: ConversationKind::Patient,
                    title: None,
                    members: self.core.members_of(&members).await?,
                    member_ids: members.clone(),
                    created_at: conv.created_at,
                    last_seq: conv.last_seq,
                    unread_count: None,
                    last_message_at: None,
                },
                recipients,
            });
        }
        self.patient_view(&row, members)
    }

    /// The care team as given (at least one active messaging user).
    async fn care_team_from(&self, ids: &[String]) -> Result<Vec<UserId>> {
        if ids.is_empty() {
            return Err(ServiceError::validation(
                "member_ids must name at least one member of the care team",
            ));
        }
        self.messaging_users(Vec::new(), ids).await
    }
}
