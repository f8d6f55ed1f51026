"""Derived records are revised, not piled up, as a partner's feed grows.

``orbitwatch run`` re-derives every object's manoeuvres from its whole stored
history each time it runs.  A manoeuvre seen in the newest sets moves, is
confirmed or is withdrawn as later sets arrive; each run's records replace
those of the run before over the same stretch (``superseded_by``), so the
store's current records are what an analysis of the whole history finds now,
and the replaced ones stay for the record.

Input: three GEO objects of the 2026-05 CelesTrak-mirror history (Badr-4,
whose +3.5 km step of 28/29 May is pending when the feed stops one set after
it; AsiaSat 8; and 28702, whose newest set on 26 May is a 4.5 km dip that the
next set takes back), fed in two parts.  On SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from orbitwatch.cli import app
from tests.conftest import shared_path

runner = CliRunner()

GEO = ("tle_history", "celestrak_mirror_2026-05", "geo_history.3le")
IDS = {29526, 40107, 28702}


def _epoch(line1: str) -> datetime:
    return datetime(2000 + int(line1[18:20]), 1, 1, tzinfo=UTC) + timedelta(days=float(line1[20:32]) - 1)


def _records() -> list[list[str]]:
    lines = shared_path(*GEO).read_text().splitlines()
    recs = [lines[i:i + 3] for i in range(0, len(lines), 3)]
    return [r for r in recs if int(r[1][2:7]) in IDS]


def _write(path, recs) -> str:
    path.write_text("".join("\n".join(r) + "\n" for r in recs))
    return str(path)


def _run(db_url: str, path: str):
    res = runner.invoke(app, ["run", "--catalog", path, "--db", db_url, "--no-screen",
                              "--format", "json", "--quiet"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def _events(db_url: str, *extra: str) -> list[dict]:
    res = runner.invoke(app, ["events", "--db", db_url, "--type", "maneuver", "--format", "jsonl", *extra])
    assert res.exit_code == 0, res.output
    return [json.loads(x) for x in res.stdout.splitlines() if x.strip()]


def _fresh(recs) -> set[tuple]:
    """What the detector finds in each object's whole history, as stored keys."""
    from orbitwatch.behavior.maneuvers import detect_maneuvers
    from orbitwatch.elements import parse_text

    sets = parse_text("".join("\n".join(r) + "\n" for r in recs)).element_sets
    out = set()
    for nid in IDS:
        for m in detect_maneuvers([s for s in sets if s.norad_id == nid]):
            d = m.to_json()
            out.add((d["object"], d["gap_start"], d["gap_end"], d["epoch_estimate"]))
    return out


def _key(e: dict) -> tuple:
    return (e["object"], e["gap_start"], e["gap_end"], e["epoch_estimate"])


@pytest.mark.skipif(not shared_path(*GEO).exists(), reason=f"shared data absent: {'/'.join(GEO)}")
def test_a_growing_feed_revises_its_manoeuvres(db_url, tmp_path):
    recs = _records()
    badr = sorted({_epoch(r[1]) for r in recs if int(r[1][2:7]) == 29526})
    # the first Badr-4 set after its step (the largest jump in mean motion)
    from sgp4.api import Satrec

    by_ep = {_epoch(r[1]): Satrec.twoline2rv(r[1], r[2]).no_kozai for r in recs if int(r[1][2:7]) == 29526}
    n = [by_ep[t] for t in badr]
    k = max(range(len(n) - 1), key=lambda i: abs(n[i + 1] - n[i]))
    cut = [r for r in recs if _epoch(r[1]) <= badr[k + 1]]

    first = _run(db_url, _write(tmp_path / "part1.3le", cut))
    stored = _events(db_url)
    assert {_key(e) for e in stored} == _fresh(cut)
    (pending,) = [e for e in stored if e["object"] == 29526 and "pending" in e["evidence"]]
    assert first["events_superseded"]["records"] == 0

    second = _run(db_url, _write(tmp_path / "all.3le", recs))
    now = _events(db_url)
    # the current records are what the whole history shows now, each once
    assert {_key(e) for e in now} == _fresh(recs) and len(now) == len({_key(e) for e in now})
    every = {e["id"]: e for e in _events(db_url, "--superseded")}
    gone = [e for e in every.values() if "superseded_at" in e]
    assert len(every) == len(now) + len(gone) and second["events_superseded"]["records"] == len(gone) > 0
    # Badr-4's pending step is replaced by the confirmed one in the same gap
    rep = every[pending["id"]]["superseded_by"]
    assert rep is not None and every[rep]["object"] == 29526 and "pending" not in every[rep]["evidence"]
    assert every[rep]["gap_start"] == pending["gap_start"]
    for e in gone:  # a replacement is a current record of the same object
        if e["superseded_by"] is not None:
            assert e["superseded_by"] in {x["id"] for x in now}
            assert every[e["superseded_by"]]["object"] == e["object"]

    # running again on the same store changes nothing
    third = _run(db_url, _write(tmp_path / "all.3le", recs))
    assert third["events"]["new"] == 0 and third["events_superseded"]["records"] == 0
    assert {e["id"] for e in _events(db_url)} == {e["id"] for e in now}
