//! The published contract: the OpenAPI 3.1 document of every route, generated from the
//! handlers' `#[utoipa::path]` annotations and the types they read and write. Served at
//! `GET /v1/openapi.json`; `openapi.json` at the repository root is the same document, and a
//! test holds the two together (and the document against the routers' route tables).
//!
//! The errors every operation can answer are added here once (see [`Errors`]), so that an
//! annotation lists only what is particular to its route (409, 410, 412, 429).

use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::schema::{Object, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, OpenApi as Document, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use crate::error::Problem;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Process portal API",
        description = "Processes whose steps are assigned to a utility's staff, customers, installers and \
partners; the portal participants use; partner organisations; offers and the five-step orders behind them. \
Every error is `application/problem+json` (RFC 9457). Staff, admins and app users send the JWT of the \
utility's identity provider (`tenant_id`, `sub`, `roles`, optional `email`, `name`, `locale`); portal \
participants a portal session (`POST /v1/portal/sessions`).",
        version = "1.0.0",
    ),
    paths(
        openapi_json,
        crate::process::create_journey, crate::process::list_journeys, crate::process::get_journey,
        crate::process::create_process, crate::process::list_processes, crate::process::get_process,
        crate::process::update_process, crate::process::archive_process, crate::process::duplicate_process,
        crate::process::start_run, crate::process::list_runs, crate::process::get_run,
        crate::process::complete_step, crate::process::move_due_date, crate::process::remind_now, crate::process::pause_reminders, crate::process::resume_reminders, crate::process::cancel_run, crate::process::history,
        crate::process::change_participant, crate::undeliverable::list, crate::undeliverable::clear,
        crate::collaboration::list_tasks, crate::collaboration::create_team, crate::collaboration::list_teams,
        crate::collaboration::get_team, crate::collaboration::update_team, crate::collaboration::team_history,
        crate::collaboration::request_changes, crate::collaboration::reassign, crate::collaboration::change_owner,
        crate::collaboration::claim, crate::collaboration::release,
        crate::comments::add, crate::comments::list, crate::comments::remove,
        crate::triggers::create, crate::triggers::list, crate::triggers::get_one, crate::triggers::update,
        crate::triggers::history, crate::triggers::test, crate::triggers::used_by, crate::triggers::replace,
        crate::triggers::rotate_secret, crate::triggers::receive,
        crate::webhooks::subscribe, crate::webhooks::list, crate::webhooks::get_one, crate::webhooks::update,
        crate::webhooks::history, crate::webhooks::deliveries, crate::webhooks::redeliver,
        crate::portal::comments::list, crate::portal::comments::add, crate::portal::comments::remove,
        crate::portal::comments::add_form, crate::portal::comments::remove_form,
        crate::admin::get_settings, crate::admin::put_settings, crate::admin::history, crate::admin::list_templates,
        crate::admin::get_template, crate::admin::put_template, crate::admin::delete_template,
        crate::admin::preview,
        crate::documents::ask_upload, crate::documents::confirm_upload, crate::documents::list_documents,
        crate::documents::download, crate::documents::remove_document,
        crate::portal::documents::ask_upload, crate::portal::documents::confirm_upload,
        crate::portal::documents::download, crate::portal::documents::remove_document,
        crate::portal::upload_pages::upload_page, crate::portal::upload_pages::stored,
        crate::portal::upload_pages::script_ticket, crate::portal::upload_pages::script_confirm,
        crate::portal::upload_pages::download, crate::portal::upload_pages::remove,
        crate::portal::json::create_session, crate::portal::json::list_tasks, crate::portal::json::get_run,
        crate::portal::json::submit, crate::portal::json::complete, crate::portal::json::due_date,
        crate::portal::html::task_page, crate::portal::html::confirm_page, crate::portal::html::open_session,
        crate::portal::html::run_page, crate::portal::html::submit_form, crate::portal::html::complete_form,
        crate::portal::html::due_date_form, crate::portal::html::logout, crate::portal::new_link::new_link_page, crate::portal::new_link::ask_for_new_link,
        crate::partner::create, crate::partner::list, crate::partner::get_one, crate::partner::revoke,
        crate::partner::resend, crate::partner::set_permissions, crate::partner::set_digest, crate::partner::add_user,
        crate::partner::invitation, crate::partner::accept, crate::partner::invitation_page,
        crate::partner::accept_form,
        crate::offer::create_offer, crate::offer::list_offers, crate::offer::get_offer,
        crate::offer::update_offer, crate::offer::activate_offer, crate::offer::close_offer,
        crate::offer::preview, crate::offer::app_offers, crate::offer::history, crate::offer::live_preview,
        crate::offer::ask_image, crate::offer::confirm_image, crate::offer::image,
        crate::order::place_order, crate::order::my_orders, crate::order::my_order, crate::order::list_orders,
        crate::order::get_order, crate::order::advance, crate::order::cancel, crate::order::deactivate,
        crate::order::history, crate::order::get_steps, crate::order::put_steps,
        crate::order::add_note, crate::order::correct_answers,
    ),
    components(schemas(Problem, crate::portal::views::OwnStepView)),
    modifiers(&Security, &Errors, &EmailKinds, &OwnStepFields),
    tags(
        (name = "journeys", description = "The forms of steps (staff)"),
        (name = "processes", description = "Process definitions (staff)"),
        (name = "documents", description = "Files on runs and steps: uploads go straight to the file store through a signed form, then are confirmed"),
        (name = "runs", description = "Runs of processes and their steps (staff)"),
        (name = "tasks", description = "The staff inbox: steps across runs, by assignee, status, process and due date"),
        (name = "triggers", description = "Triggers that start runs or complete order steps by themselves, and where a process is used (admins)"),
        (name = "webhooks", description = "Outbound webhooks: subscriptions, signed deliveries with retries, their logs (admins)"),
        (name = "comments", description = "Comments on runs and steps: internal (staff) or shared with the participants"),
        (name = "teams", description = "Teams of staff whose members claim the team's steps (admins manage them)"),
        (name = "settings", description = "The tenant's settings and email templates (admins)"),
        (name = "portal", description = "The participants' JSON API (portal session)"),
        (name = "pages", description = "The HTML pages of the portal and of partner invitations"),
        (name = "partners", description = "Partner organisations (staff) and invitations (public)"),
        (name = "offers", description = "Offers (admins) and the app's active offers (customers)"),
        (name = "orders", description = "Orders: the app's (customers) and the back office's (admins)"),
        (name = "meta", description = "This document"),
    )
)]
pub struct ApiDoc;

/// The document as served and committed.
pub fn document() -> Document {
    ApiDoc::openapi()
}

/// The document as pretty JSON with a trailing newline (the committed file's form).
pub fn document_json() -> String {
    let mut text = document().to_pretty_json().unwrap_or_default();
    text.push('\n');
    text
}

/// This document.
#[utoipa::path(get, path = "/v1/openapi.json", tag = "meta", security(()),
    responses((status = 200, description = "The OpenAPI 3.1 document of this API", content_type = "application/json", body = Object)))]
pub(crate) async fn openapi_json() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], document_json()).into_response()
}

/// The schemes: a JWT (staff, admins, app users) and the portal session (bearer or cookie).
struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "jwt",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "The identity provider's token; API Gateway's JWT authorizer verifies it. Roles: \
                         admin, staff.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "customer_jwt",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "An end user's token of the utility's app (role customer), verified as the staff's.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "portal_session",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A portal session token from POST /v1/portal/sessions."))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "portal_cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::portal::SESSION_COOKIE,
                "The portal session as the pages keep it (HttpOnly cookie).",
            ))),
        );
    }
}

/// The errors every operation can answer, as problem+json (pages answer theirs as HTML too),
/// each declared once under `components/responses` and referenced by every operation.
struct Errors;

const COMMON: [(&str, &str); 5] = [
    ("400", "Malformed request (unreadable JSON or headers)"),
    ("404", "No such route or resource (or not the caller's)"),
    ("422", "Invalid input: `errors` names each field with a code"),
    ("500", "Unexpected error (logged)"),
    ("503", "A service is unavailable for a moment; retry"),
];
const SECURED: [(&str, &str); 2] = [
    ("401", "No valid token or session"),
    ("403", "The caller's role or permissions do not allow this"),
];
const WITH_BODY: [(&str, &str); 2] = [("413", "Body larger than 256 KiB"), ("415", "Unsupported content type")];

impl Errors {
    fn name(status: &str, page: bool) -> String {
        if page {
            format!("Error{status}Page")
        } else {
            format!("Error{status}")
        }
    }

    fn response(description: &str, page: bool) -> utoipa::openapi::Response {
        let problem = Content::new(Some(Ref::from_schema_name("Problem")));
        let mut r = ResponseBuilder::new()
            .description(description)
            .content("application/problem+json", problem);
        if page {
            r = r.content("text/html", Content::new(Some(Object::with_type(Type::String))));
        }
        r.build()
    }
}

impl Modify for Errors {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        for (status, description) in COMMON.iter().chain(&SECURED).chain(&WITH_BODY) {
            for page in [false, true] {
                components
                    .responses
                    .insert(Self::name(status, page), RefOr::T(Self::response(description, page)));
            }
        }
        for item in doc.paths.paths.values_mut() {
            let ops = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete];
            for op in ops.into_iter().flatten() {
                let page = op.tags.as_ref().is_some_and(|t| t.iter().any(|t| t == "pages"));
                let secured = op
                    .security
                    .as_ref()
                    .is_some_and(|s| s.iter().any(|r| r != &Default::default()));
                let mut statuses: Vec<&str> = COMMON.iter().map(|(s, _)| *s).collect();
                if secured {
                    statuses.extend(SECURED.iter().map(|(s, _)| *s));
                }
                if op.request_body.is_some() {
                    statuses.extend(WITH_BODY.iter().map(|(s, _)| *s));
                }
                for status in statuses {
                    let reference = Ref::new(format!("#/components/responses/{}", Self::name(status, page)));
                    op.responses
                        .responses
                        .entry(status.to_string())
                        .or_insert(RefOr::Ref(reference));
                }
            }
        }
    }
}

/// The template routes' `{kind}`: the names of the email kinds, from the one list of them.
struct EmailKinds;

impl Modify for EmailKinds {
    fn modify(&self, doc: &mut Document) {
        let names: Vec<serde_json::Value> = app::email::EmailKind::ALL
            .iter()
            .map(|k| serde_json::Value::from(k.name()))
            .collect();
        let mut schema = Object::with_type(Type::String);
        schema.enum_values = Some(names);
        schema.description = Some("The kind of email".into());
        let components = doc.components.get_or_insert_with(Default::default);
        components
            .schemas
            .insert("EmailKindName".into(), RefOr::T(schema.into()));
    }
}

/// A portal step (`StepView`) carries the assignee's own fields (`OwnStepView`, flattened) on
/// the participant's own steps only: they are optional properties of the step.
struct OwnStepFields;

impl Modify for OwnStepFields {
    fn modify(&self, doc: &mut Document) {
        use utoipa::openapi::schema::Schema;
        let Some(components) = doc.components.as_mut() else {
            return;
        };
        let own = match components.schemas.get("OwnStepView") {
            Some(RefOr::T(Schema::Object(o))) => o.properties.clone(),
            _ => return,
        };
        if let Some(RefOr::T(Schema::Object(step))) = components.schemas.get_mut("StepView") {
            for (name, schema) in own {
                step.properties.entry(name).or_insert(schema);
            }
        }
    }
}
