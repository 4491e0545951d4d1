//! Built-in default email templates, one per (kind, language).
//!
//! Templates are minijinja (Jinja2) sources rendered with strict undefined behaviour: they use
//! only the variables listed for their kind in [`KINDS`], and test optional ones (which may be
//! empty strings) with `{% if var %}`. HTML parts rely on auto-escaping and never use `|safe`.
use crate::i18n::Lang;

pub struct DefaultTemplate {
    pub kind: &'static str,
    pub lang: Lang,
    pub subject: &'static str,
    pub text: &'static str,
    pub html: &'static str,
}

/// Every email kind the product sends, with the variables its templates may use.
pub const KINDS: &[(&str, &[&str])] = &[
    // A customer or installer has a step to do; `link` is their personal portal link.
    (
        "step_activated_participant",
        &[
            "recipient_name",
            "tenant_name",
            "process_name",
            "run_title",
            "step_name",
            "info_text",
            "due_date",
            "link",
        ],
    ),
    // A staff member has been assigned a step; `link` opens the run in the back office.
    (
        "step_activated_staff",
        &[
            "recipient_name",
            "tenant_name",
            "process_name",
            "run_title",
            "step_name",
            "due_date",
            "link",
        ],
    ),
    // Tells the step's owner that the step was done.
    (
        "step_completed",
        &[
            "recipient_name",
            "tenant_name",
            "process_name",
            "run_title",
            "step_name",
            "completed_by",
            "link",
        ],
    ),
    // Tells the staff member who started the run that all steps are done.
    (
        "run_completed",
        &["recipient_name", "tenant_name", "process_name", "run_title", "link"],
    ),
    // Tells the staff member who started the run; `link` may be empty.
    (
        "run_cancelled",
        &[
            "recipient_name",
            "tenant_name",
            "process_name",
            "run_title",
            "reason",
            "link",
        ],
    ),
    // Invites a partner organisation (an installation firm, say) to work with the tenant; `link`
    // opens the invitation page where the partner registers; `expires_date` may be empty.
    (
        "partner_invitation",
        &["recipient_name", "tenant_name", "partner_name", "link", "expires_date"],
    ),
    // A user was added to a partner organisation; `link` is their personal portal link.
    (
        "partner_user_added",
        &["recipient_name", "tenant_name", "partner_name", "link"],
    ),
    // Tells the step's owner that a partner set the appointment (due date) of its step; `link`
    // opens the run in the back office.
    (
        "partner_commissioning",
        &[
            "recipient_name",
            "tenant_name",
            "partner_name",
            "process_name",
            "run_title",
            "step_name",
            "due_date",
            "link",
        ],
    ),
];

/// Wraps an HTML body fragment (a string literal) in the shared, inline-styled email layout.
macro_rules! html_email {
    ($lang:literal, $body:literal) => {
        concat!(
            r#"<!doctype html>
<html lang=""#,
            $lang,
            r#"">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ tenant_name }}</title>
</head>
<body style="margin:0;padding:0;background-color:#f4f5f7;">
<div style="max-width:560px;margin:0 auto;padding:24px 16px;font-family:Arial,Helvetica,sans-serif;font-size:15px;line-height:1.5;color:#1f2933;">
<div style="background-color:#ffffff;border-radius:6px;padding:24px;">
"#,
            $body,
            r#"
</div>
</div>
</body>
</html>
"#
        )
    };
}
pub(crate) use html_email;

pub const DEFAULTS: &[DefaultTemplate] = &[
    // ---- step_activated_participant
    DefaultTemplate {
        kind: "step_activated_participant",
        lang: Lang::De,
        subject: r#"Bitte erledigen: {{ step_name }} – {{ process_name }}"#,
        text: r#"Guten Tag {{ recipient_name }}

Im Prozess «{{ process_name }}»{% if run_title %} ({{ run_title }}){% endif %} ist nun ein Schritt für Sie bereit: {{ step_name }}.
{% if info_text %}
{{ info_text }}
{% endif %}{% if due_date %}
Bitte erledigen Sie diesen Schritt bis {{ due_date }}.
{% endif %}
Über den folgenden Link gelangen Sie direkt zum Schritt im Portal von {{ tenant_name }}:
{{ link }}

Dieser Link ist persönlich und gilt nur für Sie. Bitte leiten Sie diese E-Mail nicht weiter.

Freundliche Grüsse
{{ tenant_name }}
"#,
        html: html_email!(
            "de",
            r#"<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#1f2933;">Bitte erledigen: {{ step_name }}</h1>
<p style="margin:0 0 16px;">Guten Tag {{ recipient_name }}</p>
<p style="margin:0 0 16px;">Im Prozess «{{ process_name }}»{% if run_title %} ({{ run_title }}){% endif %} ist nun ein Schritt für Sie bereit: <strong>{{ step_name }}</strong>.</p>
{% if info_text %}<p style="margin:0 0 16px;padding:12px 16px;background-color:#f4f5f7;border-left:4px solid #1a5fb4;white-space:pre-line;">{{ info_text }}</p>
{% endif %}{% if due_date %}<p style="margin:0 0 16px;">Bitte erledigen Sie diesen Schritt bis <strong>{{ due_date }}</strong>.</p>
{% endif %}<p style="margin:24px 0;"><a href="{{ link }}" style="display:inline-block;padding:12px 24px;background-color:#1a5fb4;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">Schritt öffnen</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">Falls die Schaltfläche nicht funktioniert, kopieren Sie diesen Link in Ihren Browser:<br><a href="{{ link }}" style="color:#1a5fb4;word-break:break-all;">{{ link }}</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">Dieser Link ist persönlich und gilt nur für Sie. Bitte leiten Sie diese E-Mail nicht weiter.</p>
<p style="margin:24px 0 0;">Freundliche Grüsse<br>{{ tenant_name }}</p>"#
        ),
    },
    DefaultTemplate {
        kind: "step_activated_participant",
        lang: Lang::En,
        subject: r#"Action required: {{ step_name }} – {{ process_name }}"#,
        text: r#"Hello {{ recipient_name }},

A step in the process “{{ process_name }}”{% if run_title %} ({{ run_title }}){% endif %} is now ready for you: {{ step_name }}.
{% if info_text %}
{{ info_text }}
{% endif %}{% if due_date %}
Please complete this step by {{ due_date }}.
{% endif %}
The following link takes you straight to the step in the {{ tenant_name }} portal:
{{ link }}

This link is personal and meant only for you. Please do not forward this email.

Kind regards,
{{ tenant_name }}
"#,
        html: html_email!(
            "en",
            r#"<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#1f2933;">Action required: {{ step_name }}</h1>
<p style="margin:0 0 16px;">Hello {{ recipient_name }},</p>
<p style="margin:0 0 16px;">A step in the process “{{ process_name }}”{% if run_title %} ({{ run_title }}){% endif %} is now ready for you: <strong>{{ step_name }}</strong>.</p>
{% if info_text %}<p style="margin:0 0 16px;padding:12px 16px;background-color:#f4f5f7;border-left:4px solid #1a5fb4;white-space:pre-line;">{{ info_text }}</p>
{% endif %}{% if due_date %}<p style="margin:0 0 16px;">Please complete this step by <strong>{{ due_date }}</strong>.</p>
{% endif %}<p style="margin:24px 0;"><a href="{{ link }}" style="display:inline-block;padding:12px 24px;background-color:#1a5fb4;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">Open step</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">If the button does not work, copy this link into your browser:<br><a href="{{ link }}" style="color:#1a5fb4;word-break:break-all;">{{ link }}</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">This link is personal and meant only for you. Please do not forward this email.</p>
<p style="margin:24px 0 0;">Kind regards,<br>{{ tenant_name }}</p>"#
        ),
    },
    DefaultTemplate {
        kind: "step_activated_participant",
        lang: Lang::Fr,
        subject: r#"Action requise : {{ step_name }} – {{ process_name }}"#,
        text: r#"Bonjour {{ recipient_name }},

Une étape du processus « {{ process_name }} »{% if run_title %} ({{ run_title }}){% endif %} vous attend : {{ step_name }}.
{% if info_text %}
{{ info_text }}
{% endif %}{% if due_date %}
Merci d'effectuer cette étape au plus tard le {{ due_date }}.
{% endif %}
Le lien suivant vous mène directement à cette étape sur le portail de {{ tenant_name }} :
{{ link }}

Ce lien est personnel et vous est exclusivement destiné. Merci de ne pas transférer cet e-mail.

Meilleures salutations
{{ tenant_name }}
"#,
        html: html_email!(
            "fr",
            r#"<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#1f2933;">Action requise : {{ step_name }}</h1>
<p style="margin:0 0 16px;">Bonjour {{ recipient_name }},</p>
<p style="margin:0 0 16px;">Une étape du processus « {{ process_name }} »{% if run_title %} ({{ run_title }}){% endif %} vous attend : <strong>{{ step_name }}</strong>.</p>
{% if info_text %}<p style="margin:0 0 16px;padding:12px 16px;background-color:#f4f5f7;border-left:4px solid #1a5fb4;white-space:pre-line;">{{ info_text }}</p>
{% endif %}{% if due_date %}<p style="margin:0 0 16px;">Merci d'effectuer cette étape au plus tard le <strong>{{ due_date }}</strong>.</p>
{% endif %}<p style="margin:24px 0;"><a href="{{ link }}" style="display:inline-block;padding:12px 24px;background-color:#1a5fb4;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">Ouvrir l'étape</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">Si le bouton ne fonctionne pas, copiez ce lien dans votre navigateur :<br><a href="{{ link }}" style="color:#1a5fb4;word-break:break-all;">{{ link }}</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">Ce lien est personnel et vous est exclusivement destiné. Merci de ne pas transférer cet e-mail.</p>
<p style="margin:24px 0 0;">Meilleures salutations<br>{{ tenant_name }}</p>"#
        ),
    },
    DefaultTemplate {
        kind: "step_activated_participant",
        lang: Lang::It,
        subject: r#"Azione richiesta: {{ step_name }} – {{ process_name }}"#,
        text: r#"Buongiorno {{ recipient_name }},

Una fase del processo «{{ process_name }}»{% if run_title %} ({{ run_title }}){% endif %} La attende: {{ step_name }}.
{% if info_text %}
{{ info_text }}
{% endif %}{% if due_date %}
La preghiamo di completare questa fase entro il {{ due_date }}.
{% endif %}
Tramite il seguente link accede direttamente alla fase nel portale di {{ tenant_name }}:
{{ link }}

Questo link è personale e destinato esclusivamente a Lei. La preghiamo di non inoltrare questa e-mail.

Cordiali saluti
{{ tenant_name }}
"#,
        html: html_email!(
            "it",
            r#"<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#1f2933;">Azione richiesta: {{ step_name }}</h1>
<p style="margin:0 0 16px;">Buongiorno {{ recipient_name }},</p>
<p style="margin:0 0 16px;">Una fase del processo «{{ process_name }}»{% if run_title %} ({{ run_title }}){% endif %} La attende: <strong>{{ step_name }}</strong>.</p>
{% if info_text %}<p style="margin:0 0 16px;padding:12px 16px;background-color:#f4f5f7;border-left:4px solid #1a5fb4;white-space:pre-line;">{{ info_text }}</p>
{% endif %}{% if due_date %}<p style="margin:0 0 16px;">La preghiamo di completare questa fase entro il <strong>{{ due_date }}</strong>.</p>
{% endif %}<p style="margin:24px 0;"><a href="{{ link }}" style="display:inline-block;padding:12px 24px;background-color:#1a5fb4;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">Apri la fase</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">Se il pulsante non funziona, copi questo link nel Suo browser:<br><a href="{{ link }}" style="color:#1a5fb4;word-break:break-all;">{{ link }}</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">Questo link è personale e destinato esclusivamente a Lei. La preghiamo di non inoltrare questa e-mail.</p>
<p style="margin:24px 0 0;">Cordiali saluti<br>{{ tenant_name }}</p>"#
        ),
    },
    // ---- step_activated_staff
    DefaultTemplate {
        kind: "step_activated_staff",
        lang: Lang::De,
        subject: r#"Neue Aufgabe: {{ step_name }} – {{ process_name }}"#,
        text: r#"Guten Tag {{ recipient_name }}

Ihnen wurde im Prozess «{{ process_name }}»{% if run_title %} ({{ run_title }}){% endif %} der Schritt «{{ step_name }}» zugewiesen.
{% if due_date %}
Bitte erledigen Sie ihn bis {{ due_date }}.
{% endif %}
Im Backoffice öffnen:
{{ link }}

Freundliche Grüsse
{{ tenant_name }}
"#,
        html: html_email!(
            "de",
            r#"<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#1f2933;">Neue Aufgabe: {{ step_name }}</h1>
<p style="margin:0 0 16px;">Guten Tag {{ recipient_name }}</p>
<p style="margin:0 0 16px;">Ihnen wurde im Prozess «{{ process_name }}»{% if run_title %} ({{ run_title }}){% endif %} der Schritt «{{ step_name }}» zugewiesen.</p>
{% if due_date %}<p style="margin:0 0 16px;">Bitte erledigen Sie ihn bis <strong>{{ due_date }}</strong>.</p>
{% endif %}<p style="margin:24px 0;"><a href="{{ link }}" style="display:inline-block;padding:12px 24px;background-color:#1a5fb4;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">Im Backoffice öffnen</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">Falls die Schaltfläche nicht funktioniert, kopieren Sie diesen Link in Ihren Browser:<br><a href="{{ link }}" style="color:#1a5fb4;word-break:break-all;">{{ link }}</a></p>
<p style="margin:24px 0 0;">Freundliche Grüsse<br>{{ tenant_name }}</p>"#
        ),
    },
    DefaultTemplate {
        kind: "step_activated_staff",
        lang: Lang::En,
        subject: r#"New task: {{ step_name }} – {{ process_name }}"#,
        text: r#"Hello {{ recipient_name }},

You have been assigned the step “{{ step_name }}” in the process “{{ process_name }}”{% if run_title %} ({{ run_title }}){% endif %}.
{% if due_date %}
Please complete it by {{ due_date }}.
{% endif %}
Open it in the back office:
{{ link }}

Kind regards,
{{ tenant_name }}
"#,
        html: html_email!(
            "en",
            r#"<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#1f2933;">New task: {{ step_name }}</h1>
<p style="margin:0 0 16px;">Hello {{ recipient_name }},</p>
<p style="margin:0 0 16px;">You have been assigned the step “{{ step_name }}” in the process “{{ process_name }}”{% if run_title %} ({{ run_title }}){% endif %}.</p>
{% if due_date %}<p style="margin:0 0 16px;">Please complete it by <strong>{{ due_date }}</strong>.</p>
{% endif %}<p style="margin:24px 0;"><a href="{{ link }}" style="display:inline-block;padding:12px 24px;background-color:#1a5fb4;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">Open in the back office</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">If the button does not work, copy this link into your browser:<br><a href="{{ link }}" style="color:#1a5fb4;word-break:break-all;">{{ link }}</a></p>
<p style="margin:24px 0 0;">Kind regards,<br>{{ tenant_name }}</p>"#
        ),
    },
    DefaultTemplate {
        kind: "step_activated_staff",
        lang: Lang::Fr,
        subject: r#"Nouvelle tâche : {{ step_name }} – {{ process_name }}"#,
        text: r#"Bonjour {{ recipient_name }},

L'étape « {{ step_name }} » du processus « {{ process_name }} »{% if run_title %} ({{ run_title }}){% endif %} vous a été attribuée.
{% if due_date %}
Merci de l'effectuer au plus tard le {{ due_date }}.
{% endif %}
Ouvrir dans le back-office :
{{ link }}

Meilleures salutations
{{ tenant_name }}
"#,
        html: html_email!(
            "fr",
            r#"<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#1f2933;">Nouvelle tâche : {{ step_name }}</h1>
<p style="margin:0 0 16px;">Bonjour {{ recipient_name }},</p>
<p style="margin:0 0 16px;">L'étape « {{ step_name }} » du processus « {{ process_name }} »{% if run_title %} ({{ run_title }}){% endif %} vous a été attribuée.</p>
{% if due_date %}<p style="margin:0 0 16px;">Merci de l'effectuer au plus tard le <strong>{{ due_date }}</strong>.</p>
{% endif %}<p style="margin:24px 0;"><a href="{{ link }}" style="display:inline-block;padding:12px 24px;background-color:#1a5fb4;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">Ouvrir dans le back-office</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">Si le bouton ne fonctionne pas, copiez ce lien dans votre navigateur :<br><a href="{{ link }}" style="color:#1a5fb4;word-break:break-all;">{{ link }}</a></p>
<p style="margin:24px 0 0;">Meilleures salutations<br>{{ tenant_name }}</p>"#
        ),
    },
    DefaultTemplate {
        kind: "step_activated_staff",
        lang: Lang::It,
        subject: r#"Nuovo compito: {{ step_name }} – {{ process_name }}"#,
        text: r#"Buongiorno {{ recipient_name }},

Le è stata assegnata la fase «{{ step_name }}» del processo «{{ process_name }}»{% if run_title %} ({{ run_title }}){% endif %}.
{% if due_date %}
La preghiamo di completarla entro il {{ due_date }}.
{% endif %}
Apri nel back office:
{{ link }}

Cordiali saluti
{{ tenant_name }}
"#,
        html: html_email!(
            "it",
            r#"<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#1f2933;">Nuovo compito: {{ step_name }}</h1>
<p style="margin:0 0 16px;">Buongiorno {{ recipient_name }},</p>
<p style="margin:0 0 16px;">Le è stata assegnata la fase «{{ step_name }}» del processo «{{ process_name }}»{% if run_title %} ({{ run_title }}){% endif %}.</p>
{% if due_date %}<p style="margin:0 0 16px;">La preghiamo di completarla entro il <strong>{{ due_date }}</strong>.</p>
{% endif %}<p style="margin:24px 0;"><a href="{{ link }}" style="display:inline-block;padding:12px 24px;background-color:#1a5fb4;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">Apri nel back office</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">Se il pulsante non funziona, copi questo link nel Suo browser:<br><a href="{{ link }}" style="color:#1a5fb4;word-break:break-all;">{{ link }}</a></p>
<p style="margin:24px 0 0;">Cordiali saluti<br>{{ tenant_name }}</p>"#
        ),
    },
    // ---- step_completed
    DefaultTemplate {
        kind: "step_completed",
        lang: Lang::De,
        subject: r#"Schritt erledigt: {{ step_name }} – {{ process_name }}"#,
        text: r#"Guten Tag {{ recipient_name }}

Im Prozess «{{ process_name }}»{% if run_title %} ({{ run_title }}){% endif %} wurde der Schritt «{{ step_name }}»{% if completed_by %} von {{ completed_by }}{% endif %} erledigt. Sie erhalten diese Nachricht, weil Sie für diesen Schritt verantwortlich sind.

Im Backoffice öffnen:
{{ link }}

Freundliche Grüsse
{{ tenant_name }}
"#,
        html: html_email!(
            "de",
            r#"<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#1f2933;">Schritt erledigt: {{ step_name }}</h1>
<p style="margin:0 0 16px;">Guten Tag {{ recipient_name }}</p>
<p style="margin:0 0 16px;">Im Prozess «{{ process_name }}»{% if run_title %} ({{ run_title }}){% endif %} wurde der Schritt «{{ step_name }}»{% if completed_by %} von {{ completed_by }}{% endif %} erledigt. Sie erhalten diese Nachricht, weil Sie für diesen Schritt verantwortlich sind.</p>
<p style="margin:24px 0;"><a href="{{ link }}" style="display:inline-block;padding:12px 24px;background-color:#1a5fb4;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">Im Backoffice öffnen</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">Falls die Schaltfläche nicht funktioniert, kopieren Sie diesen Link in Ihren Browser:<br><a href="{{ link }}" style="color:#1a5fb4;word-break:break-all;">{{ link }}</a></p>
<p style="margin:24px 0 0;">Freundliche Grüsse<br>{{ tenant_name }}</p>"#
        ),
    },
    DefaultTemplate {
        kind: "step_completed",
        lang: Lang::En,
        subject: r#"Step completed: {{ step_name }} – {{ process_name }}"#,
        text: r#"Hello {{ recipient_name }},

The step “{{ step_name }}” in the process “{{ process_name }}”{% if run_title %} ({{ run_title }}){% endif %} has been completed{% if completed_by %} by {{ completed_by }}{% endif %}. You are receiving this message because you are responsible for this step.

Open it in the back office:
{{ link }}

Kind regards,
{{ tenant_name }}
"#,
        html: html_email!(
            "en",
            r#"<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#1f2933;">Step completed: {{ step_name }}</h1>
<p style="margin:0 0 16px;">Hello {{ recipient_name }},</p>
<p style="margin:0 0 16px;">The step “{{ step_name }}” in the process “{{ process_name }}”{% if run_title %} ({{ run_title }}){% endif %} has been completed{% if completed_by %} by {{ completed_by }}{% endif %}. You are receiving this message because you are responsible for this step.</p>
<p style="margin:24px 0;"><a href="{{ link }}" style="display:inline-block;padding:12px 24px;background-color:#1a5fb4;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">Open in the back office</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">If the button does not work, copy this link into your browser:<br><a href="{{ link }}" style="color:#1a5fb4;word-break:break-all;">{{ link }}</a></p>
<p style="margin:24px 0 0;">Kind regards,<br>{{ tenant_name }}</p>"#
        ),
    },
    DefaultTemplate {
        kind: "step_completed",
        lang: Lang::Fr,
        subject: r#"Étape terminée : {{ step_name }} – {{ process_name }}"#,
        text: r#"Bonjour {{ recipient_name }},

L'étape « {{ step_name }} » du processus « {{ process_name }} »{% if run_title %} ({{ run_title }}){% endif %} a été effectuée{% if completed_by %} par {{ completed_by }}{% endif %}. Vous recevez ce message parce que vous êtes responsable de cette étape.

Ouvrir dans le back-office :
{{ link }}

Meilleures salutations
{{ tenant_name }}
"#,
        html: html_email!(
            "fr",
            r#"<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#1f2933;">Étape terminée : {{ step_name }}</h1>
<p style="margin:0 0 16px;">Bonjour {{ recipient_name }},</p>
<p style="margin:0 0 16px;">L'étape « {{ step_name }} » du processus « {{ process_name }} »{% if run_title %} ({{ run_title }}){% endif %} a été effectuée{% if completed_by %} par {{ completed_by }}{% endif %}. Vous recevez ce message parce que vous êtes responsable de cette étape.</p>
<p style="margin:24px 0;"><a href="{{ link }}" style="display:inline-block;padding:12px 24px;background-color:#1a5fb4;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">Ouvrir dans le back-office</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">Si le bouton ne fonctionne pas, copiez ce lien dans votre navigateur :<br><a href="{{ link }}" style="color:#1a5fb4;word-break:break-all;">{{ link }}</a></p>
<p style="margin:24px 0 0;">Meilleures salutations<br>{{ tenant_name }}</p>"#
        ),
    },
    DefaultTemplate {
        kind: "step_completed",
        lang: Lang::It,
        subject: r#"Fase completata: {{ step_name }} – {{ process_name }}"#,
        text: r#"Buongiorno {{ recipient_name }},

La fase «{{ step_name }}» del processo «{{ process_name }}»{% if run_title %} ({{ run_title }}){% endif %} è stata completata{% if completed_by %} da {{ completed_by }}{% endif %}. Riceve questo messaggio perché è responsabile di questa fase.

Apri nel back office:
{{ link }}

Cordiali saluti
{{ tenant_name }}
"#,
        html: html_email!(
            "it",
            r#"<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#1f2933;">Fase completata: {{ step_name }}</h1>
<p style="margin:0 0 16px;">Buongiorno {{ recipient_name }},</p>
<p style="margin:0 0 16px;">La fase «{{ step_name }}» del processo «{{ process_name }}»{% if run_title %} ({{ run_title }}){% endif %} è stata completata{% if completed_by %} da {{ completed_by }}{% endif %}. Riceve questo messaggio perché è responsabile di questa fase.</p>
<p style="margin:24px 0;"><a href="{{ link }}" style="display:inline-block;padding:12px 24px;background-color:#1a5fb4;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">Apri nel back office</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">Se il pulsante non funziona, copi questo link nel Suo browser:<br><a href="{{ link }}" style="color:#1a5fb4;word-break:break-all;">{{ link }}</a></p>
<p style="margin:24px 0 0;">Cordiali saluti<br>{{ tenant_name }}</p>"#
        ),
    },
    // ---- run_completed
    DefaultTemplate {
        kind: "run_completed",
        lang: Lang::De,
        subject: r#"Prozess abgeschlossen: {{ process_name }}{% if run_title %} – {{ run_title }}{% endif %}"#,
        text: r#"Guten Tag {{ recipient_name }}

Alle Schritte im Prozess «{{ process_name }}»{% if run_title %} ({{ run_title }}){% endif %} sind erledigt, der Prozess ist damit abgeschlossen. Sie erhalten diese Nachricht, weil Sie den Prozess gestartet haben.

Im Backoffice öffnen:
{{ link }}

Freundliche Grüsse
{{ tenant_name }}
"#,
        html: html_email!(
            "de",
            r#"<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#1f2933;">Prozess abgeschlossen</h1>
<p style="margin:0 0 16px;">Guten Tag {{ recipient_name }}</p>
<p style="margin:0 0 16px;">Alle Schritte im Prozess «{{ process_name }}»{% if run_title %} ({{ run_title }}){% endif %} sind erledigt, der Prozess ist damit abgeschlossen. Sie erhalten diese Nachricht, weil Sie den Prozess gestartet haben.</p>
<p style="margin:24px 0;"><a href="{{ link }}" style="display:inline-block;padding:12px 24px;background-color:#1a5fb4;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">Im Backoffice öffnen</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">Falls die Schaltfläche nicht funktioniert, kopieren Sie diesen Link in Ihren Browser:<br><a href="{{ link }}" style="color:#1a5fb4;word-break:break-all;">{{ link }}</a></p>
<p style="margin:24px 0 0;">Freundliche Grüsse<br>{{ tenant_name }}</p>"#
        ),
    },
    DefaultTemplate {
        kind: "run_completed",
        lang: Lang::En,
        subject: r#"Process completed: {{ process_name }}{% if run_title %} – {{ run_title }}{% endif %}"#,
        text: r#"Hello {{ recipient_name }},

All steps in the process “{{ process_name }}”{% if run_title %} ({{ run_title }}){% endif %} are done, so the process is now complete. You are receiving this message because you started the process.

Open it in the back office:
{{ link }}

Kind regards,
{{ tenant_name }}
"#,
        html: html_email!(
            "en",
            r#"<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#1f2933;">Process completed</h1>
<p style="margin:0 0 16px;">Hello {{ recipient_name }},</p>
<p style="margin:0 0 16px;">All steps in the process “{{ process_name }}”{% if run_title %} ({{ run_title }}){% endif %} are done, so the process is now complete. You are receiving this message because you started the process.</p>
<p style="margin:24px 0;"><a href="{{ link }}" style="display:inline-block;padding:12px 24px;background-color:#1a5fb4;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">Open in the back office</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">If the button does not work, copy this link into your browser:<br><a href="{{ link }}" style="color:#1a5fb4;word-break:break-all;">{{ link }}</a></p>
<p style="margin:24px 0 0;">Kind regards,<br>{{ tenant_name }}</p>"#
        ),
    },
    DefaultTemplate {
        kind: "run_completed",
        lang: Lang::Fr,
        subject: r#"Processus terminé : {{ process_name }}{% if run_title %} – {{ run_title }}{% endif %}"#,
        text: r#"Bonjour {{ recipient_name }},

Toutes les étapes du processus « {{ process_name }} »{% if run_title %} ({{ run_title }}){% endif %} ont été effectuées : le processus est donc terminé. Vous recevez ce message parce que vous avez lancé ce processus.

Ouvrir dans le back-office :
{{ link }}

Meilleures salutations
{{ tenant_name }}
"#,
        html: html_email!(
            "fr",
            r#"<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#1f2933;">Processus terminé</h1>
<p style="margin:0 0 16px;">Bonjour {{ recipient_name }},</p>
<p style="margin:0 0 16px;">Toutes les étapes du processus « {{ process_name }} »{% if run_title %} ({{ run_title }}){% endif %} ont été effectuées : le processus est donc terminé. Vous recevez ce message parce que vous avez lancé ce processus.</p>
<p style="margin:24px 0;"><a href="{{ link }}" style="display:inline-block;padding:12px 24px;background-color:#1a5fb4;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">Ouvrir dans le back-office</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">Si le bouton ne fonctionne pas, copiez ce lien dans votre navigateur :<br><a href="{{ link }}" style="color:#1a5fb4;word-break:break-all;">{{ link }}</a></p>
<p style="margin:24px 0 0;">Meilleures salutations<br>{{ tenant_name }}</p>"#
        ),
    },
    DefaultTemplate {
        kind: "run_completed",
        lang: Lang::It,
        subject: r#"Processo completato: {{ process_name }}{% if run_title %} – {{ run_title }}{% endif %}"#,
        text: r#"Buongiorno {{ recipient_name }},

Tutte le fasi del processo «{{ process_name }}»{% if run_title %} ({{ run_title }}){% endif %} sono state completate: il processo è quindi concluso. Riceve questo messaggio perché ha avviato il processo.

Apri nel back office:
{{ link }}

Cordiali saluti
{{ tenant_name }}
"#,
        html: html_email!(
            "it",
            r#"<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#1f2933;">Processo completato</h1>
<p style="margin:0 0 16px;">Buongiorno {{ recipient_name }},</p>
<p style="margin:0 0 16px;">Tutte le fasi del processo «{{ process_name }}»{% if run_title %} ({{ run_title }}){% endif %} sono state completate: il processo è quindi concluso. Riceve questo messaggio perché ha avviato il processo.</p>
<p style="margin:24px 0;"><a href="{{ link }}" style="display:inline-block;padding:12px 24px;background-color:#1a5fb4;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">Apri nel back office</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">Se il pulsante non funziona, copi questo link nel Suo browser:<br><a href="{{ link }}" style="color:#1a5fb4;word-break:break-all;">{{ link }}</a></p>
<p style="margin:24px 0 0;">Cordiali saluti<br>{{ tenant_name }}</p>"#
        ),
    },
    // ---- run_cancelled
    DefaultTemplate {
        kind: "run_cancelled",
        lang: Lang::De,
        subject: r#"Prozess abgebrochen: {{ process_name }}{% if run_title %} – {{ run_title }}{% endif %}"#,
        text: r#"Guten Tag {{ recipient_name }}

Der Prozess «{{ process_name }}»{% if run_title %} ({{ run_title }}){% endif %} wurde abgebrochen. Offene Schritte müssen nicht mehr erledigt werden.
{% if reason %}
Grund: {{ reason }}
{% endif %}{% if link %}
Details ansehen:
{{ link }}
{% endif %}
Freundliche Grüsse
{{ tenant_name }}
"#,
        html: html_email!(
            "de",
            r#"<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#1f2933;">Prozess abgebrochen</h1>
<p style="margin:0 0 16px;">Guten Tag {{ recipient_name }}</p>
<p style="margin:0 0 16px;">Der Prozess «{{ process_name }}»{% if run_title %} ({{ run_title }}){% endif %} wurde abgebrochen. Offene Schritte müssen nicht mehr erledigt werden.</p>
{% if reason %}<p style="margin:0 0 16px;padding:12px 16px;background-color:#f4f5f7;border-left:4px solid #1a5fb4;white-space:pre-line;"><strong>Grund:</strong> {{ reason }}</p>
{% endif %}{% if link %}<p style="margin:24px 0;"><a href="{{ link }}" style="display:inline-block;padding:12px 24px;background-color:#1a5fb4;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">Details ansehen</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">Falls die Schaltfläche nicht funktioniert, kopieren Sie diesen Link in Ihren Browser:<br><a href="{{ link }}" style="color:#1a5fb4;word-break:break-all;">{{ link }}</a></p>
{% endif %}<p style="margin:24px 0 0;">Freundliche Grüsse<br>{{ tenant_name }}</p>"#
        ),
    },
    DefaultTemplate {
        kind: "run_cancelled",
        lang: Lang::En,
        subject: r#"Process cancelled: {{ process_name }}{% if run_title %} – {{ run_title }}{% endif %}"#,
        text: r#"Hello {{ recipient_name }},

The process “{{ process_name }}”{% if run_title %} ({{ run_title }}){% endif %} has been cancelled. Any open steps no longer need to be completed.
{% if reason %}
Reason: {{ reason }}
{% endif %}{% if link %}
View details:
{{ link }}
{% endif %}
Kind regards,
{{ tenant_name }}
"#,
        html: html_email!(
            "en",
            r#"<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#1f2933;">Process cancelled</h1>
<p style="margin:0 0 16px;">Hello {{ recipient_name }},</p>
<p style="margin:0 0 16px;">The process “{{ process_name }}”{% if run_title %} ({{ run_title }}){% endif %} has been cancelled. Any open steps no longer need to be completed.</p>
{% if reason %}<p style="margin:0 0 16px;padding:12px 16px;background-color:#f4f5f7;border-left:4px solid #1a5fb4;white-space:pre-line;"><strong>Reason:</strong> {{ reason }}</p>
{% endif %}{% if link %}<p style="margin:24px 0;"><a href="{{ link }}" style="display:inline-block;padding:12px 24px;background-color:#1a5fb4;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">View details</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">If the button does not work, copy this link into your browser:<br><a href="{{ link }}" style="color:#1a5fb4;word-break:break-all;">{{ link }}</a></p>
{% endif %}<p style="margin:24px 0 0;">Kind regards,<br>{{ tenant_name }}</p>"#
        ),
    },
    DefaultTemplate {
        kind: "run_cancelled",
        lang: Lang::Fr,
        subject: r#"Processus annulé : {{ process_name }}{% if run_title %} – {{ run_title }}{% endif %}"#,
        text: r#"Bonjour {{ recipient_name }},

Le processus « {{ process_name }} »{% if run_title %} ({{ run_title }}){% endif %} a été annulé. Les étapes encore ouvertes n'ont plus besoin d'être effectuées.
{% if reason %}
Motif : {{ reason }}
{% endif %}{% if link %}
Voir les détails :
{{ link }}
{% endif %}
Meilleures salutations
{{ tenant_name }}
"#,
        html: html_email!(
            "fr",
            r#"<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#1f2933;">Processus annulé</h1>
<p style="margin:0 0 16px;">Bonjour {{ recipient_name }},</p>
<p style="margin:0 0 16px;">Le processus « {{ process_name }} »{% if run_title %} ({{ run_title }}){% endif %} a été annulé. Les étapes encore ouvertes n'ont plus besoin d'être effectuées.</p>
{% if reason %}<p style="margin:0 0 16px;padding:12px 16px;background-color:#f4f5f7;border-left:4px solid #1a5fb4;white-space:pre-line;"><strong>Motif :</strong> {{ reason }}</p>
{% endif %}{% if link %}<p style="margin:24px 0;"><a href="{{ link }}" style="display:inline-block;padding:12px 24px;background-color:#1a5fb4;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">Voir les détails</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">Si le bouton ne fonctionne pas, copiez ce lien dans votre navigateur :<br><a href="{{ link }}" style="color:#1a5fb4;word-break:break-all;">{{ link }}</a></p>
{% endif %}<p style="margin:24px 0 0;">Meilleures salutations<br>{{ tenant_name }}</p>"#
        ),
    },
    DefaultTemplate {
        kind: "run_cancelled",
        lang: Lang::It,
        subject: r#"Processo annullato: {{ process_name }}{% if run_title %} – {{ run_title }}{% endif %}"#,
        text: r#"Buongiorno {{ recipient_name }},

Il processo «{{ process_name }}»{% if run_title %} ({{ run_title }}){% endif %} è stato annullato. Le fasi ancora aperte non devono più essere completate.
{% if reason %}
Motivo: {{ reason }}
{% endif %}{% if link %}
Visualizza i dettagli:
{{ link }}
{% endif %}
Cordiali saluti
{{ tenant_name }}
"#,
        html: html_email!(
            "it",
            r#"<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#1f2933;">Processo annullato</h1>
<p style="margin:0 0 16px;">Buongiorno {{ recipient_name }},</p>
<p style="margin:0 0 16px;">Il processo «{{ process_name }}»{% if run_title %} ({{ run_title }}){% endif %} è stato annullato. Le fasi ancora aperte non devono più essere completate.</p>
{% if reason %}<p style="margin:0 0 16px;padding:12px 16px;background-color:#f4f5f7;border-left:4px solid #1a5fb4;white-space:pre-line;"><strong>Motivo:</strong> {{ reason }}</p>
{% endif %}{% if link %}<p style="margin:24px 0;"><a href="{{ link }}" style="display:inline-block;padding:12px 24px;background-color:#1a5fb4;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">Visualizza i dettagli</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">Se il pulsante non funziona, copi questo link nel Suo browser:<br><a href="{{ link }}" style="color:#1a5fb4;word-break:break-all;">{{ link }}</a></p>
{% endif %}<p style="margin:24px 0 0;">Cordiali saluti<br>{{ tenant_name }}</p>"#
        ),
    },
    // ---- partner_invitation
    DefaultTemplate {
        kind: "partner_invitation",
        lang: Lang::De,
        subject: r#"Einladung zur Zusammenarbeit mit {{ tenant_name }}"#,
        text: r#"Guten Tag {{ recipient_name }}

{{ partner_name }} ist eingeladen, als Partner auf der Prozessplattform von {{ tenant_name }} mitzuarbeiten. Auf der Einladungsseite registrieren Sie Ihre Organisation und den ersten Benutzer.

Einladung öffnen:
{{ link }}

Dieser Link ist persönlich und {% if expires_date %}gültig bis {{ expires_date }}{% else %}nur befristet gültig{% endif %}. Bitte leiten Sie diese E-Mail nicht weiter.

Freundliche Grüsse
{{ tenant_name }}
"#,
        html: html_email!(
            "de",
            r#"<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#1f2933;">Einladung zur Zusammenarbeit</h1>
<p style="margin:0 0 16px;">Guten Tag {{ recipient_name }}</p>
<p style="margin:0 0 16px;"><strong>{{ partner_name }}</strong> ist eingeladen, als Partner auf der Prozessplattform von {{ tenant_name }} mitzuarbeiten. Auf der Einladungsseite registrieren Sie Ihre Organisation und den ersten Benutzer.</p>
<p style="margin:24px 0;"><a href="{{ link }}" style="display:inline-block;padding:12px 24px;background-color:#1a5fb4;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">Einladung öffnen</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">Falls die Schaltfläche nicht funktioniert, kopieren Sie diesen Link in Ihren Browser:<br><a href="{{ link }}" style="color:#1a5fb4;word-break:break-all;">{{ link }}</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">Dieser Link ist persönlich und {% if expires_date %}gültig bis <strong>{{ expires_date }}</strong>{% else %}nur befristet gültig{% endif %}. Bitte leiten Sie diese E-Mail nicht weiter.</p>
<p style="margin:24px 0 0;">Freundliche Grüsse<br>{{ tenant_name }}</p>"#
        ),
    },
    DefaultTemplate {
        kind: "partner_invitation",
        lang: Lang::En,
        subject: r#"Invitation to work with {{ tenant_name }}"#,
        text: r#"Hello {{ recipient_name }},

{{ tenant_name }} invites {{ partner_name }} to join its process platform as a partner. On the invitation page, you can register your organisation and its first user.

Open the invitation:
{{ link }}

This link is personal and {% if expires_date %}valid until {{ expires_date }}{% else %}only valid for a limited time{% endif %}. Please do not forward this email.

Kind regards,
{{ tenant_name }}
"#,
        html: html_email!(
            "en",
            r#"<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#1f2933;">Invitation to work together</h1>
<p style="margin:0 0 16px;">Hello {{ recipient_name }},</p>
<p style="margin:0 0 16px;">{{ tenant_name }} invites <strong>{{ partner_name }}</strong> to join its process platform as a partner. On the invitation page, you can register your organisation and its first user.</p>
<p style="margin:24px 0;"><a href="{{ link }}" style="display:inline-block;padding:12px 24px;background-color:#1a5fb4;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">Open invitation</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">If the button does not work, copy this link into your browser:<br><a href="{{ link }}" style="color:#1a5fb4;word-break:break-all;">{{ link }}</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">This link is personal and {% if expires_date %}valid until <strong>{{ expires_date }}</strong>{% else %}only valid for a limited time{% endif %}. Please do not forward this email.</p>
<p style="margin:24px 0 0;">Kind regards,<br>{{ tenant_name }}</p>"#
        ),
    },
    DefaultTemplate {
        kind: "partner_invitation",
        lang: Lang::Fr,
        subject: r#"Invitation à collaborer avec {{ tenant_name }}"#,
        text: r#"Bonjour {{ recipient_name }},

{{ tenant_name }} invite {{ partner_name }} à collaborer en tant que partenaire sur sa plateforme de gestion des processus. La page d'invitation vous permet d'enregistrer votre organisation et son premier utilisateur.

Ouvrir l'invitation :
{{ link }}

Ce lien est personnel et {% if expires_date %}valable jusqu'au {{ expires_date }}{% else %}valable pour une durée limitée{% endif %}. Merci de ne pas transférer cet e-mail.

Meilleures salutations
{{ tenant_name }}
"#,
        html: html_email!(
            "fr",
            r#"<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#1f2933;">Invitation à collaborer</h1>
<p style="margin:0 0 16px;">Bonjour {{ recipient_name }},</p>
<p style="margin:0 0 16px;">{{ tenant_name }} invite <strong>{{ partner_name }}</strong> à collaborer en tant que partenaire sur sa plateforme de gestion des processus. La page d'invitation vous permet d'enregistrer votre organisation et son premier utilisateur.</p>
<p style="margin:24px 0;"><a href="{{ link }}" style="display:inline-block;padding:12px 24px;background-color:#1a5fb4;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">Ouvrir l'invitation</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">Si le bouton ne fonctionne pas, copiez ce lien dans votre navigateur :<br><a href="{{ link }}" style="color:#1a5fb4;word-break:break-all;">{{ link }}</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">Ce lien est personnel et {% if expires_date %}valable jusqu'au <strong>{{ expires_date }}</strong>{% else %}valable pour une durée limitée{% endif %}. Merci de ne pas transférer cet e-mail.</p>
<p style="margin:24px 0 0;">Meilleures salutations<br>{{ tenant_name }}</p>"#
        ),
    },
    DefaultTemplate {
        kind: "partner_invitation",
        lang: Lang::It,
        subject: r#"Invito a collaborare con {{ tenant_name }}"#,
        text: r#"Buongiorno {{ recipient_name }},

{{ tenant_name }} invita {{ partner_name }} a collaborare come partner sulla propria piattaforma di gestione dei processi. Nella pagina d'invito può registrare la Sua organizzazione e il primo utente.

Apri l'invito:
{{ link }}

Questo link è personale e {% if expires_date %}valido fino al {{ expires_date }}{% else %}valido solo per un periodo limitato{% endif %}. La preghiamo di non inoltrare questa e-mail.

Cordiali saluti
{{ tenant_name }}
"#,
        html: html_email!(
            "it",
            r#"<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#1f2933;">Invito a collaborare</h1>
<p style="margin:0 0 16px;">Buongiorno {{ recipient_name }},</p>
<p style="margin:0 0 16px;">{{ tenant_name }} invita <strong>{{ partner_name }}</strong> a collaborare come partner sulla propria piattaforma di gestione dei processi. Nella pagina d'invito può registrare la Sua organizzazione e il primo utente.</p>
<p style="margin:24px 0;"><a href="{{ link }}" style="display:inline-block;padding:12px 24px;background-color:#1a5fb4;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">Apri l'invito</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">Se il pulsante non funziona, copi questo link nel Suo browser:<br><a href="{{ link }}" style="color:#1a5fb4;word-break:break-all;">{{ link }}</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">Questo link è personale e {% if expires_date %}valido fino al <strong>{{ expires_date }}</strong>{% else %}valido solo per un periodo limitato{% endif %}. La preghiamo di non inoltrare questa e-mail.</p>
<p style="margin:24px 0 0;">Cordiali saluti<br>{{ tenant_name }}</p>"#
        ),
    },
    // ---- partner_user_added
    DefaultTemplate {
        kind: "partner_user_added",
        lang: Lang::De,
        subject: r#"Ihr Zugang zum Portal von {{ tenant_name }}"#,
        text: r#"Guten Tag {{ recipient_name }}

Sie wurden als Benutzer bei {{ partner_name }} erfasst, einem Partner von {{ tenant_name }}. Im Portal von {{ tenant_name }} sehen und erledigen Sie die Aufgaben von {{ partner_name }}.

Portal öffnen:
{{ link }}

Dieser Link ist persönlich und gilt nur für Sie. Bitte leiten Sie diese E-Mail nicht weiter.

Freundliche Grüsse
{{ tenant_name }}
"#,
        html: html_email!(
            "de",
            r#"<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#1f2933;">Ihr Zugang zum Portal</h1>
<p style="margin:0 0 16px;">Guten Tag {{ recipient_name }}</p>
<p style="margin:0 0 16px;">Sie wurden als Benutzer bei <strong>{{ partner_name }}</strong> erfasst, einem Partner von {{ tenant_name }}. Im Portal von {{ tenant_name }} sehen und erledigen Sie die Aufgaben von {{ partner_name }}.</p>
<p style="margin:24px 0;"><a href="{{ link }}" style="display:inline-block;padding:12px 24px;background-color:#1a5fb4;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">Portal öffnen</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">Falls die Schaltfläche nicht funktioniert, kopieren Sie diesen Link in Ihren Browser:<br><a href="{{ link }}" style="color:#1a5fb4;word-break:break-all;">{{ link }}</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">Dieser Link ist persönlich und gilt nur für Sie. Bitte leiten Sie diese E-Mail nicht weiter.</p>
<p style="margin:24px 0 0;">Freundliche Grüsse<br>{{ tenant_name }}</p>"#
        ),
    },
    DefaultTemplate {
        kind: "partner_user_added",
        lang: Lang::En,
        subject: r#"Your access to the {{ tenant_name }} portal"#,
        text: r#"Hello {{ recipient_name }},

You have been added as a user of {{ partner_name }}, a partner of {{ tenant_name }}. In the {{ tenant_name }} portal, you can view and complete the tasks of {{ partner_name }}.

Open the portal:
{{ link }}

This link is personal and meant only for you. Please do not forward this email.

Kind regards,
{{ tenant_name }}
"#,
        html: html_email!(
            "en",
            r#"<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#1f2933;">Your access to the portal</h1>
<p style="margin:0 0 16px;">Hello {{ recipient_name }},</p>
<p style="margin:0 0 16px;">You have been added as a user of <strong>{{ partner_name }}</strong>, a partner of {{ tenant_name }}. In the {{ tenant_name }} portal, you can view and complete the tasks of {{ partner_name }}.</p>
<p style="margin:24px 0;"><a href="{{ link }}" style="display:inline-block;padding:12px 24px;background-color:#1a5fb4;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">Open portal</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">If the button does not work, copy this link into your browser:<br><a href="{{ link }}" style="color:#1a5fb4;word-break:break-all;">{{ link }}</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">This link is personal and meant only for you. Please do not forward this email.</p>
<p style="margin:24px 0 0;">Kind regards,<br>{{ tenant_name }}</p>"#
        ),
    },
    DefaultTemplate {
        kind: "partner_user_added",
        lang: Lang::Fr,
        subject: r#"Votre accès au portail de {{ tenant_name }}"#,
        text: r#"Bonjour {{ recipient_name }},

Un accès utilisateur vous a été ouvert chez {{ partner_name }}, partenaire de {{ tenant_name }}. Le portail de {{ tenant_name }} vous permet de consulter et d'effectuer les tâches de {{ partner_name }}.

Ouvrir le portail :
{{ link }}

Ce lien est personnel et vous est exclusivement destiné. Merci de ne pas transférer cet e-mail.

Meilleures salutations
{{ tenant_name }}
"#,
        html: html_email!(
            "fr",
            r#"<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#1f2933;">Votre accès au portail</h1>
<p style="margin:0 0 16px;">Bonjour {{ recipient_name }},</p>
<p style="margin:0 0 16px;">Un accès utilisateur vous a été ouvert chez <strong>{{ partner_name }}</strong>, partenaire de {{ tenant_name }}. Le portail de {{ tenant_name }} vous permet de consulter et d'effectuer les tâches de {{ partner_name }}.</p>
<p style="margin:24px 0;"><a href="{{ link }}" style="display:inline-block;padding:12px 24px;background-color:#1a5fb4;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">Ouvrir le portail</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">Si le bouton ne fonctionne pas, copiez ce lien dans votre navigateur :<br><a href="{{ link }}" style="color:#1a5fb4;word-break:break-all;">{{ link }}</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">Ce lien est personnel et vous est exclusivement destiné. Merci de ne pas transférer cet e-mail.</p>
<p style="margin:24px 0 0;">Meilleures salutations<br>{{ tenant_name }}</p>"#
        ),
    },
    DefaultTemplate {
        kind: "partner_user_added",
        lang: Lang::It,
        subject: r#"Il Suo accesso al portale di {{ tenant_name }}"#,
        text: r#"Buongiorno {{ recipient_name }},

Le è stato creato un accesso utente presso {{ partner_name }}, partner di {{ tenant_name }}. Nel portale di {{ tenant_name }} può consultare e completare i compiti di {{ partner_name }}.

Apri il portale:
{{ link }}

Questo link è personale e destinato esclusivamente a Lei. La preghiamo di non inoltrare questa e-mail.

Cordiali saluti
{{ tenant_name }}
"#,
        html: html_email!(
            "it",
            r#"<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#1f2933;">Il Suo accesso al portale</h1>
<p style="margin:0 0 16px;">Buongiorno {{ recipient_name }},</p>
<p style="margin:0 0 16px;">Le è stato creato un accesso utente presso <strong>{{ partner_name }}</strong>, partner di {{ tenant_name }}. Nel portale di {{ tenant_name }} può consultare e completare i compiti di {{ partner_name }}.</p>
<p style="margin:24px 0;"><a href="{{ link }}" style="display:inline-block;padding:12px 24px;background-color:#1a5fb4;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">Apri il portale</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">Se il pulsante non funziona, copi questo link nel Suo browser:<br><a href="{{ link }}" style="color:#1a5fb4;word-break:break-all;">{{ link }}</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">Questo link è personale e destinato esclusivamente a Lei. La preghiamo di non inoltrare questa e-mail.</p>
<p style="margin:24px 0 0;">Cordiali saluti<br>{{ tenant_name }}</p>"#
        ),
    },
    // ---- partner_commissioning
    DefaultTemplate {
        kind: "partner_commissioning",
        lang: Lang::De,
        subject: r#"Termin festgelegt: {{ step_name }} – {{ process_name }}"#,
        text: r#"Guten Tag {{ recipient_name }}

{{ partner_name }} hat den Termin für den Schritt «{{ step_name }}» im Prozess «{{ process_name }}»{% if run_title %} ({{ run_title }}){% endif %} festgelegt: {{ due_date }}. Sie erhalten diese Nachricht, weil Sie für diesen Schritt verantwortlich sind.

Im Backoffice öffnen:
{{ link }}

Freundliche Grüsse
{{ tenant_name }}
"#,
        html: html_email!(
            "de",
            r#"<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#1f2933;">Termin festgelegt: {{ step_name }}</h1>
<p style="margin:0 0 16px;">Guten Tag {{ recipient_name }}</p>
<p style="margin:0 0 16px;">{{ partner_name }} hat den Termin für den Schritt «{{ step_name }}» im Prozess «{{ process_name }}»{% if run_title %} ({{ run_title }}){% endif %} festgelegt: <strong>{{ due_date }}</strong>. Sie erhalten diese Nachricht, weil Sie für diesen Schritt verantwortlich sind.</p>
<p style="margin:24px 0;"><a href="{{ link }}" style="display:inline-block;padding:12px 24px;background-color:#1a5fb4;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">Im Backoffice öffnen</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">Falls die Schaltfläche nicht funktioniert, kopieren Sie diesen Link in Ihren Browser:<br><a href="{{ link }}" style="color:#1a5fb4;word-break:break-all;">{{ link }}</a></p>
<p style="margin:24px 0 0;">Freundliche Grüsse<br>{{ tenant_name }}</p>"#
        ),
    },
    DefaultTemplate {
        kind: "partner_commissioning",
        lang: Lang::En,
        subject: r#"Appointment set: {{ step_name }} – {{ process_name }}"#,
        text: r#"Hello {{ recipient_name }},

{{ partner_name }} has set the appointment for the step “{{ step_name }}” in the process “{{ process_name }}”{% if run_title %} ({{ run_title }}){% endif %}: {{ due_date }}. You are receiving this message because you are responsible for this step.

Open it in the back office:
{{ link }}

Kind regards,
{{ tenant_name }}
"#,
        html: html_email!(
            "en",
            r#"<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#1f2933;">Appointment set: {{ step_name }}</h1>
<p style="margin:0 0 16px;">Hello {{ recipient_name }},</p>
<p style="margin:0 0 16px;">{{ partner_name }} has set the appointment for the step “{{ step_name }}” in the process “{{ process_name }}”{% if run_title %} ({{ run_title }}){% endif %}: <strong>{{ due_date }}</strong>. You are receiving this message because you are responsible for this step.</p>
<p style="margin:24px 0;"><a href="{{ link }}" style="display:inline-block;padding:12px 24px;background-color:#1a5fb4;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">Open in the back office</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">If the button does not work, copy this link into your browser:<br><a href="{{ link }}" style="color:#1a5fb4;word-break:break-all;">{{ link }}</a></p>
<p style="margin:24px 0 0;">Kind regards,<br>{{ tenant_name }}</p>"#
        ),
    },
    DefaultTemplate {
        kind: "partner_commissioning",
        lang: Lang::Fr,
        subject: r#"Rendez-vous fixé : {{ step_name }} – {{ process_name }}"#,
        text: r#"Bonjour {{ recipient_name }},

{{ partner_name }} a fixé le rendez-vous de l'étape « {{ step_name }} » du processus « {{ process_name }} »{% if run_title %} ({{ run_title }}){% endif %} : {{ due_date }}. Vous recevez ce message parce que vous êtes responsable de cette étape.

Ouvrir dans le back-office :
{{ link }}

Meilleures salutations
{{ tenant_name }}
"#,
        html: html_email!(
            "fr",
            r#"<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#1f2933;">Rendez-vous fixé : {{ step_name }}</h1>
<p style="margin:0 0 16px;">Bonjour {{ recipient_name }},</p>
<p style="margin:0 0 16px;">{{ partner_name }} a fixé le rendez-vous de l'étape « {{ step_name }} » du processus « {{ process_name }} »{% if run_title %} ({{ run_title }}){% endif %} : <strong>{{ due_date }}</strong>. Vous recevez ce message parce que vous êtes responsable de cette étape.</p>
<p style="margin:24px 0;"><a href="{{ link }}" style="display:inline-block;padding:12px 24px;background-color:#1a5fb4;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">Ouvrir dans le back-office</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">Si le bouton ne fonctionne pas, copiez ce lien dans votre navigateur :<br><a href="{{ link }}" style="color:#1a5fb4;word-break:break-all;">{{ link }}</a></p>
<p style="margin:24px 0 0;">Meilleures salutations<br>{{ tenant_name }}</p>"#
        ),
    },
    DefaultTemplate {
        kind: "partner_commissioning",
        lang: Lang::It,
        subject: r#"Appuntamento fissato: {{ step_name }} – {{ process_name }}"#,
        text: r#"Buongiorno {{ recipient_name }},

{{ partner_name }} ha fissato l'appuntamento per la fase «{{ step_name }}» del processo «{{ process_name }}»{% if run_title %} ({{ run_title }}){% endif %}: {{ due_date }}. Riceve questo messaggio perché è responsabile di questa fase.

Apri nel back office:
{{ link }}

Cordiali saluti
{{ tenant_name }}
"#,
        html: html_email!(
            "it",
            r#"<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#1f2933;">Appuntamento fissato: {{ step_name }}</h1>
<p style="margin:0 0 16px;">Buongiorno {{ recipient_name }},</p>
<p style="margin:0 0 16px;">{{ partner_name }} ha fissato l'appuntamento per la fase «{{ step_name }}» del processo «{{ process_name }}»{% if run_title %} ({{ run_title }}){% endif %}: <strong>{{ due_date }}</strong>. Riceve questo messaggio perché è responsabile di questa fase.</p>
<p style="margin:24px 0;"><a href="{{ link }}" style="display:inline-block;padding:12px 24px;background-color:#1a5fb4;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">Apri nel back office</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">Se il pulsante non funziona, copi questo link nel Suo browser:<br><a href="{{ link }}" style="color:#1a5fb4;word-break:break-all;">{{ link }}</a></p>
<p style="margin:24px 0 0;">Cordiali saluti<br>{{ tenant_name }}</p>"#
        ),
    },
];

/// The built-in template for `kind` in `lang`, if the kind exists.
pub fn find(kind: &str, lang: Lang) -> Option<&'static DefaultTemplate> {
    all().find(|t| t.kind == kind && t.lang == lang)
}

/// Every built-in template, of every kind (process and order emails).
pub fn all() -> impl Iterator<Item = &'static DefaultTemplate> {
    DEFAULTS.iter().chain(super::defaults_orders::ORDER_DEFAULTS)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use minijinja::{Environment, UndefinedBehavior};

    use super::*;
    use crate::email::{kind_vars, kinds};

    fn vars_of(kind: &str) -> &'static [&'static str] {
        kind_vars(kind).unwrap_or_else(|| panic!("unknown kind {kind}"))
    }

    #[test]
    fn every_kind_has_all_four_languages() {
        let mut names = std::collections::HashSet::new();
        for (kind, vars) in kinds() {
            assert!(names.insert(kind), "{kind} is declared twice");
            assert!(
                vars.contains(&"recipient_name") && vars.contains(&"tenant_name") && vars.contains(&"link"),
                "{kind}"
            );
            for lang in Lang::ALL {
                assert!(find(kind, lang).is_some(), "{kind} has no {} template", lang.code());
            }
        }
        assert_eq!(
            all().count(),
            kinds().count() * Lang::ALL.len(),
            "duplicate or unknown templates"
        );
        for t in all() {
            vars_of(t.kind);
        }
    }

    #[test]
    fn no_template_is_empty_or_unsafe() {
        for t in all() {
            let at = format!("{}/{}", t.kind, t.lang.code());
            assert!(!t.subject.trim().is_empty(), "{at}: empty subject");
            assert!(!t.subject.contains('\n'), "{at}: subject spans lines");
            assert!(!t.text.trim().is_empty(), "{at}: empty text");
            assert!(t.html.starts_with("<!doctype html>"), "{at}: html is not a document");
            assert!(t.html.contains(r#"<a href="{{ link }}""#), "{at}: html has no link");
            assert!(t.text.contains("{{ link }}"), "{at}: text has no link");
            assert!(
                !t.html.replace(' ', "").contains("|safe"),
                "{at}: html must not use |safe"
            );
        }
    }

    #[test]
    fn templates_render_with_only_their_variables() {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        for t in all() {
            let vars = vars_of(t.kind);
            for value in ["x", ""] {
                let ctx: BTreeMap<&str, &str> = vars.iter().map(|v| (*v, value)).collect();
                for (part, source) in [("subject", t.subject), ("text", t.text), ("html", t.html)] {
                    if let Err(err) = env.render_str(source, &ctx) {
                        panic!("{}/{} {part}: {err}", t.kind, t.lang.code());
                    }
                }
            }
        }
    }
}
