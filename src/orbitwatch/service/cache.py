"""A small in-process cache of list selections (ordered record ids), per partner and query.

List routes answer ``{"data": page, "count": total}``; the total needs the
whole visible selection, which on a full catalog costs far more than the page
itself.  The ordered ids of a selection are cached under (partner, route,
filters) *and* :func:`orbitwatch.store.shared.data_version` -- which changes
whenever element sets, ingests or conjunctions are added -- so a cached
selection is only ever reused while the data it came from is unchanged.
Releasability is part of the key (the partner), never shared between partners.
The app keeps a second, small one for the catalog indexes of primaries
screening jobs (``service/jobs.py``), keyed by partner, selection and days and
versioned by :func:`orbitwatch.store.shared.catalog_version`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any


class SelectionCache:
    """LRU of ``key -> (version, value)`` (thread-safe); values are treated as read-only."""

    def __init__(self, maxsize: int = 512):
        self.maxsize = maxsize
        self._data: OrderedDict[Hashable, tuple[tuple, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, version: tuple, compute: Callable[[], Any]) -> Any:
        """The cached value of ``key`` if computed at ``version``, else ``compute()`` (stored)."""
        with self._lock:
            hit = self._data.get(key)
            if hit is not None and hit[0] == version:
                self._data.move_to_end(key)
                self.hits += 1
                return hit[1]
        ids = compute()
        with self._lock:
            self.misses += 1
            self._data[key] = (version, ids)
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)
        return ids
