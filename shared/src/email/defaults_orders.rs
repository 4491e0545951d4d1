//! Built-in default templates of the order emails, one per (kind, language), with the same
//! rules as [`super::defaults`]: minijinja sources rendered with strict undefined behaviour,
//! using only the variables listed for their kind in [`ORDER_KINDS`] and testing optional
//! ones (which may be empty strings) with `{% if var %}`; HTML parts rely on auto-escaping
//! and never use `|safe`; Swiss German (no ß). `link` opens the order in the app.
use super::defaults::{html_email, DefaultTemplate};
use crate::i18n::Lang;

/// The order email kinds, with the variables their templates may use.
pub const ORDER_KINDS: &[(&str, &[&str])] = &[
    // Confirms an end user's order; `step_name` and `step_explanation` describe the current (first) step.
    (
        "order_placed",
        &[
            "recipient_name",
            "tenant_name",
            "offer_title",
            "step_name",
            "step_explanation",
            "link",
        ],
    ),
    // A step of an end user's order is done (not sent for step five: `order_activated` is); `next_step_*` describe the step now current.
    (
        "order_step_completed",
        &[
            "recipient_name",
            "tenant_name",
            "offer_title",
            "step_number",
            "step_name",
            "next_step_name",
            "next_step_explanation",
            "link",
        ],
    ),
    // All five steps of an end user's order are done: the product is active; `step_explanation` is the last step's text.
    (
        "order_activated",
        &[
            "recipient_name",
            "tenant_name",
            "offer_title",
            "step_explanation",
            "link",
        ],
    ),
    // An end user's order in progress was cancelled, with the staff's `reason`.
    (
        "order_cancelled",
        &["recipient_name", "tenant_name", "offer_title", "reason", "link"],
    ),
    // An end user's active product was deactivated, with the staff's `reason`.
    (
        "order_deactivated",
        &["recipient_name", "tenant_name", "offer_title", "reason", "link"],
    ),
];

pub const ORDER_DEFAULTS: &[DefaultTemplate] = &[
    // ---- order_placed
    DefaultTemplate {
        kind: "order_placed",
        lang: Lang::De,
        subject: r#"Ihre Bestellung: {{ offer_title }}"#,
        text: r#"{% if recipient_name %}Guten Tag {{ recipient_name }}{% else %}Guten Tag{% endif %}

Vielen Dank für Ihre Bestellung «{{ offer_title }}». Wir haben sie erhalten und halten Sie über jeden Schritt auf dem Laufenden.
{% if step_name %}
Aktueller Schritt: {{ step_name }}
{% if step_explanation %}{{ step_explanation }}
{% endif %}{% endif %}
Den Stand Ihrer Bestellung sehen Sie jederzeit hier:
{{ link }}

Freundliche Grüsse
{{ tenant_name }}
"#,
        html: html_email!(
            "de",
            r#"<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#1f2933;">Vielen Dank für Ihre Bestellung</h1>
<p style="margin:0 0 16px;">{% if recipient_name %}Guten Tag {{ recipient_name }}{% else %}Guten Tag{% endif %}</p>
<p style="margin:0 0 16px;">Vielen Dank für Ihre Bestellung «{{ offer_title }}». Wir haben sie erhalten und halten Sie über jeden Schritt auf dem Laufenden.</p>
{% if step_name %}<p style="margin:0 0 16px;padding:12px 16px;background-color:#f4f5f7;border-left:4px solid #1a5fb4;white-space:pre-line;"><strong>Aktueller Schritt: {{ step_name }}</strong>{% if step_explanation %}
{{ step_explanation }}{% endif %}</p>
{% endif %}<p style="margin:24px 0;"><a href="{{ link }}" style="display:inline-block;padding:12px 24px;background-color:#1a5fb4;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">Bestellung ansehen</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">Falls die Schaltfläche nicht funktioniert, kopieren Sie diesen Link in Ihren Browser:<br><a href="{{ link }}" style="color:#1a5fb4;word-break:break-all;">{{ link }}</a></p>
<p style="margin:24px 0 0;">Freundliche Grüsse<br>{{ tenant_name }}</p>"#
        ),
    },
    DefaultTemplate {
        kind: "order_placed",
        lang: Lang::En,
        subject: r#"Your order: {{ offer_title }}"#,
        text: r#"{% if recipient_name %}Hello {{ recipient_name }},{% else %}Hello,{% endif %}

Thank you for your order “{{ offer_title }}”. We have received it and will keep you informed at every step.
{% if step_name %}
Current step: {{ step_name }}
{% if step_explanation %}{{ step_explanation }}
{% endif %}{% endif %}
You can follow your order here at any time:
{{ link }}

Kind regards,
{{ tenant_name }}
"#,
        html: html_email!(
            "en",
            r#"<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#1f2933;">Thank you for your order</h1>
<p style="margin:0 0 16px;">{% if recipient_name %}Hello {{ recipient_name }},{% else %}Hello,{% endif %}</p>
<p style="margin:0 0 16px;">Thank you for your order “{{ offer_title }}”. We have received it and will keep you informed at every step.</p>
{% if step_name %}<p style="margin:0 0 16px;padding:12px 16px;background-color:#f4f5f7;border-left:4px solid #1a5fb4;white-space:pre-line;"><strong>Current step: {{ step_name }}</strong>{% if step_explanation %}
{{ step_explanation }}{% endif %}</p>
{% endif %}<p style="margin:24px 0;"><a href="{{ link }}" style="display:inline-block;padding:12px 24px;background-color:#1a5fb4;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">View your order</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">If the button does not work, copy this link into your browser:<br><a href="{{ link }}" style="color:#1a5fb4;word-break:break-all;">{{ link }}</a></p>
<p style="margin:24px 0 0;">Kind regards,<br>{{ tenant_name }}</p>"#
        ),
    },
    DefaultTemplate {
        kind: "order_placed",
        lang: Lang::Fr,
        subject: r#"Votre commande : {{ offer_title }}"#,
        text: r#"{% if recipient_name %}Bonjour {{ recipient_name }},{% else %}Bonjour,{% endif %}

Merci pour votre commande « {{ offer_title }} ». Nous l'avons bien reçue et vous informerons à chaque étape.
{% if step_name %}
Étape en cours : {{ step_name }}
{% if step_explanation %}{{ step_explanation }}
{% endif %}{% endif %}
Vous pouvez suivre votre commande à tout moment ici :
{{ link }}

Meilleures salutations
{{ tenant_name }}
"#,
        html: html_email!(
            "fr",
            r#"<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#1f2933;">Merci pour votre commande</h1>
<p style="margin:0 0 16px;">{% if recipient_name %}Bonjour {{ recipient_name }},{% else %}Bonjour,{% endif %}</p>
<p style="margin:0 0 16px;">Merci pour votre commande « {{ offer_title }} ». Nous l'avons bien reçue et vous informerons à chaque étape.</p>
{% if step_name %}<p style="margin:0 0 16px;padding:12px 16px;background-color:#f4f5f7;border-left:4px solid #1a5fb4;white-space:pre-line;"><strong>Étape en cours : {{ step_name }}</strong>{% if step_explanation %}
{{ step_explanation }}{% endif %}</p>
{% endif %}<p style="margin:24px 0;"><a href="{{ link }}" style="display:inline-block;padding:12px 24px;background-color:#1a5fb4;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">Voir votre commande</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">Si le bouton ne fonctionne pas, copiez ce lien dans votre navigateur :<br><a href="{{ link }}" style="color:#1a5fb4;word-break:break-all;">{{ link }}</a></p>
<p style="margin:24px 0 0;">Meilleures salutations<br>{{ tenant_name }}</p>"#
        ),
    },
    DefaultTemplate {
        kind: "order_placed",
        lang: Lang::It,
        subject: r#"Il Suo ordine: {{ offer_title }}"#,
        text: r#"{% if recipient_name %}Buongiorno {{ recipient_name }},{% else %}Buongiorno,{% endif %}

Grazie per il Suo ordine «{{ offer_title }}». Lo abbiamo ricevuto e La informeremo a ogni fase.
{% if step_name %}
Fase attuale: {{ step_name }}
{% if step_explanation %}{{ step_explanation }}
{% endif %}{% endif %}
Può seguire il Suo ordine in qualsiasi momento qui:
{{ link }}

Cordiali saluti
{{ tenant_name }}
"#,
        html: html_email!(
            "it",
            r#"<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#1f2933;">Grazie per il Suo ordine</h1>
<p style="margin:0 0 16px;">{% if recipient_name %}Buongiorno {{ recipient_name }},{% else %}Buongiorno,{% endif %}</p>
<p style="margin:0 0 16px;">Grazie per il Suo ordine «{{ offer_title }}». Lo abbiamo ricevuto e La informeremo a ogni fase.</p>
{% if step_name %}<p style="margin:0 0 16px;padding:12px 16px;background-color:#f4f5f7;border-left:4px solid #1a5fb4;white-space:pre-line;"><strong>Fase attuale: {{ step_name }}</strong>{% if step_explanation %}
{{ step_explanation }}{% endif %}</p>
{% endif %}<p style="margin:24px 0;"><a href="{{ link }}" style="display:inline-block;padding:12px 24px;background-color:#1a5fb4;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">Visualizza il Suo ordine</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">Se il pulsante non funziona, copi questo link nel Suo browser:<br><a href="{{ link }}" style="color:#1a5fb4;word-break:break-all;">{{ link }}</a></p>
<p style="margin:24px 0 0;">Cordiali saluti<br>{{ tenant_name }}</p>"#
        ),
    },
    // ---- order_step_completed
    DefaultTemplate {
        kind: "order_step_completed",
        lang: Lang::De,
        subject: r#"{{ step_name }} erledigt – {{ offer_title }}"#,
        text: r#"{% if recipient_name %}Guten Tag {{ recipient_name }}{% else %}Guten Tag{% endif %}

Ihre Bestellung «{{ offer_title }}» ist einen Schritt weiter: Schritt {{ step_number }}, «{{ step_name }}», ist erledigt.
{% if next_step_name %}
Nächster Schritt: {{ next_step_name }}
{% if next_step_explanation %}{{ next_step_explanation }}
{% endif %}{% endif %}
Den Stand Ihrer Bestellung sehen Sie jederzeit hier:
{{ link }}

Freundliche Grüsse
{{ tenant_name }}
"#,
        html: html_email!(
            "de",
            r#"<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#1f2933;">Ihre Bestellung ist einen Schritt weiter</h1>
<p style="margin:0 0 16px;">{% if recipient_name %}Guten Tag {{ recipient_name }}{% else %}Guten Tag{% endif %}</p>
<p style="margin:0 0 16px;">Ihre Bestellung «{{ offer_title }}» ist einen Schritt weiter: Schritt {{ step_number }}, «{{ step_name }}», ist erledigt.</p>
{% if next_step_name %}<p style="margin:0 0 16px;padding:12px 16px;background-color:#f4f5f7;border-left:4px solid #1a5fb4;white-space:pre-line;"><strong>Nächster Schritt: {{ next_step_name }}</strong>{% if next_step_explanation %}
{{ next_step_explanation }}{% endif %}</p>
{% endif %}<p style="margin:24px 0;"><a href="{{ link }}" style="display:inline-block;padding:12px 24px;background-color:#1a5fb4;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">Bestellung ansehen</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">Falls die Schaltfläche nicht funktioniert, kopieren Sie diesen Link in Ihren Browser:<br><a href="{{ link }}" style="color:#1a5fb4;word-break:break-all;">{{ link }}</a></p>
<p style="margin:24px 0 0;">Freundliche Grüsse<br>{{ tenant_name }}</p>"#
        ),
    },
    DefaultTemplate {
        kind: "order_step_completed",
        lang: Lang::En,
        subject: r#"{{ step_name }} done – {{ offer_title }}"#,
        text: r#"{% if recipient_name %}Hello {{ recipient_name }},{% else %}Hello,{% endif %}

Your order “{{ offer_title }}” has moved on: step {{ step_number }}, “{{ step_name }}”, is done.
{% if next_step_name %}
Next step: {{ next_step_name }}
{% if next_step_explanation %}{{ next_step_explanation }}
{% endif %}{% endif %}
You can follow your order here at any time:
{{ link }}

Kind regards,
{{ tenant_name }}
"#,
        html: html_email!(
            "en",
            r#"<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#1f2933;">Your order has moved on</h1>
<p style="margin:0 0 16px;">{% if recipient_name %}Hello {{ recipient_name }},{% else %}Hello,{% endif %}</p>
<p style="margin:0 0 16px;">Your order “{{ offer_title }}” has moved on: step {{ step_number }}, “{{ step_name }}”, is done.</p>
{% if next_step_name %}<p style="margin:0 0 16px;padding:12px 16px;background-color:#f4f5f7;border-left:4px solid #1a5fb4;white-space:pre-line;"><strong>Next step: {{ next_step_name }}</strong>{% if next_step_explanation %}
{{ next_step_explanation }}{% endif %}</p>
{% endif %}<p style="margin:24px 0;"><a href="{{ link }}" style="display:inline-block;padding:12px 24px;background-color:#1a5fb4;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">View your order</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">If the button does not work, copy this link into your browser:<br><a href="{{ link }}" style="color:#1a5fb4;word-break:break-all;">{{ link }}</a></p>
<p style="margin:24px 0 0;">Kind regards,<br>{{ tenant_name }}</p>"#
        ),
    },
    DefaultTemplate {
        kind: "order_step_completed",
        lang: Lang::Fr,
        subject: r#"{{ step_name }} : terminé – {{ offer_title }}"#,
        text: r#"{% if recipient_name %}Bonjour {{ recipient_name }},{% else %}Bonjour,{% endif %}

Votre commande « {{ offer_title }} » avance : l'étape {{ step_number }}, « {{ step_name }} », est terminée.
{% if next_step_name %}
Prochaine étape : {{ next_step_name }}
{% if next_step_explanation %}{{ next_step_explanation }}
{% endif %}{% endif %}
Vous pouvez suivre votre commande à tout moment ici :
{{ link }}

Meilleures salutations
{{ tenant_name }}
"#,
        html: html_email!(
            "fr",
            r#"<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#1f2933;">Votre commande avance</h1>
<p style="margin:0 0 16px;">{% if recipient_name %}Bonjour {{ recipient_name }},{% else %}Bonjour,{% endif %}</p>
<p style="margin:0 0 16px;">Votre commande « {{ offer_title }} » avance : l'étape {{ step_number }}, « {{ step_name }} », est terminée.</p>
{% if next_step_name %}<p style="margin:0 0 16px;padding:12px 16px;background-color:#f4f5f7;border-left:4px solid #1a5fb4;white-space:pre-line;"><strong>Prochaine étape : {{ next_step_name }}</strong>{% if next_step_explanation %}
{{ next_step_explanation }}{% endif %}</p>
{% endif %}<p style="margin:24px 0;"><a href="{{ link }}" style="display:inline-block;padding:12px 24px;background-color:#1a5fb4;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">Voir votre commande</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">Si le bouton ne fonctionne pas, copiez ce lien dans votre navigateur :<br><a href="{{ link }}" style="color:#1a5fb4;word-break:break-all;">{{ link }}</a></p>
<p style="margin:24px 0 0;">Meilleures salutations<br>{{ tenant_name }}</p>"#
        ),
    },
    DefaultTemplate {
        kind: "order_step_completed",
        lang: Lang::It,
        subject: r#"{{ step_name }} completata – {{ offer_title }}"#,
        text: r#"{% if recipient_name %}Buongiorno {{ recipient_name }},{% else %}Buongiorno,{% endif %}

Il Suo ordine «{{ offer_title }}» va avanti: la fase {{ step_number }}, «{{ step_name }}», è completata.
{% if next_step_name %}
Prossima fase: {{ next_step_name }}
{% if next_step_explanation %}{{ next_step_explanation }}
{% endif %}{% endif %}
Può seguire il Suo ordine in qualsiasi momento qui:
{{ link }}

Cordiali saluti
{{ tenant_name }}
"#,
        html: html_email!(
            "it",
            r#"<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#1f2933;">Il Suo ordine va avanti</h1>
<p style="margin:0 0 16px;">{% if recipient_name %}Buongiorno {{ recipient_name }},{% else %}Buongiorno,{% endif %}</p>
<p style="margin:0 0 16px;">Il Suo ordine «{{ offer_title }}» va avanti: la fase {{ step_number }}, «{{ step_name }}», è completata.</p>
{% if next_step_name %}<p style="margin:0 0 16px;padding:12px 16px;background-color:#f4f5f7;border-left:4px solid #1a5fb4;white-space:pre-line;"><strong>Prossima fase: {{ next_step_name }}</strong>{% if next_step_explanation %}
{{ next_step_explanation }}{% endif %}</p>
{% endif %}<p style="margin:24px 0;"><a href="{{ link }}" style="display:inline-block;padding:12px 24px;background-color:#1a5fb4;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">Visualizza il Suo ordine</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">Se il pulsante non funziona, copi questo link nel Suo browser:<br><a href="{{ link }}" style="color:#1a5fb4;word-break:break-all;">{{ link }}</a></p>
<p style="margin:24px 0 0;">Cordiali saluti<br>{{ tenant_name }}</p>"#
        ),
    },
    // ---- order_activated
    DefaultTemplate {
        kind: "order_activated",
        lang: Lang::De,
        subject: r#"Ihr Produkt ist aktiv: {{ offer_title }}"#,
        text: r#"{% if recipient_name %}Guten Tag {{ recipient_name }}{% else %}Guten Tag{% endif %}

Gute Nachricht: Ihre Bestellung «{{ offer_title }}» ist abgeschlossen, Ihr Produkt ist jetzt aktiv.
{% if step_explanation %}
{{ step_explanation }}
{% endif %}
Den Stand Ihrer Bestellung sehen Sie jederzeit hier:
{{ link }}

Freundliche Grüsse
{{ tenant_name }}
"#,
        html: html_email!(
            "de",
            r#"<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#1f2933;">Ihr Produkt ist aktiv</h1>
<p style="margin:0 0 16px;">{% if recipient_name %}Guten Tag {{ recipient_name }}{% else %}Guten Tag{% endif %}</p>
<p style="margin:0 0 16px;">Gute Nachricht: Ihre Bestellung «{{ offer_title }}» ist abgeschlossen, Ihr Produkt ist jetzt aktiv.</p>
{% if step_explanation %}<p style="margin:0 0 16px;padding:12px 16px;background-color:#f4f5f7;border-left:4px solid #1a5fb4;white-space:pre-line;">{{ step_explanation }}</p>
{% endif %}<p style="margin:24px 0;"><a href="{{ link }}" style="display:inline-block;padding:12px 24px;background-color:#1a5fb4;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">Bestellung ansehen</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">Falls die Schaltfläche nicht funktioniert, kopieren Sie diesen Link in Ihren Browser:<br><a href="{{ link }}" style="color:#1a5fb4;word-break:break-all;">{{ link }}</a></p>
<p style="margin:24px 0 0;">Freundliche Grüsse<br>{{ tenant_name }}</p>"#
        ),
    },
    DefaultTemplate {
        kind: "order_activated",
        lang: Lang::En,
        subject: r#"Your product is active: {{ offer_title }}"#,
        text: r#"{% if recipient_name %}Hello {{ recipient_name }},{% else %}Hello,{% endif %}

Good news: your order “{{ offer_title }}” is complete, and your product is now active.
{% if step_explanation %}
{{ step_explanation }}
{% endif %}
You can follow your order here at any time:
{{ link }}

Kind regards,
{{ tenant_name }}
"#,
        html: html_email!(
            "en",
            r#"<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#1f2933;">Your product is active</h1>
<p style="margin:0 0 16px;">{% if recipient_name %}Hello {{ recipient_name }},{% else %}Hello,{% endif %}</p>
<p style="margin:0 0 16px;">Good news: your order “{{ offer_title }}” is complete, and your product is now active.</p>
{% if step_explanation %}<p style="margin:0 0 16px;padding:12px 16px;background-color:#f4f5f7;border-left:4px solid #1a5fb4;white-space:pre-line;">{{ step_explanation }}</p>
{% endif %}<p style="margin:24px 0;"><a href="{{ link }}" style="display:inline-block;padding:12px 24px;background-color:#1a5fb4;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">View your order</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">If the button does not work, copy this link into your browser:<br><a href="{{ link }}" style="color:#1a5fb4;word-break:break-all;">{{ link }}</a></p>
<p style="margin:24px 0 0;">Kind regards,<br>{{ tenant_name }}</p>"#
        ),
    },
    DefaultTemplate {
        kind: "order_activated",
        lang: Lang::Fr,
        subject: r#"Votre produit est actif : {{ offer_title }}"#,
        text: r#"{% if recipient_name %}Bonjour {{ recipient_name }},{% else %}Bonjour,{% endif %}

Bonne nouvelle : votre commande « {{ offer_title }} » est terminée et votre produit est désormais actif.
{% if step_explanation %}
{{ step_explanation }}
{% endif %}
Vous pouvez suivre votre commande à tout moment ici :
{{ link }}

Meilleures salutations
{{ tenant_name }}
"#,
        html: html_email!(
            "fr",
            r#"<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#1f2933;">Votre produit est actif</h1>
<p style="margin:0 0 16px;">{% if recipient_name %}Bonjour {{ recipient_name }},{% else %}Bonjour,{% endif %}</p>
<p style="margin:0 0 16px;">Bonne nouvelle : votre commande « {{ offer_title }} » est terminée et votre produit est désormais actif.</p>
{% if step_explanation %}<p style="margin:0 0 16px;padding:12px 16px;background-color:#f4f5f7;border-left:4px solid #1a5fb4;white-space:pre-line;">{{ step_explanation }}</p>
{% endif %}<p style="margin:24px 0;"><a href="{{ link }}" style="display:inline-block;padding:12px 24px;background-color:#1a5fb4;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">Voir votre commande</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">Si le bouton ne fonctionne pas, copiez ce lien dans votre navigateur :<br><a href="{{ link }}" style="color:#1a5fb4;word-break:break-all;">{{ link }}</a></p>
<p style="margin:24px 0 0;">Meilleures salutations<br>{{ tenant_name }}</p>"#
        ),
    },
    DefaultTemplate {
        kind: "order_activated",
        lang: Lang::It,
        subject: r#"Il Suo prodotto è attivo: {{ offer_title }}"#,
        text: r#"{% if recipient_name %}Buongiorno {{ recipient_name }},{% else %}Buongiorno,{% endif %}

Buone notizie: il Suo ordine «{{ offer_title }}» è concluso e il Suo prodotto è ora attivo.
{% if step_explanation %}
{{ step_explanation }}
{% endif %}
Può seguire il Suo ordine in qualsiasi momento qui:
{{ link }}

Cordiali saluti
{{ tenant_name }}
"#,
        html: html_email!(
            "it",
            r#"<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#1f2933;">Il Suo prodotto è attivo</h1>
<p style="margin:0 0 16px;">{% if recipient_name %}Buongiorno {{ recipient_name }},{% else %}Buongiorno,{% endif %}</p>
<p style="margin:0 0 16px;">Buone notizie: il Suo ordine «{{ offer_title }}» è concluso e il Suo prodotto è ora attivo.</p>
{% if step_explanation %}<p style="margin:0 0 16px;padding:12px 16px;background-color:#f4f5f7;border-left:4px solid #1a5fb4;white-space:pre-line;">{{ step_explanation }}</p>
{% endif %}<p style="margin:24px 0;"><a href="{{ link }}" style="display:inline-block;padding:12px 24px;background-color:#1a5fb4;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">Visualizza il Suo ordine</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">Se il pulsante non funziona, copi questo link nel Suo browser:<br><a href="{{ link }}" style="color:#1a5fb4;word-break:break-all;">{{ link }}</a></p>
<p style="margin:24px 0 0;">Cordiali saluti<br>{{ tenant_name }}</p>"#
        ),
    },
    // ---- order_cancelled
    DefaultTemplate {
        kind: "order_cancelled",
        lang: Lang::De,
        subject: r#"Bestellung storniert: {{ offer_title }}"#,
        text: r#"{% if recipient_name %}Guten Tag {{ recipient_name }}{% else %}Guten Tag{% endif %}

Ihre Bestellung «{{ offer_title }}» wurde storniert.
{% if reason %}
Grund: {{ reason }}
{% endif %}
Bei Fragen sind wir gerne für Sie da.

Den Stand Ihrer Bestellung sehen Sie jederzeit hier:
{{ link }}

Freundliche Grüsse
{{ tenant_name }}
"#,
        html: html_email!(
            "de",
            r#"<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#1f2933;">Bestellung storniert</h1>
<p style="margin:0 0 16px;">{% if recipient_name %}Guten Tag {{ recipient_name }}{% else %}Guten Tag{% endif %}</p>
<p style="margin:0 0 16px;">Ihre Bestellung «{{ offer_title }}» wurde storniert.</p>
{% if reason %}<p style="margin:0 0 16px;padding:12px 16px;background-color:#f4f5f7;border-left:4px solid #1a5fb4;white-space:pre-line;"><strong>Grund:</strong> {{ reason }}</p>
{% endif %}<p style="margin:0 0 16px;">Bei Fragen sind wir gerne für Sie da.</p>
<p style="margin:24px 0;"><a href="{{ link }}" style="display:inline-block;padding:12px 24px;background-color:#1a5fb4;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">Bestellung ansehen</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">Falls die Schaltfläche nicht funktioniert, kopieren Sie diesen Link in Ihren Browser:<br><a href="{{ link }}" style="color:#1a5fb4;word-break:break-all;">{{ link }}</a></p>
<p style="margin:24px 0 0;">Freundliche Grüsse<br>{{ tenant_name }}</p>"#
        ),
    },
    DefaultTemplate {
        kind: "order_cancelled",
        lang: Lang::En,
        subject: r#"Order cancelled: {{ offer_title }}"#,
        text: r#"{% if recipient_name %}Hello {{ recipient_name }},{% else %}Hello,{% endif %}

Your order “{{ offer_title }}” has been cancelled.
{% if reason %}
Reason: {{ reason }}
{% endif %}
If you have any questions, we are happy to help.

You can follow your order here at any time:
{{ link }}

Kind regards,
{{ tenant_name }}
"#,
        html: html_email!(
            "en",
            r#"<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#1f2933;">Order cancelled</h1>
<p style="margin:0 0 16px;">{% if recipient_name %}Hello {{ recipient_name }},{% else %}Hello,{% endif %}</p>
<p style="margin:0 0 16px;">Your order “{{ offer_title }}” has been cancelled.</p>
{% if reason %}<p style="margin:0 0 16px;padding:12px 16px;background-color:#f4f5f7;border-left:4px solid #1a5fb4;white-space:pre-line;"><strong>Reason:</strong> {{ reason }}</p>
{% endif %}<p style="margin:0 0 16px;">If you have any questions, we are happy to help.</p>
<p style="margin:24px 0;"><a href="{{ link }}" style="display:inline-block;padding:12px 24px;background-color:#1a5fb4;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">View your order</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">If the button does not work, copy this link into your browser:<br><a href="{{ link }}" style="color:#1a5fb4;word-break:break-all;">{{ link }}</a></p>
<p style="margin:24px 0 0;">Kind regards,<br>{{ tenant_name }}</p>"#
        ),
    },
    DefaultTemplate {
        kind: "order_cancelled",
        lang: Lang::Fr,
        subject: r#"Commande annulée : {{ offer_title }}"#,
        text: r#"{% if recipient_name %}Bonjour {{ recipient_name }},{% else %}Bonjour,{% endif %}

Votre commande « {{ offer_title }} » a été annulée.
{% if reason %}
Motif : {{ reason }}
{% endif %}
Pour toute question, nous restons volontiers à votre disposition.

Vous pouvez suivre votre commande à tout moment ici :
{{ link }}

Meilleures salutations
{{ tenant_name }}
"#,
        html: html_email!(
            "fr",
            r#"<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#1f2933;">Commande annulée</h1>
<p style="margin:0 0 16px;">{% if recipient_name %}Bonjour {{ recipient_name }},{% else %}Bonjour,{% endif %}</p>
<p style="margin:0 0 16px;">Votre commande « {{ offer_title }} » a été annulée.</p>
{% if reason %}<p style="margin:0 0 16px;padding:12px 16px;background-color:#f4f5f7;border-left:4px solid #1a5fb4;white-space:pre-line;"><strong>Motif :</strong> {{ reason }}</p>
{% endif %}<p style="margin:0 0 16px;">Pour toute question, nous restons volontiers à votre disposition.</p>
<p style="margin:24px 0;"><a href="{{ link }}" style="display:inline-block;padding:12px 24px;background-color:#1a5fb4;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">Voir votre commande</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">Si le bouton ne fonctionne pas, copiez ce lien dans votre navigateur :<br><a href="{{ link }}" style="color:#1a5fb4;word-break:break-all;">{{ link }}</a></p>
<p style="margin:24px 0 0;">Meilleures salutations<br>{{ tenant_name }}</p>"#
        ),
    },
    DefaultTemplate {
        kind: "order_cancelled",
        lang: Lang::It,
        subject: r#"Ordine annullato: {{ offer_title }}"#,
        text: r#"{% if recipient_name %}Buongiorno {{ recipient_name }},{% else %}Buongiorno,{% endif %}

Il Suo ordine «{{ offer_title }}» è stato annullato.
{% if reason %}
Motivo: {{ reason }}
{% endif %}
Per qualsiasi domanda siamo volentieri a Sua disposizione.

Può seguire il Suo ordine in qualsiasi momento qui:
{{ link }}

Cordiali saluti
{{ tenant_name }}
"#,
        html: html_email!(
            "it",
            r#"<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#1f2933;">Ordine annullato</h1>
<p style="margin:0 0 16px;">{% if recipient_name %}Buongiorno {{ recipient_name }},{% else %}Buongiorno,{% endif %}</p>
<p style="margin:0 0 16px;">Il Suo ordine «{{ offer_title }}» è stato annullato.</p>
{% if reason %}<p style="margin:0 0 16px;padding:12px 16px;background-color:#f4f5f7;border-left:4px solid #1a5fb4;white-space:pre-line;"><strong>Motivo:</strong> {{ reason }}</p>
{% endif %}<p style="margin:0 0 16px;">Per qualsiasi domanda siamo volentieri a Sua disposizione.</p>
<p style="margin:24px 0;"><a href="{{ link }}" style="display:inline-block;padding:12px 24px;background-color:#1a5fb4;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">Visualizza il Suo ordine</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">Se il pulsante non funziona, copi questo link nel Suo browser:<br><a href="{{ link }}" style="color:#1a5fb4;word-break:break-all;">{{ link }}</a></p>
<p style="margin:24px 0 0;">Cordiali saluti<br>{{ tenant_name }}</p>"#
        ),
    },
    // ---- order_deactivated
    DefaultTemplate {
        kind: "order_deactivated",
        lang: Lang::De,
        subject: r#"Produkt deaktiviert: {{ offer_title }}"#,
        text: r#"{% if recipient_name %}Guten Tag {{ recipient_name }}{% else %}Guten Tag{% endif %}

Ihr Produkt «{{ offer_title }}» wurde deaktiviert.
{% if reason %}
Grund: {{ reason }}
{% endif %}
Bei Fragen sind wir gerne für Sie da.

Den Stand Ihrer Bestellung sehen Sie jederzeit hier:
{{ link }}

Freundliche Grüsse
{{ tenant_name }}
"#,
        html: html_email!(
            "de",
            r#"<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#1f2933;">Produkt deaktiviert</h1>
<p style="margin:0 0 16px;">{% if recipient_name %}Guten Tag {{ recipient_name }}{% else %}Guten Tag{% endif %}</p>
<p style="margin:0 0 16px;">Ihr Produkt «{{ offer_title }}» wurde deaktiviert.</p>
{% if reason %}<p style="margin:0 0 16px;padding:12px 16px;background-color:#f4f5f7;border-left:4px solid #1a5fb4;white-space:pre-line;"><strong>Grund:</strong> {{ reason }}</p>
{% endif %}<p style="margin:0 0 16px;">Bei Fragen sind wir gerne für Sie da.</p>
<p style="margin:24px 0;"><a href="{{ link }}" style="display:inline-block;padding:12px 24px;background-color:#1a5fb4;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">Bestellung ansehen</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">Falls die Schaltfläche nicht funktioniert, kopieren Sie diesen Link in Ihren Browser:<br><a href="{{ link }}" style="color:#1a5fb4;word-break:break-all;">{{ link }}</a></p>
<p style="margin:24px 0 0;">Freundliche Grüsse<br>{{ tenant_name }}</p>"#
        ),
    },
    DefaultTemplate {
        kind: "order_deactivated",
        lang: Lang::En,
        subject: r#"Product deactivated: {{ offer_title }}"#,
        text: r#"{% if recipient_name %}Hello {{ recipient_name }},{% else %}Hello,{% endif %}

Your product “{{ offer_title }}” has been deactivated.
{% if reason %}
Reason: {{ reason }}
{% endif %}
If you have any questions, we are happy to help.

You can follow your order here at any time:
{{ link }}

Kind regards,
{{ tenant_name }}
"#,
        html: html_email!(
            "en",
            r#"<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#1f2933;">Product deactivated</h1>
<p style="margin:0 0 16px;">{% if recipient_name %}Hello {{ recipient_name }},{% else %}Hello,{% endif %}</p>
<p style="margin:0 0 16px;">Your product “{{ offer_title }}” has been deactivated.</p>
{% if reason %}<p style="margin:0 0 16px;padding:12px 16px;background-color:#f4f5f7;border-left:4px solid #1a5fb4;white-space:pre-line;"><strong>Reason:</strong> {{ reason }}</p>
{% endif %}<p style="margin:0 0 16px;">If you have any questions, we are happy to help.</p>
<p style="margin:24px 0;"><a href="{{ link }}" style="display:inline-block;padding:12px 24px;background-color:#1a5fb4;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">View your order</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">If the button does not work, copy this link into your browser:<br><a href="{{ link }}" style="color:#1a5fb4;word-break:break-all;">{{ link }}</a></p>
<p style="margin:24px 0 0;">Kind regards,<br>{{ tenant_name }}</p>"#
        ),
    },
    DefaultTemplate {
        kind: "order_deactivated",
        lang: Lang::Fr,
        subject: r#"Produit désactivé : {{ offer_title }}"#,
        text: r#"{% if recipient_name %}Bonjour {{ recipient_name }},{% else %}Bonjour,{% endif %}

Votre produit « {{ offer_title }} » a été désactivé.
{% if reason %}
Motif : {{ reason }}
{% endif %}
Pour toute question, nous restons volontiers à votre disposition.

Vous pouvez suivre votre commande à tout moment ici :
{{ link }}

Meilleures salutations
{{ tenant_name }}
"#,
        html: html_email!(
            "fr",
            r#"<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#1f2933;">Produit désactivé</h1>
<p style="margin:0 0 16px;">{% if recipient_name %}Bonjour {{ recipient_name }},{% else %}Bonjour,{% endif %}</p>
<p style="margin:0 0 16px;">Votre produit « {{ offer_title }} » a été désactivé.</p>
{% if reason %}<p style="margin:0 0 16px;padding:12px 16px;background-color:#f4f5f7;border-left:4px solid #1a5fb4;white-space:pre-line;"><strong>Motif :</strong> {{ reason }}</p>
{% endif %}<p style="margin:0 0 16px;">Pour toute question, nous restons volontiers à votre disposition.</p>
<p style="margin:24px 0;"><a href="{{ link }}" style="display:inline-block;padding:12px 24px;background-color:#1a5fb4;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">Voir votre commande</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">Si le bouton ne fonctionne pas, copiez ce lien dans votre navigateur :<br><a href="{{ link }}" style="color:#1a5fb4;word-break:break-all;">{{ link }}</a></p>
<p style="margin:24px 0 0;">Meilleures salutations<br>{{ tenant_name }}</p>"#
        ),
    },
    DefaultTemplate {
        kind: "order_deactivated",
        lang: Lang::It,
        subject: r#"Prodotto disattivato: {{ offer_title }}"#,
        text: r#"{% if recipient_name %}Buongiorno {{ recipient_name }},{% else %}Buongiorno,{% endif %}

Il Suo prodotto «{{ offer_title }}» è stato disattivato.
{% if reason %}
Motivo: {{ reason }}
{% endif %}
Per qualsiasi domanda siamo volentieri a Sua disposizione.

Può seguire il Suo ordine in qualsiasi momento qui:
{{ link }}

Cordiali saluti
{{ tenant_name }}
"#,
        html: html_email!(
            "it",
            r#"<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#1f2933;">Prodotto disattivato</h1>
<p style="margin:0 0 16px;">{% if recipient_name %}Buongiorno {{ recipient_name }},{% else %}Buongiorno,{% endif %}</p>
<p style="margin:0 0 16px;">Il Suo prodotto «{{ offer_title }}» è stato disattivato.</p>
{% if reason %}<p style="margin:0 0 16px;padding:12px 16px;background-color:#f4f5f7;border-left:4px solid #1a5fb4;white-space:pre-line;"><strong>Motivo:</strong> {{ reason }}</p>
{% endif %}<p style="margin:0 0 16px;">Per qualsiasi domanda siamo volentieri a Sua disposizione.</p>
<p style="margin:24px 0;"><a href="{{ link }}" style="display:inline-block;padding:12px 24px;background-color:#1a5fb4;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">Visualizza il Suo ordine</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#52606d;">Se il pulsante non funziona, copi questo link nel Suo browser:<br><a href="{{ link }}" style="color:#1a5fb4;word-break:break-all;">{{ link }}</a></p>
<p style="margin:24px 0 0;">Cordiali saluti<br>{{ tenant_name }}</p>"#
        ),
    },
];

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use minijinja::Environment;

    use super::*;

    fn vars_of(kind: &str) -> &'static [&'static str] {
        ORDER_KINDS
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, vars)| *vars)
            .unwrap_or_else(|| panic!("unknown kind {kind}"))
    }

    fn find(kind: &str, lang: Lang) -> Option<&'static DefaultTemplate> {
        ORDER_DEFAULTS.iter().find(|t| t.kind == kind && t.lang == lang)
    }

    #[test]
    fn optional_parts_disappear_when_empty() {
        let env = Environment::new();
        let t = find("order_step_completed", Lang::De).unwrap();
        let mut ctx: BTreeMap<&str, &str> = vars_of(t.kind).iter().map(|v| (*v, "")).collect();
        ctx.insert("offer_title", "Solarstrom");
        ctx.insert("step_name", "Bestellung geprüft");
        ctx.insert("step_number", "2");
        let last = env.render_str(t.text, &ctx).unwrap();
        assert!(!last.contains("Nächster Schritt"), "{last}");
        assert!(
            last.contains("Schritt 2, «Bestellung geprüft», ist erledigt."),
            "{last}"
        );
        ctx.insert("next_step_name", "Vertrag und Termin");
        ctx.insert("next_step_explanation", "Sie erhalten den Vertrag.");
        let next = env.render_str(t.text, &ctx).unwrap();
        assert!(
            next.contains("Nächster Schritt: Vertrag und Termin\nSie erhalten den Vertrag.\n"),
            "{next}"
        );
        assert!(next.starts_with("Guten Tag\n\n"), "{next}");
    }
}
