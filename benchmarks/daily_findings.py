"""What a partner's store holds after a week of daily runs: are its findings current?

A partner ingests each day's element sets and runs ``orbitwatch run`` with its
protected assets over that day.  Each run re-derives every object's
manoeuvres from the whole history and searches approaches in its own day; the
findings of earlier days rest on records that later runs may revise or
withdraw (docs/norms.md, "Revisions").  This replays that week on the 2026-05
GEO feed and prints:

- the current findings, and how many cite a record that has since been
  superseded or withdrawn (a finding standing on what the store no longer
  says);
- the most findings for one rule, responsible object and affected asset (one
  act reported once, not once a day);
- then ``norms --store`` and ``run`` in turn, twice: findings added and
  superseded each time (the two judgements should agree and add nothing).

Input: ``tle_history/celestrak_mirror_2026-05/geo_history.3le`` cut at the end
of each day from 24 to 30 May (the first piece holds everything before 25
May), owners from the 2017 SATCAT (``catalog/satcat_2017``, the rows of the
feed's objects), and 18 GEO assets with neighbours (:data:`ASSETS`).  Each
run: ``run --catalog DAY.3le --partner US --releasable-to ALL --no-screen
--assets ASSETS --start DAY --hours 24``.  About 2-5 minutes on 2 cores (137 s alone, 306 s beside other work).

Run:  .venv/bin/python benchmarks/daily_findings.py [--db URL]
"""

from __future__ import annotations

import argparse
import json
import lzma
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from maneuvers import DATA  # noqa: E402

GEO_FEED = DATA / "tle_history" / "celestrak_mirror_2026-05" / "geo_history.3le"
SATCAT = DATA / "catalog" / "satcat_2017" / "satcat_2017-02.csv.xz"
#: GEO assets with neighbours in the feed (co-located clusters, station-keeping
#: pairs, and objects that manoeuvred in the week)
ASSETS = (28358, 36033, 35755, 32767, 32294, 39215, 38978, 33749, 31102, 36792, 40425,
          39035, 39222, 26580, 37265, 35362, 37210, 29045)
DAYS = range(24, 31)


def _records(path: Path) -> list[tuple[datetime, list[str]]]:
    """(epoch, the record's lines) of each 3LE record."""
    lines = path.read_text().splitlines()
    out = []
    for i in range(0, len(lines) - 2, 3):
        l1 = lines[i + 1]
        epoch = datetime(2000 + int(l1[18:20]), 1, 1, tzinfo=UTC) + timedelta(days=float(l1[20:32]) - 1)
        out.append((epoch, lines[i:i + 3]))
    return out


def _invoke(args: list[str]) -> str:
    from typer.testing import CliRunner

    from orbitwatch.cli import app

    res = CliRunner().invoke(app, args)
    if res.exit_code != 0:
        raise SystemExit(f"orbitwatch {' '.join(args[:1])} failed ({res.exit_code}): {res.output[-2000:]}")
    return res.stdout


def _findings(db: str) -> tuple[int, int, int]:
    """(current findings, those citing a superseded record, most for one rule,
    responsible object and affected asset) in the store."""
    rows = {e["id"]: e for e in map(json.loads, _invoke(
        ["events", "--db", db, "--format", "jsonl", "--superseded"]).splitlines())}
    gone = {i for i, e in rows.items() if e.get("superseded_at")}
    current = [e for e in rows.values() if e["type"] == "finding" and not e.get("superseded_at")]
    stale = sum(1 for f in current
                if {int(x[6:]) for x in f.get("inputs", []) if x.startswith("event:")} & gone)
    per = Counter((f["rule"], f.get("responsible"), f.get("affected")) for f in current)
    return len(current), stale, max(per.values(), default=0)


def _counts(db: str) -> tuple[int, int]:
    """(finding rows, current finding rows)."""
    rows = [json.loads(x) for x in _invoke(
        ["events", "--db", db, "--type", "finding", "--format", "jsonl", "--superseded"]).splitlines()]
    return len(rows), sum(1 for r in rows if not r.get("superseded_at"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default=None, help="store URL (default: a new SQLite file)")
    args = ap.parse_args(argv)
    if not GEO_FEED.exists() or not SATCAT.exists():
        print(f"data not found: {GEO_FEED} / {SATCAT}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        db = args.db or f"sqlite:///{tmp_path / 'daily.db'}"
        recs = _records(GEO_FEED)
        ids = {int(r[1][2:7]) for _, r in recs}
        rows = lzma.open(SATCAT, "rt").read().splitlines()
        satcat = tmp_path / "satcat.csv"
        satcat.write_text("\n".join([rows[0], *(r for r in rows[1:]
                                                if int(r.split(",")[1]) in ids)]) + "\n")
        _invoke(["ingest", str(satcat), "--db", db, "--quiet"])
        assets = tmp_path / "assets.txt"
        assets.write_text("\n".join(map(str, ASSETS)) + "\n")

        def run_day(day: int) -> None:
            end = datetime(2026, 5, day + 1, tzinfo=UTC)
            start = None if day == DAYS[0] else datetime(2026, 5, day, tzinfo=UTC)
            piece = tmp_path / f"d{day}.3le"
            piece.write_text("".join("\n".join(r) + "\n" for ep, r in recs
                                     if ep < end and (start is None or ep >= start)))
            _invoke(["run", "--catalog", str(piece), "--db", db, "--partner", "US",
                     "--releasable-to", "ALL", "--no-screen", "--assets", str(assets),
                     "--start", f"2026-05-{day}T00:00:00Z", "--hours", "24",
                     "--quiet", "--format", "json"])

        print(f"{'day':>4s} {'findings':>9s} {'citing superseded':>18s} {'most per act':>13s}  s")
        for day in DAYS:
            t = time.perf_counter()
            run_day(day)
            cur, stale, most = _findings(db)
            print(f"{day:4d} {cur:9d} {stale:18d} {most:13d}  {time.perf_counter() - t:.0f}")
        print("then norms --store and run in turn (finding rows, current):")
        before = _counts(db)
        print(f"  start          {before[0]:5d} {before[1]:5d}")
        for k in (1, 2):
            _invoke(["norms", "--db", db, "--store", "--partner", "US", "--releasable-to", "ALL",
                     "--format", "jsonl"])
            n = _counts(db)
            print(f"  norms --store  {n[0]:5d} {n[1]:5d}")
            run_day(DAYS[-1])
            n = _counts(db)
            print(f"  run            {n[0]:5d} {n[1]:5d}")
    print(f"total time {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
