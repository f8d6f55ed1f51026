"""CLI: orbitwatch partner add / token create / token revoke / serve."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import time

import httpx
from sqlalchemy import select
from typer.testing import CliRunner

from orbitwatch.cli import app


def _run(*args):
    return CliRunner().invoke(app, list(args))


def test_partner_and_token_commands(tmp_path):
    from orbitwatch.store.db import open_session
    from orbitwatch.store.shared_models import tokens_table

    db = f"sqlite:///{tmp_path / 'cli.db'}"
    r = _run("partner", "add", "fr", "France", "--db", db)
    assert r.exit_code == 0, r.output
    assert "FR" in r.stdout
    r = _run("token", "create", "--partner", "FR", "--role", "analyst", "--db", db)
    assert r.exit_code == 0, r.output
    token = r.stdout.strip().splitlines()[-1]
    assert token.startswith("ow_") and len(token) > 30
    with open_session(db) as s:
        rows = s.execute(select(tokens_table.c.token_hash, tokens_table.c.role,
                                tokens_table.c.partner)).all()
    assert rows == [(hashlib.sha256(token.encode()).hexdigest(), "analyst", "FR")]
    # bad role, unknown partner: exit 2 with a clear message
    r = _run("token", "create", "--partner", "FR", "--role", "boss", "--db", db)
    assert r.exit_code == 2 and "role" in r.output
    r = _run("token", "create", "--partner", "XX", "--role", "viewer", "--db", db)
    assert r.exit_code == 2 and "unknown partner" in r.output
    r = _run("token", "revoke", "1", "--db", db)
    assert r.exit_code == 0
    r = _run("token", "revoke", "1", "--db", db)
    assert r.exit_code == 2


def test_serve_answers_healthz_and_requires_tokens(tmp_path):
    db = f"sqlite:///{tmp_path / 'serve.db'}"
    assert _run("partner", "add", "US", "United States", "--db", db).exit_code == 0
    token = _run("token", "create", "--partner", "US", "--role", "viewer", "--db", db).stdout.split()[-1]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "orbitwatch", "serve", "--db", db, "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=dict(os.environ),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        assert httpx.get(base + "/api/v1/objects").status_code == 401
        r = httpx.get(base + "/api/v1/objects", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200 and r.json() == {"data": [], "count": 0}
    finally:
        proc.terminate()
        proc.wait(10)
