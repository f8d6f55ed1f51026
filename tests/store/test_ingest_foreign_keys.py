"""The SQLite ingest turns per-row foreign-key checks off for its own transaction
only: every pooled connection afterwards enforces them again, and what the ingest
wrote is referentially whole."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from conftest import shared_path
from orbitwatch.elements import parse_text
from orbitwatch.store.catalog import ingest_parse_result
from orbitwatch.store.db import open_engine



def test_foreign_keys_back_on_after_ingest(tmp_path):
    engine = open_engine(str(tmp_path / "o.db"))
    lines = shared_path("tle_history", "celestrak_mirror_2026-05",
                        "stations_history.3le").read_text().splitlines()[:3]
    res = parse_text("\n".join(lines) + "\n", "iss.3le")
    assert not res.errors, res.errors
    counts = ingest_parse_result(engine, res, partner="JP", releasable_to="US")
    assert counts.new == 1
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        # nothing the ingest wrote points nowhere
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO element_sets (norad_id, epoch, mean_motion_rev_day, eccentricity, "
            "inclination_deg, raan_deg, arg_perigee_deg, mean_anomaly_deg, bstar, "
            "mean_motion_dot, mean_motion_ddot, classification, element_set_no, rev_at_epoch, "
            "ephemeris_type, source, releasable_to, ingested_at) VALUES (99999, 0, 15, 0, 0, 0, "
            "0, 0, 0, 0, 0, 'U', 1, 1, 0, 'x', 'ALL', 0)"))
    engine.dispose()
