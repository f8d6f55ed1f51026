"""TLE / 3LE reading, validation and writing, checked against sgp4's own ``twoline2rv``.

References: python-sgp4 (Vallado et al. AIAA 2006-6753 reader) for every
parsed value; the raw files themselves (line counts, name lines) for counts.
"""

from __future__ import annotations

import dataclasses
import gzip
import lzma
import math
from datetime import UTC, datetime, timedelta

import pytest
from conftest import shared_path
from sgp4.api import WGS72, Satrec

from orbitwatch.elements import (
    FormatError,
    RecordError,
    alpha5_to_int,
    format_tle,
    int_to_alpha5,
    newest_per_object,
    parse_text,
    read_file,
    tle_checksum,
    write_3le,
)

HIST = ("tle_history", "celestrak_mirror_2026-05")
XPDOTP = 1440.0 / (2.0 * math.pi)


def _sgp4_epoch(sat: Satrec) -> datetime:
    days = (sat.jdsatepoch - 2440587.5) + sat.jdsatepochF
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(days=days)


def _assert_matches_sgp4(es, sat: Satrec) -> None:
    assert es.norad_id == sat.satnum
    assert abs((es.epoch - _sgp4_epoch(sat)).total_seconds()) < 2e-6
    assert es.eccentricity == pytest.approx(sat.ecco, rel=1e-15, abs=1e-15)
    assert math.radians(es.inclination_deg) == pytest.approx(sat.inclo, rel=1e-14)
    assert math.radians(es.raan_deg) == pytest.approx(sat.nodeo, rel=1e-14, abs=1e-15)
    assert math.radians(es.arg_perigee_deg) == pytest.approx(sat.argpo, rel=1e-14, abs=1e-15)
    assert math.radians(es.mean_anomaly_deg) == pytest.approx(sat.mo, rel=1e-14, abs=1e-15)
    assert es.mean_motion_rev_day / XPDOTP == pytest.approx(sat.no_kozai, rel=1e-14)
    assert es.bstar == pytest.approx(sat.bstar, rel=1e-12, abs=1e-20)
    assert es.mean_motion_dot / (XPDOTP * 1440.0) == pytest.approx(sat.ndot, rel=1e-12, abs=1e-25)
    assert es.mean_motion_ddot / (XPDOTP * 1440.0 * 1440.0) == pytest.approx(
        sat.nddot, rel=1e-12, abs=1e-30
    )
    assert es.element_set_no == sat.elnum
    assert es.rev_at_epoch == sat.revnum


def test_3le_history_matches_twoline2rv_record_by_record():
    path = shared_path(*HIST, "geo_history.3le")
    lines = path.read_text().splitlines()
    result = read_file(path)
    assert result.format == "3le"
    assert result.errors == []
    assert len(result.element_sets) == len(lines) // 3 == 11580  # PROVENANCE: 11,580 TLEs
    for k, es in enumerate(result.element_sets):
        name, l1, l2 = lines[3 * k : 3 * k + 3]
        assert (es.name, es.line1, es.line2) == (name.strip(), l1.rstrip(), l2.rstrip())
        assert es.source_line == 3 * k + 1
        if k % 4 == 0:
            _assert_matches_sgp4(es, Satrec.twoline2rv(l1, l2, WGS72))
    assert len({es.norad_id for es in result.element_sets}) == 574  # PROVENANCE: 574 objects


def test_starlink_history_xz_keeps_good_records_and_names_the_malformed_one():
    path = shared_path(*HIST, "starlink_history.3le.xz")
    lines = lzma.decompress(path.read_bytes()).decode().splitlines()
    result = read_file(path)
    assert result.format == "3le"
    # PROVENANCE counts 193,263 TLEs; one of them has a 2-digit B* exponent ("-66000-10")
    # that pushes line 1 to 70 columns, which the format cannot hold.
    assert len(lines) // 3 == 193263
    bad = [k + 1 for k, s in enumerate(lines) if s[:2] == "1 " and len(s.rstrip()) != 69]
    assert len(result.element_sets) == 193263 - len(bad)
    assert [(e.file, e.line, e.field) for e in result.errors] == [
        (str(path), n, "line 1") for n in bad
    ]
    assert "70 characters" in result.errors[0].message
    # spot-check against sgp4 at a stride
    for es in result.element_sets[::997]:
        _assert_matches_sgp4(es, Satrec.twoline2rv(es.line1, es.line2, WGS72))


def test_gzip_and_xz_detected_by_magic_bytes_not_suffix(tmp_path):
    src = shared_path(*HIST, "stations_history.3le")
    plain = read_file(src)
    gz = tmp_path / "stations.txt"  # misleading suffix on purpose
    gz.write_bytes(gzip.compress(src.read_bytes()))
    xz = tmp_path / "stations.dat"
    xz.write_bytes(lzma.compress(src.read_bytes()))
    for p in (gz, xz):
        r = read_file(p)
        assert r.format == "3le"
        assert r.element_sets == [dataclasses.replace(es) for es in plain.element_sets]
    assert len(plain.element_sets) == 442  # PROVENANCE: 442 TLEs


def test_two_line_and_zero_prefixed_3le():
    src = shared_path("ccsds_samples", "omm", "stations-tle.txt")
    lines = src.read_text().splitlines()
    two = "\n".join(s for k, s in enumerate(lines) if k % 3) + "\n"
    r2 = parse_text(two, "two.tle")
    assert r2.format == "tle" and len(r2.element_sets) == 3
    assert all(es.name is None for es in r2.element_sets)
    zero = "\n".join(("0 " + s.strip()) if k % 3 == 0 else s for k, s in enumerate(lines))
    r3 = parse_text(zero, "zero.3le")
    assert r3.format == "3le"
    assert [es.name for es in r3.element_sets] == [
        "ISS (ZARYA)",
        "KESTREL EYE IIM (KE2M)",
        "DELLINGR (RBLE)",
    ]
    assert [es.norad_id for es in r3.element_sets] == [25544, 42982, 43021]


def _stations_lines():
    return shared_path("ccsds_samples", "omm", "stations-tle.txt").read_text().splitlines()


def _with_checksum(line: str) -> str:
    return line[:68] + str(tle_checksum(line))


def test_checksum_matches_sgp4_reference_on_real_lines():
    from sgp4.io import compute_checksum

    for s in _stations_lines():
        if s[:2] in ("1 ", "2 "):
            assert tle_checksum(s) == compute_checksum(s) == int(s[68])


def _errors_for(lines: list[str]):
    result = parse_text("\n".join(lines) + "\n", "bad.3le")
    return result, [(e.file, e.line, e.field) for e in result.errors]


def test_bad_checksum_is_a_record_error_and_other_records_survive():
    lines = _stations_lines()
    l1 = lines[4]
    lines[4] = l1[:68] + str((int(l1[68]) + 1) % 10)
    result, errs = _errors_for(lines)
    assert errs == [("bad.3le", 5, "checksum line 1")]
    assert [es.norad_id for es in result.element_sets] == [25544, 43021]


@pytest.mark.parametrize(
    ("line_no", "cols", "text", "field"),
    [
        (6, (8, 16), "181.0000", "inclination"),  # inclination > 180
        (6, (52, 63), " 0.00000000", "mean_motion"),  # mean motion not > 0
        (6, (17, 25), "360.0000", "raan"),
        (6, (8, 16), " 51.6A32", "inclination"),  # not a number
        (5, (20, 32), "400.00000000", "epoch"),  # day of year
        (5, (53, 61), " 6849x-4", "bstar"),
        (6, (26, 33), "00-3039", "eccentricity"),
    ],
)
def test_field_errors_name_file_line_and_field(line_no, cols, text, field):
    lines = _stations_lines()
    s = lines[line_no - 1]
    lo, hi = cols
    assert len(text) == hi - lo
    lines[line_no - 1] = _with_checksum(s[:lo] + text + s[hi:])
    result, errs = _errors_for(lines)
    assert errs == [("bad.3le", line_no, field)]
    assert len(result.element_sets) == 2


def test_truncated_lines_and_missing_lines():
    lines = _stations_lines()
    lines[5] = lines[5][:60]  # record 2, line 2 cut short
    result, errs = _errors_for(lines)
    assert errs == [("bad.3le", 6, "line 2")]
    assert "truncated" in result.errors[0].message
    assert len(result.element_sets) == 2
    # file cut after a line 1
    result, errs = _errors_for(_stations_lines()[:-1])
    assert errs == [("bad.3le", 8, "line 2")]
    assert len(result.element_sets) == 2


def test_catalog_numbers_must_agree_and_line_numbers_must_be_1_and_2():
    lines = _stations_lines()
    lines[5] = _with_checksum(lines[5][:2] + "42983" + lines[5][7:])
    _, errs = _errors_for(lines)
    assert errs == [("bad.3le", 6, "catalog number")]


def test_not_an_element_set_file_raises_format_error(tmp_path):
    readme = shared_path("catalog", "cara_hbr_mass", "01_Distribution_README.txt")
    with pytest.raises(FormatError, match="01_Distribution_README.txt"):
        read_file(readme)
    opm = shared_path("ccsds_samples", "ccsds_ndm_bluebook_examples", "kvn", "opm_g1.kvn")
    with pytest.raises(FormatError, match="opm_g1.kvn"):
        read_file(opm)
    junk = tmp_path / "junk.bin"
    junk.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(FormatError, match="junk.bin"):
        read_file(junk)
    empty = tmp_path / "empty.tle"
    empty.write_text("")
    with pytest.raises(FormatError, match="empty.tle"):
        read_file(empty)
    with pytest.raises(FormatError, match="nope.tle"):
        read_file(tmp_path / "nope.tle")


def test_sgp4_verification_file_tles_read_with_trailing_columns():
    path = shared_path("sgp4_verification", "SGP4-VER.TLE")
    text = path.read_text()
    result = read_file(path)
    lines = text.splitlines()
    pairs = [
        (a, b) for a, b in zip(lines, lines[1:], strict=False) if a[:2] == "1 " and b[:2] == "2 "
    ]
    assert len(result.element_sets) + len(result.errors) == len(pairs)
    from sgp4.io import compute_checksum

    # the only rejects are lines whose checksum digit really is wrong
    for e in result.errors:
        assert e.field.startswith("checksum")
        bad_line = lines[e.line - 1]
        assert compute_checksum(bad_line) != int(bad_line[68])
    for es in result.element_sets:
        _assert_matches_sgp4(es, Satrec.twoline2rv(es.line1, es.line2, WGS72))


def test_alpha5_against_sgp4():
    assert alpha5_to_int("A0001") == 100001
    assert alpha5_to_int("Z9999") == 339999
    assert alpha5_to_int("00005") == 5
    assert int_to_alpha5(100001) == "A0001"
    for number in (99999, 100000, 179999, 180000, 229999, 230000, 270001, 339999):
        field = int_to_alpha5(number)
        assert alpha5_to_int(field) == number
        assert "I" not in field and "O" not in field
        l1, l2 = _stations_lines()[1:3]
        l1 = _with_checksum(l1[:2] + field + l1[7:])
        l2 = _with_checksum(l2[:2] + field + l2[7:])
        assert Satrec.twoline2rv(l1, l2).satnum == number  # sgp4's own Alpha-5 decoding
        (es,) = parse_text(f"X\n{l1}\n{l2}\n", "a5.3le").element_sets
        assert es.norad_id == number
    with pytest.raises(ValueError):
        int_to_alpha5(340000)
    with pytest.raises(ValueError):
        alpha5_to_int("I0001")


def test_format_tle_reproduces_published_lines():
    result = read_file(shared_path(*HIST, "stations_history.3le"))
    for es in result.element_sets:
        bare = dataclasses.replace(es, line1=None, line2=None)
        assert format_tle(bare) == (es.line1, es.line2)


def test_format_tle_alpha5_and_write_3le_round_trip(tmp_path):
    (es,) = parse_text("\n".join(_stations_lines()[:3]), "x").element_sets
    big = dataclasses.replace(es, norad_id=270001, line1=None, line2=None)
    l1, l2 = format_tle(big)
    sat = Satrec.twoline2rv(l1, l2, WGS72)
    assert sat.satnum == 270001 and l1[2:7] == "T0001"
    _assert_matches_sgp4(big, sat)
    out = tmp_path / "out.3le"
    assert write_3le([es, big], out) == 2
    back = read_file(out)
    assert back.errors == []
    assert [x.norad_id for x in back.element_sets] == [25544, 270001]
    assert back.element_sets[1].line1 == l1


def test_newest_per_object_against_independent_max():
    result = read_file(shared_path(*HIST, "stations_history.3le"))
    sets = result.element_sets
    best: dict[int, float] = {}
    for es in sets:
        sat = Satrec.twoline2rv(es.line1, es.line2)
        jd = sat.jdsatepoch + sat.jdsatepochF
        best[sat.satnum] = max(best.get(sat.satnum, -1.0), jd)
    newest = newest_per_object(sets)
    assert [es.norad_id for es in newest] == sorted(best)
    for es in newest:
        sat = Satrec.twoline2rv(es.line1, es.line2)
        assert sat.jdsatepoch + sat.jdsatepochF == best[es.norad_id]
    iss = [es for es in sets if es.norad_id == 25544]
    assert len(iss) == 21  # PROVENANCE
    cut = sorted(es.epoch for es in iss)[10]
    (pick,) = [es for es in newest_per_object(sets, as_of=cut) if es.norad_id == 25544]
    assert pick.epoch == cut
    # ties: higher element-set number wins, then the later record
    a = dataclasses.replace(iss[0], element_set_no=5)
    b = dataclasses.replace(iss[0], element_set_no=7)
    c = dataclasses.replace(iss[0], element_set_no=7, name="later")
    assert newest_per_object([b, a]) == [b]
    assert newest_per_object([a, b, c])[0].name == "later"


def test_record_error_str_names_file_line_field():
    e = RecordError("f.tle", 12, "eccentricity", "bad")
    assert str(e) == "f.tle:12: eccentricity: bad"


def test_bulk_records_are_ordinary_frozen_element_sets_and_gc_state_is_restored():
    import gc

    from orbitwatch.elements import ElementSet

    was_enabled, frozen = gc.isenabled(), gc.get_freeze_count()
    result = read_file(shared_path(*HIST, "stations_history.3le"))
    assert gc.isenabled() == was_enabled and gc.get_freeze_count() == frozen
    es = result.element_sets[0]
    twin = ElementSet(**{f.name: getattr(es, f.name) for f in dataclasses.fields(es)})
    assert type(es) is ElementSet and es == twin and hash(es) == hash(twin)
    with pytest.raises(dataclasses.FrozenInstanceError):
        es.norad_id = 1  # type: ignore[misc]


def test_parse_bytes_for_uploads_and_corrupt_compression():
    from orbitwatch.elements import parse_bytes

    raw = shared_path("ccsds_samples", "omm", "stations-tle.txt").read_bytes()
    packed = gzip.compress(raw)
    assert parse_bytes(packed, "up.bin").element_sets == parse_text(raw.decode(), "x").element_sets
    with pytest.raises(FormatError, match="up.gz"):
        parse_bytes(packed[: len(packed) // 2], "up.gz")
    with pytest.raises(FormatError, match="up.xz"):
        parse_bytes(lzma.compress(raw)[:40], "up.xz")
