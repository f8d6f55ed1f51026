"""Sites: KeepTrack import, validation, JSON store, masks."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from orbitwatch.tracking.sites import (
    Site,
    SiteError,
    SiteFile,
    find_site,
    read_keeptrack_csv,
    read_sites_file,
)
from tests.conftest import shared_path


def _keeptrack():
    return shared_path("sensors", "keeptrack_sensors.csv")


def test_keeptrack_import_maps_all_101_sites():
    path = _keeptrack()
    sites = read_keeptrack_csv(path)
    rows = list(csv.DictReader(path.open()))
    assert len(sites) == len(rows) == 101
    assert len({s.name for s in sites}) == 101
    kinds = {k: sum(s.kind == k for s in sites) for k in ("radar", "optical", "comms")}
    # PROVENANCE/CSV: 41 phased-array + 12 mechanical + 5 bistatic radars, 19 optical, 24 stations
    assert kinds == {"radar": 58, "optical": 19, "comms": 24}
    by = {s.name: s for s in sites}
    cod = by["CODSFS"]
    row = next(r for r in rows if r["objName"] == "CODSFS")
    assert cod.lat_deg == float(row["lat"]) and cod.lon_deg == float(row["lon"])
    assert cod.alt_m == pytest.approx(float(row["alt"]) * 1000.0)
    assert (cod.az_min_deg, cod.az_max_deg) == (347.0, 227.0)  # wraps through north
    assert cod.min_range_km == 200.0 and cod.max_range_km == 5556.0
    assert cod.partner == "US" and cod.releasable_to == ("ALL",) and cod.operator == "USSF"
    # the fence radars continue through the zenith
    assert by["KWAJSPF"].is_fan and not cod.is_fan
    partners = {s.partner for s in sites}
    assert {"US", "RU", "FR", "AU", "GB"} <= partners


def test_bad_row_names_file_line_field(tmp_path):
    src = _keeptrack()
    lines = src.read_text().splitlines()
    header, first = lines[0], lines[1]
    cols = next(csv.reader([header]))
    vals = next(csv.reader([first]))
    vals[cols.index("lat")] = "north"
    bad = tmp_path / "bad.csv"
    with bad.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        w.writerow(next(csv.reader([lines[2]])))
        w.writerow(vals)
    with pytest.raises(SiteError, match=r"bad\.csv:3: lat"):
        read_keeptrack_csv(bad)
    vals[cols.index("lat")] = "95"
    with bad.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        w.writerow(vals)
    with pytest.raises(SiteError, match=r"bad\.csv:2: lat_deg"):
        read_keeptrack_csv(bad)


def test_validation_and_json_store_roundtrip(tmp_path):
    with pytest.raises(SiteError, match="kind"):
        Site(name="X", lat_deg=0, lon_deg=0, kind="laser")
    with pytest.raises(SiteError, match="max_range_km"):
        Site(name="X", lat_deg=0, lon_deg=0, min_range_km=100, max_range_km=50)
    s = Site(
        name="HOME",
        lat_deg=52,
        lon_deg=5,
        alt_m=10,
        kind="optical",
        mask=((0, 10), (180, 20)),
        partner="NL",
        releasable_to=("NL", "DE"),
        max_range_km=40000,
    )
    f = SiteFile(tmp_path / "sites.json")
    assert f.upsert([s]) == (1, 0)
    f.save()
    again = SiteFile.open(tmp_path / "sites.json")
    assert again.sites == [s]
    assert find_site(again.sites, "home") == s
    with pytest.raises(SiteError, match="no site named"):
        find_site(again.sites, "nowhere")
    data = json.loads((tmp_path / "sites.json").read_text())
    assert data["sites"][0]["releasable_to"] == ["NL", "DE"]
    assert read_sites_file(tmp_path / "sites.json") == [s]


def test_mask_interpolates_around_the_circle():
    s = Site(
        name="M", lat_deg=0, lon_deg=0, min_elevation_deg=5, mask=((0, 10), (90, 2), (180, 20))
    )
    got = s.mask_min_el_deg(np.array([0, 45, 90, 135, 180, 270, 359]))
    # linear in azimuth, wrapping 180 -> 360 (=0); never below min_elevation_deg
    assert np.allclose(got, [10, 6, 5, 11, 20, 15, 10 + 10 / 180])


def test_visible_sites_follow_releasability():
    from orbitwatch.tracking.sites import visible_sites

    a = Site(name="A", lat_deg=0, lon_deg=0, partner="NL", releasable_to=("NL",))
    b = Site(name="B", lat_deg=0, lon_deg=0, partner="US", releasable_to=("ALL",))
    c = Site(name="C", lat_deg=0, lon_deg=0, partner="FR", releasable_to=("FR", "DE"))
    assert [s.name for s in visible_sites([a, b, c], "nl")] == ["A", "B"]
    assert [s.name for s in visible_sites([a, b, c], "DE")] == ["B", "C"]
