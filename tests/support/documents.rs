//! Documents through the public API on both hosts (S3 in moto on the AWS path, the data
//! folder on local-server): the installer's upload story, required documents blocking
//! completion, staff access, and the bad input list.

use serde_json::{json, Value};

use super::scenario::{portal_session, World};

/// A tiny valid PDF, JPEG and PNG (their first bytes are what counts).
pub const PDF: &[u8] = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";
pub const JPEG: &[u8] = &[
    0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0, 1, 1, 0, 0, 1, 0xFF, 0xD9,
];
pub const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";

/// Sends a file with an upload ticket's signed form, as a browser does; the store's status.
pub async fn send_file(ticket: &Value, name: &str, bytes: &[u8]) -> u16 {
    let mut form = reqwest::multipart::Form::new();
    for pair in ticket["fields"].as_array().unwrap() {
        form = form.text(
            pair[0].as_str().unwrap().to_string(),
            pair[1].as_str().unwrap().to_string(),
        );
    }
    let part = reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_string());
    form = form.part("file", part);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let url = ticket["url"].as_str().unwrap();
    client.post(url).multipart(form).send().await.unwrap().status().as_u16()
}

async fn define(w: &impl World, tag: &str) -> String {
    let staff = w.staff("alice");
    let journey = w
        .call(
            "POST",
            "/v1/journeys",
            Some(&staff),
            Some(json!({"name": "Anmeldung", "fields": [
                {"key": "application", "label": {"de": "Zählerantrag", "fr": "Demande de compteur"}, "type": "file", "required": true}]})),
        )
        .await;
    assert_eq!(journey.status, 201, "{}", journey.body);
    let process = w
        .call(
            "POST",
            "/v1/processes",
            Some(&staff),
            Some(json!({"name": format!("Zählerwechsel {tag}"), "steps": [
                {"key": "install", "name": "Zähler montieren", "assignee": {"kind": "installer"},
                 "journey_id": journey.field("id"),
                 "owner": {"user_id": "bob", "email": format!("bob-{tag}@utility.example"), "name": "Bob"},
                 "required_documents": [{"key": "meter_photo", "label": {"de": "Foto des Zählers", "fr": "Photo du compteur"},
                                         "types": ["image/jpeg", "image/png"]}]},
                {"key": "confirm", "name": "Bestätigen", "assignee": {"kind": "customer"}}]})),
        )
        .await;
    assert_eq!(process.status, 201, "{}", process.body);
    process.field("id")
}

pub async fn installer_uploads(w: &impl World, tag: &str) {
    let process = define(w, tag).await;
    let staff = w.staff("alice");
    let installer = format!("ivo-{tag}@installer.example");
    let customer = format!("chiara-{tag}@customer.example");
    let run = w
        .call(
            "POST",
            &format!("/v1/processes/{process}/runs"),
            Some(&staff),
            Some(json!({"participants": {
                "installer": {"name": "Ivo", "email": installer, "locale": "fr"},
                "customer": {"name": "Chiara", "email": customer, "locale": "it"}}})),
        )
        .await;
    assert_eq!(run.status, 201, "{}", run.body);
    let run_id = run.field("id");
    w.deliver().await;
    let session = portal_session(w, &installer).await;
    let portal = |path: &str| format!("/v1/portal/runs/{run_id}{path}");

    // Nothing uploaded: done is refused, naming the photo and the form's file.
    let early = w
        .call("POST", &portal("/steps/install/complete"), Some(&session), None)
        .await;
    assert_eq!(early.status, 422, "{}", early.body);
    assert!(
        early
            .error_fields()
            .contains(&"required_documents.meter_photo".to_string()),
        "{}",
        early.body
    );

    // The application (PDF): ask, send, confirm.
    let ask = |body: Value| {
        let session = session.clone();
        let path = portal("/steps/install/uploads");
        async move { w.call("POST", &path, Some(&session), Some(body)).await }
    };
    let ticket =
        ask(json!({"filename": "C:\\Scans\\Zählerantrag.pdf", "content_type": "application/pdf", "size": PDF.len()}))
            .await;
    assert_eq!(ticket.status, 201, "{}", ticket.body);
    assert!(ticket.body["max_size"].as_u64().unwrap() >= 25 * 1024 * 1024);
    assert_eq!(send_file(&ticket.body, "Zählerantrag.pdf", PDF).await, 204);
    let upload = ticket.field("upload_id");
    let confirm_path = portal(&format!("/uploads/{upload}/confirm"));
    let doc = w.call("POST", &confirm_path, Some(&session), None).await;
    assert_eq!(doc.status, 201, "{}", doc.body);
    assert_eq!(doc.body["name"], "Zählerantrag.pdf", "the path is gone, Unicode stays");
    assert_eq!(doc.body["content_type"], "application/pdf");
    assert_eq!(doc.body["size"], json!(PDF.len()));
    assert_eq!(doc.body["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(doc.body["visibility"], "shared");
    let again = w.call("POST", &confirm_path, Some(&session), None).await;
    assert_eq!(
        (again.status, again.field("id")),
        (201, doc.field("id")),
        "confirming twice: the same document"
    );
    let application = doc.field("id");

    // The photo, for the required document.
    let ticket = ask(json!({"filename": "compteur.jpg", "content_type": "image/jpeg", "size": JPEG.len(), "requirement": "meter_photo"})).await;
    assert_eq!(ticket.status, 201, "{}", ticket.body);
    assert_eq!(send_file(&ticket.body, "compteur.jpg", JPEG).await, 204);
    let photo = w
        .call(
            "POST",
            &portal(&format!("/uploads/{}/confirm", ticket.field("upload_id"))),
            Some(&session),
            None,
        )
        .await;
    assert_eq!(photo.status, 201, "{}", photo.body);

    // The form's file field names documents of this step only.
    let wrong = w
        .call(
            "POST",
            &portal("/steps/install/submission"),
            Some(&session),
            Some(json!({"data": {"application": ["nope"]}})),
        )
        .await;
    assert_eq!(wrong.status, 422, "{}", wrong.body);
    let answered = w
        .call(
            "POST",
            &portal("/steps/install/submission"),
            Some(&session),
            Some(json!({"data": {"application": [application]}})),
        )
        .await;
    assert_eq!(answered.status, 200, "{}", answered.body);
    let step = &answered.body["steps"][0];
    assert_eq!(step["documents"].as_array().unwrap().len(), 2, "{step}");
    assert_eq!(step["required_documents"][0]["label"], "Photo du compteur");
    assert_eq!(step["required_documents"][0]["done"], true);
    assert_eq!(step["documents"][0]["can_remove"], true);

    // Download: a redirect to a short-lived link that serves the file as an attachment.
    let download = w
        .raw(
            "GET",
            &portal(&format!("/documents/{application}/download")),
            Some(&session),
            &[],
            None,
        )
        .await;
    assert_eq!(download.status, 303, "{}", download.text);
    let link = download.header("location").unwrap().to_string();
    let file = reqwest::get(&link).await.unwrap();
    assert_eq!(file.status(), 200, "{link}");
    let disposition = file.headers()["content-disposition"].to_str().unwrap().to_string();
    assert!(
        disposition.starts_with("attachment;") && disposition.contains("Z%C3%A4hlerantrag.pdf"),
        "{disposition}"
    );
    assert_eq!(file.bytes().await.unwrap().as_ref(), PDF);

    // Done: the owner hears which documents came with it.
    let done = w
        .call("POST", &portal("/steps/install/complete"), Some(&session), None)
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    w.deliver().await;
    let owner = w.inbox(&format!("bob-{tag}@utility.example")).await;
    let mail = owner.last().expect("the owner's email");
    assert!(
        mail.body.contains("Zählerantrag.pdf") && mail.body.contains("compteur.jpg"),
        "{}",
        mail.body
    );
    // After done, the installer's document stays, but is theirs to remove no more.
    let late = w
        .call(
            "DELETE",
            &portal(&format!("/documents/{application}")),
            Some(&session),
            None,
        )
        .await;
    assert_eq!(late.status, 409, "{}", late.body);
    let after = ask(json!({"filename": "late.pdf", "content_type": "application/pdf", "size": PDF.len()})).await;
    assert_eq!(after.status, 409, "the step is no longer active: {}", after.body);

    // Staff see and serve them too, and upload an internal one to the run itself.
    let listed = w
        .call("GET", &format!("/v1/runs/{run_id}/documents"), Some(&staff), None)
        .await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.body["documents"].as_array().unwrap().len(), 2);
    let ticket = w
        .call(
            "POST",
            &format!("/v1/runs/{run_id}/uploads"),
            Some(&staff),
            Some(json!({"filename": "Vertrag.pdf", "content_type": "application/pdf", "size": PDF.len(), "visibility": "internal"})),
        )
        .await;
    assert_eq!(ticket.status, 201, "{}", ticket.body);
    assert_eq!(send_file(&ticket.body, "Vertrag.pdf", PDF).await, 204);
    let contract = w
        .call(
            "POST",
            &format!("/v1/runs/{run_id}/uploads/{}/confirm", ticket.field("upload_id")),
            Some(&staff),
            None,
        )
        .await;
    assert_eq!(contract.status, 201, "{}", contract.body);
    let history = w
        .call("GET", &format!("/v1/runs/{run_id}/history"), Some(&staff), None)
        .await;
    let types: Vec<&str> = history.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["type"].as_str())
        .collect();
    assert_eq!(types.iter().filter(|t| **t == "document_added").count(), 3, "{types:?}");
    let removed = w
        .call(
            "DELETE",
            &format!("/v1/runs/{run_id}/documents/{}", contract.field("id")),
            Some(&staff),
            None,
        )
        .await;
    assert_eq!(removed.status, 204, "{}", removed.body);
    let gone = w
        .raw(
            "GET",
            &format!("/v1/runs/{run_id}/documents/{}/download", contract.field("id")),
            Some(&staff),
            &[],
            None,
        )
        .await;
    assert_eq!(gone.status, 404);
}

pub async fn bad_uploads(w: &impl World, tag: &str) {
    let process = define(w, tag).await;
    let staff = w.staff("alice");
    let installer = format!("ivo-{tag}@installer.example");
    let customer = format!("chiara-{tag}@customer.example");
    let start = |n: u8| {
        let staff = staff.clone();
        let (installer, customer) = (installer.clone(), customer.clone());
        let process = process.clone();
        async move {
            let r = w
                .call(
                    "POST",
                    &format!("/v1/processes/{process}/runs"),
                    Some(&staff),
                    Some(json!({"context": {"title": format!("run {n}")}, "participants": {
                        "installer": {"name": "Ivo", "email": installer},
                        "customer": {"name": "Chiara", "email": customer}}})),
                )
                .await;
            r.field("id")
        }
    };
    let run_id = start(1).await;
    let other_run = start(2).await;
    w.deliver().await;
    let session = portal_session(w, &installer).await;
    let ask_path = format!("/v1/portal/runs/{run_id}/steps/install/uploads");
    let ask = |body: Value| {
        let (session, path) = (session.clone(), ask_path.clone());
        async move { w.call("POST", &path, Some(&session), Some(body)).await }
    };
    let problem = |r: &super::Resp, status: u16, field: &str, code: &str| {
        assert_eq!(r.status, status, "{}", r.body);
        assert_eq!(r.content_type, "application/problem+json");
        if !field.is_empty() {
            assert!(
                r.error_codes().contains(&(field.to_string(), code.to_string())),
                "{field} {code}: {}",
                r.body
            );
        }
    };
    // A utility that takes PDFs only.
    let admin = w.admin();
    let bad_type = w
        .call(
            "PUT",
            "/v1/settings",
            Some(&admin),
            Some(json!({"document_types": ["text/html"]})),
        )
        .await;
    problem(&bad_type, 422, "document_types[0]", "not_an_option");
    let pdf_only = w
        .call(
            "PUT",
            "/v1/settings",
            Some(&admin),
            Some(json!({"document_types": ["application/pdf"]})),
        )
        .await;
    assert_eq!(pdf_only.status, 200, "{}", pdf_only.body);
    problem(
        &ask(json!({"filename": "a.png", "content_type": "image/png", "size": 10})).await,
        422,
        "content_type",
        "not_an_option",
    );
    problem(
        &ask(json!({"filename": "big.pdf", "content_type": "application/pdf", "size": 26 * 1024 * 1024})).await,
        422,
        "size",
        "too_large",
    );
    problem(
        &ask(json!({"filename": "e.pdf", "content_type": "application/pdf", "size": 0})).await,
        422,
        "size",
        "empty",
    );
    problem(
        &ask(json!({"filename": "x".repeat(1000), "content_type": "application/pdf", "size": 10})).await,
        422,
        "filename",
        "too_long",
    );
    problem(
        &ask(json!({"filename": "a.html", "content_type": "text/html", "size": 10})).await,
        422,
        "content_type",
        "not_an_option",
    );
    problem(
        &ask(json!({"filename": "a.pdf", "content_type": "application/pdf", "size": 10, "requirement": "invoice"}))
            .await,
        422,
        "requirement",
        "not_an_option",
    );
    let not_active = w
        .call(
            "POST",
            &format!("/v1/portal/runs/{run_id}/steps/confirm/uploads"),
            Some(&session),
            Some(json!({"filename": "a.pdf", "content_type": "application/pdf", "size": 10})),
        )
        .await;
    assert_eq!(not_active.status, 403, "not their step: {}", not_active.body);

    // A PNG said to be a PDF: refused at confirm, and the file is gone.
    let ticket = ask(json!({"filename": "scan.pdf", "content_type": "application/pdf", "size": PNG.len()})).await;
    assert_eq!(ticket.status, 201, "{}", ticket.body);
    assert_eq!(send_file(&ticket.body, "scan.pdf", PNG).await, 204);
    let confirm = format!("/v1/portal/runs/{run_id}/uploads/{}/confirm", ticket.field("upload_id"));
    problem(
        &w.call("POST", &confirm, Some(&session), None).await,
        422,
        "file",
        "type_mismatch",
    );
    problem(&w.call("POST", &confirm, Some(&session), None).await, 409, "", "");

    // A confirm for an upload that never happened; someone else's upload; another run's.
    let ticket = ask(json!({"filename": "a.pdf", "content_type": "application/pdf", "size": PDF.len()})).await;
    let upload = ticket.field("upload_id");
    let confirm = format!("/v1/portal/runs/{run_id}/uploads/{upload}/confirm");
    problem(&w.call("POST", &confirm, Some(&session), None).await, 409, "", "");
    let staff_confirm = format!("/v1/runs/{run_id}/uploads/{upload}/confirm");
    problem(&w.call("POST", &staff_confirm, Some(&staff), None).await, 404, "", "");
    let elsewhere = format!("/v1/portal/runs/{other_run}/uploads/{upload}/confirm");
    problem(&w.call("POST", &elsewhere, Some(&session), None).await, 404, "", "");

    // An empty file: the store refuses it (local, S3), or the confirm does (moto keeps it).
    let ticket = ask(json!({"filename": "empty.pdf", "content_type": "application/pdf", "size": 1})).await;
    let sent = send_file(&ticket.body, "empty.pdf", b"").await;
    let confirm = format!("/v1/portal/runs/{run_id}/uploads/{}/confirm", ticket.field("upload_id"));
    let confirmed = w.call("POST", &confirm, Some(&session), None).await;
    match sent {
        204 => problem(&confirmed, 422, "file", "empty"),
        _ => problem(&confirmed, 409, "", ""),
    }

    // Another tenant's staff find no such run; the installer no document of another run.
    let foreign = w
        .call(
            "GET",
            &format!("/v1/runs/{run_id}/documents"),
            Some(&w.other_tenant_staff()),
            None,
        )
        .await;
    assert_eq!(foreign.status, 404);
    let nothing = w
        .raw(
            "GET",
            &format!("/v1/portal/runs/{other_run}/documents/nope/download"),
            Some(&session),
            &[],
            None,
        )
        .await;
    assert_eq!(nothing.status, 404);

    // Twenty on one step, then no more.
    for n in 0..20 {
        let t =
            ask(json!({"filename": format!("p{n}.pdf"), "content_type": "application/pdf", "size": PDF.len()})).await;
        assert_eq!(t.status, 201, "{n}: {}", t.body);
        assert_eq!(send_file(&t.body, "p.pdf", PDF).await, 204);
        let c = w
            .call(
                "POST",
                &format!("/v1/portal/runs/{run_id}/uploads/{}/confirm", t.field("upload_id")),
                Some(&session),
                None,
            )
            .await;
        assert_eq!(c.status, 201, "{n}: {}", c.body);
    }
    problem(
        &ask(json!({"filename": "p21.pdf", "content_type": "application/pdf", "size": PDF.len()})).await,
        422,
        "file",
        "too_many",
    );
}

/// Scanning on: documents wait for the scan's result; a clean one is served, an infected one
/// never, and staff are told.
pub async fn scanned_uploads(w: &impl World, tag: &str) {
    let on = w
        .call(
            "PUT",
            "/v1/settings",
            Some(&w.admin()),
            Some(json!({"document_scanning": true, "name": "Stadtwerke"})),
        )
        .await;
    assert_eq!(on.status, 200, "{}", on.body);
    let process = define(w, tag).await;
    let staff = w.staff("alice");
    let run = w
        .call(
            "POST",
            &format!("/v1/processes/{process}/runs"),
            Some(&staff),
            Some(json!({"participants": {
                "installer": {"name": "Ivo", "email": format!("ivo-{tag}@installer.example")},
                "customer": {"name": "Chiara", "email": format!("chiara-{tag}@customer.example")}}})),
        )
        .await;
    let run_id = run.field("id");
    let upload = |name: &'static str| {
        let (staff, run_id) = (staff.clone(), run_id.clone());
        async move {
            let t = w
                .call(
                    "POST",
                    &format!("/v1/runs/{run_id}/uploads"),
                    Some(&staff),
                    Some(json!({"filename": name, "content_type": "application/pdf", "size": PDF.len(), "step_key": "install"})),
                )
                .await;
            assert_eq!(t.status, 201, "{}", t.body);
            assert_eq!(send_file(&t.body, name, PDF).await, 204);
            let doc = w
                .call(
                    "POST",
                    &format!("/v1/runs/{run_id}/uploads/{}/confirm", t.field("upload_id")),
                    Some(&staff),
                    None,
                )
                .await;
            assert_eq!(doc.status, 201, "{}", doc.body);
            assert_eq!(doc.body["status"], "pending_scan");
            doc.field("id")
        }
    };
    let clean = upload("clean.pdf").await;
    let bad = upload("bad.pdf").await;
    let download = |doc: String| {
        let (staff, run_id) = (staff.clone(), run_id.clone());
        async move {
            w.raw(
                "GET",
                &format!("/v1/runs/{run_id}/documents/{doc}/download"),
                Some(&staff),
                &[],
                None,
            )
            .await
            .status
        }
    };
    assert_eq!(download(clean.clone()).await, 409, "waits for its scan");
    w.scan(&run_id, &clean, "NO_THREATS_FOUND").await;
    w.scan(&run_id, &bad, "THREATS_FOUND").await;
    assert_eq!(download(clean).await, 303, "clean: served");
    assert_eq!(download(bad.clone()).await, 410, "infected: never served");
    let listed = w
        .call("GET", &format!("/v1/runs/{run_id}/documents"), Some(&staff), None)
        .await;
    let statuses: Vec<&str> = listed.body["documents"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["status"].as_str())
        .collect();
    assert_eq!(statuses, ["available", "infected"]);
    w.deliver().await;
    let warned = w.inbox(&format!("bob-{tag}@utility.example")).await;
    assert!(
        warned
            .iter()
            .any(|m| m.body.contains("bad.pdf")
                && (m.subject.contains("Schadsoftware") || m.body.contains("Schadsoftware"))),
        "the step's owner is told: {warned:?}"
    );
}
