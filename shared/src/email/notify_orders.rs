//! Who an order event tells, and what: the end user who placed the order, in their language
//! (their locale when they ordered, else the tenant's default, else German), with a link to
//! the order in the end users' app (`{CUSTOMER_APP_URL}/orders/{id}`).
//!
//! Everything event-specific (which step, the reason) comes from the event, the texts from
//! the order's snapshot of its steps, so a late delivery still describes what happened then.
//! Completing step five sends only `order_activated` (its `order_step_completed` is marked
//! `final` and sends nothing); orders without a valid email address send nothing.

use serde_json::{json, Map, Value};

use super::notify::{Link, Recipient, Tenant};
use crate::config::Config;
use crate::domain::order::Order;
use crate::domain::valid_email;
use crate::i18n::pick_in;
use crate::i18n::{I18n, Lang};
use crate::store::{attr_str, Item};

/// The order in the end users' app.
pub fn order_link(config: &Config, order_id: &str) -> String {
    config.customer_order_link(order_id)
}

/// Who an order event tells, and what (pure: reads only the event and the order).
pub fn order_recipients(event: &Item, order: &Order, tenant: &Tenant, config: &Config) -> Vec<Recipient> {
    let Some(email) = order.user.email.as_deref().filter(|e| valid_email(e)) else {
        return Vec::new();
    };
    let lang = Lang::resolve(order.user.locale, Some(tenant.default_locale));
    let text = |t: &I18n| json!(pick_in(t, lang, tenant.default_locale).unwrap_or_default());
    let data = event.get("data").cloned().unwrap_or(Value::Null);
    let reason = || json!(data.get("reason").and_then(Value::as_str).unwrap_or_default());
    let mut vars = Map::new();
    vars.insert("tenant_name".into(), json!(tenant.name));
    vars.insert(
        "recipient_name".into(),
        json!(order.user.name.clone().unwrap_or_default()),
    );
    vars.insert("offer_title".into(), text(&order.offer_title));
    let kind: &'static str = match attr_str(event, "type").unwrap_or_default() {
        "order_placed" => {
            if let Some(first) = order.step(1) {
                vars.insert("step_name".into(), text(&first.name));
                vars.insert("step_explanation".into(), text(&first.explanation));
            }
            "order_placed"
        }
        "order_step_completed" => {
            if data.get("final").and_then(Value::as_bool) == Some(true) {
                return Vec::new();
            }
            let number = data
                .get("step")
                .and_then(Value::as_u64)
                .and_then(|n| u8::try_from(n).ok());
            let Some(step) = number.and_then(|n| order.step(n)) else {
                return Vec::new();
            };
            vars.insert("step_number".into(), json!(step.number));
            vars.insert("step_name".into(), text(&step.name));
            if let Some(next) = step.number.checked_add(1).and_then(|n| order.step(n)) {
                vars.insert("next_step_name".into(), text(&next.name));
                vars.insert("next_step_explanation".into(), text(&next.explanation));
            }
            "order_step_completed"
        }
        "order_activated" => {
            if let Some(last) = order.steps.last() {
                vars.insert("step_explanation".into(), text(&last.explanation));
            }
            "order_activated"
        }
        "order_cancelled" => {
            vars.insert("reason".into(), reason());
            "order_cancelled"
        }
        "order_deactivated" => {
            vars.insert("reason".into(), reason());
            "order_deactivated"
        }
        _ => return Vec::new(),
    };
    vec![Recipient {
        email: email.to_string(),
        lang,
        kind,
        vars,
        link: Link::To(order_link(config, &order.id)),
        test: false,
    }]
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::Utc;

    use super::*;
    use crate::domain::offer::{Offer, OfferCategory, OfferContent, OfferInput};
    use crate::domain::order::{OrderSteps, OrderUser};
    use crate::domain::run::Actor;
    use crate::email::defaults_orders::{ORDER_DEFAULTS, ORDER_KINDS};
    use crate::email::{render, Template};

    fn order(locale: Option<Lang>, email: Option<&str>) -> Order {
        let content = |t: &str| OfferContent {
            title: t.into(),
            header: "h".into(),
            description: "d".into(),
            details: "x".into(),
        };
        let input = OfferInput {
            category: OfferCategory::Energy,
            content: BTreeMap::from([(Lang::De, content("Solarstrom")), (Lang::Fr, content("Solaire"))]),
            teaser_image_url: None,
            detail_image_url: None,
            questionnaire: Vec::new(),
        };
        let mut offer = Offer::create("of1".into(), input, Utc::now()).unwrap().0;
        offer.activate(None, Utc::now()).unwrap();
        let user = OrderUser {
            sub: "u1".into(),
            email: email.map(str::to_string),
            name: Some("Chiara".into()),
            locale,
        };
        Order::place(
            "or1".into(),
            &offer,
            &OrderSteps::default_set(),
            user,
            Map::new(),
            Utc::now(),
        )
        .unwrap()
        .0
    }

    fn event(kind: &str, data: Value) -> Item {
        json!({"type": kind, "aggregate": "order", "aggregate_id": "or1", "data": data})
            .as_object()
            .cloned()
            .unwrap()
    }

    fn tenant() -> Tenant {
        Tenant {
            id: "acme".into(),
            name: "Acme Energie".into(),
            default_locale: Lang::De,
        }
    }

    fn config() -> Config {
        Config::local("https://app.example")
    }

    /// Renders a recipient's email with the built-in template, as the notifier would.
    fn rendered(r: &Recipient) -> crate::email::Rendered {
        let t = ORDER_DEFAULTS
            .iter()
            .find(|t| t.kind == r.kind && t.lang == r.lang)
            .unwrap();
        let template = Template {
            subject: t.subject.into(),
            text: t.text.into(),
            html: Some(t.html.into()),
        };
        let names = ORDER_KINDS.iter().find(|(k, _)| *k == r.kind).unwrap().1;
        let Link::To(link) = &r.link else {
            panic!("orders link to the app")
        };
        let vars: Map<String, Value> = names
            .iter()
            .map(|n| {
                let v = if *n == "link" {
                    json!(link)
                } else {
                    r.vars.get(*n).cloned().unwrap_or_else(|| json!(""))
                };
                (n.to_string(), v)
            })
            .collect();
        render(&template, &Value::Object(vars)).unwrap()
    }

    #[test]
    fn the_user_is_told_in_their_language() {
        let o = order(Some(Lang::Fr), Some("chiara@x.ch"));
        let r = order_recipients(&event("order_placed", json!({})), &o, &tenant(), &config());
        assert_eq!(r.len(), 1);
        assert_eq!(
            (r[0].email.as_str(), r[0].lang, r[0].kind),
            ("chiara@x.ch", Lang::Fr, "order_placed")
        );
        assert_eq!(r[0].vars["offer_title"], "Solaire");
        assert_eq!(r[0].vars["step_name"], "Commande reçue");
        let Link::To(link) = &r[0].link else {
            panic!("a plain link")
        };
        assert_eq!(link, &config().customer_order_link("or1"));
        assert!(link.ends_with("/orders/or1"));
        let mail = rendered(&r[0]);
        assert_eq!(mail.subject, "Votre commande : Solaire");
        assert!(mail.text.contains("Bonjour Chiara,"), "{}", mail.text);
        assert!(mail.text.contains("Étape en cours : Commande reçue"), "{}", mail.text);
        assert!(mail.text.contains(link.as_str()));

        // Without a locale: the tenant's default.
        let o = order(None, Some("chiara@x.ch"));
        let r = order_recipients(&event("order_placed", json!({})), &o, &tenant(), &config());
        assert_eq!(r[0].lang, Lang::De);
        assert_eq!(r[0].vars["offer_title"], "Solarstrom");
    }

    #[test]
    fn each_change_has_its_email() {
        let mut o = order(Some(Lang::It), Some("chiara@x.ch"));
        let staff = Actor::staff("alice", None);
        let completed = o.advance(1, &staff, Utc::now()).unwrap();
        let r = order_recipients(
            &event(completed[0].kind, completed[0].data.clone()),
            &o,
            &tenant(),
            &config(),
        );
        assert_eq!(r[0].kind, "order_step_completed");
        assert_eq!(r[0].vars["step_number"], 1);
        assert_eq!(r[0].vars["step_name"], "Ordine ricevuto");
        assert_eq!(r[0].vars["next_step_name"], "Ordine verificato");
        let mail = rendered(&r[0]);
        assert!(
            mail.text.contains("la fase 1, «Ordine ricevuto», è completata"),
            "{}",
            mail.text
        );
        assert!(mail.text.contains("Prossima fase: Ordine verificato"), "{}", mail.text);
        for n in 2..=4 {
            o.advance(n, &staff, Utc::now()).unwrap();
        }
        let last = o.advance(5, &staff, Utc::now()).unwrap();
        // Step five: only the activation email.
        assert!(order_recipients(&event(last[0].kind, last[0].data.clone()), &o, &tenant(), &config()).is_empty());
        let r = order_recipients(&event(last[1].kind, last[1].data.clone()), &o, &tenant(), &config());
        assert_eq!(r[0].kind, "order_activated");
        assert!(rendered(&r[0]).subject.contains("attivo"));
        let ended = o.deactivate("Contratto disdetto", Utc::now()).unwrap();
        let r = order_recipients(&event(ended[0].kind, ended[0].data.clone()), &o, &tenant(), &config());
        assert_eq!(r[0].kind, "order_deactivated");
        let mail = rendered(&r[0]);
        assert!(mail.text.contains("Motivo: Contratto disdetto"), "{}", mail.text);
        assert!(mail.html.unwrap().contains("Contratto disdetto"));

        let mut o = order(Some(Lang::En), Some("chiara@x.ch"));
        let ended = o.cancel("Moved <away>", Utc::now()).unwrap();
        let r = order_recipients(&event(ended[0].kind, ended[0].data.clone()), &o, &tenant(), &config());
        assert_eq!(r[0].kind, "order_cancelled");
        let mail = rendered(&r[0]);
        assert!(
            mail.html.unwrap().contains("Moved &lt;away&gt;"),
            "the reason is escaped"
        );
    }

    #[test]
    fn nothing_without_an_address_or_for_other_events() {
        let o = order(Some(Lang::Fr), None);
        assert!(order_recipients(&event("order_placed", json!({})), &o, &tenant(), &config()).is_empty());
        let o = order(Some(Lang::Fr), Some("not-an-address"));
        assert!(order_recipients(&event("order_placed", json!({})), &o, &tenant(), &config()).is_empty());
        let o = order(Some(Lang::Fr), Some("chiara@x.ch"));
        assert!(order_recipients(&event("offer_activated", json!({})), &o, &tenant(), &config()).is_empty());
        assert!(order_recipients(
            &event("order_step_completed", json!({"step": 9})),
            &o,
            &tenant(),
            &config()
        )
        .is_empty());
    }
}
