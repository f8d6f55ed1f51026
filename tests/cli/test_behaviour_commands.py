"""The command-line contract of the norms-of-behaviour commands: ``detect
maneuvers|geo|proximity|breakups``, ``events`` and ``norms`` on bad input."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from conftest import shared_path
from orbitwatch.cli import app

runner = CliRunner()


@pytest.mark.parametrize("args", [
    ["detect", "maneuvers", "--format", "jsonl"],
    ["detect", "geo", "--format", "jsonl"],
    ["detect", "breakups", "--format", "jsonl"],
    ["detect", "proximity", "--assets", "25544", "--start", "2026-05-29T00:00:00Z"],
    ["events", "--format", "jsonl"],
    ["norms", "--format", "jsonl"],
    ["objects", "--format", "json"],
    ["history", "25544"],
])
def test_a_store_that_does_not_exist_is_an_error_not_a_new_empty_store(tmp_path, args):
    """A mistyped --db path is said to be one (exit 2) instead of being created,
    folder and all, and read as an empty store ('no element sets', '0 events')."""
    path = tmp_path / "typo" / "store.db"
    res = runner.invoke(app, [*args, "--db", f"sqlite:///{path}"])
    assert res.exit_code == 2, res.output
    assert f"no store at {path}" in " ".join(res.output.split())
    assert res.stdout == ""
    assert not path.parent.exists()


def test_a_missing_store_named_by_the_environment_or_as_a_path_is_an_error(tmp_path, monkeypatch):
    path = tmp_path / "none.db"
    res = runner.invoke(app, ["events", "--db", str(path)])
    assert res.exit_code == 2 and f"no store at {path}" in " ".join(res.output.split())
    monkeypatch.setenv("ORBITWATCH_DB", f"sqlite:///{path}")
    res = runner.invoke(app, ["detect", "geo"])
    assert res.exit_code == 2 and f"no store at {path}" in " ".join(res.output.split())
    assert not path.exists()


def test_an_existing_empty_store_still_reads_as_empty(tmp_path):
    """A store that exists but holds nothing is no error: 0 events."""
    from orbitwatch.store.db import open_engine

    url = f"sqlite:///{tmp_path / 'empty.db'}"
    open_engine(url).dispose()
    res = runner.invoke(app, ["events", "--db", url, "--format", "jsonl"])
    assert res.exit_code == 0, res.output
    assert res.stdout == ""


def test_norms_judging_files_reads_labels_only_from_a_store_that_exists(tmp_path):
    """``norms --events F --db URL`` reads labels from the store: a missing one is
    an error; with --store it is created to hold the findings."""
    ev = tmp_path / "ev.jsonl"
    ev.write_text("")
    path = tmp_path / "new.db"
    res = runner.invoke(app, ["norms", "--events", str(ev), "--db", f"sqlite:///{path}",
                              "--format", "jsonl"])
    assert res.exit_code == 2 and f"no store at {path}" in " ".join(res.output.split())
    assert not path.exists()
    res = runner.invoke(app, ["norms", "--events", str(ev), "--db", f"sqlite:///{path}", "--store"])
    assert res.exit_code == 0, res.output
    assert path.exists()


def test_detect_maneuvers_reads_the_store_named_by_orbitwatch_db(tmp_path, monkeypatch):
    """--db's help says the default is $ORBITWATCH_DB, as for every command: the
    variable names the store when neither --db nor --history is given (it was
    refused with 'give --history PATH or --db URL')."""
    src = shared_path("maneuvers", "tle_benchmark_shorten", "processed_files", "Jason-2.tle")
    path = tmp_path / "jason2.tle"
    path.write_text("\n".join(src.read_text().splitlines()[3000:4000]) + "\n")
    url = f"sqlite:///{tmp_path / 'o.db'}"
    assert runner.invoke(app, ["ingest", "--db", url, str(path), "-q"]).exit_code == 0
    named = runner.invoke(app, ["detect", "maneuvers", "--db", url, "--format", "jsonl"])
    assert named.exit_code == 0, named.output
    assert len(named.stdout.splitlines()) >= 3
    monkeypatch.setenv("ORBITWATCH_DB", url)
    res = runner.invoke(app, ["detect", "maneuvers", "--format", "jsonl"])
    assert res.exit_code == 0, res.output
    assert res.stdout == named.stdout
    monkeypatch.delenv("ORBITWATCH_DB")
    res = runner.invoke(app, ["detect", "maneuvers", "--format", "jsonl"])
    assert res.exit_code == 2 and "give --history PATH" in res.output


@pytest.mark.parametrize("command", ["maneuvers", "geo"])
@pytest.mark.parametrize("junk", ["-5", "1_000", "25544,x"])
def test_ids_that_are_no_catalog_numbers_are_refused(tmp_path, command, junk):
    """'-5' and '1_000' were taken as numbers (int() reads them) and the command
    went on to say 'no element sets found' (exit 1) instead of naming the bad id."""
    src = shared_path("events", "iridium33_cosmos2251", "pre_collision_tles_2009-02-09.txt")
    res = runner.invoke(app, ["detect", command, "--history", str(src), "--ids", junk])
    assert res.exit_code == 2, res.output
    bad = junk.split(",")[-1]
    assert f"--ids: {bad!r} is not a catalog number" in res.output


def test_norms_reads_what_detect_geo_states_writes(tmp_path):
    """``detect geo --states --format jsonl`` writes each set's state beside the
    relocations; norms --events refused the file at its first line ("'geo_state'
    is not one of maneuver, ...") though its help takes files the detect commands
    write.  The states are no events: the findings are those of the events alone
    (here EUTELSAT 33F's manoeuvre before its approach to SKYNET 4C, May 2026)."""
    src = str(shared_path("tle_history", "celestrak_mirror_2026-05", "geo_history.3le"))
    ids = "29270,20776"
    geo = ["detect", "geo", "--history", src, "--ids", ids, "--format", "jsonl"]
    others = [
        runner.invoke(app, ["detect", "maneuvers", "--history", src, "--ids", ids, "--format", "jsonl"]),
        runner.invoke(app, ["detect", "proximity", "--assets", "20776", "--catalog", src,
                            "--start", "2026-05-29T00:00:00Z", "--days", "1", "--format", "jsonl"]),
    ]
    with_states = runner.invoke(app, [*geo, "--states"])
    events_only = runner.invoke(app, geo)
    for r in [*others, with_states, events_only]:
        assert r.exit_code == 0, r.output
    assert '"type": "geo_state"' in with_states.stdout
    rest = "".join(r.stdout for r in others)
    (tmp_path / "states.jsonl").write_text(rest + with_states.stdout)
    (tmp_path / "events.jsonl").write_text(rest + events_only.stdout)
    satcat = str(shared_path("catalog", "satcat_2017", "satcat_2017-02.csv.xz"))  # owners
    judged = [runner.invoke(app, ["norms", "--events", str(tmp_path / f), "--catalog", satcat,
                                  "--format", "jsonl"])
              for f in ("states.jsonl", "events.jsonl")]
    assert [r.exit_code for r in judged] == [0, 0], judged[0].output
    assert '"rule": "unannounced-maneuver-near-foreign-asset"' in judged[1].stdout
    assert judged[0].stdout == judged[1].stdout


@pytest.mark.parametrize("args", [
    ["detect", "maneuvers", "--format", "csv"],
    ["detect", "geo", "--format", "csv"],
    ["detect", "breakups", "--format", "csv"],
    ["detect", "proximity", "--assets", "24946", "--start", "2009-02-10T00:00:00Z", "--format", "csv"],
    ["events", "--format", "csv"],
    ["norms", "--format", "csv"],
    ["run", "--no-screen", "--format", "csv"],
    ["detect", "breakups", "--min-fragments", "0"],
    ["detect", "breakups", "--max-back-days", "-3"],
])
def test_an_impossible_option_is_a_usage_error_exit_2(tmp_path, args):
    """Options are checked before anything is read: a value no command can use
    exits 2, as --format, --ids, --since, --days and --type already did in
    detect maneuvers, proximity and events (breakups, geo, proximity, events,
    norms and run exited 1 for --format, breakups for its own options)."""
    src = str(shared_path("events", "iridium33_cosmos2251", "pre_collision_tles_2009-02-09.txt"))
    files = {"maneuvers": "--history", "geo": "--history", "breakups": "--catalog",
             "proximity": "--catalog", "run": "--catalog"}
    opt = files.get(args[1] if args[0] == "detect" else args[0])
    extra = [opt, src] if opt else []
    res = runner.invoke(app, [*args, *extra, "--db", f"sqlite:///{tmp_path / 'o.db'}"])
    assert res.exit_code == 2, res.output
    assert res.output.startswith("error: ") and args[-2] in res.output
    assert not (tmp_path / "o.db").exists()
