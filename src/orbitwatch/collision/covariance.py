"""Position/velocity covariance of an object estimated from its own element-set history.

Element sets carry no covariance.  Following the TLE-differencing approach of
Osweiler (2006, "Covariance Estimation and Autocorrelation of NORAD Two-Line Element Sets",
AFIT thesis AFIT/GSS/ENY/06-M09), Flohrer, Krag & Klinkrad (2008, "Assessment and
Categorization of TLE Orbit Errors for the US SSN Catalogue", AMOS) and Frueh & Schuster
(2010s work on TLE uncertainty), every older element set is propagated with SGP4 to the epoch
of every newer one (up to ``max_age_days``), the newer set's state at its own epoch is taken
as the reference, and the differences are expressed in the reference state's RTN frame.
The spread of the differences as a function of prediction age is the empirical prediction
error:

* per component k (R, T, N, Rdot, Tdot, Ndot), robust RMS of the differences in age bins
  (3-sigma clipped), fitted with sigma_k(age) = c0 + c1 age + c2 age^2, c >= 0 (non-negative
  least squares, so sigmas grow with age; the along-track term is dominated by the quadratic
  drag/mean-motion error growth);
* the correlation matrix of the age-normalised differences (pooled over ages), which keeps
  the strong R-Tdot / T-Rdot couplings of orbit errors.

The 6x6 RTN covariance at a given age is D(age) Corr D(age), D = diag(sigma_k(age)), in m and
m/s (the CDM units).  These are element-set (SGP4) errors, typically hundreds of metres to
kilometres along-track for LEO, i.e. much larger than the special-perturbations covariances
in CDMs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from scipy import optimize

from orbitwatch.collision.encounter import rtn_basis

__all__ = ["TleCovarianceModel", "estimate_tle_covariance", "tle_differences"]

COMPONENTS = ("R", "T", "N", "RDOT", "TDOT", "NDOT")


@dataclass
class TleCovarianceModel:
    """Fitted error growth.  coeffs: (6, 3) for sigma_k(age_days) = c0 + c1 a + c2 a^2
    (m and m/s); corr: (6, 6) correlation matrix."""

    coeffs: np.ndarray
    corr: np.ndarray
    n_pairs: int
    n_element_sets: int
    max_age_days: float
    norad_ids: tuple[int, ...] = ()
    bins: list[dict] = field(default_factory=list)
    method: str = "tle_differencing_osweiler_2006"

    def sigma(self, age_days: float | np.ndarray) -> np.ndarray:
        """(…, 6) 1-sigma in m (R, T, N) and m/s (Rdot, Tdot, Ndot)."""
        a = np.asarray(age_days, float)[..., None]
        c = self.coeffs
        return c[:, 0] + c[:, 1] * a + c[:, 2] * a * a

    def cov_rtn(self, age_days: float) -> np.ndarray:
        """6x6 RTN covariance (m**2, m**2/s, m**2/s**2) after ``age_days`` of propagation."""
        s = self.sigma(float(age_days))
        return self.corr * np.outer(s, s)


def _states(satrec, jd: np.ndarray, fr: np.ndarray):
    from sgp4.api import SatrecArray

    arr = SatrecArray([satrec])
    e, r, v = arr.sgp4(jd, fr)
    return e[0], r[0], v[0]


def tle_differences(element_sets, max_age_days: float = 7.0):
    """Differences (older propagated - newer at epoch) in the newer set's RTN frame.

    element_sets: ElementSet records of ONE object.  Returns (age_days (m,), diff (m, 6) in m
    and m/s)."""
    from orbitwatch.elements.convert import element_set_to_satrec
    from orbitwatch.timeutil import datetime_to_jd

    sets = sorted(element_sets, key=lambda e: e.epoch)
    # drop duplicate epochs
    uniq = []
    for e in sets:
        if not uniq or e.epoch != uniq[-1].epoch:
            uniq.append(e)
    sets = uniq
    if len(sets) < 2:
        return np.zeros(0), np.zeros((0, 6))
    sats = [element_set_to_satrec(e) for e in sets]
    jds = np.array([datetime_to_jd(e.epoch) for e in sets])
    ref_r = np.empty((len(sets), 3))
    ref_v = np.empty((len(sets), 3))
    ref_ok = np.zeros(len(sets), bool)
    for j, s in enumerate(sats):
        err, r, v = _states(s, jds[j:j + 1, 0], jds[j:j + 1, 1])
        ref_r[j], ref_v[j], ref_ok[j] = r[0], v[0], err[0] == 0
    ages, diffs = [], []
    epochs = np.array([e.epoch.timestamp() for e in sets])
    for i, s in enumerate(sats[:-1]):
        later = np.arange(i + 1, len(sets))
        age = (epochs[later] - epochs[i]) / 86400.0
        later = later[(age > 0) & (age <= max_age_days) & ref_ok[later]]
        if later.size == 0:
            continue
        err, r, v = _states(s, jds[later, 0], jds[later, 1])
        good = err == 0
        later, r, v = later[good], r[good], v[good]
        M = rtn_basis(ref_r[later], ref_v[later])  # (m,3,3) columns R,T,N
        dr = np.einsum("mji,mj->mi", M, (r - ref_r[later]) * 1e3)
        dv = np.einsum("mji,mj->mi", M, (v - ref_v[later]) * 1e3)
        ages.append((epochs[later] - epochs[i]) / 86400.0)
        diffs.append(np.concatenate([dr, dv], axis=1))
    if not ages:
        return np.zeros(0), np.zeros((0, 6))
    return np.concatenate(ages), np.concatenate(diffs)


def _robust_rms(x: np.ndarray) -> float:
    x = x[np.isfinite(x)]
    for _ in range(5):
        rms = np.sqrt(np.mean(x * x)) if x.size else np.nan
        keep = np.abs(x) <= 3 * rms
        if keep.all() or keep.sum() < 3:
            break
        x = x[keep]
    return float(np.sqrt(np.mean(x * x))) if x.size else float("nan")


def estimate_tle_covariance(histories, max_age_days: float = 7.0, bin_days: float = 0.5,
                            min_per_bin: int = 3) -> TleCovarianceModel:
    """Fit the TLE prediction-error model from one object's element sets, or from several
    objects' histories pooled (``histories`` = list of ElementSet, or list of such lists).

    Raises ValueError when there are too few element-set pairs to fit."""
    if histories and not isinstance(histories[0], (list, tuple)):
        histories = [histories]
    ages, diffs, ids, n_sets = [], [], set(), 0
    for h in histories:
        a, d = tle_differences(h, max_age_days)
        ages.append(a)
        diffs.append(d)
        n_sets += len(h)
        ids |= {e.norad_id for e in h}
    age = np.concatenate(ages)
    diff = np.concatenate(diffs)
    if age.size < 6:
        raise ValueError(f"only {age.size} element-set pairs within {max_age_days} d: cannot "
                         "estimate a covariance")
    edges = np.arange(0.0, max_age_days + bin_days, bin_days)
    centers, rms, weights, bins = [], [], [], []
    for lo, hi in zip(edges[:-1], edges[1:]):
        sel = (age > lo) & (age <= hi)
        if sel.sum() < min_per_bin:
            continue
        r = [_robust_rms(diff[sel, k]) for k in range(6)]
        centers.append(float(np.mean(age[sel])))
        rms.append(r)
        weights.append(np.sqrt(sel.sum()))
        bins.append({"age_days": centers[-1], "n": int(sel.sum()),
                     "rms": dict(zip(COMPONENTS, r))})
    if len(centers) < 2:
        # fall back to one bin per pair-age quantile
        q = np.quantile(age, [0, 0.33, 0.66, 1.0])
        centers, rms, weights, bins = [], [], [], []
        for lo, hi in zip(q[:-1], q[1:]):
            sel = (age >= lo) & (age <= hi)
            centers.append(float(np.mean(age[sel])))
            rms.append([_robust_rms(diff[sel, k]) for k in range(6)])
            weights.append(np.sqrt(sel.sum()))
    centers = np.asarray(centers)
    rms = np.asarray(rms)
    w = np.asarray(weights)
    A = np.stack([np.ones_like(centers), centers, centers**2], axis=1) * w[:, None]
    coeffs = np.zeros((6, 3))
    for k in range(6):
        coeffs[k], _ = optimize.nnls(A, rms[:, k] * w)
        if coeffs[k].sum() == 0:
            coeffs[k, 0] = np.nanmax(rms[:, k])
    # correlation of age-normalised differences
    s = coeffs[:, 0] + coeffs[:, 1] * age[:, None] + coeffs[:, 2] * age[:, None] ** 2
    z = diff / np.where(s > 0, s, 1.0)
    zc = z[np.all(np.abs(z) < 6, axis=1)]
    if zc.shape[0] < 6:
        zc = z
    c = (zc.T @ zc) / zc.shape[0]
    d = np.sqrt(np.diag(c))
    corr = c / np.outer(d, d)
    # keep it a valid correlation matrix
    wv, V = np.linalg.eigh(corr)
    corr = (V * np.clip(wv, 1e-9, None)) @ V.T
    dd = np.sqrt(np.diag(corr))
    corr = corr / np.outer(dd, dd)
    return TleCovarianceModel(coeffs=coeffs, corr=corr, n_pairs=int(age.size),
                              n_element_sets=n_sets, max_age_days=max_age_days,
                              norad_ids=tuple(sorted(ids)), bins=bins)


def covariance_at(model: TleCovarianceModel, element_epoch: datetime, when: datetime) -> np.ndarray:
    """6x6 RTN covariance for a state predicted from an element set with epoch
    ``element_epoch`` to time ``when`` (age = |when - epoch|)."""
    age = abs((when - element_epoch).total_seconds()) / 86400.0
    return model.cov_rtn(age)
