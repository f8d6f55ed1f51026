"""Shared fixtures: where the reference data lives, and database URLs.

Reference data is read from ``../shared/data`` beside the repository (CI has
it) or from ``$ORBITWATCH_SHARED_DATA``; tests that need it skip with a clear
reason when it is absent.  It is never copied into the repository.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("ORBITWATCH_SHARED_DATA", REPO.parent / "shared" / "data"))
POSTGRES_URL = os.environ.get(
    "ORBITWATCH_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def shared_path(*parts: str) -> Path:
    """Path under the shared reference data; skips the test when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"reference data not present: {path} (set ORBITWATCH_SHARED_DATA)")
    return path


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.exists():
        pytest.skip(f"reference data directory not present: {SHARED_DATA}")
    return SHARED_DATA
