"""Co-orbiting pairs named apart from approaches, on real formations of 2026.

TerraSAR-X (31698) and TanDEM-X (36605) fly a helix formation a few hundred
metres apart (DLR, TanDEM-X mission description); TianHui 2-01A/B (44207/44209)
are a formation pair too.  Starlink satellites of different planes meet them
and each other at kilometres per second.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import numpy as np

from orbitwatch.screening import CO_ORBITING_SPEED_KM_S, co_orbiting_pairs, screen
from tests.conftest import shared_path

sys.path.insert(0, str(Path(__file__).parent))
from oracle import START_2026, load_omm_csv  # noqa: E402

ACTIVE_2026 = ("catalog", "celestrak_active_gp_2026-07-10.csv")


def test_formations_are_co_orbiting_and_fast_approaches_are_not():
    path = shared_path(*ACTIVE_2026)
    sats = load_omm_csv(path, ids={31698, 36605, 44207, 44209})
    sats += load_omm_csv(path, "2026-138")  # a young Starlink batch: slow pairs
    everything = load_omm_csv(path)
    rng = np.random.default_rng(3)
    sats += [everything[k] for k in rng.choice(len(everything), 3000, replace=False)]  # fast ones
    res = screen(sats, START_2026, 6 * 3600.0, 5.0)  # duplicates: the newest set is kept
    co = co_orbiting_pairs(res.conjunctions)
    assert (31698, 36605) in co and (44207, 44209) in co
    tsx = co[(31698, 36605)]
    assert tsx.minima >= 2  # the formation geometry repeats orbit after orbit
    assert tsx.closest_km < 1.0 and tsx.max_speed_km_s < CO_ORBITING_SPEED_KM_S
    # every pair not named has at least one minimum at or above the speed limit
    for c in res.conjunctions:
        if (c.object_1, c.object_2) not in co:
            pair = [d for d in res.conjunctions if (d.object_1, d.object_2) == (c.object_1, c.object_2)]
            assert max(d.relative_speed_km_s for d in pair) >= CO_ORBITING_SPEED_KM_S
    # a pair met once fast is never co-orbiting, whatever else it does
    fast = [c for c in res.conjunctions if c.relative_speed_km_s > 1.0]
    assert fast and all((c.object_1, c.object_2) not in co for c in fast)
    assert tsx.last_tca - tsx.first_tca > timedelta(hours=1)
    # one slow minimum alone (a drifter passing through) stays an encounter to assess
    single = [c for c in res.conjunctions if (c.object_1, c.object_2) == (31698, 36605)][:1]
    assert co_orbiting_pairs(single) == {}
