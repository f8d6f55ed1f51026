"""Monte Carlo Pc: interval overlap with CARA's SDMC on the reference CDMs where plain Monte
Carlo is feasible in seconds (Pc >= 1e-3: rows 0, 3, 7 here; 0-9 in benchmarks/pc.py), and the Clopper-Pearson
interval against scipy's exact binomial test."""

from __future__ import annotations

import pytest
from scipy import stats

from orbitwatch.collision.montecarlo import clopper_pearson, pc_monte_carlo
from tests.collision.cara_cases import cara_conjunction, cara_rows


@pytest.mark.parametrize("i", [0, 3, 7])
def test_interval_overlaps_cara_sdmc(i):
    row = cara_rows()[i]
    c = cara_conjunction(row)
    res = pc_monte_carlo(c.r1, c.v1, c.cov1, c.r2, c.v2, c.cov2, c.hbr_m, seed=1,
                         max_samples=150_000, min_samples=150_000, time_budget_s=60)
    lo, hi = float(row["PcSDMCLo"]), float(row["PcSDMCHi"])
    assert res.samples == 150_000 and res.hits > 100
    assert res.ci95_low <= hi and lo <= res.ci95_high, (res, lo, hi)


def test_seeded_reproducible():
    c = cara_conjunction(cara_rows()[0])
    a = pc_monte_carlo(c.r1, c.v1, c.cov1, c.r2, c.v2, c.cov2, c.hbr_m, seed=5, max_samples=20_000,
                       min_samples=20_000)
    b = pc_monte_carlo(c.r1, c.v1, c.cov1, c.r2, c.v2, c.cov2, c.hbr_m, seed=5, max_samples=20_000,
                       min_samples=20_000)
    assert a.hits == b.hits and a.value == b.value


@pytest.mark.parametrize("k,n", [(0, 1000), (1, 1000), (37, 100_000), (1000, 1000)])
def test_clopper_pearson_matches_scipy(k, n):
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
    lo, hi = clopper_pearson(k, n)
    assert lo == pytest.approx(ci.low, abs=1e-12) and hi == pytest.approx(ci.high, abs=1e-12)
