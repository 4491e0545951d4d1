"""Browser tests of the portal pages in a real Chromium (part of scripts/test).

Starts local-server, seeds a utility (branding, a journey, a process: a French installer's
step with a form, then an Italian customer's step), and walks the pages as those people do:
the emailed link, its confirm page, the step it lands on, an error and its correction, save,
submit and done with its confirmation, the task list, logout, an unknown link, a form posted
from another site. On every page in every state axe-core runs (no serious or critical
violation may remain) and screenshots at 390x844 and 1280x900 go to target/screenshots/.

Usage: python scripts/browser.py LOCAL_SERVER_BINARY CHROMIUM AXE_JS
"""

import os
import re
import sys

from playwright.sync_api import sync_playwright

from localserver import LocalServer

SHOTS = "target/screenshots"
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
            {"key": "sealed", "label": {"de": "Plombiert", "fr": "Scellé"}, "type": "checkbox"}]})
        process = call("POST", "/v1/processes", admin, {"name": "Meter change", "steps": [
            {"key": "install", "name": "Install the meter", "assignee": {"kind": "installer"},
             "journey_id": journey["id"], "due_in_days": 5,
             "info_texts": {"installer": {"fr": "Installez le compteur au sous-sol."}}},
            {"key": "confirm", "name": "Confirm the change", "assignee": {"kind": "customer"},
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
            page.fill("#f-meter_number", "M-4711")
            page.check("#f-sealed")
            page.click("button[value=done]")
            expect("Oui, marquer comme terminé" in page.content(), "done asks for confirmation")
            check(page, "05-confirm-done-fr", axe_js)
            page.click("text=Oui, marquer comme terminé")
            expect("Terminé – merci !" in page.content(), "done message")
            expect("M-4711" in page.content(), "answers stay visible")
            check(page, "06-done-fr", axe_js)
            page.goto(f"{server.base}/portal")
            check(page, "07-tasks-fr", axe_js)
            page.click("text=Se déconnecter") if page.locator("text=Se déconnecter").count() else page.click("form[action='/portal/logout'] button")
            expect(page.url.endswith("/portal"), f"after logout: {page.url}")
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
            check(page, "11-step-it", axe_js)
            page.click("a.button")
            check(page, "12-confirm-done-it", axe_js)
            page.click("text=Sì, segna come completato")
            expect("Completato – grazie!" in page.content(), "done message in Italian")
            check(page, "13-done-it", axe_js)
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
