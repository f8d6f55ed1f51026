"""From screening to risk: Pc, max Pc and a tier for every screened conjunction,
and a CCSDS CDM for each.

Covariance.  Element sets carry none, so each object's position covariance is
estimated from its own element-set history (:mod:`.covariance`: older sets
propagated to the epochs of newer ones, RTN error growth fitted against
prediction age; Osweiler 2006).  An object with too short a history borrows
the model pooled over the histories of its orbit regime (LEO, MEO, GEO, HEO);
with no history at all there is no covariance, ``pc`` is ``None`` and the
tier comes from the covariance-free maximum Pc (miss distance and HBR only,
Alfano 2005), which is always given as ``pc_max``.  The covariance at TCA is
the model's covariance at the prediction age |TCA - element-set epoch|.

Hard-body radius.  ``hbr_m`` (the combined radius) when given; else the sum
of both objects' radii from an HBR table (NASA CARA's per-object estimates);
else :data:`DEFAULT_COMBINED_HBR_M`.  Each record says which.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from orbitwatch.collision.covariance import TleCovarianceModel, estimate_tle_covariance
from orbitwatch.collision.hbr import DEFAULT_COMBINED_HBR_M, HbrTable
from orbitwatch.collision.risk import RiskThresholds, assess_conjunction, conjunction_to_cdm
from orbitwatch.elements.model import ElementSet, cospar_designator
from orbitwatch.orbit import orbit_summary

#: objects per regime pooled into the fallback covariance model
_POOL_OBJECTS = 60


def _regime(es: ElementSet) -> str:
    """The catalog's regime of the set (:func:`orbitwatch.orbit.orbit_summary`)."""
    r = orbit_summary(es.mean_motion_rev_day, es.eccentricity, es.inclination_deg)["regime"]
    return r or "UNKNOWN"


@dataclass(slots=True)
class CovarianceSource:
    """Per-object covariance models and pooled fallbacks by regime."""

    per_object: dict[int, TleCovarianceModel]
    pooled: dict[str, TleCovarianceModel]

    def model_for(self, es: ElementSet) -> tuple[TleCovarianceModel | None, str]:
        m = self.per_object.get(es.norad_id)
        if m is not None:
            return m, "own element-set history"
        m = self.pooled.get(_regime(es))
        if m is not None:
            return m, f"pooled {_regime(es)} element-set histories"
        return None, "none"


def covariance_source(
    history: Sequence[ElementSet], ids: set[int] | None = None, *, max_age_days: float = 7.0
) -> CovarianceSource:
    """Fit covariance models for ``ids`` (default: all) from ``history``."""
    by_id: dict[int, list[ElementSet]] = defaultdict(list)
    for s in history:
        by_id[s.norad_id].append(s)
    per: dict[int, TleCovarianceModel] = {}
    for nid in (ids if ids is not None else set(by_id)):
        sets = by_id.get(nid, [])
        if len(sets) < 4:
            continue
        try:
            per[nid] = estimate_tle_covariance(sorted(sets, key=lambda s: s.epoch), max_age_days)
        except ValueError:
            continue
    pooled: dict[str, TleCovarianceModel] = {}
    groups: dict[str, list[list[ElementSet]]] = defaultdict(list)
    for nid in sorted(by_id):
        sets = by_id[nid]
        if len(sets) >= 4:
            g = groups[_regime(sets[-1])]
            if len(g) < _POOL_OBJECTS:
                g.append(sorted(sets, key=lambda s: s.epoch))
    for regime, hists in groups.items():
        try:
            pooled[regime] = estimate_tle_covariance(hists, max_age_days)
        except ValueError:
            continue
    return CovarianceSource(per, pooled)


def _combined_hbr(id1: int, id2: int, hbr_m: float | None, table: HbrTable | None):
    if hbr_m is not None:
        return float(hbr_m), "cli"
    if table is not None:
        value, src = table.combined_hbr_m(id1, id2)
        return value, src
    return DEFAULT_COMBINED_HBR_M, "default"


def assess_screening(
    conjunctions: Sequence,
    newest: dict[int, ElementSet],
    covariances: CovarianceSource | None,
    *,
    hbr_m: float | None = None,
    hbr_table: HbrTable | None = None,
    thresholds: RiskThresholds = RiskThresholds(),
) -> list[dict]:
    """One dict per conjunction (same order): ``pc``, ``pc_method``, ``pc_max``,
    ``pc_max_method``, ``risk``, ``hbr_m``, ``hbr_source``, ``covariance_source``,
    ``pc_warnings``, and the RTN covariances used (``_cov1``/``_cov2``, for CDMs)."""
    out = []
    for c in conjunctions:
        e1, e2 = newest.get(c.object_1), newest.get(c.object_2)
        covs, srcs = [], []
        for es in (e1, e2):
            model, src = covariances.model_for(es) if (covariances and es) else (None, "none")
            if model is None:
                covs.append(None)
            else:
                age = abs((c.tca - es.epoch).total_seconds()) / 86400.0
                covs.append(model.cov_rtn(age))
            srcs.append(src)
        hbr, hbr_src = _combined_hbr(c.object_1, c.object_2, hbr_m, hbr_table)
        a = assess_conjunction(
            c.r1_teme_km, c.v1_teme_km_s, c.r2_teme_km, c.v2_teme_km_s, covs[0], covs[1], hbr,
            thresholds=thresholds,
        )
        out.append(
            {
                "pc": a.pc,
                "pc_method": a.method,
                "pc_max": a.pc_max,
                "pc_max_method": a.pc_max_method,
                "risk": a.tier,
                "hbr_m": hbr,
                "hbr_source": hbr_src,
                "covariance_source": srcs,
                "pc_warnings": a.warnings,
                "_cov1": covs[0],
                "_cov2": covs[1],
            }
        )
    return out


def write_cdms(
    conjunctions: Sequence,
    assessments: Sequence[dict],
    newest: dict[int, ElementSet],
    directory: Path,
    *,
    fmt: str = "kvn",
    originator: str = "ORBITWATCH",
) -> list[Path]:
    """Write one CCSDS CDM per conjunction into ``directory``; returns the paths."""
    from orbitwatch.ccsds.cdm import write_cdm

    directory.mkdir(parents=True, exist_ok=True)
    created = datetime.now(UTC)
    paths = []
    for c, a in zip(conjunctions, assessments):
        objs = []
        for nid, name in ((c.object_1, c.object_1_name), (c.object_2, c.object_2_name)):
            es = newest.get(nid)
            d = {"OBJECT_DESIGNATOR": f"{nid:05d}", "OBJECT_NAME": (name or "UNKNOWN")[:40]}
            if es is not None and es.intl_designator:
                d["INTERNATIONAL_DESIGNATOR"] = cospar_designator(es.intl_designator)
            d["COVARIANCE_METHOD"] = "CALCULATED"
            objs.append(d)
        stamp = c.tca.astimezone(UTC).strftime("%Y%m%dT%H%M%S%f")[:-3]
        msg_id = f"OW_{c.object_1}_{c.object_2}_{stamp}"
        cdm = conjunction_to_cdm(
            tca=c.tca, r1_teme_km=c.r1_teme_km, v1_teme_km_s=c.v1_teme_km_s,
            r2_teme_km=c.r2_teme_km, v2_teme_km_s=c.v2_teme_km_s,
            cov1_rtn=a.get("_cov1"), cov2_rtn=a.get("_cov2"), object1=objs[0], object2=objs[1],
            pc=a.get("pc"), pc_method="FOSTER-1992" if a.get("pc") is not None else None,
            hbr_m=a.get("hbr_m"), originator=originator, message_id=msg_id,
            creation_date=created,
            comments=[f"covariance: {a['covariance_source'][0]} / {a['covariance_source'][1]}",
                      f"max Pc {a['pc_max']:.3e} ({a['pc_max_method']})"],
        )
        path = directory / f"{msg_id}.{'xml' if fmt == 'xml' else 'cdm'}"
        path.write_text(write_cdm(cdm, fmt))
        paths.append(path)
    return paths


def public_fields(assessment: dict) -> dict:
    """The JSON-ready part of an assessment (no covariance arrays)."""
    return {
        k: (None if isinstance(v, float) and not np.isfinite(v) else v)
        for k, v in assessment.items()
        if not k.startswith("_")
    }
