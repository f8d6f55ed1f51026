"""Collision-probability benchmark and CARA agreement report.

    .venv/bin/python benchmarks/pc.py [--n 200000] [--cara [--mc]] [--alfano]

1. Throughput of the vectorised Foster 2D-Pc (``pc_circle``) on n conjunctions built from the
   20 CARA reference CDMs with random miss offsets, against a plain baseline measured in the
   same run: the same function called once per conjunction in a Python loop.
2. ``--cara``: Pc2D, Nc2D, Nc3D against CARA's values on the 20 reference CDMs, with
   timings; with ``--mc`` also the Monte Carlo Pc (1e5 samples, default estimator: importance
   sampling below a linearised Pc of 1e-3) and whether its 95% interval overlaps CARA's SDMC
   interval.
3. ``--alfano``: Alfano (2009) cases 1-12, 2D and 3D, against CARA's unit-test values.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from orbitwatch.collision.pc2d import pc_circle  # noqa: E402
from tests.collision.cara_cases import alfano_case, cara_conjunction, cara_rows, unit_test_refs  # noqa: E402


def throughput(n: int) -> None:
    rng = np.random.default_rng(0)
    cs = [cara_conjunction(r) for r in cara_rows()]
    idx = rng.integers(0, len(cs), n)
    r1 = np.array([cs[i].r1 for i in idx])
    v1 = np.array([cs[i].v1 for i in idx])
    r2 = np.array([cs[i].r2 for i in idx]) + rng.normal(0, 200.0, (n, 3))
    v2 = np.array([cs[i].v2 for i in idx])
    c1 = np.array([cs[i].cov1[:3, :3] for i in idx])
    c2 = np.array([cs[i].cov2[:3, :3] for i in idx])
    hbr = np.array([cs[i].hbr_m for i in idx])
    pc_circle(r1[:10], v1[:10], c1[:10], r2[:10], v2[:10], c2[:10], hbr[:10])  # warm-up
    t0 = time.perf_counter()
    res = pc_circle(r1, v1, c1, r2, v2, c2, hbr)
    tv = time.perf_counter() - t0
    m = min(2000, n)
    t0 = time.perf_counter()
    loop = np.array([pc_circle(r1[k], v1[k], c1[k], r2[k], v2[k], c2[k], hbr[k]).pc[0] for k in range(m)])
    tl = time.perf_counter() - t0
    assert np.allclose(loop, res.pc[:m], rtol=1e-12, atol=0)
    print(f"2D-Pc vectorised: {n} conjunctions in {tv:.3f} s = {n / tv:,.0f} /s")
    print(f"baseline (per-conjunction call loop): {m} in {tl:.3f} s = {m / tl:,.0f} /s")
    print(f"speed-up vs baseline: {(n / tv) / (m / tl):.1f}x")


def cara(mc: bool) -> None:
    from orbitwatch.collision.montecarlo import pc_monte_carlo
    from orbitwatch.collision.nc3d import nc_2d_hall, nc_3d_hall

    worst = {"pc2d": 0.0, "nc2d": 0.0, "nc3d": 0.0}
    n_overlap = 0
    for i, row in enumerate(cara_rows()):
        c = cara_conjunction(row)
        p = pc_circle(c.r1, c.v1, c.cov1, c.r2, c.v2, c.cov2, c.hbr_m).pc[0]
        t0 = time.perf_counter()
        n3 = nc_3d_hall(c.r1, c.v1, c.cov1, c.r2, c.v2, c.cov2, c.hbr_m)
        t3 = time.perf_counter() - t0
        n2 = nc_2d_hall(c.r1, c.v1, c.cov1, c.r2, c.v2, c.cov2, c.hbr_m)
        e = {k: float(row[k]) for k in ("Pc2D", "Nc2D", "Nc3D")}
        rel = {"pc2d": p / e["Pc2D"] - 1, "nc2d": n2.value / e["Nc2D"] - 1, "nc3d": n3.value / e["Nc3D"] - 1}
        for k in worst:
            worst[k] = max(worst[k], abs(rel[k]))
        line = (f"{i:2d} {row['Conjunction_ID'][:40]} Pc2D {p:.4e} ({rel['pc2d']:+.1e}) "
                f"Nc2D {n2.value:.4e} ({rel['nc2d']:+.1e}) Nc3D {n3.value:.4e} ({rel['nc3d']:+.1e}, {t3:.1f} s)")
        if mc:
            m = pc_monte_carlo(c.r1, c.v1, c.cov1, c.r2, c.v2, c.cov2, c.hbr_m,
                               max_samples=100_000, min_samples=100_000, time_budget_s=60)
            lo, hi = float(row["PcSDMCLo"]), float(row["PcSDMCHi"])
            ov = m.ci95_low <= hi and lo <= m.ci95_high
            n_overlap += ov
            kind = "IS" if m.method.endswith("importance") else "plain"
            line += (f" MC({kind}) {m.value:.4e} [{m.ci95_low:.4e},{m.ci95_high:.4e}] n={m.samples} "
                     f"{m.elapsed_s:.1f} s CARA SDMC [{lo:.4e},{hi:.4e}] overlap={ov}")
        print(line, flush=True)
    print("worst |relative difference|:", {k: f"{v:.2e}" for k, v in worst.items()})
    if mc:
        print(f"Monte Carlo intervals overlapping CARA's SDMC: {n_overlap}/20")


def alfano() -> None:
    from orbitwatch.collision.nc3d import nc_3d_hall

    ref = unit_test_refs()["alfano_2009_cases"]
    for n in range(1, 13):
        r1, v1, C1, r2, v2, C2 = alfano_case(n)
        H, T = ref["HBR_m"][n - 1], ref["TLimit_s"][n - 1]
        p = pc_circle(r1, v1, C1, r2, v2, C2, H).pc[0]
        t0 = time.perf_counter()
        r = nc_3d_hall(r1, v1, C1, r2, v2, C2, H, t_initial=(-T, T), t_limits=(-T, T), neph=1000)
        e2, e3 = ref["expected_Pc2D_PcCircle_Foster_Elrod"][n - 1], ref["expected_Pc3D_Hall"][n - 1]
        r2s = f"{p / e2 - 1:+.1e}" if e2 else "n/a"
        print(f"Alfano {n:2d}: Pc2D {p:.6e} ({r2s})  Pc3D {r.value:.6e} vs {e3:.6e} "
              f"({r.value / e3 - 1:+.1e}) {time.perf_counter() - t0:.0f} s {r.warnings}", flush=True)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--cara", action="store_true")
    ap.add_argument("--mc", action="store_true")
    ap.add_argument("--alfano", action="store_true")
    a = ap.parse_args()
    throughput(a.n)
    if a.cara:
        cara(a.mc)
    if a.alfano:
        alfano()
