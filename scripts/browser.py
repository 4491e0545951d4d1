"""Browser tests of the portal pages in a real Chromium (part of scripts/test).

Starts local-server, seeds a utility (branding, a journey, a process: a French installer's
step with a form, then an Italian customer's step), and walks the pages as those people do:
the emailed link, its confirm page, the step it lands on, an error and its correction, save,
submit and done with its confirmation, the task list, logout, an unknown link; an Italian
customer whose texts lack Italian (German fallback); a German customer, whose link then expires
and who gets a new one through "send me a new link"; a French partner from its invitation
through the welcome to its appointment and done, and its used invitation. On every page in every state axe-core runs (no serious or critical
violation may remain) and screenshots at 390x844 and 1280x900 go to target/screenshots/.

Usage: python scripts/browser.py LOCAL_SERVER_BINARY CHROMIUM AXE_JS
"""

import os
import re
import sys

from playwright.sync_api import sync_playwright

from localserver import LocalServer

SHOTS = "target/screenshots"
# The smallest JPEG a browser uploads: its first bytes are what the server checks.
JPEG = bytes([0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]) + b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0" + bytes([0xFF, 0xD9])
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(16)
SIZES = [("phone", 390, 844), ("desktop", 1280, 900)]
failures = []
pages_checked = []


def check(page, name, axe_js):
    """axe-core on the page as it is, then a screenshot per size."""
    page.add_script_tag(path=axe_js)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [v for v in result["violations"] if v.get("impact") in ("serious", "critical")]
    for v in bad:
        failures.append(f"{name}: axe {v['impact']} {v['id']}: {v['help']} ({len(v['nodes'])} nodes)")
    for label, w, h in SIZES:
        page.set_viewport_size({"width": w, "height": h})
        page.screenshot(path=f"{SHOTS}/{name}-{label}.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    pages_checked.append(name)


def expect(cond, what):
    if not cond:
        failures.append(what)


def main():
    server_bin, chromium, axe_js = sys.argv[1], sys.argv[2], sys.argv[3]
    os.makedirs(SHOTS, exist_ok=True)
    server = LocalServer(server_bin, "browser-server.log")
    try:
        admin = server.mint("--tenant", "acme", "--role", "admin,staff", "--sub", "ada",
                            "--email", "ada@utility.example", "--name", "Ada Staff")
        call = server.call
        call("PUT", "/v1/settings", admin, {"name": "Stadtwerke Musterstadt", "support_email": "hilfe@sw.example",
                                          "support_phone": "+49 30 1234 567", "primary_color": "#0a5c8a"})
        journey = call("POST", "/v1/journeys", admin, {"name": "Installation report", "fields": [
            {"key": "meter_number", "label": {"de": "Zählernummer", "fr": "Numéro de compteur", "it": "Numero del contatore"},
             "type": "text", "required": True},
            {"key": "reading", "label": {"de": "Zählerstand", "fr": "Relevé"}, "type": "number", "required": True},
            {"key": "sealed", "label": {"de": "Plombiert", "fr": "Scellé"}, "type": "checkbox"},
            {"key": "tariff", "label": {"de": "Tarif", "fr": "Tarif"}, "type": "select",
             "options": [{"value": "single", "label": {"de": "Einfachtarif", "fr": "Tarif simple"}},
                         {"value": "double", "label": {"de": "Doppeltarif", "fr": "Double tarif"}}]}]})
        process = call("POST", "/v1/processes", admin, {"name": {"de": "Zählerwechsel", "fr": "Changement de compteur"}, "steps": [
            {"key": "install", "name": {"de": "Zähler montieren", "fr": "Installer le compteur"}, "assignee": {"kind": "installer"},
             "journey_id": journey["id"], "due_in_days": 5,
             "required_documents": [{"key": "meter_photo", "label": {"de": "Foto des Zählers", "fr": "Photo du compteur"},
                                     "types": ["image/jpeg", "image/png"]}],
             "info_texts": {"installer": {"fr": "Installez le compteur au sous-sol."}}},
            {"key": "confirm", "name": {"de": "Wechsel bestätigen", "fr": "Confirmer le changement"}, "assignee": {"kind": "customer"},
             "info_texts": {"customer": {"it": "Confermi il cambio del contatore."}}}]})
        call("POST", f"/v1/processes/{process['id']}/runs", admin, {
            "context": {"title": "Meter 4711"}, "participants": {
                "installer": {"name": "Ivo", "email": "ivo@installer.example", "locale": "fr"},
                "customer": {"name": "Chiara", "email": "chiara@home.example", "locale": "it"}}})
        installer_link = server.links_to("ivo@installer.example")[0]

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=[
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"])

            # The French installer.
            # The pages' own policy: their style applies, no script runs (axe is injected below
            # through a context that bypasses the policy, as a test tool must).
            strict = browser.new_context(locale="fr-CH")
            sp = strict.new_page()
            sp.goto(f"{server.base}/portal/access/{installer_link}")
            border = sp.evaluate("getComputedStyle(document.querySelector('header.brand')).borderBottomWidth")
            expect(border == "4px", f"the page's style applies under its CSP (border {border})")
            strict.close()

            ctx = browser.new_context(locale="fr-CH", viewport={"width": 390, "height": 844}, bypass_csp=True)
            page = ctx.new_page()
            page.goto(f"{server.base}/portal/access/{installer_link}")
            expect("Stadtwerke Musterstadt" in page.content(), "confirm page shows the utility")
            check(page, "01-confirm-installer-fr", axe_js)
            page.click("button[type=submit]")
            expect(re.search(r"/portal/runs/[^#]+", page.url) is not None, f"landed on the run: {page.url}")
            expect(page.locator("#step-install").count() == 1, "landed on the announced step")
            expect("Installer le compteur" in page.content() and "Tarif simple" in page.content(),
                   "French step name and option labels")
            check(page, "02-step-fr", axe_js)
            page.click("button[value=done]")
            expect(page.locator(".error-summary").count() == 1, "an error summary")
            expect(page.get_attribute("#f-meter_number", "aria-invalid") == "true", "the field is marked invalid")
            check(page, "03-step-errors-fr", axe_js)
            page.fill("#f-reading", "12.5")
            page.click("button[value=save]")
            expect("Vos réponses sont enregistrées." in page.content(), "saved message")
            expect(page.input_value("#f-reading") == "12.5", "the saved answer is shown")
            check(page, "04-step-saved-fr", axe_js)
            # The photo the step requires: the upload page, a file picked, back on the step.
            page.click("form.add-document button")
            expect(page.locator("input[type=file]").count() == 1, f"the upload form: {page.url}")
            check(page, "04a-upload-form-fr", axe_js)
            page.set_input_files("#file", {"name": "compteur.jpg", "mimeType": "image/jpeg", "buffer": JPEG})
            page.click("button[type=submit]")
            page.wait_for_url(re.compile(r".*[?]uploaded=install.*"))
            expect("Le document a été ajouté." in page.content(), f"the upload's message: {page.url}")
            expect(page.locator("ul.files a", has_text="compteur.jpg").count() == 1, "the file is listed")
            expect(page.locator(".checklist .done").count() == 1, "the photo is ticked off")
            check(page, "04b-uploaded-fr", axe_js)
            step_url = page.url
            # With JavaScript: several files at once, each with its progress; a refused one
            # says why next to its name and the others go on.
            page.click("form.add-document button")
            expect(page.locator("form[data-enhanced=true] input[type=file][multiple]").count() == 1,
                   "the script takes over the upload form")
            page.set_input_files("#file", [{"name": "rapport.pdf", "mimeType": "application/pdf", "buffer": PDF},
                                           {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"just text"}])
            page.click("button[type=submit]")
            page.wait_for_selector("#upload-progress li .error")
            page.wait_for_selector("#upload-progress li.done")
            expect(page.locator("#upload-progress progress").count() == 2, "a progress bar per file")
            expect("Le fichier n'a pas été ajouté : Seuls les fichiers" in page.inner_text("#upload-progress"),
                   f"the refusal in French: {page.inner_text('#upload-progress')}")
            check(page, "04c-upload-progress-fr", axe_js)
            page.click("text=Annuler")
            page.click("form.add-document button")
            page.set_input_files("#file", [{"name": "plan.png", "mimeType": "image/png", "buffer": PNG},
                                           {"name": "devis.pdf", "mimeType": "application/pdf", "buffer": PDF}])
            page.click("button[type=submit]")
            page.wait_for_url(re.compile(r".*[?]uploaded=install.*"))
            for name in ("rapport.pdf", "plan.png", "devis.pdf"):
                expect(page.locator("ul.files a", has_text=name).count() == 1, f"{name} is listed")
            expect(page.locator("ul.files a", has_text="notes.txt").count() == 0, "the refused file is not")
            check(page, "04d-uploaded-several-fr", axe_js)
            # Under the page's real policy the script runs (by its hash) and may reach the store;
            # without JavaScript the plain form sends one file and comes back.
            strict = browser.new_context(locale="fr-CH", viewport={"width": 390, "height": 844})
            strict.add_cookies(ctx.cookies())
            sp = strict.new_page()
            blocked = []
            sp.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
            sp.goto(step_url)
            sp.click("form.add-document button")
            expect(sp.locator("form[data-enhanced=true]").count() == 1, "the script runs under the page's policy")
            sp.set_input_files("#file", [{"name": "facture.pdf", "mimeType": "application/pdf", "buffer": PDF}])
            sp.click("button[type=submit]")
            sp.wait_for_url(re.compile(r".*[?]uploaded=install.*"))
            expect(sp.locator("ul.files a", has_text="facture.pdf").count() == 1, "uploaded under the real policy")
            expect(not blocked, f"nothing blocked by the policy: {blocked}")
            strict.close()
            plain = browser.new_context(locale="fr-CH", viewport={"width": 390, "height": 844}, java_script_enabled=False)
            plain.add_cookies(ctx.cookies())
            pp = plain.new_page()
            pp.goto(step_url)
            pp.click("form.add-document button")
            expect(pp.locator("form[data-enhanced]").count() == 0, "no script: the plain form")
            pp.set_input_files("#file", {"name": "schema.pdf", "mimeType": "application/pdf", "buffer": PDF})
            pp.click("button[type=submit]")
            expect(pp.locator("ul.files a", has_text="schema.pdf").count() == 1, f"the plain form's upload: {pp.url}")
            plain.close()
            page.goto(step_url)
            page.fill("#f-meter_number", "M-4711")
            page.check("#f-sealed")
            page.select_option("#f-tariff", "double")
            page.click("button[value=done]")
            expect("Oui, marquer comme terminé" in page.content(), "done asks for confirmation")
            check(page, "05-confirm-done-fr", axe_js)
            page.click("text=Oui, marquer comme terminé")
            expect("Terminé – merci !" in page.content(), "done message")
            expect("M-4711" in page.content() and "Double tarif" in page.content(), "answers stay visible, options by label")
            check(page, "06-done-fr", axe_js)
            page.goto(f"{server.base}/portal")
            check(page, "07-tasks-fr", axe_js)
            page.click("text=Se déconnecter") if page.locator("text=Se déconnecter").count() else page.click("form[action='/portal/logout'] button")
            expect(page.url.endswith("/portal"), f"after logout: {page.url}")
            expect(page.locator("#new-link-email").count() == 1, "after logout: the new link form")
            expect("hilfe@sw.example" in page.content(), "after logout: still the utility's support contact")
            check(page, "08-logged-out-fr", axe_js)
            page.goto(f"{server.base}/portal/access/not-a-link")
            check(page, "09-unknown-link-fr", axe_js)
            ctx.close()

            # The Italian customer, whose step has no form.
            customer_link = server.links_to("chiara@home.example")[0]
            ctx = browser.new_context(locale="it-IT", viewport={"width": 390, "height": 844}, bypass_csp=True)
            page = ctx.new_page()
            page.goto(f"{server.base}/portal/access/{customer_link}")
            check(page, "10-confirm-customer-it", axe_js)
            page.click("button[type=submit]")
            expect("Confermi il cambio del contatore." in page.content(), "Italian info text")
            expect("Wechsel bestätigen" in page.content(), "a name without Italian falls back to German")
            check(page, "11-step-it", axe_js)
            page.click("a.button")
            check(page, "12-confirm-done-it", axe_js)
            page.click("text=Sì, segna come completato")
            expect("Completato – grazie!" in page.content(), "done message in Italian")
            check(page, "13-done-it", axe_js)
            ctx.close()

            # A German customer reports a meter reading: confirm page, the form, an error, saved.
            reading = call("POST", "/v1/processes", admin, {"name": {"de": "Zählerablesung", "fr": "Relevé du compteur"}, "steps": [
                {"key": "report", "name": {"de": "Zählerstand melden", "fr": "Communiquer le relevé"},
                 "assignee": {"kind": "customer"}, "journey_id": journey["id"], "due_in_days": 3}]})
            call("POST", f"/v1/processes/{reading['id']}/runs", admin, {"participants": {
                "customer": {"name": "Gerda", "email": "gerda@home.example", "locale": "de"}}})
            ctx = browser.new_context(locale="de-DE", viewport={"width": 390, "height": 844}, bypass_csp=True)
            page = ctx.new_page()
            page.goto(f"{server.base}/portal/access/{server.links_to('gerda@home.example')[0]}")
            expect("Zählerstand melden" in page.content() and "Zählerablesung" in page.content(),
                   "the confirm page names the German task")
            check(page, "14-confirm-customer-de", axe_js)
            page.click("button[type=submit]")
            page.fill("#f-reading", "4711")
            page.click("button[value=done]")
            expect(page.locator(".error-summary").count() == 1 and page.input_value("#f-reading") == "4711",
                   "the German error keeps the value")
            page.fill("#f-meter_number", "Z-1")
            page.click("button[value=save]")
            expect("Zählerablesung" in page.content() and "Einfachtarif" in page.content(), "German names and options")
            check(page, "15-step-saved-de", axe_js)
            ctx.close()

            # Gerda's link expires before she is done: the page offers a new link; a typo first,
            # then her address; the new email's link leads to her step.
            gerda_link = server.links_to("gerda@home.example")[0]
            server.expire_link(gerda_link)
            ctx = browser.new_context(locale="de-DE", viewport={"width": 390, "height": 844}, bypass_csp=True)
            page = ctx.new_page()
            page.goto(f"{server.base}/portal/access/{gerda_link}")
            expect("Dieser Link ist abgelaufen" in page.content(), "the expired link says so in German")
            expect(page.locator("#new-link-email").count() == 1, "the expired link's page offers a new link")
            expect("Stadtwerke Musterstadt" in page.content() and "+49 30 1234 567" in page.content(),
                   "the expired link's page shows the utility and its support contact")
            check(page, "21-expired-link-de", axe_js)
            page.fill("#new-link-email", "gerda@home")
            page.click("form[action='/portal/new-link'] button")
            expect(page.get_attribute("#new-link-email", "aria-invalid") == "true", "the address is marked invalid")
            expect(page.input_value("#new-link-email") == "gerda@home", "what was typed stays")
            expect("Stadtwerke Musterstadt" in page.content(), "the form's answer stays under the utility")
            check(page, "22-new-link-error-de", axe_js)
            page.fill("#new-link-email", "Gerda@Home.example")
            page.click("form[action='/portal/new-link'] button")
            expect("Bitte sehen Sie in Ihrem Postfach nach" in page.content(), f"check your inbox: {page.url}")
            expect("hilfe@sw.example" in page.content(), "check your inbox, with the support contact")
            check(page, "23-new-link-sent-de", axe_js)
            fresh = server.links_to("gerda@home.example", count=2)[-1]
            expect(fresh != gerda_link, "a fresh link")
            page.goto(f"{server.base}/portal/access/{fresh}")
            expect("Zählerstand melden" in page.content(), "the new link's confirm page names the task")
            page.click("button[type=submit]")
            expect("#step-report" in page.url or page.locator("#step-report").count() == 1, f"on the step: {page.url}")
            expect(page.input_value("#f-meter_number") == "Z-1", "the saved answers are there")
            check(page, "24-new-link-step-de", axe_js)
            # Staff send her saved answers back: the reason, the field marked, answers kept.
            gerda_run = re.search(r"/portal/runs/([^#?]+)", page.url).group(1)
            call("POST", f"/v1/runs/{gerda_run}/steps/report/request-changes", admin,
                 {"reason": "Der Zählerstand passt nicht zum Foto.\nBitte noch einmal ablesen.", "fields": ["reading"]})
            page.reload()
            expect(page.locator(".changes").count() == 1 and "Bitte überarbeiten" in page.content(), "the request shows")
            expect("passt nicht zum Foto" in page.inner_text(".changes"), "with its reason")
            expect(page.locator("label.flagged[for=f-reading]").count() == 1, "the field is marked")
            expect(page.input_value("#f-reading") == "4711", "the answers stay")
            check(page, "24a-changes-requested-de", axe_js)
            page.goto(f"{server.base}/portal")
            expect("Bitte überarbeiten" in page.content(), "the task list marks it")
            check(page, "24b-tasks-changes-de", axe_js)
            # Messages: staff's shared one shows, the internal one never; a blank message is
            # refused, hers is listed and can be deleted.
            call("POST", f"/v1/runs/{gerda_run}/comments", admin, {"body": "Interne Notiz: nicht zeigen", "visibility": "internal"})
            call("POST", f"/v1/runs/{gerda_run}/comments", admin,
                 {"body": "Der Zähler hängt im Keller links.\nDanke!", "visibility": "shared", "step_key": "report"})
            page.goto(f"{server.base}/portal/runs/{gerda_run}#comments")
            expect("im Keller links" in page.inner_text("#comments"), "the shared message")
            expect("Interne Notiz" not in page.content(), "no internal message")
            page.click("form.comment-form button[type=submit]")
            expect(page.get_attribute("#comment-body", "aria-invalid") == "true", "a blank message is marked")
            check(page, "24c-comment-error-de", axe_js)
            page.fill("#comment-body", "Mache ich morgen früh <b>sicher</b>.")
            page.click("form.comment-form button[type=submit]")
            expect("Ihre Nachricht wurde gesendet." in page.content(), f"sent: {page.url}")
            expect("<b>sicher</b>" in page.inner_text("#comments"), "her text, escaped as typed")
            check(page, "24d-comments-de", axe_js)
            page.click("li.comment.own form button")
            expect("Diese Nachricht wurde gelöscht." in page.content(), "deleted, marked")
            ctx.close()

            # A French partner: the invitation, the welcome, its step with the appointment, done.
            partner = call("POST", "/v1/partners", admin, {"name": "Dupont Installations", "email": "bureau@dupont.example",
                                                          "locale": "fr", "permissions": ["tasks:complete"]})
            invitation = server.links_to("bureau@dupont.example", prefix="/partners/invitations/")[0]
            ctx = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844}, bypass_csp=True)
            page = ctx.new_page()
            page.goto(f"{server.base}/partners/invitations/{invitation}")
            expect(page.locator("header.brand").count() == 1, "the invitation under the utility's header")
            check(page, "16-invitation-fr", axe_js)
            page.fill("input[name=name]", "Inès Dupont")
            page.fill("input[name=email]", "ines@dupont.example")
            page.click("button[type=submit]")
            expect("Bienvenue" in page.content() and "Dupont Installations" in page.content(), "the partner's welcome")
            check(page, "17-welcome-partner-fr", axe_js)
            commissioning = call("POST", "/v1/processes", admin, {"name": {"de": "Inbetriebnahme", "fr": "Mise en service"}, "steps": [
                {"key": "commission", "name": {"de": "Anlage in Betrieb nehmen", "fr": "Mettre l'installation en service"},
                 "assignee": {"kind": "partner", "partner_id": partner["id"]},
                 "info_texts": {"partner": {"fr": "Merci de fixer le rendez-vous avec le client."}}}]})
            call("POST", f"/v1/processes/{commissioning['id']}/runs", admin, {"context": {"title": "Solaire 12"}})
            partner_link = server.links_to("ines@dupont.example")[0]
            page.goto(f"{server.base}/portal/access/{partner_link}")
            page.click("button[type=submit]")
            expect(page.locator("#f-due_at").count() == 1, "the appointment form")
            expect("Europe/Berlin" in page.content(), "the appointment says its time zone")
            check(page, "18-partner-step-fr", axe_js)
            page.fill("#f-due_at", "2027-03-04T09:30")
            page.click("form.appointment button[type=submit]")
            expect("09:30" in page.content(), f"the appointment keeps its time: {page.url}")
            expect("Le rendez-vous est enregistré." in page.content(), "the appointment's own message")
            expect(page.input_value("#f-due_at") == "2027-03-04T09:30", "the form shows the appointment")
            check(page, "19-partner-appointment-fr", axe_js)
            page.click("a.button")
            page.click("text=Oui, marquer comme terminé")
            expect("Terminé – merci !" in page.content(), "the partner's step is done")
            check(page, "20-partner-done-fr", axe_js)
            page.goto(f"{server.base}/partners/invitations/{invitation}")
            expect(page.locator("#new-link-email").count() == 1 and "hilfe@sw.example" in page.content(),
                   "a used invitation: the utility, its support contact and the new link form")
            check(page, "25-used-invitation-fr", axe_js)
            ctx.close()
            browser.close()
    finally:
        server.stop()
    print(f"browser: {len(pages_checked)} page states checked with axe-core, screenshots in {SHOTS}/")
    for f in failures:
        print(f"FAILED: {f}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
