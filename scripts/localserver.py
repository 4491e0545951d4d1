"""A local-server for the scripts that test from outside (fuzz.py, browser.py): started from the
binary cargo built, on a free loopback port with a fresh data folder, with the helpers to call
its API, mint tokens and read its outbox."""

import json
import os
import re
import socket
import subprocess
import tempfile
import time
import urllib.request


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def call(base, method, path, token=None, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=10) as r:
        text = r.read().decode()
        return json.loads(text) if text else None


class LocalServer:
    def __init__(self, server_bin, log_name, **env):
        self.bin = server_bin
        self.data = tempfile.mkdtemp(prefix="portal-script-")
        self.base = f"http://127.0.0.1:{free_port()}"
        full_env = dict(os.environ, RUST_LOG="warn", **env)
        self.log = open(f"target/{log_name}", "w")
        self.proc = subprocess.Popen([server_bin, "--addr", self.base.removeprefix("http://"), "--data-dir", self.data],
                                     stdout=self.log, stderr=self.log, env=full_env)
        for _ in range(200):
            try:
                urllib.request.urlopen(self.base + "/healthz", timeout=1)
                return
            except Exception:
                time.sleep(0.1)
        raise SystemExit(f"local-server did not start (see target/{log_name})")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)

    def call(self, method, path, token=None, body=None):
        return call(self.base, method, path, token, body)

    def mint(self, *args):
        out = subprocess.run([self.bin, "--data-dir", self.data, "token", *args],
                             check=True, capture_output=True, text=True)
        return out.stdout.strip()

    def expire_link(self, token):
        """Moves an access link's expiry into the past, as 14 days would: the server's store is
        SQLite (WAL), so this writes beside the running server."""
        import hashlib
        import sqlite3
        pk = "TOKEN#" + hashlib.sha256(token.encode()).hexdigest()
        db = sqlite3.connect(os.path.join(self.data, "portal.sqlite3"), timeout=5)
        with db:
            (body,) = db.execute("SELECT body FROM items WHERE pk = ? AND sk = 'TOKEN'", (pk,)).fetchone()
            row = json.loads(body)
            row["expires_at"] = "2020-01-01T00:00:00Z"
            db.execute("UPDATE items SET body = ? WHERE pk = ? AND sk = 'TOKEN'", (json.dumps(row), pk))
        db.close()

    def links_to(self, address, count=1, prefix="/portal/access/"):
        """The link tokens (after `prefix`: portal access links by default, or partner
        invitations) of the emails to `address`, oldest first (waits for `count`)."""
        for _ in range(100):
            emails = self.call("GET", "/local/outbox")["emails"]
            found = [m for m in emails if m["to"] == address]
            if len(found) >= count:
                return [re.search(re.escape(prefix) + r"([A-Za-z0-9_-]+)", m["text"]).group(1) for m in found]
            time.sleep(0.1)
        raise SystemExit(f"no portal email to {address} arrived")
