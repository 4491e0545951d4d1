//! "Send me a new link", through the public pages on both hosts: the same answer for every
//! address, a fresh link only to an address with open tasks, leading to the step; limits per
//! address (silent) and per client (429).

use super::scenario::{access_token, define, start, World};

const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");

async fn ask(w: &impl World, email: &str) -> super::Resp {
    let body: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("email", email)
        .finish();
    w.raw(
        "POST",
        "/portal/new-link",
        None,
        &[FORM, ("accept-language", "fr-CH,fr;q=0.9")],
        Some(body),
    )
    .await
}

/// The page's answer to a valid address: whether or not it is known, "check your inbox".
fn assert_same_answer(r: &super::Resp, who: &str) {
    assert_eq!(r.status, 303, "{who}: {}", r.text);
    assert_eq!(r.header("location"), Some("/portal/new-link?sent=1"), "{who}");
}

pub async fn new_link(w: &impl World, tag: &str) {
    let (_, process) = define(w, tag).await;
    let (run, installer, customer) = start(w, &process, tag).await;
    let run_id = run["id"].as_str().unwrap();
    w.deliver().await;
    assert_eq!(w.inbox(&installer).await.len(), 1, "the step's email");
    let mut requests = 0;

    // The page itself, in the browser's language.
    let page = w
        .raw("GET", "/portal/new-link", None, &[("accept-language", "it")], None)
        .await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("Inviatemi un nuovo link"), "{}", page.text);
    assert!(page.text.contains("lang=\"it\""));

    // A bad address: the form again, the error at its field, nothing sent.
    for (typed, code_text) in [
        ("", "Veuillez remplir ce champ."),
        ("ivo-at-installer", "adresse e-mail valide"),
    ] {
        let bad = ask(w, typed).await;
        requests += 1;
        assert_eq!(bad.status, 422, "{}", bad.text);
        assert!(bad.content_type.starts_with("text/html"));
        assert!(bad.text.contains("aria-invalid=\"true\""), "{}", bad.text);
        assert!(
            bad.text.contains("aria-describedby=\"new-link-email-error\""),
            "{}",
            bad.text
        );
        assert!(bad.text.contains(code_text), "{}", bad.text);
        assert!(bad.text.contains(&format!("value=\"{typed}\"")), "what was typed stays");
    }
    let escaped = ask(w, "<b>x</b>").await;
    requests += 1;
    assert_eq!(escaped.status, 422);
    assert!(!escaped.text.contains("<b>x</b>"), "typed text is escaped");

    // The installer, typed in other case and with spaces: a new email in French, whose link
    // leads (after the confirm click) straight to the step.
    let asked = ask(w, &format!("  {}  ", installer.to_uppercase())).await;
    requests += 1;
    assert_same_answer(&asked, "the installer");
    let sent = w
        .raw(
            "GET",
            "/portal/new-link?sent=1",
            None,
            &[("accept-language", "fr")],
            None,
        )
        .await;
    assert!(
        sent.text.contains("Veuillez consulter votre boîte de réception"),
        "{}",
        sent.text
    );
    w.deliver().await;
    let inbox = w.inbox(&installer).await;
    assert_eq!(inbox.len(), 2, "one new email");
    let mail = inbox.last().unwrap();
    assert!(mail.subject.contains("nouveau lien"), "{}", mail.subject);
    assert!(mail.body.contains("Install the meter"), "names the task: {}", mail.body);
    assert!(mail.body.contains("Une tâche vous attend"), "{}", mail.body);
    let token = access_token(mail);
    assert_ne!(token, access_token(&inbox[0]), "a fresh link");
    let confirm = w.raw("GET", &format!("/portal/access/{token}"), None, &[], None).await;
    assert_eq!(confirm.status, 200, "{}", confirm.text);
    let open = w
        .raw(
            "POST",
            &format!("/portal/access/{token}"),
            None,
            &[FORM],
            Some(String::new()),
        )
        .await;
    assert_eq!(open.status, 303, "{}", open.text);
    assert_eq!(
        open.header("location"),
        Some(format!("/portal/runs/{run_id}#step-install").as_str())
    );

    // The customer has no open task yet (their step waits), an unknown address none at all:
    // the same answer, no email.
    for who in [customer.as_str(), &format!("nobody-{tag}@nowhere.example")] {
        let r = ask(w, who).await;
        requests += 1;
        assert_same_answer(&r, who);
    }
    w.deliver().await;
    assert!(w.inbox(&customer).await.is_empty(), "no open task: no link");

    // Three per address and hour: the fourth gets the same answer and no email.
    for _ in 0..3 {
        assert_same_answer(&ask(w, &installer).await, "again");
        requests += 1;
    }
    w.deliver().await;
    assert_eq!(w.inbox(&installer).await.len(), 4, "three links in all, then none");

    // Twenty per client and hour, then 429 with Retry-After.
    while requests < 20 {
        assert_same_answer(&ask(w, &format!("n{requests}-{tag}@nowhere.example")).await, "another");
        requests += 1;
    }
    let limited = ask(w, &format!("late-{tag}@nowhere.example")).await;
    assert_eq!(limited.status, 429, "{}", limited.text);
    assert!(limited.header("retry-after").is_some());
    assert!(limited.text.contains("lang=\"fr\""), "in the browser's language");
}
