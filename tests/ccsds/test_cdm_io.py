"""CCSDS CDM reader/writer: real CARA CDMs, CCSDS samples, KVN/XML round trips, and the
independent ``ccsds-ndm`` package reading what we write."""

from __future__ import annotations

import numpy as np
import pytest

from orbitwatch.ccsds.cdm import CdmError, parse_cdm, read_cdm, write_cdm
from tests.conftest import shared_path


def _cara_cdms():
    d = shared_path("collision_probability", "cara_PcTestCaseCDMs")
    return sorted(d.glob("*.cdm"))


def test_reads_all_cara_cdms_with_expected_fields():
    files = _cara_cdms()
    assert len(files) == 53
    for f in files:
        cdm = read_cdm(f)
        assert cdm.version == "1.0"
        assert cdm.header.fields["ORIGINATOR"] == "CARA"
        assert cdm.message_id == f.stem  # CARA names files by message id
        assert cdm.objects[0].object == "OBJECT1" and cdm.objects[1].object == "OBJECT2"
        assert cdm.objects[0].ref_frame == "EME2000"
        assert cdm.hbr_m is not None and cdm.hbr_m > 0  # 'COMMENT HBR = 20 [m]'
        for o in cdm.objects:
            c = o.cov_rtn
            assert c.shape == (6, 6) and np.all(np.isfinite(c)) and np.allclose(c, c.T)
            assert 6000 < np.linalg.norm(o.r_km) < 50000


def test_field_values_of_one_cdm():
    f = shared_path("collision_probability", "cara_PcTestCaseCDMs",
                    "000032060_conj_000044396_20221004_061656_20221003_054027.cdm")
    cdm = read_cdm(f)
    assert cdm.tca_text == "2022-10-04T06:16:56.963"
    assert cdm.tca.microsecond == 963000
    assert cdm.miss_distance_m == 502.0
    assert cdm.relative_speed_m_s == 14508.0
    np.testing.assert_allclose(cdm.relative_position_rtn_m, [27.7, -155.8, 476.5])
    assert cdm.hbr_m == 20.0
    assert cdm.objects[1].object_name == "LEMUR 2 LILLYJO"
    np.testing.assert_allclose(cdm.objects[0].r_km, [-1822.589735057619237, -2263.070826225083238,
                                                     6215.680237198473151])
    c = cdm.objects[0].cov_rtn
    assert c[1, 1] == pytest.approx(3.158057363534827717e06)
    assert c[3, 1] == pytest.approx(-3.490376919912864196e03)  # CRDOT_T
    assert c[5, 4] == pytest.approx(1.547197565330000037e-05)  # CNDOT_TDOT


def test_ccsds_samples_kvn_and_xml():
    d = shared_path("ccsds_samples", "cdm")
    x = read_cdm(d / "CDMExample1.xml")
    k = read_cdm(d / "cdm_362.kvn")  # uses the Unicode minus sign
    assert x.fmt == "xml" and k.fmt == "kvn"
    assert x.tca_text == k.tca_text == "2010-03-13T22:37:52.618"
    assert x.objects[0].object_designator == "12345"
    assert k.objects[0].v_km_s[2] == pytest.approx(-3.526774282)
    with pytest.raises(CdmError) as ei:
        read_cdm(d / "cdm_363.kvn")  # 'TRACKS USED = 119' (typo in the sample)
    assert ei.value.line == 57


@pytest.mark.parametrize("fmt", ["kvn", "xml"])
def test_round_trip_identical(fmt):
    files = _cara_cdms()[:20] + [shared_path("ccsds_samples", "cdm", "CDMExample1.xml")]
    for f in files:
        cdm = read_cdm(f)
        text = write_cdm(cdm, fmt)
        back = parse_cdm(text)
        assert back == cdm, f
        assert write_cdm(back, fmt) == text


@pytest.mark.parametrize("fmt", ["kvn", "xml"])
def test_independent_reader_ccsds_ndm_reads_our_output(fmt):
    from ccsds_ndm.ndm_io import NdmIo

    for f in _cara_cdms()[:8]:
        cdm = read_cdm(f)
        obj = NdmIo().from_string(write_cdm(cdm, fmt))
        rel = obj.body.relative_metadata_data
        assert rel.tca.startswith(cdm.tca_text)
        assert float(rel.miss_distance.value) == cdm.miss_distance_m
        for seg, o in zip(obj.body.segment, cdm.objects):
            assert seg.metadata.object_designator == o.object_designator
            sv = seg.data.state_vector
            np.testing.assert_allclose([float(sv.x.value), float(sv.y.value), float(sv.z.value)],
                                       o.r_km, rtol=1e-15)
            cm = seg.data.covariance_matrix
            assert float(cm.ct_t.value) == pytest.approx(o.cov_rtn[1, 1], rel=1e-15)
            assert float(cm.cndot_ndot.value) == pytest.approx(o.cov_rtn[5, 5], rel=1e-15)


def _minimal_kvn(**over):
    lines = {
        "CCSDS_CDM_VERS": "1.0", "CREATION_DATE": "2024-01-01T00:00:00", "ORIGINATOR": "TEST",
        "MESSAGE_ID": "X1", "TCA": "2024-01-02T00:00:00.000", "MISS_DISTANCE": "100 [m]",
    }
    text = "\n".join(f"{k} = {v}" for k, v in lines.items()) + "\n"
    for i in (1, 2):
        text += f"OBJECT = OBJECT{i}\nOBJECT_DESIGNATOR = {i}\nREF_FRAME = EME2000\n"
        text += "X = 7000 [km]\nY = 0 [km]\nZ = 0 [km]\nX_DOT = 0 [km/s]\nY_DOT = 7.5 [km/s]\nZ_DOT = 0 [km/s]\n"
        text += "CR_R = 100 [m**2]\nCT_R = 0 [m**2]\nCT_T = 100 [m**2]\nCN_R = 0 [m**2]\nCN_T = 0 [m**2]\nCN_N = 100 [m**2]\n"
    for k, v in over.items():
        text = text.replace(k, v, 1)
    return text


def test_errors_name_file_line_field():
    parse_cdm(_minimal_kvn(), source="ok.cdm")
    with pytest.raises(CdmError) as ei:
        parse_cdm(_minimal_kvn(**{"CT_T = 100 [m**2]": "CT_T = 100 [km**2]"}), source="a.cdm")
    assert ei.value.file == "a.cdm" and ei.value.field == "CT_T" and ei.value.line == 18
    with pytest.raises(CdmError) as ei:
        parse_cdm(_minimal_kvn(**{"X = 7000 [km]": "X = seven [km]"}), source="b.cdm")
    assert ei.value.field == "X" and ei.value.line == 10
    with pytest.raises(CdmError) as ei:
        parse_cdm(_minimal_kvn().split("OBJECT = OBJECT2")[0], source="c.cdm")
    assert "OBJECT" in str(ei.value)
    with pytest.raises(CdmError):
        parse_cdm(_minimal_kvn(**{"CCSDS_CDM_VERS = 1.0": "CCSDS_CDM_VERS = 3.0"}))


def test_version_2_and_hbr_keyword():
    text = _minimal_kvn(**{"CCSDS_CDM_VERS = 1.0": "CCSDS_CDM_VERS = 2.0"})
    text = text.replace("CR_R = 100", "HBR = 3 [m]\nCR_R = 100")
    cdm = parse_cdm(text)
    assert cdm.version == "2.0" and cdm.hbr_m == 6.0
    for fmt in ("kvn", "xml"):
        assert parse_cdm(write_cdm(cdm, fmt)) == cdm
