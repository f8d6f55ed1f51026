"""keeptrack JSON catalogs (incl. JSC Vimpel variants) and SATCAT CSV readers.

Independent references: the JSON / CSV files decoded with the standard
library, sgp4's ``twoline2rv`` for catalog numbers (including Alpha-5), and
the counts stated in the data's PROVENANCE.md.
"""

from __future__ import annotations

import csv
import io
import json
import lzma
from collections import Counter

import pytest
from conftest import shared_path
from sgp4.api import Satrec

from orbitwatch.elements import FormatError, parse_text, read_file

KT = ("catalog", "keeptrack")


def test_keeptrack_full_catalog_owner_and_type():
    path = shared_path(*KT, "TLE_2018-08-20_keeptrack.json")
    raw = json.loads(path.read_text())
    result = read_file(path)
    assert result.format == "keeptrack-json"
    assert result.errors == []
    sets = result.element_sets
    assert len(sets) == len(raw) == 17399
    want_types = {1: "PAYLOAD", 2: "ROCKET BODY", 3: "DEBRIS"}
    assert Counter(es.object_type for es in sets) == Counter(want_types[o["OT"]] for o in raw)
    assert Counter(es.object_type for es in sets) == {
        "PAYLOAD": 4607,
        "ROCKET BODY": 1804,
        "DEBRIS": 10988,
    }  # PROVENANCE
    owners = Counter(es.owner for es in sets)
    assert owners == Counter(o["C"] for o in raw)
    assert (owners["CIS"], owners["US"], owners["PRC"]) == (6211, 5225, 3787)  # PROVENANCE
    for es, o in zip(sets[::101], raw[::101], strict=True):
        assert es.name == o["ON"]
        assert es.norad_id == Satrec.twoline2rv(o["TLE1"], o["TLE2"]).satnum


def test_vimpel_non_standard_tles_never_crash_and_are_rejected_per_record():
    path = shared_path(*KT, "vimpel_2025-03_keeptrack.json")
    raw = json.loads(path.read_text())
    result = read_file(path)
    assert result.format == "keeptrack-json"
    assert len(result.element_sets) + len(result.errors) == len(raw) == 7170
    blank = [o for o in raw if not o["TLE1"][2:7].strip()]
    assert len(result.errors) == len(blank)
    assert {e.field for e in result.errors} == {"catalog number"}
    assert all("record" in e.message and "blank catalog number" in e.message for e in result.errors)
    with_id = [o for o in raw if o["TLE1"][2:7].strip()]
    for es, o in zip(result.element_sets, with_id, strict=True):
        sat = Satrec.twoline2rv(o["TLE1"], o["TLE2"])
        assert es.norad_id == sat.satnum
        assert es.eccentricity == pytest.approx(sat.ecco, rel=1e-15)
        assert es.to_satrec().sgp4(sat.jdsatepoch, sat.jdsatepochF)[0] == 0


def test_jsc_orbits_alpha5_ids_accepted_without_checksums():
    path = shared_path(*KT, "jsc-orbits_2023-09_keeptrack.json")
    raw = json.loads(path.read_text())
    result = read_file(path)
    # JSC Vimpel text has '+' signs, Alpha-5 style ids (Y0000 ...) and no checksums
    assert result.errors == []
    assert len(result.element_sets) == len(raw) == 8622
    for es, o in list(zip(result.element_sets, raw, strict=True))[::37]:
        sat = Satrec.twoline2rv(o["TLE1"], o["TLE2"])
        assert es.norad_id == sat.satnum  # sgp4's Alpha-5 decoding: Y0000 -> 320000
        assert es.inclination_deg == pytest.approx(sat.inclo * 180 / 3.141592653589793, rel=1e-12)
    assert result.element_sets[0].norad_id == 320000


def test_satcat_2017_export():
    path = shared_path("catalog", "satcat_2017", "satcat_2017-02.csv.xz")
    rows = list(csv.DictReader(io.StringIO(lzma.decompress(path.read_bytes()).decode())))
    result = read_file(path)
    assert result.format == "satcat-csv"
    assert result.errors == [] and result.element_sets == []
    recs = result.satcat
    assert len(recs) == len(rows) == 41916
    assert [r.norad_id for r in recs] == list(range(1, 41917))  # PROVENANCE: NORAD 1..41916
    owners = Counter(r.owner for r in recs)
    assert (owners["CIS"], owners["US"], owners["PRC"], owners["FR"]) == (21413, 11720, 5081, 1250)

    def want_type(row):
        if row["payload"] == "True":
            return "PAYLOAD"
        if "R/B" in row["satellite_name"]:
            return "ROCKET BODY"
        if "DEB" in row["satellite_name"]:
            return "DEBRIS"
        return "UNKNOWN"

    assert [r.object_type for r in recs] == [want_type(row) for row in rows]
    assert sum(r.decay_date is None for r in recs) == 17880  # PROVENANCE
    iss = recs[25544 - 1]
    assert (iss.name, iss.intl_designator, iss.owner, iss.object_type) == (
        "ISS (ZARYA)",
        "1998-067A",
        "ISS",
        "PAYLOAD",
    )
    assert recs[0].object_type == "ROCKET BODY" and recs[0].source_line == 2
    assert recs[0].period_min == 96.2 and recs[0].apogee_km == 938.0


CELESTRAK_SATCAT = """OBJECT_NAME,OBJECT_ID,NORAD_CAT_ID,OBJECT_TYPE,OPS_STATUS_CODE,OWNER,LAUNCH_DATE,LAUNCH_SITE,DECAY_DATE,PERIOD,INCLINATION,APOGEE,PERIGEE,RCS,DATA_STATUS_CODE,ORBIT_CENTER,ORBIT_TYPE
SL-1 R/B,1957-001A,1,R/B,D,CIS,1957-10-04,TYMSC,1957-12-01,96.19,65.10,938,214,20.4200,,EA,IMP
ISS (ZARYA),1998-067A,25544,PAY,+,ISS,1998-11-20,TYMSC,,92.91,51.64,422,417,399.0524,,EA,ORB
FENGYUN 1C DEB,1999-025AAA,29740,DEB,,PRC,1999-05-10,TAISC,,97.50,98.60,780,700,,,EA,ORB
OBJECT X,2020-001Z,45000,UNK,,TBD,2020-01-07,AFETR,,,,,,,,EA,ORB
BAD ROW,2020-001Y,44999,DEB,,US,2020-01-07,AFETR,,abc,53.0,550,540,,,EA,ORB
"""


def test_celestrak_satcat_columns_and_type_normalisation():
    result = parse_text(CELESTRAK_SATCAT, "satcat.csv")
    assert result.format == "satcat-csv"
    assert [(r.norad_id, r.object_type) for r in result.satcat] == [
        (1, "ROCKET BODY"),
        (25544, "PAYLOAD"),
        (29740, "DEBRIS"),
        (45000, "UNKNOWN"),
    ]
    iss = result.satcat[1]
    assert (iss.owner, iss.launch_site, iss.ops_status, iss.rcs_m2) == ("ISS", "TYMSC", "+", 399.0524)
    assert iss.decay_date is None and iss.apogee_km == 422.0 and iss.source_line == 3
    assert [(e.line, e.field) for e in result.errors] == [(6, "period_min")]


def test_csv_with_unknown_header_is_a_format_error():
    sources = shared_path("catalog", "satcat_2017", "sources.csv")
    with pytest.raises(FormatError, match="sources.csv"):
        read_file(sources)


SPACETRACK_SATCAT = """INTLDES,NORAD_CAT_ID,OBJECT_TYPE,SATNAME,COUNTRY,LAUNCH,SITE,DECAY,PERIOD,INCLINATION,APOGEE,PERIGEE,COMMENT,COMMENTCODE,RCSVALUE,RCS_SIZE,FILE,LAUNCH_YEAR,LAUNCH_NUM,LAUNCH_PIECE,CURRENT,OBJECT_NAME,OBJECT_ID,OBJECT_NUMBER
1998-067A,25544,PAYLOAD,ISS (ZARYA),ISS,1998-11-20,TTMTR,,92.94,51.64,421,415,,,0,LARGE,8000,1998,67,A,Y,ISS (ZARYA),1998-067A,25544
1999-025DZ,29740,DEBRIS,FENGYUN 1C DEB,PRC,1999-05-10,TSC,,101.2,98.6,850,780,,,0,SMALL,8000,1999,25,DZ,Y,FENGYUN 1C DEB,1999-025DZ,29740
"""


def test_spacetrack_satcat_columns():
    result = parse_text(SPACETRACK_SATCAT, "st_satcat.csv")
    assert result.format == "satcat-csv" and result.errors == []
    iss, deb = result.satcat
    assert (iss.norad_id, iss.name, iss.owner, iss.object_type, iss.launch_site) == (
        25544,
        "ISS (ZARYA)",
        "ISS",
        "PAYLOAD",
        "TTMTR",
    )
    assert (deb.object_type, deb.owner, deb.perigee_km) == ("DEBRIS", "PRC", 780.0)


def test_keeptrack_metadata_survives_the_per_record_path_and_errors_name_records():
    path = shared_path(*KT, "TLE_2018-08-20_keeptrack.json")
    raw = json.loads(path.read_text())[:3]
    from sgp4.io import compute_checksum

    # a blank element-set number is legal but not canonical: the per-record reader takes it
    l1 = raw[0]["TLE1"][:64] + "    " + raw[0]["TLE1"][68]
    raw[0]["TLE1"] = l1[:68] + str(compute_checksum(l1))
    raw[1]["TLE2"] = raw[1]["TLE2"][:68] + str((int(raw[1]["TLE2"][68]) + 1) % 10)
    result = parse_text(json.dumps(raw), "kt.json")
    assert [(es.norad_id, es.owner, es.object_type) for es in result.element_sets] == [
        (5, "US", "PAYLOAD"),
        (12, "US", "ROCKET BODY"),
    ]
    assert result.element_sets[0].element_set_no == 0
    (err,) = result.errors
    assert (err.file, err.line, err.field) == ("kt.json", 1, "checksum line 2")
    assert err.message.startswith("record 2:")
