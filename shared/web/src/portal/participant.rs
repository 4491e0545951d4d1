//! Who is calling the portal (a participant's session), and what they may do: each command
//! reads the run once and checks access inside the change.

use app::repo::access::{self, PortalParticipant};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use chrono::{DateTime, Utc};
use domain::events::{Actor, RunEvent};
use domain::i18n::Lang;
use domain::partner::{Partner, PartnerStatus, Permission};
use domain::run::Run;
use domain::DomainError;
use serde_json::{Map, Value};

use crate::error::{ApiError, ApiResult};
use crate::{record_tenant, AppState};

pub const SESSION_COOKIE: &str = "portal_session";

/// The caller's network address: API Gateway's `sourceIp`, else the peer of the connection
/// (local-server), else `unknown`. What per-client limits count by.
pub struct ClientAddr(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let gateway = match parts.extensions.get::<lambda_http::request::RequestContext>() {
            Some(lambda_http::request::RequestContext::ApiGatewayV2(ctx)) => ctx.http.source_ip.clone(),
            _ => None,
        };
        let peer = || {
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip().to_string())
        };
        Ok(ClientAddr(
            gateway
                .filter(|ip| !ip.is_empty())
                .or_else(peer)
                .unwrap_or_else(|| "unknown".into()),
        ))
    }
}

/// Opens a portal session from an access link, within the limits per link and per client
/// (429 with `Retry-After` beyond them; counted before the link is looked at, so guessing
/// links is limited too).
pub async fn open_session(
    s: &AppState,
    client: &ClientAddr,
    access_token: &str,
) -> ApiResult<(String, DateTime<Utc>, PortalParticipant)> {
    use app::repo::limits::{sessions_per_client, sessions_per_link, take};
    let (now, limits) = (s.config.clock.now(), s.config.session_limits);
    take(s.table.as_ref(), sessions_per_client(limits), &client.0, now).await?;
    take(s.table.as_ref(), sessions_per_link(limits), access_token, now).await?;
    Ok(access::open_session(s.table.as_ref(), access_token, now).await?)
}

/// The session token of a request: `Authorization: Bearer …` or the portal cookie.
pub fn session_token(parts: &Parts) -> Option<String> {
    let bearer = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_string());
    bearer.or_else(|| {
        parts
            .headers
            .get_all(axum::http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|c| c.trim().split_once('='))
            .find(|(name, _)| *name == SESSION_COOKIE)
            .map(|(_, value)| value.to_string())
    })
}

/// A caller holding a valid portal session; partner users come with their partner, whose
/// status and permissions are read on every request (a revoked partner's sessions stop).
/// The third field is the tenant's default language (its settings, else `DEFAULT_LOCALE`),
/// the fourth how its pages look and where its dates are read.
pub struct Participant(
    pub PortalParticipant,
    pub Option<Partner>,
    pub Lang,
    pub crate::pages::Brand,
);

impl FromRequestParts<AppState> for Participant {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = session_token(parts).ok_or(ApiError::Unauthorized("a portal session is required"))?;
        let p = access::session(state.table.as_ref(), &token, state.config.clock.now()).await?;
        record_tenant(&p.tenant_id);
        let partner = match &p.partner_id {
            None => None,
            Some(id) => {
                let revoked = ApiError::Unauthorized("the partner's access was revoked");
                let partner: Partner = match app::repo::load(state.table.as_ref(), &p.tenant_id, id).await {
                    Err(e) if e.is_not_found() => return Err(revoked),
                    other => other?,
                };
                let member = partner.users.iter().any(|u| Some(&u.id) == p.user_id.as_ref());
                if partner.status != PartnerStatus::Active || !member {
                    return Err(revoked);
                }
                Some(partner)
            }
        };
        let settings = app::repo::settings::get_settings(state.table.as_ref(), &p.tenant_id).await?;
        let tenant_default = settings.default_locale.unwrap_or(state.config.default_locale);
        let brand = crate::pages::Brand::of(&settings, &p.tenant_id);
        Ok(Participant(p, partner, tenant_default, brand))
    }
}

impl Participant {
    /// Customers and installers may do everything on their own steps; partner users what
    /// their partner's permissions allow.
    pub fn may(&self, permission: Permission) -> bool {
        self.1.as_ref().is_none_or(|p| p.can(permission))
    }

    /// Commissioning is for partner users with tasks:complete.
    pub fn may_set_due_dates(&self) -> bool {
        self.1.is_some() && self.may(Permission::TasksComplete)
    }

    pub fn actor(&self) -> Actor {
        Actor::new(&self.0.kind, &self.0.participant_id, Some(&self.0.name))
    }

    /// A run is visible to a participant who has a step in it (404 otherwise).
    pub fn sees(&self, run: &Run) -> Result<(), DomainError> {
        if run.involves(&self.0.participant_id) {
            Ok(())
        } else {
            Err(DomainError::NotFound("run"))
        }
    }
    pub fn lang(&self) -> Lang {
        Lang::resolve(self.0.locale, Some(self.2))
    }
}

/// A run the participant has a step in (404 otherwise, also for other tenants' runs).
pub async fn load_run(s: &AppState, p: &Participant, run_id: &str) -> ApiResult<Run> {
    let run: Run = app::repo::load(s.table.as_ref(), &p.0.tenant_id, run_id).await?;
    p.sees(&run)?;
    Ok(run)
}

/// A participant's command on a run: one read, the access check and the command inside the
/// change, one conditional write.
async fn act<F>(s: &AppState, p: &Participant, run_id: &str, command: F) -> ApiResult<Run>
where
    F: FnOnce(&mut Run, &Actor, DateTime<Utc>) -> Result<Vec<RunEvent>, DomainError>,
{
    let who = p.actor();
    let run = app::repo::change(
        s.table.as_ref(),
        &p.0.tenant_id,
        run_id,
        &who,
        s.config.clock.now(),
        |run: &mut Run, now| {
            p.sees(run)?;
            command(run, &who, now)
        },
    )
    .await?;
    Ok(run)
}

/// Stores the participant's answers to the step's journey.
pub async fn submit_answers(
    s: &AppState,
    p: &Participant,
    run_id: &str,
    key: &str,
    data: Map<String, Value>,
) -> ApiResult<Run> {
    submit_with(s, p, run_id, key, true, |_| data).await
}

/// Stores answers made from the step's journey fields (a form's strings typed by them), in
/// the same single read of the run; `complete: false` saves a draft (required fields may wait).
pub async fn submit_with<F>(
    s: &AppState,
    p: &Participant,
    run_id: &str,
    key: &str,
    complete: bool,
    answers: F,
) -> ApiResult<Run>
where
    F: FnOnce(&[domain::journey::Field]) -> Map<String, Value>,
{
    act(s, p, run_id, |run, who, now| {
        let fields = run
            .step(key)
            .and_then(|st| st.journey.as_ref())
            .map(|j| j.fields.as_slice());
        let data = answers(fields.unwrap_or_default());
        run.store_answers(key, data, who, now, complete)
    })
    .await
}

/// Marks the participant's step done.
pub async fn complete_step(s: &AppState, p: &Participant, run_id: &str, key: &str) -> ApiResult<Run> {
    act(s, p, run_id, |run, who, now| {
        if !p.may(Permission::TasksComplete) {
            return Err(DomainError::Forbidden(
                "your organisation may fill in this step but not mark it done (tasks:complete)",
            ));
        }
        run.complete(key, who, now)
    })
    .await
}

/// Removes one of the participant's own documents of an active step.
pub async fn remove_document(s: &AppState, p: &Participant, run_id: &str, doc_id: &str) -> ApiResult<Run> {
    act(s, p, run_id, |run, who, now| run.remove_document(doc_id, who, now)).await
}

/// Sets the appointment of the partner's active step (partner users with tasks:complete).
pub async fn set_due_date(
    s: &AppState,
    p: &Participant,
    run_id: &str,
    key: &str,
    due_at: DateTime<Utc>,
) -> ApiResult<Run> {
    act(s, p, run_id, |run, who, now| {
        if !p.may_set_due_dates() {
            return Err(DomainError::Forbidden(
                "only partner users with tasks:complete set due dates",
            ));
        }
        run.set_due_date(key, due_at, who, now)
    })
    .await
}
