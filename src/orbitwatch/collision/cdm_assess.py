"""All Pc methods for one CCSDS CDM, as a plain dict (what ``orbitwatch pc`` prints and the
service can return)."""

from __future__ import annotations

import math

import numpy as np

from orbitwatch.collision.encounter import conjunction_from_cdm
from orbitwatch.collision.hbr import DEFAULT_COMBINED_HBR_M
from orbitwatch.collision.risk import RiskThresholds, risk_tier

__all__ = ["ALL_METHODS", "assess_cdm"]

ALL_METHODS = ("pc2d", "nc2d", "nc3d", "mc", "max")


def _num(x):
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _cov_checks(conj) -> list[str]:
    out = []
    for i, C in enumerate((conj.cov1, conj.cov2)):
        w = np.linalg.eigvalsh(0.5 * (C[:3, :3] + C[:3, :3].T))
        if w[0] <= 0:
            out.append(f"object {i + 1} position covariance not positive definite "
                       f"(min eigenvalue {w[0]:.3g} m^2)")
        w6 = np.linalg.eigvalsh(0.5 * (C + C.T))
        if w6[0] < -1e-9 * abs(w6[-1]) and w[0] > 0:
            out.append(f"object {i + 1} 6x6 covariance not positive semi-definite "
                       f"(min eigenvalue {w6[0]:.3g}); Monte Carlo samples with negative "
                       "eigenvalues set to zero")
        if np.allclose(C[3:, 3:], 0):
            out.append(f"object {i + 1} has no velocity covariance")
    return out


def assess_cdm(cdm, *, hbr_m: float | None = None, hbr_table=None,
               methods=ALL_METHODS, default_hbr_m: float = DEFAULT_COMBINED_HBR_M,
               mc_seed: int = 0, mc_max_samples: int = 1_000_000, mc_time_budget_s: float = 5.0,
               thresholds: RiskThresholds = RiskThresholds(), file: str | None = None) -> dict:
    """Evaluate the requested methods on a parsed CDM.

    HBR precedence: ``hbr_m`` (source 'cli') > the CDM's ``COMMENT HBR`` / HBR keywords
    ('cdm') > ``hbr_table`` by OBJECT_DESIGNATOR ('table') > ``default_hbr_m`` ('default')."""
    from orbitwatch.collision.montecarlo import pc_monte_carlo
    from orbitwatch.collision.nc3d import coppola_bounds, nc_2d_hall, nc_3d_hall
    from orbitwatch.collision.pc2d import pc_circle
    from orbitwatch.collision.pcmax import pc_max_covariance_scaling, pc_max_no_covariance

    methods = tuple(methods)
    warnings: list[str] = []
    if hbr_m is not None:
        hbr, src = float(hbr_m), "cli"
    elif cdm.hbr_m is not None:
        hbr, src = float(cdm.hbr_m), "cdm"
    else:
        hbr, src = default_hbr_m, "default"
        if hbr_table is not None:
            try:
                ids = [int(o.object_designator) for o in cdm.objects]
                h, s = hbr_table.combined_hbr_m(ids[0], ids[1], default_hbr_m)
                hbr, src = h, s
            except (TypeError, ValueError):
                pass
        if src == "default":
            warnings.append(f"no HBR given or in the CDM: default {default_hbr_m:g} m used")
    conj = conjunction_from_cdm(cdm, hbr)
    warnings += conj.warnings
    warnings += _cov_checks(conj)
    o1, o2 = cdm.objects
    rel_v = float(np.linalg.norm(conj.v2 - conj.v1))
    res: dict = {
        "file": file or cdm.source,
        "message_id": cdm.message_id,
        "object_1": {"designator": o1.object_designator, "name": o1.object_name},
        "object_2": {"designator": o2.object_designator, "name": o2.object_name},
        "tca": cdm.tca.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        "miss_distance_m": _num(cdm.miss_distance_m) if cdm.miss_distance_m is not None
        else float(np.linalg.norm(conj.r2 - conj.r1)),
        "relative_speed_m_s": _num(cdm.relative_speed_m_s) if cdm.relative_speed_m_s is not None
        else rel_v,
        "hbr_m": hbr,
        "hbr_source": src,
        "cdm_collision_probability": _num(cdm.collision_probability),
    }
    # 2D assumption checks (CARA usage-violation spirit): slow encounters / long durations
    if rel_v < 100.0:
        warnings.append(f"low relative speed {rel_v:.1f} m/s: 2D-Pc assumptions doubtful")
    try:
        tau0, tau1 = coppola_bounds(conj.r2 - conj.r1, conj.v2 - conj.v1,
                                    (conj.cov1 + conj.cov2)[:3, :3], hbr, gamma=1e-6)
        gm = 3.986004418e14
        periods = []
        for r, v in ((conj.r1, conj.v1), (conj.r2, conj.v2)):
            a = 1.0 / (2.0 / np.linalg.norm(r) - (v @ v) / gm)
            periods.append(2 * np.pi * np.sqrt(a**3 / gm) if a > 0 else np.inf)
        frac = (tau1 - tau0) / min(periods)
        res["encounter_duration_s"] = _num(tau1 - tau0)
        if frac > 0.02:
            warnings.append(f"long encounter: duration {tau1 - tau0:.1f} s is {100 * frac:.1f}% "
                            "of the orbital period; 2D-Pc assumptions doubtful (see nc_3d)")
    except (np.linalg.LinAlgError, ValueError):
        pass
    r1, v1, C1, r2, v2, C2 = conj.r1, conj.v1, conj.cov1, conj.r2, conj.v2, conj.cov2
    pc2d = None
    if "pc2d" in methods:
        p = pc_circle(r1, v1, C1, r2, v2, C2, hbr)
        pc2d = _num(p.pc[0])
        res["pc_2d"] = pc2d
        res["pc_2d_method"] = "foster_1992_circle (CARA PcCircle conventions, TCA adjusted "
        res["pc_2d_method"] += f"by {p.dtca_s[0]:.3e} s)"
        if p.remediated[0]:
            warnings.append("encounter-plane covariance not positive definite: eigenvalues "
                            "clipped to (1e-4 HBR)^2 (CARA remediation)")
    if "nc2d" in methods:
        try:
            n2 = nc_2d_hall(r1, v1, C1, r2, v2, C2, hbr)
            res["nc_2d"] = _num(n2.value)
            warnings += [f"nc_2d: {w}" for w in n2.warnings]
        except (np.linalg.LinAlgError, ValueError) as exc:
            res["nc_2d"] = None
            warnings.append(f"nc_2d failed: {exc}")
    if "nc3d" in methods:
        try:
            n3 = nc_3d_hall(r1, v1, C1, r2, v2, C2, hbr)
            res["nc_3d"] = _num(n3.value)
            warnings += [f"nc_3d: {w}" for w in n3.warnings]
        except (np.linalg.LinAlgError, ValueError) as exc:
            res["nc_3d"] = None
            warnings.append(f"nc_3d failed: {exc}")
    if "mc" in methods:
        window = None
        slow = rel_v < 100.0 or any(w.startswith("long encounter") for w in warnings)
        if slow:
            # scan the whole encounter for each sample: the 3D-Nc window when available
            if "nc3d" in methods and res.get("nc_3d") is not None:
                window = (n3.flags["t_min_s"], n3.flags["t_max_s"])
            elif res.get("encounter_duration_s") is not None:
                window = (tau0, tau1)
        try:
            mc = pc_monte_carlo(r1, v1, C1, r2, v2, C2, hbr, seed=mc_seed,
                                max_samples=mc_max_samples, time_budget_s=mc_time_budget_s,
                                window_s=window, n_grid=100, batch=20_000 if window else 100_000,
                                min_samples=20_000 if window else 100_000)
            res["pc_mc"] = {"value": mc.value, "ci95_low": mc.ci95_low,
                            "ci95_high": mc.ci95_high, "samples": mc.samples, "hits": mc.hits,
                            "seed": mc.seed, "window_s": list(window) if window else None,
                            "method": getattr(mc, "method", None),
                            "std_error": getattr(mc, "std_error", None)}
            warnings += [f"pc_mc: {w}" for w in mc.warnings]
        except (np.linalg.LinAlgError, ValueError, FloatingPointError) as exc:
            res["pc_mc"] = None
            warnings.append(f"pc_mc failed: {exc}")
    if "max" in methods:
        pm = None
        if np.all(np.isfinite(C1[:3, :3])) and np.all(np.isfinite(C2[:3, :3])):
            pm = pc_max_covariance_scaling(r1, v1, C1, r2, v2, C2, hbr)
        else:
            pm = pc_max_no_covariance(res["miss_distance_m"], hbr)
        res["pc_max"] = _num(pm.value)
        res["pc_max_method"] = pm.method
        res["pc_max_no_covariance"] = _num(pc_max_no_covariance(res["miss_distance_m"], hbr).value)
    best = res.get("nc_3d") if res.get("nc_3d") is not None else pc2d
    res["pc"] = best
    res["tier"] = risk_tier(best, thresholds)
    res["warnings"] = warnings
    return res
