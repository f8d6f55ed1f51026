"""Interpolated samples of the all-vs-all screen against SGP4 itself.

The screen propagates quiet near-Earth objects every second sample and uses
the cubic Hermite midpoint in between, padding every bound by
``interpolation_error_km``.  These tests measure, on real catalogs, that the
midpoint really stays that close to SGP4 and that the measured part of the
bound (the change of SGP4's velocity-output error over one span) stays under
its cap, and that ``propagate_chunk`` returns SGP4's own positions at the
exact samples and for an object that fails inside a chunk.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import numpy as np
from sgp4.api import SatrecArray

from orbitwatch.screening.engine import Job, propagate_chunk, satrec_recipe
from orbitwatch.screening.filters import (
    DV_CHANGE_CAP_KM_S,
    INTERP_MAX_AGE_DAYS,
    hermite_midpoint,
    interpolable_mask,
    interpolation_error_km,
)
from tests.conftest import shared_path

sys.path.insert(0, str(Path(__file__).parent))
from oracle import START_2018, START_2026, _jd, load_keeptrack, load_omm_csv  # noqa: E402

KEEPTRACK_2018 = ("catalog", "keeptrack", "TLE_2018-08-20_keeptrack.json")
ACTIVE_2026 = ("catalog", "celestrak_active_gp_2026-07-10.csv")
SPAN_S = 120.0  # two 60 s screening steps


def _worst_midpoint_and_dv_change(sats, start, days: float, n_times: int):
    """Largest |Hermite midpoint - SGP4| (km) and |dv(t0) - dv(t0 + span)| (km/s)."""
    arr = SatrecArray(sats)
    jd0, fr0 = _jd(start)
    fd = 0.5
    worst_mid = 0.0
    worst_dv = 0.0
    for t in np.linspace(0.0, days * 86400.0, n_times):
        tt = np.array([t - fd, t, t + fd, t + SPAN_S / 2, t + SPAN_S - fd, t + SPAN_S, t + SPAN_S + fd])
        e, r, v = arr.sgp4(np.full(tt.size, jd0), fr0 + tt / 86400.0)
        ok = (e == 0).all(axis=1)
        mid = hermite_midpoint(r[:, 1], v[:, 1], r[:, 5], v[:, 5], SPAN_S)
        err = np.linalg.norm(mid - r[:, 3], axis=1)[ok]
        dv0 = (r[:, 2] - r[:, 0]) / (2 * fd) - v[:, 1]
        dv1 = (r[:, 6] - r[:, 4]) / (2 * fd) - v[:, 5]
        change = np.linalg.norm(dv0 - dv1, axis=1)[ok]
        if err.size:
            worst_mid = max(worst_mid, float(err.max()))
            worst_dv = max(worst_dv, float(change.max()))
    return worst_mid, worst_dv


def test_hermite_midpoint_stays_within_the_bound_on_real_catalogs():
    rng = np.random.default_rng(11)
    s18 = load_keeptrack(shared_path(*KEEPTRACK_2018))
    q18 = [s for s, q in zip(s18, interpolable_mask(s18)) if q]
    # the quiet objects with the most drag and the most eccentric ones, plus a random sample
    by_drag = sorted(q18, key=lambda s: -abs(s.bstar))[:150]
    by_ecc = sorted(q18, key=lambda s: -s.ecco)[:150]
    deep18 = [s for s in q18 if s.method == "d"]
    pick18 = (by_drag + by_ecc + [deep18[k] for k in rng.choice(len(deep18), 400, replace=False)]
              + [q18[k] for k in rng.choice(len(q18), 1200, replace=False)])
    s26 = load_omm_csv(shared_path(*ACTIVE_2026))
    q26 = [s for s, q in zip(s26, interpolable_mask(s26)) if q]
    pick26 = (sorted(q26, key=lambda s: -abs(s.bstar))[:150] + [s for s in q26 if s.method == "d"]
              + [q26[k] for k in rng.choice(len(q26), 1200, replace=False)])
    bound = interpolation_error_km(SPAN_S)
    assert 0.1 < bound < 0.25  # the pad the screen adds per object at h = 60 s
    # a week from the catalogs' epochs, and the last days of the 30-day age limit
    late = START_2018 + timedelta(days=INTERP_MAX_AGE_DAYS - 2.0)
    for sats, start, days in ((pick18, START_2018, 7.0), (pick26, START_2026, 7.0), (pick18, late, 2.0)):
        mid, dv = _worst_midpoint_and_dv_change(sats, start, days=days, n_times=60)
        assert mid < bound / 2, (mid, bound)
        assert dv < DV_CHANGE_CAP_KM_S / 2, (dv, DV_CHANGE_CAP_KM_S)
        assert mid > 1e-4  # the comparison is live: interpolation is not exact


def test_interpolable_class_excludes_eccentric_deep_space_high_drag_and_old_sets():
    sats = load_keeptrack(shared_path(*KEEPTRACK_2018))
    jd0, fr0 = _jd(START_2018)
    far = jd0 + fr0 + 60.0
    assert not interpolable_mask(sats, window_jd=(far, far + 1.0)).any()  # two months on
    mask = interpolable_mask(sats, window_jd=(jd0 + fr0, jd0 + fr0 + 7.0))
    by_id = {s.satnum: (s, q) for s, q in zip(sats, mask)}
    assert by_id[25544][1]  # ISS
    assert not by_id[43205][1]  # eccentric, high drag (the large perturbation cap)
    assert not by_id[36062][1]  # |B*| 1.3e-3, decaying
    assert not any(q for s, q in zip(sats, mask) if s.method == "d" and s.ecco >= 0.5)
    assert any(q for s, q in zip(sats, mask) if s.method == "d")  # GEO, GNSS, Molniya-like below e = 0.5
    assert 0.6 < mask.mean() < 0.95


def test_propagate_chunk_returns_sgp4_positions_and_handles_a_decay():
    sats = load_keeptrack(shared_path(*KEEPTRACK_2018), {25544, 24872, 5, 11, 900, 26559})
    quiet = interpolable_mask(sats)
    order = np.argsort(~quiet, kind="stable")
    sats = [sats[k] for k in order]
    nq = int(quiet.sum())
    ids = [s.satnum for s in sats]
    assert 24872 in ids[:nq]  # the decaying object is in the interpolated class
    jd0, fr0 = _jd(START_2018)
    h = 60.0
    job = Job(recipes=[satrec_recipe(s) for s in sats], jd0=jd0, fr0=fr0, step_s=h,
              n_steps=1800, threshold_km=5.0, chunk_steps=60, n_interp=nq)
    # 24872 decays after about 27 h: chunk 1620..1680 contains the failure
    e_scan, _, _ = sats[ids.index(24872)].sgp4_array(np.full(1801, jd0), fr0 + np.arange(1801) * h / 86400.0)
    k_fail = int(np.argmax(e_scan != 0))
    for k0, k1 in ((0, 60), (120, 181), (k_fail - 30, k_fail + 30)):
        rt, err, valid, u = propagate_chunk(job, k0, k1)
        assert u == interpolation_error_km(2 * h)
        ks = np.arange(k0, k1 + 1)
        e, r, _ = SatrecArray(sats).sgp4(np.full(ks.size, jd0), fr0 + ks * h / 86400.0)
        exact_valid = (e == 0) & np.isfinite(r).all(axis=2)
        diff = np.linalg.norm(rt.transpose(1, 0, 2) - r, axis=2)
        both = valid & exact_valid
        even = (ks - k0) % 2 == 0
        even[-1] = True
        assert np.all(diff[:nq][both[:nq] & even[None, :]] < 1e-9)  # exact samples of the quiet objects
        assert np.all(diff[nq:][both[nq:]] < 1e-9)  # every sample of the other objects
        assert np.all(diff[both] < u)  # interpolated samples
        # every sample SGP4 can evaluate before the first failure is valid; none after it
        for o in range(len(sats)):
            first_bad = int(np.argmin(exact_valid[o])) if not exact_valid[o].all() else ks.size
            assert valid[o, :first_bad].all()
            assert not valid[o, first_bad:first_bad + 1].any()
        if k0 == k_fail - 30:
            o = ids.index(24872)
            assert not exact_valid[o].all() and exact_valid[o, 0]
            assert err[o, int(np.argmin(exact_valid[o]))] != 0


def test_screen_with_interpolation_returns_the_events_of_exact_sampling(monkeypatch):
    """Same events, TCA and miss with and without interpolated samples (odd span, odd last chunk)."""
    from datetime import timedelta

    import orbitwatch.screening as screening_pkg
    from orbitwatch.screening import screen

    sats = load_keeptrack(shared_path(*KEEPTRACK_2018))
    rng = np.random.default_rng(5)
    leo = [s for s in sats if s.method == "n" and s.no_kozai * 1440 / (2 * np.pi) > 11.0]
    pick = [leo[k] for k in rng.choice(len(leo), 2500, replace=False)]
    span = 5 * 3600.0 + 7 * 60.0 + 13.0  # not a multiple of the step; last chunk of odd length
    with_interp = screen(pick, START_2018 + timedelta(minutes=3), span, 10.0, chunk_steps=37)
    assert sum(interpolable_mask(pick)) > 2000  # the path under test is taken
    monkeypatch.setattr(screening_pkg, "interpolable_mask",
                        lambda sats_, p_obj=None, window_jd=None: np.zeros(len(sats_), dtype=bool))
    exact = screen(pick, START_2018 + timedelta(minutes=3), span, 10.0, chunk_steps=37)
    assert len(exact.conjunctions) > 20
    a = [(c.object_1, c.object_2, c.tca, c.miss_distance_km) for c in with_interp.conjunctions]
    b = [(c.object_1, c.object_2, c.tca, c.miss_distance_km) for c in exact.conjunctions]
    assert [x[:2] for x in a] == [x[:2] for x in b]
    assert all(abs((x[2] - y[2]).total_seconds()) < 1e-6 and abs(x[3] - y[3]) < 1e-9 for x, y in zip(a, b))
    assert with_interp.stats.candidate_intervals >= exact.stats.candidate_intervals  # the pad only adds
