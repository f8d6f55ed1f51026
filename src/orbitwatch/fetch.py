"""Explicit downloads of public catalog data (CelesTrak GP and SATCAT).

Nothing in orbitwatch downloads behind the user's back: this module is used
only by ``orbitwatch run`` when no ``--catalog`` is given, and by
``orbitwatch fetch``.  Partners that run air-gapped pass files instead.

CelesTrak publishes GP data as CCSDS OMM (CSV, XML, JSON, KVN) through
``gp.php`` queries by group, and the SATCAT as ``satcat.csv``; see
T.S. Kelso, "A New Way to Obtain GP Data (aka TLEs)", CelesTrak, 2020-05-27
(updated 2024-09-14).  The default groups together cover the active payloads
and the large public debris clouds; ``ORBITWATCH_GP_URLS`` (space-separated)
or ``--gp-url`` replaces them, e.g. with a partner's mirror.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

CELESTRAK_GP = "https://celestrak.org/NORAD/elements/gp.php?GROUP={group}&FORMAT=csv"
DEFAULT_GP_GROUPS = (
    "active",
    "analyst",
    "cosmos-1408-debris",
    "fengyun-1c-debris",
    "iridium-33-debris",
    "cosmos-2251-debris",
)
DEFAULT_SATCAT_URL = "https://celestrak.org/pub/satcat.csv"


class FetchError(RuntimeError):
    """A download failed; the message is one sentence that says how to run offline."""


@dataclass(frozen=True, slots=True)
class Downloaded:
    url: str
    path: Path
    size_bytes: int


def default_gp_urls() -> list[str]:
    env = os.environ.get("ORBITWATCH_GP_URLS")
    if env:
        return env.split()
    return [CELESTRAK_GP.format(group=g) for g in DEFAULT_GP_GROUPS]


def default_satcat_url() -> str:
    return os.environ.get("ORBITWATCH_SATCAT_URL", DEFAULT_SATCAT_URL)


def download(urls: list[str], dest_dir: Path, *, timeout_s: float = 60.0) -> list[Downloaded]:
    """Download each URL into ``dest_dir`` (a fresh file per URL and time).

    Raises :class:`FetchError` naming the URL when any download fails, with the
    offline alternative in the same sentence.
    """
    dest_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    got: list[Downloaded] = []
    with httpx.Client(timeout=timeout_s, follow_redirects=True) as client:
        for i, url in enumerate(urls):
            try:
                resp = client.get(url)
                resp.raise_for_status()
            except httpx.HTTPError as exc:
                raise FetchError(
                    f"could not download {url} ({exc.__class__.__name__}: {exc}); "
                    "to run offline, pass element-set files with --catalog PATH "
                    "(TLE, 3LE, OMM or SATCAT, optionally .gz/.xz)"
                ) from exc
            body = resp.content
            if not body.strip():
                raise FetchError(
                    f"{url} returned an empty body; to run offline, pass --catalog PATH"
                )
            name = f"{stamp}-{i:02d}-{_slug(url)}"
            path = dest_dir / name
            path.write_bytes(body)
            got.append(Downloaded(url=url, path=path, size_bytes=len(body)))
    return got


def _slug(url: str) -> str:
    keep = "".join(c if c.isalnum() else "-" for c in url.split("://", 1)[-1])
    return keep.strip("-")[:80] + ".txt"
