"""Time helpers shared by every layer.

Aware UTC ``datetime`` at the edges, split Julian dates ``(jd, fr)`` inside hot
loops (a single float64 JD only resolves about 20 microseconds; see the
python-sgp4 README).  Element-set epochs are UTC (AIAA 2006-6753).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

DAY_S = 86400.0
_JD_UNIX_EPOCH = 2440587.5  # Julian date of 1970-01-01T00:00:00 UTC


def parse_iso(text: str) -> datetime:
    """Parse an ISO-8601 instant; naive values are taken as UTC.

    Accepts a trailing ``Z``, fractional seconds of any length and a bare
    date.  Raises ``ValueError`` naming the text when it is not an instant.
    """
    s = text.strip()
    if s.lower() == "now":
        return datetime.now(UTC)
    if s.endswith(("Z", "z")):
        s = s[:-1] + "+00:00"
    # fromisoformat handles up to 6 fractional digits; trim longer fractions.
    if "." in s:
        head, _, tail = s.partition(".")
        digits = ""
        rest = ""
        for i, ch in enumerate(tail):
            if ch.isdigit():
                digits += ch
            else:
                rest = tail[i:]
                break
        s = head + "." + (digits[:6] or "0") + rest
    try:
        dt = datetime.fromisoformat(s)
    except ValueError as exc:
        raise ValueError(f"not an ISO-8601 time: {text!r}") from exc
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def iso_z(dt: datetime, digits: int = 6) -> str:
    """Format an aware datetime as ISO-8601 UTC ending in ``Z``.

    ``digits`` fractional-second digits (0, 3 or 6).
    """
    dt = dt.astimezone(UTC)
    if digits == 0:
        return dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    frac = f"{dt.microsecond:06d}"[:digits]
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + "." + frac + "Z"


def datetime_to_jd(dt: datetime) -> tuple[float, float]:
    """Split Julian date ``(jd, fr)`` of an aware datetime (UTC), jd at midnight-.5."""
    dt = dt.astimezone(UTC)
    midnight = dt.replace(hour=0, minute=0, second=0, microsecond=0)
    days = (midnight - datetime(1970, 1, 1, tzinfo=UTC)).days
    jd = _JD_UNIX_EPOCH + days
    fr = (dt - midnight).total_seconds() / DAY_S
    return jd, fr


def jd_to_datetime(jd: float, fr: float = 0.0) -> datetime:
    """Aware UTC datetime of a split Julian date (microsecond resolution)."""
    whole = float(jd) - _JD_UNIX_EPOCH
    days = np.floor(whole)
    frac = (whole - days) + float(fr)
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(days=float(days)) + timedelta(
        microseconds=round(frac * DAY_S * 1e6)
    )


def time_grid(start: datetime, span_s: float, step_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Split Julian dates of ``start + k*step_s`` for k = 0..floor(span_s/step_s).

    Returns ``(jd, fr)`` arrays of equal length; ``jd`` is constant (the
    start's midnight-based whole part) and ``fr`` may exceed 1, which SGP4
    accepts, so that offsets stay exact multiples of the step.
    """
    jd0, fr0 = datetime_to_jd(start)
    n = int(np.floor(span_s / step_s + 1e-9)) + 1
    offsets_s = np.arange(n, dtype=float) * step_s
    jd = np.full(n, jd0)
    fr = fr0 + offsets_s / DAY_S
    return jd, fr
