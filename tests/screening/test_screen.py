"""Conjunction screening against an independent brute-force search on real catalogs.

The oracle (``oracle.py``) samples every pair every 5 s and refines with
scipy; the screen must return the same set of events with TCA within 1 ms
and miss distance within 1 m.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from sgp4.api import WGS72, Satrec

from orbitwatch.screening import screen
from orbitwatch.screening.filters import (
    MU_KM3_S2,
    P_BOUND_KM_S2,
    perturbation_bounds_km_s2,
    window_radius_band_km,
)
from tests.conftest import shared_path

sys.path.insert(0, str(Path(__file__).parent))
from oracle import START_2018, START_2026, brute_force, load_keeptrack, load_omm_csv, match  # noqa: E402

KEEPTRACK_2018 = ("catalog", "keeptrack", "TLE_2018-08-20_keeptrack.json")
ACTIVE_2026 = ("catalog", "celestrak_active_gp_2026-07-10.csv")

# LEO objects with approaches in the first hours of 2018-08-20 (found by a
# preliminary screen of the first 3,000 catalog entries) and the ISS with its
# docked / visiting vehicles.
LEO_2018 = {2432, 4706, 5174, 5705, 3081, 8560, 6847, 7058, 141, 4718,
            25544, 43211, 43238, 43493, 43537, 5, 11, 12, 900, 902}
GEO_2018 = {26559, 32019, 41903, 42951, 37776, 37207}


@pytest.fixture(scope="module")
def leo_2018():
    return load_keeptrack(shared_path(*KEEPTRACK_2018), LEO_2018)


@pytest.fixture(scope="module")
def starlink_2026():
    path = shared_path(*ACTIVE_2026)
    sats = []
    for prefix in ("2026-138", "2026-143", "2026-145"):  # batches weeks after launch
        sats += load_omm_csv(path, prefix)
    return sats


def _assert_same(ours, oracle):
    missing, extra = match(ours, oracle)
    assert not missing, f"screen missed {len(missing)} oracle events, e.g. {missing[:3]}"
    assert not extra, f"screen reported {len(extra)} events the oracle lacks, e.g. {extra[:3]}"


def test_leo_subset_matches_brute_force(leo_2018):
    res = screen(leo_2018, START_2018, 6 * 3600, 5.0)
    oracle = brute_force(leo_2018, START_2018, 6 * 3600, 5.0)
    assert len(oracle) >= 3, "subset must contain real close approaches"
    _assert_same(res.conjunctions, oracle)
    for c in res.conjunctions:
        assert c.object_1 < c.object_2
        assert c.tca.utcoffset() == timedelta(0)
        # RTN is a rotation of the TEME miss vector: same length, R along r1
        rtn = np.array(c.miss_rtn_km)
        assert np.linalg.norm(rtn) == pytest.approx(c.miss_distance_km, abs=1e-9)
        r1 = np.array(c.r1_teme_km)
        assert rtn[0] == pytest.approx(np.dot(c.relative_position_km, r1 / np.linalg.norm(r1)), abs=1e-9)
        assert np.linalg.norm(c.relative_velocity_km_s) == pytest.approx(c.relative_speed_km_s)
    # the ISS's docked vehicles share one element set in this catalog
    pairs = set(res.stats.identical_element_pairs)
    assert (43211, 43238) in pairs


def test_coorbiting_starlink_batches_several_minima(starlink_2026):
    res = screen(starlink_2026, START_2026, 6 * 3600, 10.0)
    oracle = brute_force(starlink_2026, START_2026, 6 * 3600, 10.0)
    _assert_same(res.conjunctions, oracle)
    per_pair = {}
    for c in res.conjunctions:
        per_pair[(c.object_1, c.object_2)] = per_pair.get((c.object_1, c.object_2), 0) + 1
    assert max(per_pair.values()) >= 3, "a co-orbiting pair should show several minima"
    assert min(c.relative_speed_km_s for c in res.conjunctions) < 0.05


def test_geo_neighbours_match_brute_force():
    sats = load_keeptrack(shared_path(*KEEPTRACK_2018), GEO_2018)
    res = screen(sats, START_2018, 86400, 200.0)
    oracle = brute_force(sats, START_2018, 86400, 200.0, step_s=20.0)
    assert oracle
    _assert_same(res.conjunctions, oracle)


def test_decaying_object_reported_once_and_screened_until_decay(leo_2018):
    decaying = load_keeptrack(shared_path(*KEEPTRACK_2018), {24872})[0]
    sats = leo_2018 + [decaying]
    span = 30 * 3600  # 24872 decays after about 27 h
    res = screen(sats, START_2018, span, 5.0)
    fails = [f for f in res.failures if f.object_id == 24872]
    assert len(fails) == 1
    # independent: first failing second from a 1-s scan
    from oracle import _jd
    jd0, fr0 = _jd(START_2018)
    t = np.arange(0, span, 1.0)
    e, _, _ = decaying.sgp4_array(np.full(t.size, jd0), fr0 + t / 86400.0)
    t_fail = t[np.argmax(e != 0)]
    got = (fails[0].time - START_2018).total_seconds()
    assert t_fail <= got <= t_fail + 61.0
    assert fails[0].code == int(e[np.argmax(e != 0)])
    assert all(c.tca < fails[0].time for c in res.conjunctions if 24872 in (c.object_1, c.object_2))


def test_window_edges(leo_2018):
    oracle = brute_force(leo_2018, START_2018, 6 * 3600, 5.0)
    ev = oracle[len(oracle) // 2]
    pair = [s for s in leo_2018 if s.satnum in ev[:2]]

    def found(start, end):
        res = screen(pair, start, (end - start).total_seconds(), 5.0)
        return [c for c in res.conjunctions if abs((c.tca - ev[2]).total_seconds()) < 1e-3]

    tca = ev[2]
    assert found(tca - timedelta(seconds=2), tca + timedelta(seconds=2))
    assert found(tca - timedelta(hours=1), tca + timedelta(seconds=0.5))
    assert found(tca - timedelta(seconds=0.5), tca + timedelta(hours=1))
    assert not found(tca - timedelta(hours=1), tca - timedelta(seconds=0.5))  # still approaching
    assert not found(tca + timedelta(seconds=0.5), tca + timedelta(hours=1))  # already receding


def test_duplicates(leo_2018):
    base = [s for s in leo_2018 if s.satnum in (5174, 5705)]
    clone_src = base[0]
    clone = Satrec()
    clone.sgp4init(WGS72, "i", 99999, (clone_src.jdsatepoch - 2433281.5) + clone_src.jdsatepochF,
                   clone_src.bstar, clone_src.ndot, clone_src.nddot, clone_src.ecco, clone_src.argpo,
                   clone_src.inclo, clone_src.mo, clone_src.no_kozai, clone_src.nodeo)
    res1 = screen(base, START_2018, 6 * 3600, 5.0)
    res2 = screen(base + [base[1], clone], START_2018, 6 * 3600, 5.0)
    assert 5705 in res2.stats.duplicate_ids_dropped
    assert res2.stats.identical_element_pairs == [(5174, 99999)]
    assert len(res1.conjunctions) >= 1
    assert not [c for c in res2.conjunctions if (c.object_1, c.object_2) == (5174, 99999)]
    with_clone = [c for c in res2.conjunctions if 99999 in (c.object_1, c.object_2)]
    assert len(with_clone) == len(res1.conjunctions)
    for a, b in zip(res1.conjunctions, with_clone):
        assert abs((a.tca - b.tca).total_seconds()) < 1e-3
        assert a.miss_distance_km == pytest.approx(b.miss_distance_km, abs=1e-6)


def test_primary_mode_equals_all_vs_all_subset(leo_2018):
    allv = screen(leo_2018, START_2018, 6 * 3600, 5.0)
    prim = screen(leo_2018, START_2018, 6 * 3600, 5.0, primaries=[4706])
    expect = [c for c in allv.conjunctions if 4706 in (c.object_1, c.object_2)]
    assert expect
    assert len(prim.conjunctions) == len(expect)
    for c, e in zip(prim.conjunctions, expect):
        assert c.object_1 == 4706
        assert {c.object_2} == {e.object_1, e.object_2} - {4706}
        assert c.tca == e.tca
        assert c.miss_rtn_km != e.miss_rtn_km or c.object_1 == e.object_1


def test_dask_backend_returns_the_same_events(starlink_2026):
    distributed = pytest.importorskip("distributed")
    sats = starlink_2026[:30]
    local = screen(sats, START_2026, 3 * 3600, 10.0, chunk_steps=30)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        remote = screen(sats, START_2026, 3 * 3600, 10.0, backend="dask", scheduler=client,
                        chunk_steps=30)
    assert local.conjunctions
    assert remote.conjunctions == local.conjunctions
    assert remote.failures == local.failures


def test_local_process_pool_returns_the_same_events(leo_2018):
    one = screen(leo_2018, START_2018, 3 * 3600, 5.0, chunk_steps=30)
    two = screen(leo_2018, START_2018, 3 * 3600, 5.0, chunk_steps=30, workers=2)
    assert one.conjunctions == two.conjunctions


def test_non_keplerian_acceleration_stays_below_the_cap():
    """Finite differences of SGP4 output: |r'' + mu r/|r|^3| <= cap / 2 for every object.

    Includes the worst objects of the 2018 catalog (eccentric, high drag).
    """
    sats = load_keeptrack(shared_path(*KEEPTRACK_2018))
    rng = np.random.default_rng(7)
    pick = [s for s in sats if s.satnum in (43205, 41685, 24872, 36062)]
    pick += [sats[k] for k in rng.choice(len(sats), 300, replace=False)]
    cap = perturbation_bounds_km_s2(pick)
    from oracle import _jd
    jd0, fr0 = _jd(START_2018)
    hh = 0.5
    worst = 0.0
    for s, c in zip(pick, cap):
        t = np.arange(0.0, 6 * 3600, 37.0)
        offs = np.array([-2, -1, 0, 1, 2]) * hh
        tt = (t[:, None] + offs[None, :]).ravel()
        e, r, _ = s.sgp4_array(np.full(tt.size, jd0), fr0 + tt / 86400.0)
        r = r.reshape(t.size, 5, 3)
        good = (e.reshape(t.size, 5) == 0).all(axis=1)
        acc = (-r[:, 4] + 16 * r[:, 3] - 30 * r[:, 2] + 16 * r[:, 1] - r[:, 0]) / (12 * hh * hh)
        rr = r[:, 2]
        rho = np.linalg.norm(rr, axis=1)
        resid = np.linalg.norm(acc + MU_KM3_S2 * rr / rho[:, None] ** 3, axis=1)[good]
        if resid.size:
            worst = max(worst, float(resid.max() / c))
    assert worst < 0.5, worst
    assert P_BOUND_KM_S2 < 2e-4


def test_radius_band_covers_sgp4_excursions():
    """Every object stays inside its window radius band for a week (primaries prefilter).

    Random catalog objects plus decaying (36062, 24872), eccentric high-drag
    (43205, 41685) and deep-space objects.
    """
    sats = load_keeptrack(shared_path(*KEEPTRACK_2018))
    rng = np.random.default_rng(3)
    pick = [s for s in sats if s.satnum in (36062, 24872, 43205, 41685)]
    pick += [s for s in sats if s.method == "d"][::60]
    pick += [sats[k] for k in rng.choice(len(sats), 300, replace=False)]
    from oracle import _jd
    jd0, fr0 = _jd(START_2018)
    span = 7 * 86400.0
    lo, hi = window_radius_band_km(pick, jd0, fr0, span)
    t = np.arange(0, span + 1, 300.0)
    for s, lo_k, hi_k in zip(pick, lo, hi):
        e, r, _ = s.sgp4_array(np.full(t.size, jd0), fr0 + t / 86400.0)
        rho = np.linalg.norm(r[e == 0], axis=1)
        if rho.size:
            assert lo_k <= rho.min() and rho.max() <= hi_k, s.satnum


def test_primary_interval_bound_is_a_lower_bound():
    """The primaries-mode bound over long (960 s .. 60 s) intervals never exceeds the true minimum.

    ISS and 200 random catalog objects plus the eccentric high-drag ones;
    the minimum of |d| sampled every 2 s is an upper bound on the true
    minimum, so a bound above it would be a proven violation.
    """
    from oracle import _jd

    from orbitwatch.screening.engine import primary_interval_lower_km

    sats = load_keeptrack(shared_path(*KEEPTRACK_2018))
    rng = np.random.default_rng(11)
    iss = next(s for s in sats if s.satnum == 25544)
    pick = [s for s in sats if s.satnum in (43205, 41685, 36062)]
    pick += [sats[k] for k in rng.choice(len(sats), 200, replace=False)]
    cap = perturbation_bounds_km_s2(pick)
    p_iss = float(perturbation_bounds_km_s2([iss])[0])
    jd0, fr0 = _jd(START_2018)
    t = np.arange(0.0, 3 * 3600 + 1, 2.0)
    e0, r0, _ = iss.sgp4_array(np.full(t.size, jd0), fr0 + t / 86400.0)
    tight = 0
    for s, c in zip(pick, cap):
        e1, r1, _ = s.sgp4_array(np.full(t.size, jd0), fr0 + t / 86400.0)
        d = r1 - r0
        dist = np.linalg.norm(d, axis=1)
        good = (e0 == 0) & (e1 == 0)
        for n_s in (480, 240, 120, 30):  # 960, 480, 240, 60 s
            a = np.arange(0, t.size - n_s, n_s // 2)
            b = a + n_s
            ok = np.array([good[x:y + 1].all() for x, y in zip(a, b)])
            a, b = a[ok], b[ok]
            if not a.size:
                continue
            lower = primary_interval_lower_km(d[a], d[b], np.full(a.size, t[n_s] - t[0]),
                                              np.full(a.size, c + p_iss))
            true_min = np.array([dist[x:y + 1].min() for x, y in zip(a, b)])
            assert (lower <= true_min).all(), s.satnum
            tight += int((lower > true_min - 50.0).sum())
    assert tight > 0  # the bound is not vacuous


def test_primary_mode_iss_day_equals_all_vs_all_subset(leo_2018):
    allv = screen(leo_2018, START_2018, 86400.0, 5.0)
    prim = screen(leo_2018, START_2018, 86400.0, 5.0, primaries=[25544])
    expect = [c for c in allv.conjunctions if 25544 in (c.object_1, c.object_2)]
    assert expect
    got = sorted((c.object_2, c.tca) for c in prim.conjunctions)
    want = sorted(({c.object_1, c.object_2} - {25544}).pop() for c in expect)
    assert [g[0] for g in got] == want
    for c in prim.conjunctions:
        e = next(x for x in expect if c.object_2 in (x.object_1, x.object_2) and x.tca == c.tca)
        assert c.miss_distance_km == pytest.approx(e.miss_distance_km, abs=1e-9)


def test_primary_mode_screens_up_to_a_decay_inside_a_coarse_interval():
    """24872 decays (SGP4 error 6) at 03:20 on 2018-08-21; with the window starting at 02:01
    its coarse samples are 03:05 and 03:21, and an approach at 03:06 lies between them.
    Primaries mode must find every event of 24872 that the all-vs-all screen finds and
    report the same failure instant."""
    ids = LEO_2018 | {24872, 25289, 27451, 25432}
    sats = load_keeptrack(shared_path(*KEEPTRACK_2018), ids)
    start = START_2018 + timedelta(hours=26, minutes=1)
    allv = screen(sats, start, 7200.0, 2000.0)
    prim = screen(sats, start, 7200.0, 2000.0, primaries=[24872])
    want = sorted((c.tca, ({c.object_1, c.object_2} - {24872}).pop(), round(c.miss_distance_km, 6))
                  for c in allv.conjunctions if 24872 in (c.object_1, c.object_2))
    got = sorted((c.tca, c.object_2, round(c.miss_distance_km, 6)) for c in prim.conjunctions)
    assert want and got == want
    assert any(start + timedelta(minutes=64) < t < start + timedelta(minutes=80) for t, _, _ in got)
    fa = [f.time for f in allv.failures if f.object_id == 24872]
    fp = [f.time for f in prim.failures if f.object_id == 24872]
    assert fa and fa == fp
