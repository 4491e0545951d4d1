//! Offers and the five-step order process end to end, on both hosts: the whole story (offers,
//! the app, orders, emails, history, lists, the tenant's steps and language), every forbidden
//! transition, and concurrency (parallel activations, completions and orders).

use std::sync::Arc;

use e2e_tests::aws::AwsWorld;
use e2e_tests::scenario::World;
use e2e_tests::{unique, Client, Local, Resp};
use serde_json::{json, Value};
use tokio::task::JoinSet;

use e2e_tests::automation::App;

/// How many requests race in the concurrency tests.
const PARALLEL: usize = 8;

fn solar(tag: &str) -> Value {
    json!({
        "category": "energy",
        "content": {
            "de": {"title": format!("Solarstrom {tag}"), "header": "Strom vom eigenen Dach",
                   "description": "Ihre eigene Solaranlage.", "details": "Laufzeit 20 Jahre."},
            "fr": {"title": format!("Solaire {tag}"), "header": "Le courant de votre toit",
                   "description": "Votre propre installation solaire.", "details": "Durée 20 ans."},
        },
        "teaser_image_url": "https://cdn.utility.example/solar-teaser.jpg",
        "detail_image_url": "https://cdn.utility.example/solar-detail.jpg",
        "questionnaire": [
            {"key": "roof_area", "label": {"de": "Dachfläche in m2", "fr": "Surface du toit en m2"}, "type": "number", "required": true},
            {"key": "roof_type", "label": {"de": "Dachform", "fr": "Type de toit"}, "type": "select", "options": ["flat", "pitched"]},
        ],
    })
}

fn wallbox(tag: &str) -> Value {
    json!({
        "category": "hardware",
        "content": {
            "de": {"title": format!("Wallbox {tag}"), "header": "Zu Hause laden",
                   "description": "Eine Ladestation für Ihr Elektroauto.", "details": "11 kW, mit Installation."},
            "en": {"title": format!("Wallbox EN {tag}"), "header": "Charge at home",
                   "description": "A charging station for your electric car.", "details": "11 kW, installed."},
        },
        "questionnaire": [
            {"key": "parking", "label": {"de": "Parkplatz", "en": "Parking"}, "type": "select", "options": ["garage", "outdoor"], "required": true},
        ],
    })
}

async fn new_offer(w: &impl App, body: Value) -> String {
    let r = w.call("POST", "/v1/offers", Some(&w.admin()), Some(body)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["status"], "draft");
    assert_eq!(r.body["version"], 1);
    r.field("id")
}

async fn activate(w: &impl App, id: &str) -> Resp {
    w.call("POST", &format!("/v1/offers/{id}/activate"), Some(&w.admin()), None)
        .await
}

async fn offer(w: &impl App, id: &str) -> Value {
    let r = w.call("GET", &format!("/v1/offers/{id}"), Some(&w.admin()), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

fn ids(r: &Resp) -> Vec<String> {
    r.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items in {}", r.body))
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

async fn offer_ids(w: &impl App, query: &str) -> Vec<String> {
    let r = w
        .call("GET", &format!("/v1/offers{query}"), Some(&w.admin()), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    ids(&r)
}

async fn place(w: &impl App, bearer: &str, offer_id: &str, answers: Value) -> Resp {
    w.call(
        "POST",
        "/v1/app/orders",
        Some(bearer),
        Some(json!({"offer_id": offer_id, "answers": answers})),
    )
    .await
}

async fn act(w: &impl App, order: &str, action: &str, body: Value) -> Resp {
    w.call(
        "POST",
        &format!("/v1/orders/{order}/{action}"),
        Some(&w.admin()),
        Some(body),
    )
    .await
}

async fn advance(w: &impl App, order: &str, step: u32) -> Resp {
    act(w, order, "advance", json!({ "expected_step": step })).await
}

async fn history_types(w: &impl App, order: &str) -> Vec<String> {
    let r = w
        .call("GET", &format!("/v1/orders/{order}/history"), Some(&w.admin()), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect()
}

/// The order as staff see it, and the length of its history.
async fn order_snapshot(w: &impl App, order: &str) -> (Value, usize) {
    let r = w
        .call("GET", &format!("/v1/orders/{order}"), Some(&w.admin()), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    (r.body, history_types(w, order).await.len())
}

/// The whole story on one host.
async fn offers_and_orders(w: &impl App) {
    let tag = unique();
    let admin = w.admin();

    // ---- Offers: validated drafts, edited while they are drafts.
    let bad = w
        .call(
            "POST",
            "/v1/offers",
            Some(&admin),
            Some(json!({"category": "energy", "content": {},
            "teaser_image_url": "javascript:alert(1)",
            "questionnaire": [{"key": "a", "label": {"de": "A"}, "type": "select"}]})),
        )
        .await;
    assert_eq!(
        bad.problem(422).error_fields(),
        ["content", "teaser_image_url", "questionnaire[0].options"]
    );
    let gas = w
        .call(
            "POST",
            "/v1/offers",
            Some(&admin),
            Some(json!({"category": "gas", "content": {}})),
        )
        .await;
    assert_eq!(gas.problem(422).error_fields(), ["category"]);
    let first = new_offer(w, solar(&format!("A{tag}"))).await;
    let mut edited = solar(&format!("A{tag}"));
    edited["content"]["de"]["header"] = json!("Neu: Strom vom Dach");
    let put = w
        .call("PUT", &format!("/v1/offers/{first}"), Some(&admin), Some(edited))
        .await;
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(put.body["version"], 2);
    assert_eq!(put.body["content"]["de"]["header"], "Neu: Strom vom Dach");
    w.raw(
        "PUT",
        &format!("/v1/offers/{first}"),
        Some(&admin),
        &[("if-match", "1")],
        Some(solar("stale").to_string()),
    )
    .await
    .problem(409);

    // ---- Activation: one active offer per category; the new one closes the old one.
    let activated = activate(w, &first).await;
    assert_eq!(activated.status, 200, "{}", activated.body);
    assert_eq!(activated.body["status"], "active");
    assert_eq!(activated.body["closed_offer_id"], Value::Null);
    let second = new_offer(w, solar(&tag)).await;
    let activated = activate(w, &second).await;
    assert_eq!(activated.status, 200, "{}", activated.body);
    assert_eq!(activated.body["closed_offer_id"], json!(first));
    // The first offer's history: made, edited, activated, closed by the second one.
    let history = w
        .call("GET", &format!("/v1/offers/{first}/history"), Some(&admin), None)
        .await;
    let types: Vec<&str> = history.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["type"].as_str())
        .collect();
    assert_eq!(
        types,
        ["offer_created", "offer_updated", "offer_activated", "offer_closed"],
        "{}",
        history.body
    );
    let old = offer(w, &first).await;
    assert_eq!(old["status"], "closed");
    assert_eq!(old["replaced_by"], json!(second));
    let hardware = new_offer(w, wallbox(&tag)).await;
    assert_eq!(activate(w, &hardware).await.status, 200);
    let spare = new_offer(w, wallbox(&format!("draft{tag}"))).await;

    // The list, grouped by category; filters; pages.
    let all = w.call("GET", "/v1/offers", Some(&admin), None).await;
    assert_eq!(all.status, 200, "{}", all.body);
    let categories: Vec<&str> = all.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["category"].as_str().unwrap())
        .collect();
    assert_eq!(categories, ["energy", "energy", "hardware", "hardware"]);
    assert_eq!(offer_ids(w, "?status=active").await, [second.clone(), hardware.clone()]);
    assert_eq!(
        offer_ids(w, "?category=energy&status=active").await,
        std::slice::from_ref(&second)
    );
    assert_eq!(
        offer_ids(w, "?category=energy&status=closed").await,
        std::slice::from_ref(&first)
    );
    assert_eq!(
        offer_ids(w, "?category=hardware&status=draft").await,
        std::slice::from_ref(&spare)
    );
    let mut energy = offer_ids(w, "?category=energy").await;
    energy.sort();
    let mut expected = vec![first.clone(), second.clone()];
    expected.sort();
    assert_eq!(energy, expected);
    w.call("GET", "/v1/offers?status=open", Some(&admin), None)
        .await
        .problem(422);
    w.call("GET", "/v1/offers?category=gas", Some(&admin), None)
        .await
        .problem(422);
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10 {
        let path = match &cursor {
            Some(c) => format!("/v1/offers?limit=3&cursor={c}"),
            None => "/v1/offers?limit=3".to_string(),
        };
        let page = w.call("GET", &path, Some(&admin), None).await;
        assert_eq!(page.status, 200, "{}", page.body);
        seen.extend(ids(&page));
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen, ids(&all), "pages add up to the whole list");
    // A cursor of another list is refused.
    let page = w.call("GET", "/v1/offers?limit=1", Some(&admin), None).await;
    let c = page.body["next_cursor"].as_str().unwrap().to_string();
    w.call(
        "GET",
        &format!("/v1/offers?status=draft&cursor={c}"),
        Some(&admin),
        None,
    )
    .await
    .problem(422);

    // ---- Preview: what the app shows, in a chosen language.
    let fr = w
        .call(
            "GET",
            &format!("/v1/offers/{second}/preview?locale=fr"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(fr.status, 200, "{}", fr.body);
    assert_eq!(fr.body["locale"], "fr");
    assert_eq!(fr.body["card"]["title"], json!(format!("Solaire {tag}")));
    assert_eq!(
        fr.body["card"]["image_url"],
        "https://cdn.utility.example/solar-teaser.jpg"
    );
    assert_eq!(fr.body["detail"]["details"], "Durée 20 ans.");
    assert_eq!(fr.body["detail"]["questionnaire"][0]["label"], "Surface du toit en m2");
    let it = w
        .call(
            "GET",
            &format!("/v1/offers/{second}/preview?locale=it"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(it.body["locale"], "de", "no Italian: the tenant's default");
    assert_eq!(it.body["card"]["title"], json!(format!("Solarstrom {tag}")));
    w.call(
        "GET",
        &format!("/v1/offers/{second}/preview?locale=xx"),
        Some(&admin),
        None,
    )
    .await
    .problem(422);

    // ---- The app: the active offers, in the user's language; roles are kept apart.
    let chiara = format!("chiara{tag}");
    let app = w.customer(&chiara, Some("fr"));
    let offers = w.call("GET", "/v1/app/offers", Some(&app), None).await;
    assert_eq!(offers.status, 200, "{}", offers.body);
    assert_eq!(ids(&offers), [second.clone(), hardware.clone()]);
    assert_eq!(
        offers.body["items"][0]["card"]["title"],
        json!(format!("Solaire {tag}"))
    );
    assert_eq!(
        offers.body["items"][1]["card"]["title"],
        json!(format!("Wallbox {tag}")),
        "no French: the tenant's default"
    );
    assert_eq!(offers.body["items"][0]["open_order"], Value::Null);
    w.call("GET", "/v1/app/offers", Some(&admin), None).await.problem(403);
    w.call("GET", "/v1/offers", Some(&app), None).await.problem(403);
    w.call("GET", "/v1/orders", Some(&app), None).await.problem(403);

    // ---- Ordering: answers validated, only active offers, one open order per offer.
    let invalid = place(w, &app, &second, json!({"roof_area": "big", "colour": "red"})).await;
    assert_eq!(
        invalid.problem(422).error_fields(),
        ["answers.colour", "answers.roof_area"]
    );
    let missing = w
        .call("POST", "/v1/app/orders", Some(&app), Some(json!({"offer_id": second})))
        .await;
    assert_eq!(missing.problem(422).error_fields(), ["answers.roof_area"]);
    let unknown = place(w, &app, "no-such-offer", json!({})).await;
    assert_eq!(unknown.problem(422).error_fields(), ["offer_id"]);
    place(w, &app, &first, json!({"roof_area": 40})).await.problem(409);
    place(w, &app, &spare, json!({"parking": "garage"})).await.problem(409);

    let body = json!({"offer_id": second, "answers": {"roof_area": 42.5, "roof_type": "pitched"}}).to_string();
    let key = format!("order-{tag}");
    let placed = w
        .raw(
            "POST",
            "/v1/app/orders",
            Some(&app),
            &[("idempotency-key", key.as_str())],
            Some(body.clone()),
        )
        .await;
    assert_eq!(placed.status, 201, "{}", placed.body);
    let solar_order = placed.field("id");
    assert_eq!(placed.body["status"], "in_progress");
    assert_eq!(placed.body["current_step"], 1);
    assert_eq!(placed.body["offer_title"], json!(format!("Solaire {tag}")));
    assert_eq!(
        placed.body["answers"],
        json!({"roof_area": 42.5, "roof_type": "pitched"})
    );
    let steps = placed.body["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 5);
    assert_eq!(steps[0]["name"], "Commande reçue");
    assert_eq!(steps[0]["status"], "current");
    assert!(steps[0]["explanation"]
        .as_str()
        .unwrap()
        .starts_with("Nous avons bien reçu"));
    let retried = w
        .raw(
            "POST",
            "/v1/app/orders",
            Some(&app),
            &[("idempotency-key", key.as_str())],
            Some(body.clone()),
        )
        .await;
    assert_eq!(retried.status, 201, "{}", retried.body);
    assert_eq!(retried.field("id"), solar_order, "a retry returns the same order");
    w.raw("POST", "/v1/app/orders", Some(&app), &[], Some(body))
        .await
        .problem(409);
    let wallbox_order = place(w, &app, &hardware, json!({"parking": "garage"})).await;
    assert_eq!(wallbox_order.status, 201, "{}", wallbox_order.body);
    let wallbox_order = wallbox_order.field("id");
    let offers = w.call("GET", "/v1/app/offers", Some(&app), None).await;
    assert_eq!(offers.body["items"][0]["open_order"]["id"], json!(solar_order));
    assert_eq!(offers.body["items"][0]["open_order"]["status"], "in_progress");
    assert_eq!(offers.body["items"][0]["open_order"]["current_step"], 1);
    assert_eq!(offers.body["items"][1]["open_order"]["id"], json!(wallbox_order));

    // A confirmation email per order, in French.
    let inbox_of = w.customer_email(&chiara);
    w.deliver().await;
    let mails = w.inbox(&inbox_of).await;
    assert_eq!(mails.len(), 2, "one confirmation per order: {mails:?}");
    assert!(mails
        .iter()
        .any(|m| m.subject.contains(&format!("Solaire {tag}")) && m.subject.starts_with("Votre commande")));
    assert!(mails.iter().all(|m| m.body.contains("Commande reçue")), "{mails:?}");

    // ---- The admin list: newest first, by status, one page per request.
    let list = w.call("GET", "/v1/orders", Some(&admin), None).await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert_eq!(ids(&list), [wallbox_order.clone(), solar_order.clone()]);
    assert_eq!(list.body["items"][0]["user"]["sub"], json!(chiara));
    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..5 {
        let path = match &cursor {
            Some(c) => format!("/v1/orders?status=in_progress&limit=1&cursor={c}"),
            None => "/v1/orders?status=in_progress&limit=1".to_string(),
        };
        let page = w.call("GET", &path, Some(&admin), None).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(ids(&page).len() <= 1);
        paged.extend(ids(&page));
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(paged, [wallbox_order.clone(), solar_order.clone()]);
    w.call("GET", "/v1/orders?status=done", Some(&admin), None)
        .await
        .problem(422);
    w.call("GET", "/v1/orders?limit=0", Some(&admin), None)
        .await
        .problem(422);

    // ---- The five steps: only the current one, each once; step five makes it active.
    advance(w, &solar_order, 2).await.problem(409);
    advance(w, &solar_order, 0).await.problem(422);
    act(w, &solar_order, "advance", json!({})).await.problem(422);
    let one = advance(w, &solar_order, 1).await;
    assert_eq!(one.status, 200, "{}", one.body);
    assert_eq!(one.body["current_step"], 2);
    assert!(one.body["steps"][0]["completed_at"].is_string());
    assert!(one.body["steps"][0]["completed_by"]["id"].is_string());
    assert_eq!(one.body["steps"][1]["status"], "current");
    advance(w, &solar_order, 1).await.problem(409); // the double click
    for step in 2..=4 {
        let r = advance(w, &solar_order, step).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["current_step"], step + 1);
    }
    let done = advance(w, &solar_order, 5).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.body["status"], "active");
    assert_eq!(done.body["current_step"], Value::Null);
    assert!(done.body["activated_at"].is_string());
    advance(w, &solar_order, 5).await.problem(409);

    // The user's cards: status, current step, each step's time and explanation.
    let cards = w.call("GET", "/v1/app/orders", Some(&app), None).await;
    assert_eq!(cards.status, 200, "{}", cards.body);
    assert_eq!(ids(&cards), [wallbox_order.clone(), solar_order.clone()]);
    let card = &cards.body["items"][1];
    assert_eq!(card["status"], "active");
    assert_eq!(card["current_step"], Value::Null);
    for step in card["steps"].as_array().unwrap() {
        assert!(step["completed_at"].is_string(), "{step}");
        assert_eq!(step["status"], "done");
        assert!(step.get("completed_by").is_none(), "cards hide staff identities");
    }
    assert!(card["steps"][4]["explanation"]
        .as_str()
        .unwrap()
        .starts_with("Votre produit est actif"));
    let wallbox_card = &cards.body["items"][0];
    assert_eq!(wallbox_card["current_step"], 1);
    assert_eq!(wallbox_card["steps"][0]["status"], "current");
    let mine = w
        .call("GET", &format!("/v1/app/orders/{solar_order}"), Some(&app), None)
        .await;
    assert_eq!(mine.status, 200, "{}", mine.body);
    let stranger = w.customer(&format!("eve{tag}"), None);
    w.call("GET", &format!("/v1/app/orders/{solar_order}"), Some(&stranger), None)
        .await
        .problem(404);
    assert_eq!(
        ids(&w.call("GET", "/v1/app/orders", Some(&stranger), None).await).len(),
        0
    );

    // An email per completed step (four) and one for the activation.
    w.deliver().await;
    let mails = w.inbox(&inbox_of).await;
    assert_eq!(mails.len(), 7, "2 confirmations, 4 steps, 1 activation: {mails:?}");
    assert_eq!(mails.iter().filter(|m| m.subject.contains("termin")).count(), 4);
    assert_eq!(
        mails
            .iter()
            .filter(|m| m.subject.starts_with("Votre produit est actif"))
            .count(),
        1
    );
    assert!(
        mails.iter().any(|m| m.body.contains("Commande vérifiée")),
        "the next step is named"
    );

    // ---- Final states, each with a required reason.
    act(w, &solar_order, "cancel", json!({"reason": "too late"}))
        .await
        .problem(409);
    let no_reason = act(w, &solar_order, "deactivate", json!({})).await;
    assert_eq!(no_reason.problem(422).error_fields(), ["reason"]);
    act(w, &solar_order, "deactivate", json!({"reason": "  "}))
        .await
        .problem(422);
    let off = act(
        w,
        &solar_order,
        "deactivate",
        json!({"reason": "Contract ended by the customer"}),
    )
    .await;
    assert_eq!(off.status, 200, "{}", off.body);
    assert_eq!(off.body["status"], "deactivated");
    assert_eq!(off.body["reason"], "Contract ended by the customer");
    act(w, &solar_order, "deactivate", json!({"reason": "again"}))
        .await
        .problem(409);
    advance(w, &solar_order, 1).await.problem(409);

    act(w, &wallbox_order, "deactivate", json!({"reason": "too early"}))
        .await
        .problem(409);
    let cancelled = act(w, &wallbox_order, "cancel", json!({"reason": "No parking space"})).await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.body);
    assert_eq!(cancelled.body["status"], "cancelled");
    assert_eq!(cancelled.body["current_step"], Value::Null);
    advance(w, &wallbox_order, 1).await.problem(409);
    w.deliver().await;
    let mails = w.inbox(&inbox_of).await;
    assert_eq!(mails.len(), 9, "and one each for the deactivation and the cancellation");
    assert!(mails.iter().any(|m| m.body.contains("Contract ended by the customer")));
    assert!(mails.iter().any(|m| m.body.contains("No parking space")));

    // ---- History: every change, with who did it.
    let history = w
        .call("GET", &format!("/v1/orders/{solar_order}/history"), Some(&admin), None)
        .await;
    let events = history.body["events"].as_array().unwrap();
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "order_placed",
            "order_step_completed",
            "order_step_completed",
            "order_step_completed",
            "order_step_completed",
            "order_step_completed",
            "order_activated",
            "order_deactivated"
        ]
    );
    assert_eq!(events[0]["actor"]["kind"], "customer");
    assert_eq!(events[0]["actor"]["id"], json!(chiara));
    assert_eq!(events[1]["actor"]["kind"], "staff");
    assert_eq!(events[1]["data"]["step"], 1);
    assert_eq!(events[7]["data"]["reason"], "Contract ended by the customer");
    assert!(events.iter().all(|e| e["at"].is_string()));

    // Ended orders free the offer: the user can order it again.
    let again = place(w, &app, &second, json!({"roof_area": 12})).await;
    assert_eq!(again.status, 201, "{}", again.body);
    let offers = w.call("GET", "/v1/app/offers", Some(&app), None).await;
    assert_eq!(offers.body["items"][0]["open_order"]["id"], again.body["id"]);
    assert_eq!(offers.body["items"][1]["open_order"], Value::Null);

    // Another tenant sees none of it.
    let mallory = w.other_tenant_staff();
    w.call("GET", &format!("/v1/orders/{solar_order}"), Some(&mallory), None)
        .await
        .problem(404);
    w.call("GET", &format!("/v1/offers/{second}"), Some(&mallory), None)
        .await
        .problem(404);
    assert_eq!(ids(&w.call("GET", "/v1/orders", Some(&mallory), None).await).len(), 0);

    // ---- The tenant's own five steps; orders already placed keep theirs.
    let defaults = w.call("GET", "/v1/order-steps", Some(&admin), None).await;
    assert_eq!(defaults.status, 200, "{}", defaults.body);
    assert_eq!(defaults.body["custom"], false);
    assert_eq!(defaults.body["steps"][0]["name"]["de"], "Bestellung eingegangen");
    let custom: Vec<Value> = (1..=5)
        .map(|i| {
            json!({"name": {"de": format!("Schritt {i} {tag}"), "en": format!("Step {i}")},
                   "explanation": {"de": format!("Erklärung {i}"), "en": format!("Explanation {i}")}})
        })
        .collect();
    let four = w
        .call(
            "PUT",
            "/v1/order-steps",
            Some(&admin),
            Some(json!({"steps": custom[..4]})),
        )
        .await;
    assert_eq!(four.problem(422).error_fields(), ["steps"]);
    let set = w
        .call("PUT", "/v1/order-steps", Some(&admin), Some(json!({ "steps": custom })))
        .await;
    assert_eq!(set.status, 200, "{}", set.body);
    assert_eq!(
        (set.body["custom"].clone(), set.body["version"].clone()),
        (json!(true), json!(1))
    );
    w.raw(
        "PUT",
        "/v1/order-steps",
        Some(&admin),
        &[("if-match", "0")],
        Some(json!({ "steps": custom }).to_string()),
    )
    .await
    .problem(409);
    let dora = w.customer(&format!("dora{tag}"), None);
    let placed = place(w, &dora, &hardware, json!({"parking": "outdoor"})).await;
    assert_eq!(placed.status, 201, "{}", placed.body);
    assert_eq!(placed.body["steps"][0]["name"], json!(format!("Schritt 1 {tag}")));
    assert_eq!(placed.body["offer_title"], json!(format!("Wallbox {tag}")));
    let (old_order, _) = order_snapshot(w, &solar_order).await;
    assert_eq!(old_order["steps"][0]["name"], "Bestellung eingegangen");

    // ---- The tenant's default language is the fallback for users without one.
    let settings = w
        .call(
            "PUT",
            "/v1/settings",
            Some(&admin),
            Some(json!({"default_locale": "fr"})),
        )
        .await;
    assert_eq!(settings.status, 200, "{}", settings.body);
    let offers = w.call("GET", "/v1/app/offers", Some(&dora), None).await;
    assert_eq!(offers.body["items"][0]["locale"], "fr");
    assert_eq!(
        offers.body["items"][0]["card"]["title"],
        json!(format!("Solaire {tag}"))
    );
}

/// Every forbidden transition answers 409 or 422 and changes nothing.
async fn forbidden_transitions(w: &impl App) {
    let tag = unique();
    let admin = w.admin();
    let closed = new_offer(w, solar(&format!("old{tag}"))).await;
    assert_eq!(activate(w, &closed).await.status, 200);
    let active = new_offer(w, solar(&tag)).await;
    assert_eq!(activate(w, &active).await.status, 200);

    // Offers: edit active or closed, reactivate closed, activate active, close closed.
    let before = (offer(w, &closed).await, offer(w, &active).await);
    let edit = w
        .call("PUT", &format!("/v1/offers/{active}"), Some(&admin), Some(solar("x")))
        .await;
    edit.problem(409);
    assert!(
        edit.body["detail"].as_str().unwrap().contains("new draft"),
        "the answer says how to replace it: {}",
        edit.body
    );
    w.call("PUT", &format!("/v1/offers/{closed}"), Some(&admin), Some(solar("x")))
        .await
        .problem(409);
    activate(w, &closed).await.problem(409);
    activate(w, &active).await.problem(409);
    w.call("POST", &format!("/v1/offers/{closed}/close"), Some(&admin), None)
        .await
        .problem(409);
    assert_eq!((offer(w, &closed).await, offer(w, &active).await), before);
    assert_eq!(
        offer_ids(w, "?category=energy&status=active").await,
        std::slice::from_ref(&active)
    );

    // Orders in progress: no deactivation, no skipped step, no cancel without a reason.
    let app = w.customer(&format!("fred{tag}"), Some("de"));
    let placed = place(w, &app, &active, json!({"roof_area": 20})).await;
    assert_eq!(placed.status, 201, "{}", placed.body);
    let first = placed.field("id");
    let refused = [
        ("deactivate", json!({"reason": "too early"}), 409),
        ("advance", json!({"expected_step": 2}), 409),
        ("advance", json!({"expected_step": 6}), 422),
        ("cancel", json!({}), 422),
        ("cancel", json!({"reason": " "}), 422),
        ("cancel", json!({"reason": "x", "note": "unknown field"}), 422),
    ];
    for (action, body, status) in refused {
        let before = order_snapshot(w, &first).await;
        act(w, &first, action, body.clone()).await.problem(status);
        assert_eq!(
            order_snapshot(w, &first).await,
            before,
            "{action} {body} changed the order"
        );
    }
    // A second order of the same offer while the first is open.
    let before = w.call("GET", "/v1/app/orders", Some(&app), None).await.body;
    place(w, &app, &active, json!({"roof_area": 20})).await.problem(409);
    assert_eq!(w.call("GET", "/v1/app/orders", Some(&app), None).await.body, before);

    // Cancelled: final.
    assert_eq!(act(w, &first, "cancel", json!({"reason": "moved"})).await.status, 200);
    for (action, body) in [
        ("advance", json!({"expected_step": 1})),
        ("cancel", json!({"reason": "again"})),
        ("deactivate", json!({"reason": "again"})),
    ] {
        let before = order_snapshot(w, &first).await;
        act(w, &first, action, body).await.problem(409);
        assert_eq!(
            order_snapshot(w, &first).await,
            before,
            "{action} changed a cancelled order"
        );
    }

    // Active: no cancel, no further step, no deactivation without a reason.
    let second = place(w, &app, &active, json!({"roof_area": 20})).await.field("id");
    for step in 1..=5 {
        assert_eq!(advance(w, &second, step).await.status, 200);
    }
    for (action, body, status) in [
        ("cancel", json!({"reason": "changed my mind"}), 409),
        ("advance", json!({"expected_step": 5}), 409),
        ("deactivate", json!({"reason": ""}), 422),
        ("deactivate", json!({}), 422),
    ] {
        let before = order_snapshot(w, &second).await;
        act(w, &second, action, body.clone()).await.problem(status);
        assert_eq!(
            order_snapshot(w, &second).await,
            before,
            "{action} {body} changed the order"
        );
    }
    // Deactivated: final.
    assert_eq!(
        act(w, &second, "deactivate", json!({"reason": "ended"})).await.status,
        200
    );
    for (action, body) in [
        ("deactivate", json!({"reason": "again"})),
        ("cancel", json!({"reason": "again"})),
        ("advance", json!({"expected_step": 1})),
    ] {
        let before = order_snapshot(w, &second).await;
        act(w, &second, action, body).await.problem(409);
        assert_eq!(
            order_snapshot(w, &second).await,
            before,
            "{action} changed a deactivated order"
        );
    }
    // Unknown ids are 404s, not conflicts.
    advance(w, "no-such-order", 1).await.problem(404);
    activate(w, "no-such-offer").await.problem(404);
}

/// Runs `n` copies of a request at once; returns (status, body) of each.
async fn race<W: App>(
    w: &Arc<W>,
    n: usize,
    method: &'static str,
    path: String,
    bearer: String,
    body: Option<Value>,
) -> Vec<(u16, Value)> {
    let mut set = JoinSet::new();
    for _ in 0..n {
        let (w, path, bearer, body) = (w.clone(), path.clone(), bearer.clone(), body.clone());
        set.spawn(async move {
            let r = w.call(method, &path, Some(&bearer), body).await;
            (r.status, r.body)
        });
    }
    let mut out = Vec::new();
    while let Some(done) = set.join_next().await {
        out.push(done.unwrap());
    }
    out
}

/// Many activations at once in one category leave exactly one active offer.
async fn parallel_activations<W: App>(w: Arc<W>) {
    let tag = unique();
    let admin = w.admin();
    let first = new_offer(&*w, solar(&format!("first{tag}"))).await;
    assert_eq!(activate(&*w, &first).await.status, 200);
    let mut drafts = Vec::new();
    for i in 0..PARALLEL {
        drafts.push(new_offer(&*w, solar(&format!("{i}x{tag}"))).await);
    }
    let mut set = JoinSet::new();
    for id in drafts.clone() {
        let (w, admin) = (w.clone(), admin.clone());
        set.spawn(async move {
            let r = w
                .call("POST", &format!("/v1/offers/{id}/activate"), Some(&admin), None)
                .await;
            (id, r.status)
        });
    }
    let mut outcomes = Vec::new();
    while let Some(done) = set.join_next().await {
        outcomes.push(done.unwrap());
    }
    assert!(outcomes.iter().all(|(_, s)| *s == 200 || *s == 409), "{outcomes:?}");
    let wins: Vec<&String> = outcomes.iter().filter(|(_, s)| *s == 200).map(|(id, _)| id).collect();
    assert!(!wins.is_empty(), "one activation wins: {outcomes:?}");
    let active = offer_ids(&*w, "?category=energy&status=active").await;
    assert_eq!(active.len(), 1, "exactly one active offer: {active:?}");
    assert!(wins.contains(&&active[0]), "the active offer is one that won");
    for (id, status) in &outcomes {
        let o = offer(&*w, id).await;
        if *status == 409 {
            assert_eq!(o["status"], "draft", "a refused activation changes nothing");
            assert_eq!(o["version"], 1);
        } else {
            assert!(o["status"] == "active" || o["status"] == "closed", "{o}");
        }
    }
    let closed = offer_ids(&*w, "?category=energy&status=closed").await;
    assert_eq!(
        closed.len(),
        wins.len(),
        "each win closed exactly the offer it replaced"
    );
    assert!(closed.contains(&first));

    // The first activation of a category (no active offer yet), raced by distinct drafts.
    let mut firsts = Vec::new();
    for i in 0..PARALLEL {
        firsts.push(new_offer(&*w, wallbox(&format!("{i}first{tag}"))).await);
    }
    let mut set = JoinSet::new();
    for id in firsts.clone() {
        let (w, admin) = (w.clone(), admin.clone());
        set.spawn(async move {
            w.call("POST", &format!("/v1/offers/{id}/activate"), Some(&admin), None)
                .await
                .status
        });
    }
    while let Some(status) = set.join_next().await {
        assert!(matches!(status.unwrap(), 200 | 409));
    }
    assert_eq!(
        offer_ids(&*w, "?category=hardware&status=active").await.len(),
        1,
        "one active hardware offer"
    );

    // The same draft activated many times at once: once.
    let one = new_offer(&*w, wallbox(&tag)).await;

    let results = race(
        &w,
        PARALLEL,
        "POST",
        format!("/v1/offers/{one}/activate"),
        admin.clone(),
        None,
    )
    .await;
    assert_eq!(results.iter().filter(|(s, _)| *s == 200).count(), 1, "{results:?}");
    assert!(results.iter().all(|(s, _)| *s == 200 || *s == 409));
    let o = offer(&*w, &one).await;
    assert_eq!((o["status"].clone(), o["version"].clone()), (json!("active"), json!(2)));
}

/// Many completions of the same step at once complete it once; many orders of one offer by
/// one user at once place one.
async fn parallel_orders<W: App>(w: Arc<W>) {
    let tag = unique();
    let admin = w.admin();
    let offer_id = new_offer(&*w, solar(&tag)).await;
    assert_eq!(activate(&*w, &offer_id).await.status, 200);
    let sub = format!("paula{tag}");
    let app = w.customer(&sub, Some("de"));
    let order = place(&*w, &app, &offer_id, json!({"roof_area": 30})).await.field("id");

    let results = race(
        &w,
        PARALLEL,
        "POST",
        format!("/v1/orders/{order}/advance"),
        admin.clone(),
        Some(json!({"expected_step": 1})),
    )
    .await;
    assert_eq!(
        results.iter().filter(|(s, _)| *s == 200).count(),
        1,
        "step 1 is completed once: {results:?}"
    );
    assert!(results.iter().all(|(s, _)| *s == 200 || *s == 409), "{results:?}");
    let (now, _) = order_snapshot(&*w, &order).await;
    assert_eq!(now["current_step"], 2);
    assert_eq!(now["version"], 2);
    let types = history_types(&*w, &order).await;
    assert_eq!(types, ["order_placed", "order_step_completed"], "nothing doubled");
    w.deliver().await;
    let mails = w.inbox(&w.customer_email(&sub)).await;
    assert_eq!(mails.len(), 2, "the confirmation and one step email: {mails:?}");

    // The next step still works, once.
    let results = race(
        &w,
        PARALLEL,
        "POST",
        format!("/v1/orders/{order}/advance"),
        admin.clone(),
        Some(json!({"expected_step": 2})),
    )
    .await;
    assert_eq!(results.iter().filter(|(s, _)| *s == 200).count(), 1, "{results:?}");
    assert_eq!(order_snapshot(&*w, &order).await.0["current_step"], 3);

    // Double submits: one order, the rest 409.
    let hardware = new_offer(&*w, wallbox(&tag)).await;
    assert_eq!(activate(&*w, &hardware).await.status, 200);
    let quinn = w.customer(&format!("quinn{tag}"), None);
    let results = race(
        &w,
        PARALLEL,
        "POST",
        "/v1/app/orders".into(),
        quinn.clone(),
        Some(json!({"offer_id": hardware, "answers": {"parking": "garage"}})),
    )
    .await;
    assert_eq!(results.iter().filter(|(s, _)| *s == 201).count(), 1, "{results:?}");
    assert!(results.iter().all(|(s, _)| *s == 201 || *s == 409), "{results:?}");
    let mine = w.call("GET", "/v1/app/orders", Some(&quinn), None).await;
    assert_eq!(ids(&mine).len(), 1, "one order placed: {}", mine.body);
}

/// The back office previews content it has not saved: the same card and detail page as the
/// saved offer's preview, the same refusals as saving; shop links per language, http(s) only.
async fn live_preview_and_shop_links(w: &impl App) {
    let tag = unique();
    let admin = w.admin();
    let mut body = solar(&tag);
    body["content"]["de"]["shop_url"] = json!("https://shop.utility.example/solar");
    let saved = new_offer(w, body.clone()).await;
    for locale in ["de", "fr"] {
        let stored = w
            .call(
                "GET",
                &format!("/v1/offers/{saved}/preview?locale={locale}"),
                Some(&admin),
                None,
            )
            .await;
        let mut unsaved = body.clone();
        unsaved["locale"] = json!(locale);
        let live = w.call("POST", "/v1/offers/preview", Some(&admin), Some(unsaved)).await;
        assert_eq!(live.status, 200, "{}", live.body);
        for part in ["card", "detail", "locale", "available_locales"] {
            assert_eq!(live.body[part], stored.body[part], "{locale}: {part}");
        }
    }
    let de = w
        .call(
            "GET",
            &format!("/v1/offers/{saved}/preview?locale=de"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(de.body["card"]["shop_url"], "https://shop.utility.example/solar");
    assert_eq!(de.body["detail"]["shop_url"], "https://shop.utility.example/solar");
    let fr = w
        .call(
            "GET",
            &format!("/v1/offers/{saved}/preview?locale=fr"),
            Some(&admin),
            None,
        )
        .await;
    assert!(fr.body["card"]["shop_url"].is_null(), "no French shop link");
    // The same refusals, and nothing stored by a preview.
    let before = w.call("GET", "/v1/offers?status=draft", Some(&admin), None).await.body;
    let mut bad = body.clone();
    bad["content"]["de"]["shop_url"] = json!("javascript:alert(1)");
    bad["content"]["fr"]["title"] = json!(" ");
    let refused = w
        .call("POST", "/v1/offers/preview", Some(&admin), Some(bad.clone()))
        .await;
    let saving = w.call("POST", "/v1/offers", Some(&admin), Some(bad)).await;
    assert_eq!(
        refused.problem(422).error_fields(),
        ["content.de.shop_url", "content.fr.title"]
    );
    assert_eq!(saving.problem(422).error_fields(), refused.error_fields());
    let mut unsaved = body.clone();
    unsaved["locale"] = json!("xx");
    w.call("POST", "/v1/offers/preview", Some(&admin), Some(unsaved))
        .await
        .problem(422);
    assert_eq!(
        w.call("GET", "/v1/offers?status=draft", Some(&admin), None).await.body,
        before
    );
    let _ = body;
}

/// Admins' internal notes on an order never reach its end user (no route, no email); answers
/// are corrected while it is in progress, checked, in the history, and the end user is told.
async fn order_notes_and_corrections(w: &impl App) {
    let tag = unique();
    let admin = w.admin();
    let offer = new_offer(w, solar(&tag)).await;
    assert_eq!(activate(w, &offer).await.status, 200);
    let user = format!("nora{tag}");
    let app = w.customer(&user, Some("de"));
    let placed = place(w, &app, &offer, json!({"roof_area": 40, "roof_type": "flat"})).await;
    assert_eq!(placed.status, 201, "{}", placed.body);
    let order = placed.field("id");
    w.deliver().await;
    let mails = w.inbox(&w.customer_email(&user)).await.len();

    let secret = format!("Kundin schwer erreichbar {tag}");
    w.call(
        "POST",
        &format!("/v1/orders/{order}/notes"),
        Some(&admin),
        Some(json!({"text": " "})),
    )
    .await
    .problem(422);
    let noted = w
        .call(
            "POST",
            &format!("/v1/orders/{order}/notes"),
            Some(&admin),
            Some(json!({"text": secret})),
        )
        .await;
    assert_eq!(noted.status, 200, "{}", noted.body);
    assert_eq!(noted.body["notes"][0]["text"], secret.as_str());
    for path in [format!("/v1/app/orders/{order}"), "/v1/app/orders".to_string()] {
        let r = w.call("GET", &path, Some(&app), None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(
            !r.text.contains("schwer erreichbar") && !r.text.contains("\"notes\""),
            "{path}: {}",
            r.text
        );
    }

    let bad = w
        .call(
            "PUT",
            &format!("/v1/orders/{order}/answers"),
            Some(&admin),
            Some(json!({"answers": {"roof_area": "lots"}})),
        )
        .await;
    assert_eq!(bad.problem(422).error_fields(), ["answers.roof_area"]);
    let fixed = w
        .call(
            "PUT",
            &format!("/v1/orders/{order}/answers"),
            Some(&admin),
            Some(json!({"answers": {"roof_area": 45, "roof_type": "flat"}})),
        )
        .await;
    assert_eq!(fixed.status, 200, "{}", fixed.body);
    assert_eq!(fixed.body["answers"]["roof_area"], 45);
    let mine = w
        .call("GET", &format!("/v1/app/orders/{order}"), Some(&app), None)
        .await;
    assert_eq!(mine.body["answers"]["roof_area"], 45);
    let history = w
        .call("GET", &format!("/v1/orders/{order}/history"), Some(&admin), None)
        .await;
    let corrected = history.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "order_answers_corrected")
        .cloned()
        .unwrap_or_else(|| panic!("{}", history.body));
    assert_eq!(corrected["data"]["changed"], json!(["roof_area"]));
    assert_eq!(corrected["actor"]["kind"], "staff");
    w.deliver().await;
    let inbox = w.inbox(&w.customer_email(&user)).await;
    assert_eq!(inbox.len(), mails + 1, "one email: the correction, not the note");
    assert!(inbox.iter().all(|m| !m.body.contains("schwer erreichbar")));
    assert!(
        inbox.last().unwrap().subject.contains("angepasst"),
        "{}",
        inbox.last().unwrap().subject
    );

    let cancel = w
        .call(
            "POST",
            &format!("/v1/orders/{order}/cancel"),
            Some(&admin),
            Some(json!({"reason": "moved"})),
        )
        .await;
    assert_eq!(cancel.status, 200);
    w.call(
        "PUT",
        &format!("/v1/orders/{order}/answers"),
        Some(&admin),
        Some(json!({"answers": {"roof_area": 50}})),
    )
    .await
    .problem(409);
}

#[tokio::test]
async fn order_notes_and_corrections_on_local_server() {
    order_notes_and_corrections(&Local::start().await).await;
}

#[tokio::test]
async fn order_notes_and_corrections_on_the_aws_path() {
    order_notes_and_corrections(&AwsWorld::new().await).await;
}

#[tokio::test]
async fn live_preview_and_shop_links_on_local_server() {
    live_preview_and_shop_links(&Local::start().await).await;
}

#[tokio::test]
async fn live_preview_and_shop_links_on_the_aws_path() {
    live_preview_and_shop_links(&AwsWorld::new().await).await;
}

#[tokio::test]
async fn offers_and_orders_on_local_server() {
    offers_and_orders(&Local::start().await).await;
}

#[tokio::test]
async fn offers_and_orders_on_the_aws_path() {
    offers_and_orders(&AwsWorld::new().await).await;
}

#[tokio::test]
async fn forbidden_offer_and_order_transitions_on_local_server() {
    forbidden_transitions(&Local::start().await).await;
}

#[tokio::test]
async fn forbidden_offer_and_order_transitions_on_the_aws_path() {
    forbidden_transitions(&AwsWorld::new().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_activations_and_completions_on_local_server() {
    let w = Arc::new(Local::start().await);
    parallel_activations(w.clone()).await;
    parallel_orders(w).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_activations_and_completions_on_the_aws_path() {
    let w = Arc::new(AwsWorld::new().await);
    parallel_activations(w.clone()).await;
    parallel_orders(w).await;
}

/// Who may do what (local-server: its tokens carry exactly the roles asked for): admins run
/// offers and orders (API.md: admin), staff without the admin role may not.
#[tokio::test]
async fn offer_and_order_roles() {
    let w = Local::start().await;
    let tag = unique();
    let staff = w.staff("bob"); // role staff, not admin
    let admin = w.admin();
    let app = w.customer(&format!("cora{tag}"), None);
    w.call("POST", "/v1/offers", Some(&staff), Some(solar(&tag)))
        .await
        .problem(403);
    let created = w.call("POST", "/v1/offers", Some(&admin), Some(solar(&tag))).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.field("id");
    w.call("POST", &format!("/v1/offers/{id}/activate"), Some(&staff), None)
        .await
        .problem(403);
    assert_eq!(activate(&w, &id).await.status, 200);
    w.call("GET", "/v1/order-steps", Some(&staff), None).await.problem(403);
    w.call("GET", "/v1/orders", Some(&staff), None).await.problem(403);
    let steps = w.call("GET", "/v1/order-steps", Some(&admin), None).await.body["steps"].clone();
    let steps: Vec<Value> = steps
        .as_array()
        .unwrap()
        .iter()
        .map(|s| json!({"name": s["name"], "explanation": s["explanation"]}))
        .collect();
    w.call("PUT", "/v1/order-steps", Some(&staff), Some(json!({ "steps": steps })))
        .await
        .problem(403);
    assert_eq!(
        w.call("PUT", "/v1/order-steps", Some(&admin), Some(json!({ "steps": steps })))
            .await
            .status,
        200
    );
    // Customers only reach the app routes; staff not those.
    for (method, path) in [
        ("POST", "/v1/offers"),
        ("GET", "/v1/offers"),
        ("GET", "/v1/orders"),
        ("GET", "/v1/order-steps"),
    ] {
        w.call(method, path, Some(&app), Some(solar(&tag))).await.problem(403);
    }
    w.call("POST", &format!("/v1/offers/{id}/activate"), Some(&app), None)
        .await
        .problem(403);
    let placed = place(&w, &app, &id, json!({"roof_area": 9})).await;
    assert_eq!(placed.status, 201, "{}", placed.body);
    let order = placed.field("id");
    assert_eq!(advance(&w, &order, 1).await.status, 200); // as admin
    w.call(
        "POST",
        &format!("/v1/orders/{order}/advance"),
        Some(&app),
        Some(json!({"expected_step": 2})),
    )
    .await
    .problem(403);
    w.call("GET", "/v1/app/orders", Some(&staff), None).await.problem(403);
    place(&w, &staff, &id, json!({"roof_area": 9})).await.problem(403);
    // No token: 401.
    w.call("GET", "/v1/app/offers", None, None).await.problem(401);
    w.call("GET", "/v1/offers", None, None).await.problem(401);
    // Staff views are in the staff member's language.
    let fr_staff = {
        let mut claims = local_server::Claims::new("acme", "felix", vec!["admin".to_string()]);
        claims.locale = Some("fr".into());
        w.running.auth.mint(&claims).unwrap()
    };
    let view = w
        .call("GET", &format!("/v1/orders/{order}"), Some(&fr_staff), None)
        .await;
    assert_eq!(view.body["steps"][0]["name"], "Commande reçue");
    assert_eq!(view.body["locale"], "fr");
}

/// Offer images: uploaded to a draft (images only, ≤ 5 MB), the offer's URL is a public route
/// that redirects to the file; an edit without image URLs keeps them; active offers keep theirs.
async fn offer_images(w: &impl App) {
    use e2e_tests::documents::{send_file, PDF, PNG};
    let tag = unique();
    let admin = w.admin();
    let id = new_offer(w, wallbox(&tag)).await;
    let ask = |slot: &'static str, body: Value| {
        let (admin, id) = (admin.clone(), id.clone());
        async move {
            w.call(
                "POST",
                &format!("/v1/offers/{id}/images/{slot}/uploads"),
                Some(&admin),
                Some(body),
            )
            .await
        }
    };
    let too_big = ask(
        "teaser",
        json!({"filename": "big.png", "content_type": "image/png", "size": 6 * 1024 * 1024}),
    )
    .await;
    assert_eq!(too_big.status, 422, "{}", too_big.body);
    let not_image = ask(
        "teaser",
        json!({"filename": "a.pdf", "content_type": "application/pdf", "size": 10}),
    )
    .await;
    assert_eq!(not_image.status, 422, "{}", not_image.body);
    let no_slot = ask(
        "banner",
        json!({"filename": "a.png", "content_type": "image/png", "size": 10}),
    )
    .await;
    assert_eq!(no_slot.status, 404);

    // A PDF sent as a PNG is refused at confirm.
    let t = ask(
        "teaser",
        json!({"filename": "a.png", "content_type": "image/png", "size": PDF.len()}),
    )
    .await;
    assert_eq!(t.status, 201, "{}", t.body);
    assert_eq!(send_file(&t.body, "a.png", PDF).await, 204);
    let refused = w
        .call(
            "POST",
            &format!("/v1/offers/{id}/images/teaser/uploads/{}/confirm", t.field("upload_id")),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);

    let t = ask(
        "teaser",
        json!({"filename": "wallbox.png", "content_type": "image/png", "size": PNG.len()}),
    )
    .await;
    assert_eq!(send_file(&t.body, "wallbox.png", PNG).await, 204);
    let confirmed = w
        .call(
            "POST",
            &format!("/v1/offers/{id}/images/teaser/uploads/{}/confirm", t.field("upload_id")),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.body);
    let url = confirmed.field("teaser_image_url");
    let path = url.find("/v1/offer-images/").map(|i| url[i..].to_string()).unwrap();
    let image = w.raw("GET", &path, None, &[], None).await;
    assert_eq!(image.status, 303, "public: {}", image.text);
    assert!(
        image.header("cache-control").unwrap().contains("max-age="),
        "cacheable for a few minutes"
    );
    let file = reqwest::get(image.header("location").unwrap()).await.unwrap();
    assert_eq!(file.status(), 200);
    assert_eq!(file.bytes().await.unwrap().as_ref(), PNG);
    assert_eq!(w.raw("GET", "/v1/offer-images/nope", None, &[], None).await.status, 404);

    // The preview shows it; an edit that names no image keeps it.
    let preview = w
        .call("GET", &format!("/v1/offers/{id}/preview?locale=de"), Some(&admin), None)
        .await;
    assert_eq!(preview.body["card"]["image_url"], json!(url), "{}", preview.body);
    let edited = w
        .call("PUT", &format!("/v1/offers/{id}"), Some(&admin), Some(wallbox(&tag)))
        .await;
    assert_eq!(edited.status, 200, "{}", edited.body);
    assert_eq!(edited.body["teaser_image_url"], json!(url));
    assert_eq!(activate(w, &id).await.status, 200);
    let late = ask(
        "detail",
        json!({"filename": "d.png", "content_type": "image/png", "size": PNG.len()}),
    )
    .await;
    assert_eq!(late.status, 409, "an active offer's images stay: {}", late.body);
}

#[tokio::test]
async fn offer_images_on_local_server() {
    offer_images(&Local::start().await).await;
}

#[tokio::test]
async fn offer_images_on_the_aws_path() {
    offer_images(&AwsWorld::new().await).await;
}
