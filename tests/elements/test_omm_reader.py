"""OMM readers (KVN, XML, JSON, CSV) against python-sgp4's ``sgp4.omm`` and ccsds-ndm.

Independent references: ``sgp4.omm.initialize`` (python-sgp4's own OMM ->
Satrec path), the ``ccsds_ndm`` package's KVN/XML parser, the paired
TLE/OMM sample from python-sgp4 (stations.xml vs stations-tle.txt) and the
CSV module's own row count.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from conftest import shared_path
from sgp4 import omm as sgp4_omm
from sgp4.api import Satrec

from orbitwatch.elements import FormatError, format_tle, parse_text, read_file, to_omm_kvn

OMM = ("ccsds_samples", "omm")
GP_CSV = ("catalog", "celestrak_active_gp_2026-07-10.csv")


def _rv(sat: Satrec, jd: float, fr: float):
    e, r, v = sat.sgp4(jd, fr)
    assert e == 0
    return np.array(r), np.array(v)


def _same_propagation(a: Satrec, b: Satrec, tol_km: float = 1e-9) -> None:
    for dt_days in (0.0, 0.37, 3.0):
        jd, fr = b.jdsatepoch, b.jdsatepochF + dt_days
        ra, va = _rv(a, jd, fr)
        rb, vb = _rv(b, jd, fr)
        assert np.max(np.abs(ra - rb)) <= tol_km
        assert np.max(np.abs(va - vb)) <= tol_km


def _omm_satrec(fields: dict) -> Satrec:
    sat = Satrec()
    sgp4_omm.initialize(sat, fields)
    return sat


def test_celestrak_csv_matches_sgp4_omm_initialize():
    path = shared_path(*GP_CSV)
    with open(path, newline="") as fh:
        rows = list(sgp4_omm.parse_csv(fh))
    result = read_file(path)
    assert result.format == "omm-csv"
    assert result.errors == []
    assert len(result.element_sets) == len(rows) == 15985  # PROVENANCE: 15,985 objects
    assert sum("STARLINK" in es.name for es in result.element_sets) == 10743
    for k in range(0, len(rows), 53):
        es, row = result.element_sets[k], rows[k]
        assert es.norad_id == int(row["NORAD_CAT_ID"])
        assert es.source_line == k + 2
        assert es.name == row["OBJECT_NAME"] and es.intl_designator == row["OBJECT_ID"]
        assert es.line1 is None and es.line2 is None
        ref = datetime.strptime(row["EPOCH"], "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=UTC)
        assert es.epoch == ref
        _same_propagation(es.to_satrec(), _omm_satrec(row))


def test_sample_omm_csv_json_xml_agree_with_sgp4_omm():
    csv_path = shared_path(*OMM, "sample_omm.csv")
    with open(csv_path, newline="") as fh:
        (row,) = list(sgp4_omm.parse_csv(fh))
    (es,) = read_file(csv_path).element_sets
    _same_propagation(es.to_satrec(), _omm_satrec(row))

    xml_path = shared_path(*OMM, "sample_omm.xml")
    with open(xml_path) as fh:
        (fields,) = list(sgp4_omm.parse_xml(fh))
    r = read_file(xml_path)
    assert r.format == "omm-xml"
    (es_x,) = r.element_sets
    assert dataclasses.replace(es_x, source_line=0) == dataclasses.replace(es, source_line=0)
    _same_propagation(es_x.to_satrec(), _omm_satrec(fields))

    json_path = shared_path(*OMM, "sample_omm.json")
    (obj,) = json.loads(json_path.read_text())
    r = read_file(json_path)
    assert r.format == "omm-json"
    (es_j,) = r.element_sets
    _same_propagation(es_j.to_satrec(), _omm_satrec({k: str(v) for k, v in obj.items()}))


def test_stations_xml_equals_paired_3le():
    xml = read_file(shared_path(*OMM, "stations.xml"))
    tle = read_file(shared_path(*OMM, "stations-tle.txt"))
    assert xml.format == "omm-xml" and tle.format == "3le"
    assert [e.norad_id for e in xml.element_sets] == [e.norad_id for e in tle.element_sets]
    for a, b in zip(xml.element_sets, tle.element_sets, strict=True):
        assert a.name == b.name
        assert abs((a.epoch - b.epoch).total_seconds()) < 1e-5
        # OMM (sgp4init) and TLE (twoline2rv) paths: same elements -> same orbit to < 1 mm
        _same_propagation(a.to_satrec(), b.to_satrec(), tol_km=1e-6)


def _ndm(path):
    from ccsds_ndm.ndm_io import NdmIo

    return NdmIo().from_path(str(path))


@pytest.mark.parametrize(
    "parts",
    [
        ("ccsds_ndm_bluebook_examples", "kvn", "omm_g7.kvn"),
        ("ccsds_ndm_bluebook_examples", "kvn", "omm_g8.kvn"),
        ("ccsds_ndm_bluebook_examples", "kvn", "omm_g9.kvn"),
        ("ccsds_ndm_bluebook_examples", "xml", "omm_g10.xml"),
        ("orekit", "odm_omm", "OMMExample1.txt"),
        ("orekit", "odm_omm", "OMMExample2.xml"),
        ("orekit", "odm_omm", "OMMExample4.txt"),
        ("orekit", "odm_omm", "OMMExample4.xml"),
        ("orekit", "odm_omm", "OMM-with-units.xml"),
    ],
)
def test_ccsds_sample_omms_match_ccsds_ndm(parts):
    path = shared_path("ccsds_samples", *parts)
    result = read_file(path)
    assert result.format == ("omm-xml" if path.suffix == ".xml" else "omm-kvn")
    assert result.errors == []
    (es,) = result.element_sets
    ref = _ndm(path)
    seg = ref.body.segment
    me, tp = seg.data.mean_elements, seg.data.tle_parameters
    assert es.norad_id == tp.norad_cat_id
    assert es.mean_motion_rev_day == pytest.approx(me.mean_motion.value, rel=1e-15)
    assert es.eccentricity == pytest.approx(me.eccentricity, rel=1e-15)
    assert es.inclination_deg == pytest.approx(me.inclination.value, rel=1e-15)
    assert es.raan_deg == pytest.approx(me.ra_of_asc_node.value, rel=1e-15)
    assert es.arg_perigee_deg == pytest.approx(me.arg_of_pericenter.value, rel=1e-15)
    assert es.mean_anomaly_deg == pytest.approx(me.mean_anomaly.value, rel=1e-15)
    assert es.bstar == pytest.approx(tp.bstar.value, rel=1e-15)
    assert es.mean_motion_dot == pytest.approx(tp.mean_motion_dot.value, rel=1e-15)
    assert es.name == seg.metadata.object_name
    # epochs such as 2007-064T10:34:41.4264 are day-of-year: 064 = 5 March 2007
    text = me.epoch
    if text[4] == "-" and text[8] == "T":
        year, doy = int(text[:4]), int(text[5:8])
        hh, mm, ss = text[9:].split(":")
        want = datetime(year, 1, 1, tzinfo=UTC) + timedelta(
            days=doy - 1, hours=int(hh), minutes=int(mm), seconds=float(ss)
        )
    else:
        want = datetime.fromisoformat(text).replace(tzinfo=UTC)
    assert es.epoch == want
    es.to_satrec()  # initialises


def test_kvn_with_several_omms_and_a_non_sgp4_theory():
    a = shared_path("ccsds_samples", "ccsds_ndm_bluebook_examples", "kvn", "omm_g7.kvn")
    b = shared_path("ccsds_samples", "orekit", "odm_omm", "OMMExample4.txt")
    c = shared_path("ccsds_samples", "orekit", "odm_omm", "OMMExample3.txt")
    ta = a.read_text().rstrip("\n") + "\n"
    tb = b.read_text()
    tc = c.read_text()
    result = parse_text(ta + tb + tc, "many.kvn")
    assert result.format == "omm-kvn"
    assert [es.norad_id for es in result.element_sets] == [23581, 7646]
    assert result.element_sets[1].source_line == ta.count("\n") + 1
    (err,) = result.errors
    theory_line = tc.splitlines().index(
        next(s for s in tc.splitlines() if s.startswith("MEAN_ELEMENT_THEORY"))
    )
    assert (err.file, err.line, err.field) == (
        "many.kvn",
        ta.count("\n") + tb.count("\n") + theory_line + 1,
        "mean_element_theory",
    )


def _gp_rows(n: int):
    path = shared_path(*GP_CSV)
    text = path.read_text()
    lines = text.splitlines()
    return lines[0], lines[1 : n + 1]


def test_omm_csv_bad_rows_are_errors_with_line_and_field():
    header, rows = _gp_rows(5)
    cols = header.split(",")
    bad_ecc = rows[1].split(",")
    bad_ecc[cols.index("ECCENTRICITY")] = "1.2"
    bad_mm = rows[3].split(",")
    bad_mm[cols.index("MEAN_MOTION")] = "fast"
    text = "\n".join([header, rows[0], ",".join(bad_ecc), rows[2], ",".join(bad_mm), rows[4]])
    result = parse_text(text + "\n", "gp.csv")
    assert [(e.line, e.field) for e in result.errors] == [(3, "eccentricity"), (5, "mean_motion")]
    assert len(result.element_sets) == 3


def test_omm_kvn_error_points_at_keyword_line():
    path = shared_path("ccsds_samples", "orekit", "odm_omm", "OMMExample1.txt")
    lines = path.read_text().splitlines()
    k = next(i for i, s in enumerate(lines) if s.startswith("INCLINATION"))
    lines[k] = "INCLINATION       =   190.5"
    result = parse_text("\n".join(lines), "x.kvn")
    assert [(e.line, e.field) for e in result.errors] == [(k + 1, "inclination")]
    assert result.element_sets == []


def _spacetrack_records():
    """Space-Track ``gp`` style records (all values strings, extra keys) built from the
    paired python-sgp4 sample (stations.xml values + stations-tle.txt lines)."""
    with open(shared_path(*OMM, "stations.xml")) as fh:
        fields = list(sgp4_omm.parse_xml(fh))
    lines = shared_path(*OMM, "stations-tle.txt").read_text().splitlines()
    out = []
    for k, f in enumerate(fields):
        rec = {
            "CCSDS_OMM_VERS": "2.0",
            "COMMENT": "GENERATED VIA SPACE-TRACK.ORG API",
            "CREATION_DATE": "2020-06-26T01:16:10",
            "ORIGINATOR": "18 SPCS",
            **{key: (v or "") for key, v in f.items()},
            "SEMIMAJOR_AXIS": "6796.539",
            "PERIOD": "92.935",
            "APOAPSIS": "420.116",
            "PERIAPSIS": "416.692",
            "OBJECT_TYPE": "PAYLOAD" if k == 0 else "DEBRIS",
            "RCS_SIZE": "LARGE",
            "COUNTRY_CODE": "ISS",
            "LAUNCH_DATE": "1998-11-20",
            "SITE": "TTMTR",
            "DECAY_DATE": None,
            "FILE": "2770040",
            "GP_ID": str(156071000 + k),
            "TLE_LINE0": "0 " + lines[3 * k].strip(),
            "TLE_LINE1": lines[3 * k + 1],
            "TLE_LINE2": lines[3 * k + 2],
        }
        out.append(rec)
    return out


def test_spacetrack_json_and_csv_with_string_values_and_tle_lines():
    recs = _spacetrack_records()
    tle = read_file(shared_path(*OMM, "stations-tle.txt")).element_sets
    js = parse_text(json.dumps(recs, indent=1), "st.json")
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(recs[0]))
    w.writeheader()
    w.writerows(recs)
    cs = parse_text(buf.getvalue(), "st.csv")
    assert js.format == "omm-json" and cs.format == "omm-csv"
    for result in (js, cs):
        assert result.errors == []
        assert [e.norad_id for e in result.element_sets] == [25544, 42982, 43021]
        for es, ref in zip(result.element_sets, tle, strict=True):
            assert (es.line1, es.line2) == (ref.line1, ref.line2)
            assert es.owner == "ISS"
            assert abs((es.epoch - ref.epoch).total_seconds()) < 1e-5
        assert [e.object_type for e in result.element_sets] == ["PAYLOAD", "DEBRIS", "DEBRIS"]


def test_json_errors_name_the_record():
    recs = _spacetrack_records()
    del recs[1]["EPOCH"]
    result = parse_text(json.dumps(recs, indent=1), "st.json")
    (err,) = result.errors
    assert err.field == "epoch" and err.message.startswith("record 2:")
    assert err.line > 1  # the object's first line in the pretty-printed text
    assert len(result.element_sets) == 2


def test_non_omm_json_and_xml_raise_format_error():
    with pytest.raises(FormatError, match="thing.json"):
        parse_text('[{"a": 1}]', "thing.json")
    with pytest.raises(FormatError, match="bad.json"):
        parse_text('[{"EPOCH": 1,', "bad.json")
    cdm = shared_path("ccsds_samples", "cdm", "CDMExample1.xml")
    with pytest.raises(FormatError, match="CDMExample1.xml"):
        read_file(cdm)


def test_catalog_numbers_above_99999_from_omm_only_data():
    header, rows = _gp_rows(1)
    cols = header.split(",")
    row = rows[0].split(",")
    ref = dict(zip(cols, row, strict=True))
    ref_sat = _omm_satrec(ref)
    for big in (270001, 339999, 1234567):
        row[cols.index("NORAD_CAT_ID")] = str(big)
        (es,) = parse_text(header + "\n" + ",".join(row) + "\n", "big.csv").element_sets
        assert es.norad_id == big
        sat = es.to_satrec()
        _same_propagation(sat, ref_sat)
        if big <= 339999:
            assert sat.satnum == big
            l1, l2 = format_tle(es)  # Alpha-5 TLE export of an OMM-only set
            assert Satrec.twoline2rv(l1, l2).satnum == big
        else:
            with pytest.raises(ValueError):
                format_tle(es)


def test_omm_kvn_writer_round_trip():
    (es,) = read_file(shared_path(*OMM, "sample_omm.csv")).element_sets
    text = to_omm_kvn(es)
    (back,) = parse_text(text, "w.kvn").element_sets
    assert back == es.__class__(**{**_fields(es), "source_line": 1})
    from ccsds_ndm.ndm_io import NdmIo

    ref = NdmIo().from_string(text)
    assert ref.body.segment.data.tle_parameters.norad_cat_id == es.norad_id


def _fields(es):
    import dataclasses

    return {f.name: getattr(es, f.name) for f in dataclasses.fields(es)}


def test_columnar_csv_path_equals_record_path():
    """The numpy column path must give exactly what the per-record reader gives."""
    from orbitwatch.elements.omm import omm_rows_to_element_sets, omm_to_element_set

    path = shared_path(*GP_CSV)
    rows = list(csv.reader(io.StringIO(path.read_text())))
    cols, body = rows[0], rows[1::3]
    lines = list(range(2, 3 * len(body) + 2, 3))
    fast = omm_rows_to_element_sets(cols, body, lines, "gp.csv")
    slow = [
        omm_to_element_set(dict(zip(cols, r, strict=True)), file="gp.csv", line=ln)
        for r, ln in zip(body, lines, strict=True)
    ]
    assert fast == slow
    recs = _spacetrack_records()
    st_cols = list(recs[0])
    st_rows = [["" if r[c] is None else str(r[c]) for c in st_cols] for r in recs]
    st_rows[2][st_cols.index("OBJECT_NAME")] = "   "  # blank name: falls back to TLE_LINE0
    st_rows[1][st_cols.index("EPOCH")] += "1234"  # sub-microsecond digits: record path
    fast = omm_rows_to_element_sets(st_cols, st_rows, [2, 3, 4], "st.csv")
    slow = [
        omm_to_element_set(dict(zip(st_cols, r, strict=True)), file="st.csv", line=ln)
        for r, ln in zip(st_rows, [2, 3, 4], strict=True)
    ]
    assert fast == slow
    assert fast[2].name == "DELLINGR (RBLE)"


def test_json_non_finite_and_boolean_values_are_rejected():
    (obj,) = json.loads(shared_path(*OMM, "sample_omm.json").read_text())
    recs = [dict(obj), dict(obj, MEAN_MOTION=float("inf")), dict(obj, NORAD_CAT_ID=True)]
    result = parse_text(json.dumps(recs), "nf.json")  # json writes inf as Infinity
    assert len(result.element_sets) == 1
    assert [(e.field, e.message.split(":")[0]) for e in result.errors] == [
        ("mean_motion", "record 2"),
        ("norad_id", "record 3"),
    ]


def test_file_mixing_tle_and_omm_kvn_keeps_both_with_their_lines():
    """A 3LE file with OMM KVN messages among its records: every record of
    both kinds is read, equal to what its own file gives, citing its own line."""
    tle_lines = shared_path(*OMM, "stations-tle.txt").read_text().splitlines()
    kvn_a = shared_path("ccsds_samples", "ccsds_ndm_bluebook_examples", "kvn", "omm_g7.kvn")
    kvn_b = shared_path("ccsds_samples", "orekit", "odm_omm", "OMMExample1.txt")
    text_a = kvn_a.read_text().splitlines()
    text_b = kvn_b.read_text().splitlines()
    bad = [s.replace("MEAN_MOTION ", "MEAN_MOTION_BAD ") for s in text_a]  # no MEAN_MOTION
    assert len(tle_lines) == 9  # three 3LE records
    lines = tle_lines[:6] + text_a + tle_lines[6:9] + [""] + text_b + bad
    at_a = 7
    at_b = at_a + len(text_a) + 3 + 1
    at_bad = at_b + len(text_b)
    result = parse_text("\n".join(lines) + "\n", "mixed.txt")
    own_tle = read_file(shared_path(*OMM, "stations-tle.txt")).element_sets
    own_kvn = [read_file(kvn_a).element_sets[0], read_file(kvn_b).element_sets[0]]
    assert result.format == "3le+omm-kvn" and len(result.element_sets) == 5
    got = {(e.norad_id, e.epoch): e for e in result.element_sets}
    for ref in own_tle + own_kvn:
        es = got[(ref.norad_id, ref.epoch)]
        assert dataclasses.replace(es, source_line=0) == dataclasses.replace(ref, source_line=0)
    line_of = {(e.norad_id, e.epoch): e.source_line for e in result.element_sets}
    assert line_of[(own_kvn[0].norad_id, own_kvn[0].epoch)] == at_a
    assert line_of[(own_kvn[1].norad_id, own_kvn[1].epoch)] == at_b
    for ref in own_tle:  # a 3LE record cites its name line: the line before its line 1
        n = line_of[(ref.norad_id, ref.epoch)]
        assert lines[n].startswith(f"1 {ref.norad_id:05d}")
    # the broken copy of omm_g7 at the end: one error within it, nothing else lost
    (err,) = result.errors
    assert err.field == "mean_motion" and "MEAN_MOTION" in err.message
    assert at_bad <= err.line < at_bad + len(bad)
