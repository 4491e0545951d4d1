"""Schemathesis against local-server with the served OpenAPI document (part of scripts/test).

Starts local-server (the binary cargo built) on a free port with a fresh data folder, seeds a
tenant (a journey, a process with a customer step, a run), opens a portal session from the
emailed link, and runs every operation with all checks, authenticated as admin (back office),
customer (/v1/app) and portal participant (/v1/portal, /portal). Fixed seed, bounded examples.

Usage: python scripts/fuzz.py LOCAL_SERVER_BINARY SCHEMATHESIS_BINARY
"""

import os
import subprocess
import sys

from localserver import LocalServer

SEED = 20261201
MAX_EXAMPLES = 25


def main():
    server_bin, st_bin = sys.argv[1], sys.argv[2]
    server = LocalServer(server_bin, "fuzz-server.log",
                         PORTAL_SESSIONS_PER_CLIENT="100000", PORTAL_SESSIONS_PER_LINK="100000")
    base, data, mint = server.base, server.data, server.mint
    try:
        admin = mint("--tenant", "fuzz", "--role", "admin,staff", "--sub", "ada",
                     "--email", "ada@utility.example")
        customer = mint("--tenant", "fuzz", "--role", "customer", "--sub", "cleo",
                        "--email", "cleo@home.example")
        call = server.call
        journey = call("POST", "/v1/journeys", admin, {
            "name": "Meter", "fields": [{"key": "meter", "label": {"en": "Meter"}, "type": "text"}]})
        process = call("POST", "/v1/processes", admin, {"name": "Meter change", "steps": [
            {"key": "photo", "name": "Photo", "assignee": {"kind": "customer"}, "journey_id": journey["id"]},
            {"key": "review", "name": "Review",
             "assignee": {"kind": "staff", "user_id": "ada", "email": "ada@utility.example"}}]})
        call("POST", f"/v1/processes/{process['id']}/runs", admin, {
            "context": {"title": "Meter 1"},
            "participants": {"customer": {"name": "Cleo", "email": "cleo@home.example"}}})
        link = server.links_to("cleo@home.example")[0]
        session = call("POST", "/v1/portal/sessions", None, {"token": link})["session_token"]

        config = os.path.join(data, "schemathesis.toml")
        with open(config, "w") as f:
            f.write(f'''
request-timeout = 10

# Credentials by the document's security schemes: staff JWT (admin), the app's end user's JWT
# (customer), the portal session as
# bearer and as the pages' cookie. Schemathesis sends what each operation declares, and
# leaves it out to check the 401.
[auth.openapi.jwt]
bearer = "{admin}"

[auth.openapi.customer_jwt]
bearer = "{customer}"

[auth.openapi.portal_session]
bearer = "{session}"

[auth.openapi.portal_cookie]
api_key = "{session}"

# A request the schema allows may still break a rule no JSON Schema states: a reference to an
# offer or journey that does not exist, a cursor of another list, a blank name where the type
# only says string, five order steps. Those are 422 with the field named, by contract.
[checks]
positive_data_acceptance.expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "410", "422", "429"]

# DELETE on a partner revokes it and on a process archives it (the contract): both stay
# readable, with their status and history, so "still there after DELETE" is the design.
[[operations]]
include-path-regex = "^/v1/(partners|processes)/[{{]id[}}]$"
checks.use_after_free.enabled = false
''')
        print(f"== schemathesis: seed {SEED}, at most {MAX_EXAMPLES} examples per operation", flush=True)
        # One worker: Hypothesis parses lambdas' sources with `ast.parse`, which CPython 3.11
        # cannot run on two threads at once ("AST constructor recursion depth mismatch").
        result = subprocess.run([st_bin, "--config-file", config, "run", base + "/v1/openapi.json",
                                 "--checks", "all", "--seed", str(SEED), "--max-examples", str(MAX_EXAMPLES),
                                 "--workers", "1", "--no-color"],
                                env=dict(os.environ, NO_COLOR="1"))
        sys.exit(result.returncode)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
