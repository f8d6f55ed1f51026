"""Two-line element sets: reading, validation and writing.

Column layout after the NORAD/Space-Track "Two-Line Element Set Format"
description (CelesTrak, Kelso, "FAQs: Two-Line Element Set Format") and the
``twoline2rv`` reader of Vallado et al., AIAA 2006-6753 (python-sgp4).  The
modulo-10 checksum counts each digit at its value and each minus sign as 1.
Catalog numbers above 99999 use the "Alpha-5" scheme: the first of the five
characters is a letter A..Z without I and O standing for 10..33, so
``A0001`` = 100001 and ``Z9999`` = 339999.

Bulk reading is vectorised with numpy over the fixed columns: every record
that is entirely standard is parsed in one pass; any record that fails a
fast-path test is re-read by the per-record reader ``parse_tle_record``, which
is the reference semantics and names the offending field in a
``RecordError``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from orbitwatch.elements._build import make_element_set
from orbitwatch.elements.model import ElementSet, RecordError

ALPHA5_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # A=10 ... Z=33; I and O are not used
MAX_ALPHA5 = 339999
TLE_LINE_LEN = 69


# --------------------------------------------------------------------------- catalog numbers
def alpha5_to_int(text: str) -> int:
    """Catalog number of a 5-character TLE field (digits or Alpha-5).

    Raises ``ValueError`` for blank or malformed fields.
    """
    s = text.strip()
    if not s:
        raise ValueError("blank catalog number")
    if s.isdigit():
        return int(s)
    head = s[0].upper()
    tail = s[1:]
    if len(s) == 5 and head in ALPHA5_LETTERS and tail.isdigit():
        return (ALPHA5_LETTERS.index(head) + 10) * 10000 + int(tail)
    raise ValueError(f"catalog number {text.strip()!r} is neither digits nor Alpha-5")


def int_to_alpha5(number: int) -> str:
    """5-character TLE catalog field for ``number`` (zero padded, Alpha-5 above 99999)."""
    if number < 0 or number > MAX_ALPHA5:
        raise ValueError(f"catalog number {number} does not fit a TLE (0..{MAX_ALPHA5})")
    if number < 100000:
        return f"{number:05d}"
    return ALPHA5_LETTERS[number // 10000 - 10] + f"{number % 10000:04d}"


# --------------------------------------------------------------------------- checksum
def tle_checksum(line: str) -> int:
    """Modulo-10 checksum of the first 68 columns (digits at value, '-' as 1)."""
    total = 0
    for ch in line[:68]:
        if "0" <= ch <= "9":
            total += ord(ch) - 48
        elif ch == "-":
            total += 1
    return total % 10


# --------------------------------------------------------------------------- epochs
_YEAR_START: dict[int, datetime] = {}


def tle_epoch(two_digit_year: int, day_of_year: float) -> datetime:
    """Aware UTC epoch of a TLE (years 57..99 are 19xx, 00..56 are 20xx)."""
    year = two_digit_year + (1900 if two_digit_year >= 57 else 2000)
    start = _YEAR_START.get(year)
    if start is None:
        start = _YEAR_START[year] = datetime(year, 1, 1, tzinfo=UTC)
    return start + timedelta(microseconds=round((day_of_year - 1.0) * 86400e6))


def _days_in_year(year: int) -> int:
    return 366 if (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)) else 365


# --------------------------------------------------------------------------- range checks
def check_ranges(
    *,
    eccentricity: float,
    inclination_deg: float,
    raan_deg: float,
    arg_perigee_deg: float,
    mean_anomaly_deg: float,
    mean_motion_rev_day: float,
) -> tuple[str, str] | None:
    """First out-of-range element as ``(field, message)``, or ``None`` when all are valid.

    Eccentricity in [0, 1), inclination in [0, 180] deg, node, perigee and
    mean anomaly in [0, 360) deg, mean motion > 0 rev/day.  NaN fails.
    """
    if not 0.0 <= eccentricity < 1.0:
        return "eccentricity", f"{eccentricity!r} is outside [0, 1)"
    if not 0.0 <= inclination_deg <= 180.0:
        return "inclination", f"{inclination_deg!r} deg is outside [0, 180]"
    for fname, v in (
        ("raan", raan_deg),
        ("arg_perigee", arg_perigee_deg),
        ("mean_anomaly", mean_anomaly_deg),
    ):
        if not 0.0 <= v < 360.0:
            return fname, f"{v!r} deg is outside [0, 360)"
    if not mean_motion_rev_day > 0.0:
        return "mean_motion", f"{mean_motion_rev_day!r} rev/day is not positive"
    return None


# --------------------------------------------------------------------------- per-record reader
class _Bad(Exception):
    def __init__(self, field: str, message: str, line_offset: int = 0):
        super().__init__(message)
        self.field = field
        self.message = message
        self.line_offset = line_offset  # 0: line 1, 1: line 2


def _float(text: str, field: str, offset: int) -> float:
    s = text.strip()
    try:
        return float(s)
    except ValueError:
        raise _Bad(field, f"{text!r} is not a number", offset) from None


def _int(text: str, field: str, offset: int, blank: int | None = None) -> int:
    s = text.strip()
    if not s and blank is not None:
        return blank
    try:
        return int(s)
    except ValueError:
        raise _Bad(field, f"{text!r} is not an integer", offset) from None


def _implied(text: str, field: str, offset: int) -> float:
    """TLE implied-decimal-point field ``±NNNNN±E`` (e.g. ``-31790-4`` = -0.3179e-4)."""
    s = text.strip()
    if not s:
        return 0.0
    sign = 1.0
    if s[0] in "+-":
        sign = -1.0 if s[0] == "-" else 1.0
        s = s[1:].lstrip()
    if len(s) >= 2 and s[-2] in "+-" and s[-1].isdigit():
        mant, exp = s[:-2], int(s[-2:])
    elif s.isdigit():
        mant, exp = s, 0
    else:
        raise _Bad(field, f"{text!r} is not an implied-decimal number", offset)
    mant = mant.strip()
    if mant.startswith("."):
        mant = mant[1:]
    if not mant.isdigit():
        raise _Bad(field, f"{text!r} is not an implied-decimal number", offset)
    return sign * float("." + mant) * 10.0**exp


def _parse_record(name: str | None, l1: str, l2: str, source_line: int) -> ElementSet:
    for k, line in ((0, l1), (1, l2)):
        lbl = f"line {k + 1}"
        if len(line) < TLE_LINE_LEN:
            raise _Bad(lbl, f"truncated: {len(line)} characters, a TLE line has 69", k)
        if len(line) > TLE_LINE_LEN:
            raise _Bad(lbl, f"too long: {len(line)} characters, a TLE line has 69", k)
        if line[0] != str(k + 1) or line[1] != " ":
            raise _Bad(f"{lbl} number", f"line starts with {line[:2]!r}, expected '{k + 1} '", k)
    f1, f2 = l1[2:7], l2[2:7]
    if not f1.strip():
        raise _Bad(
            "catalog number",
            "blank catalog number (non-standard TLE without a NORAD id, e.g. JSC Vimpel)",
            0,
        )
    try:
        satnum = alpha5_to_int(f1)
    except ValueError as exc:
        raise _Bad("catalog number", str(exc), 0) from None
    try:
        satnum2 = alpha5_to_int(f2)
    except ValueError as exc:
        raise _Bad("catalog number", f"line 2: {exc}", 1) from None
    if satnum != satnum2:
        raise _Bad("catalog number", f"line 1 has {f1.strip()}, line 2 has {f2.strip()}", 1)
    for k, line in ((0, l1), (1, l2)):
        c = line[68]
        want = tle_checksum(line)
        if not c.isdigit() or int(c) != want:
            raise _Bad(f"checksum line {k + 1}", f"checksum digit is {c!r}, computed {want}", k)
    yy = l1[18:20]
    if not yy.isdigit():
        raise _Bad("epoch", f"epoch year {yy!r} is not two digits", 0)
    day = _float(l1[20:32], "epoch", 0)
    year = int(yy) + (1900 if int(yy) >= 57 else 2000)
    if not 1.0 <= day < _days_in_year(year) + 1:
        raise _Bad("epoch", f"day of year {day!r} is outside 1..{_days_in_year(year) + 1}", 0)
    ndot = _float(l1[33:43], "mean_motion_dot", 0)
    nddot = _implied(l1[44:52], "mean_motion_ddot", 0)
    bstar = _implied(l1[53:61], "bstar", 0)
    ephtype = _int(l1[62], "ephemeris_type", 0, blank=0)
    elset = _int(l1[64:68], "element_set_no", 0, blank=0)
    incl = _float(l2[8:16], "inclination", 1)
    raan = _float(l2[17:25], "raan", 1)
    e_txt = l2[26:33].strip()
    if not e_txt.isdigit():
        raise _Bad("eccentricity", f"{l2[26:33]!r} is not 7 implied-decimal digits", 1)
    ecc = float("." + e_txt)
    argp = _float(l2[34:42], "arg_perigee", 1)
    ma = _float(l2[43:51], "mean_anomaly", 1)
    n = _float(l2[52:63], "mean_motion", 1)
    rev = _int(l2[63:68], "rev_at_epoch", 1, blank=0)
    bad = check_ranges(
        eccentricity=ecc,
        inclination_deg=incl,
        raan_deg=raan,
        arg_perigee_deg=argp,
        mean_anomaly_deg=ma,
        mean_motion_rev_day=n,
    )
    if bad:
        raise _Bad(bad[0], bad[1], 1)
    return make_element_set(
        norad_id=satnum,
        epoch=tle_epoch(int(yy), day),
        mean_motion_rev_day=n,
        eccentricity=ecc,
        inclination_deg=incl,
        raan_deg=raan,
        arg_perigee_deg=argp,
        mean_anomaly_deg=ma,
        bstar=bstar,
        mean_motion_dot=ndot,
        mean_motion_ddot=nddot,
        name=name,
        intl_designator=l1[9:17].strip() or None,
        classification=l1[7].strip() or "U",
        element_set_no=elset,
        rev_at_epoch=rev,
        ephemeris_type=ephtype,
        line1=l1,
        line2=l2,
        source_line=source_line,
    )


def parse_tle_record(
    name: str | None,
    line1: str,
    line2: str,
    *,
    file: str = "<text>",
    line: int = 1,
    source_line: int | None = None,
    owner: str | None = None,
    object_type: str | None = None,
) -> ElementSet | RecordError:
    """Parse one TLE (lines already right-stripped); ``line`` is line 1's 1-based number.

    Returns the ``ElementSet`` or a ``RecordError`` whose ``line`` is the line
    (1 or 2) holding the fault.
    """
    try:
        es = _parse_record(name, line1, line2, line if source_line is None else source_line)
    except _Bad as bad:
        return RecordError(file, line + bad.line_offset, bad.field, bad.message)
    if owner is not None or object_type is not None:
        ElementSet.__dict__["owner"].__set__(es, owner)
        ElementSet.__dict__["object_type"].__set__(es, object_type)
    return es


# --------------------------------------------------------------------------- bulk reader
def _col(a: np.ndarray, lo: int, hi: int) -> np.ndarray:
    return np.ascontiguousarray(a[:, lo:hi]).view(f"S{hi - lo}").ravel()


def _to_float(col: np.ndarray) -> np.ndarray:
    try:
        return col.astype(np.float64)
    except ValueError:
        out = np.empty(col.shape[0])
        for i, b in enumerate(col.tolist()):
            try:
                out[i] = float(b)
            except ValueError:
                out[i] = np.nan
        return out


def _digits(a: np.ndarray, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """Integer value of columns lo:hi (spaces count as 0) and a mask of all-digit/space rows."""
    d = a[:, lo:hi].astype(np.int64) - 48
    isdig = (d >= 0) & (d <= 9)
    ok = (isdig | (a[:, lo:hi] == 32)).all(axis=1)
    d = np.where(isdig, d, 0)
    w = 10 ** np.arange(hi - lo - 1, -1, -1, dtype=np.int64)
    return d @ w, ok


def _implied_vec(a: np.ndarray, lo: int) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised ``±NNNNN±E`` at columns lo..lo+8 (value, ok mask)."""
    sign_c = a[:, lo]
    mant, ok_m = _digits(a, lo + 1, lo + 6)
    esign = a[:, lo + 6]
    edig = a[:, lo + 7].astype(np.int64) - 48
    ok = (
        ok_m
        & ((sign_c == 32) | (sign_c == 43) | (sign_c == 45))
        & ((esign == 43) | (esign == 45))
        & (edig >= 0)
        & (edig <= 9)
    )
    exp = np.where(esign == 45, -edig, edig)
    sign = np.where(sign_c == 45, -1.0, 1.0)
    return sign * mant / 10.0 ** (5 - exp), ok


def parse_tle_records(
    records: Sequence[tuple[str | None, str, str, int, int]],
    file: str,
    owners: Sequence[str | None] | None = None,
    object_types: Sequence[str | None] | None = None,
) -> list[ElementSet | RecordError]:
    """Parse many TLEs at once, in input order.

    ``records`` holds ``(name, line1, line2, line1_number, source_line)`` with
    lines right-stripped.  Standard records go through a vectorised numpy
    pass; the rest through ``parse_tle_record``.
    """
    n = len(records)
    out: list[ElementSet | RecordError | None] = [None] * n
    idx = [i for i, r in enumerate(records) if len(r[1]) == 69 and len(r[2]) == 69]
    fast_ok = np.zeros(0, dtype=bool)
    if idx:
        b1 = "".join(records[i][1] for i in idx).encode("ascii", "replace")
        b2 = "".join(records[i][2] for i in idx).encode("ascii", "replace")
        a1 = np.frombuffer(b1, np.uint8).reshape(-1, 69)
        a2 = np.frombuffer(b2, np.uint8).reshape(-1, 69)
        ok = (a1[:, 0] == 49) & (a1[:, 1] == 32) & (a2[:, 0] == 50) & (a2[:, 1] == 32)
        for a in (a1, a2):
            d = a[:, :68].astype(np.int16) - 48
            v = np.where((d >= 0) & (d <= 9), d, 0) + (a[:, :68] == 45)
            ok &= (v.sum(axis=1) % 10) == (a[:, 68].astype(np.int16) - 48)
        sat1 = a1[:, 2:7]
        ok &= ((sat1 >= 48) & (sat1 <= 57)).all(axis=1) & (sat1 == a2[:, 2:7]).all(axis=1)
        satnum, _ = _digits(a1, 2, 7)
        yy, ok_y = _digits(a1, 18, 20)
        ok &= ok_y & (a1[:, 18] != 32) & (a1[:, 19] != 32)
        day = _to_float(_col(a1, 20, 32))
        year = np.where(yy >= 57, 1900, 2000) + yy
        leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
        ok &= (day >= 1.0) & (day < np.where(leap, 367.0, 366.0))
        ndot = _to_float(_col(a1, 33, 43))
        nddot, ok_n = _implied_vec(a1, 44)
        bstar, ok_b = _implied_vec(a1, 53)
        ok &= ok_n & ok_b & np.isfinite(ndot)
        eph, ok_e = _digits(a1, 62, 63)
        elset, ok_s = _digits(a1, 64, 68)
        ok &= ok_e & ok_s
        incl = _to_float(_col(a2, 8, 16))
        raan = _to_float(_col(a2, 17, 25))
        ecc_i, ok_ecc = _digits(a2, 26, 33)
        ok &= ok_ecc & ((a2[:, 26:33] != 32).all(axis=1))
        ecc = ecc_i / 1e7
        argp = _to_float(_col(a2, 34, 42))
        ma = _to_float(_col(a2, 43, 51))
        mm = _to_float(_col(a2, 52, 63))
        rev, ok_r = _digits(a2, 63, 68)
        ok &= ok_r
        ok &= (incl >= 0.0) & (incl <= 180.0) & (mm > 0.0)
        for ang in (raan, argp, ma):
            ok &= (ang >= 0.0) & (ang < 360.0)
        fast_ok = ok
        sel = np.flatnonzero(ok)
        if sel.size:
            ys = (year[sel] - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)
            us = ys * 86_400_000_000 + np.rint((day[sel] - 1.0) * 86400e6).astype(np.int64)
            epochs = us.astype("datetime64[us]").astype(object).tolist()
            cls = a1[sel, 7].tobytes().decode("ascii")
            cols = [
                satnum[sel].tolist(),
                epochs,
                mm[sel].tolist(),
                ecc[sel].tolist(),
                incl[sel].tolist(),
                raan[sel].tolist(),
                argp[sel].tolist(),
                ma[sel].tolist(),
                bstar[sel].tolist(),
                ndot[sel].tolist(),
                nddot[sel].tolist(),
                elset[sel].tolist(),
                rev[sel].tolist(),
                eph[sel].tolist(),
            ]
            utc = UTC
            mk = make_element_set
            idx_sel = [idx[j] for j in sel.tolist()]
            for k, (i, sn, ep, n_, e_, inc_, ra_, ap_, m_, bs_, nd_, ndd_, es_, rv_, et_) in (
                enumerate(zip(idx_sel, *cols))
            ):
                name, l1, l2, _lineno, src = records[i]
                c = cls[k]
                out[i] = mk(
                    sn,
                    ep.replace(tzinfo=utc),
                    n_,
                    e_,
                    inc_,
                    ra_,
                    ap_,
                    m_,
                    bs_,
                    nd_,
                    ndd_,
                    name,
                    l1[9:17].strip() or None,
                    c if c != " " else "U",
                    es_,
                    rv_,
                    et_,
                    l1,
                    l2,
                    src,
                    owners[i] if owners is not None else None,
                    object_types[i] if object_types is not None else None,
                )
    done = set()
    if idx:
        done = {idx[j] for j in np.flatnonzero(fast_ok).tolist()}
    for i in range(n):
        if i in done:
            continue
        name, l1, l2, lineno, src = records[i]
        out[i] = parse_tle_record(
            name,
            l1,
            l2,
            file=file,
            line=lineno,
            source_line=src,
            owner=owners[i] if owners is not None else None,
            object_type=object_types[i] if object_types is not None else None,
        )
    return out  # type: ignore[return-value]


def split_tle_text(lines: Sequence[str], file: str):
    """Group text lines into TLE records.

    Returns ``(records, errors, named)``: ``records`` as accepted by
    ``parse_tle_records``; ``errors`` for orphan line-1/line-2/name lines;
    ``named`` whether any record had a name line (3LE).  A name line may carry
    the 3LE ``"0 "`` prefix, which is removed.
    """
    records: list[tuple[str | None, str, str, int, int]] = []
    errors: list[RecordError] = []
    pending: str | None = None
    pending_no = -1
    named = False
    nlines = len(lines)
    i = 0
    while i < nlines:
        s = lines[i]
        head = s[:2]
        if head == "1 ":
            nxt = lines[i + 1] if i + 1 < nlines else ""
            if nxt[:2] == "2 ":
                if pending is not None and pending_no == i - 1:
                    records.append((pending, s.rstrip(), nxt.rstrip(), i + 1, i))
                    named = True
                else:
                    records.append((None, s.rstrip(), nxt.rstrip(), i + 1, i + 1))
                pending = None
                i += 2
                continue
            errors.append(RecordError(file, i + 1, "line 2", "TLE line 1 is not followed by a line 2"))
        elif head == "2 ":
            errors.append(RecordError(file, i + 1, "line 1", "TLE line 2 has no line 1 before it"))
        elif s.strip():
            if pending is not None and pending_no == i - 1:
                errors.append(
                    RecordError(file, pending_no + 1, "line 1", "name line is not followed by a TLE")
                )
            pending = s[2:].strip() if s[:2] == "0 " else s.strip()
            pending_no = i
        i += 1
    return records, errors, named


def looks_like_tle(lines: Sequence[str]) -> bool:
    """True when some line pair within the first 40 lines starts with '1 ' then '2 '."""
    head = lines[:40]
    return any(
        a[:2] == "1 " and b[:2] == "2 " for a, b in zip(head, head[1:], strict=False)
    )


# --------------------------------------------------------------------------- writers
def _exp_field(value: float) -> str:
    """TLE implied-decimal ``±NNNNN±E`` (8 characters)."""
    if value == 0.0:
        return " 00000-0"
    sign = "-" if value < 0 else " "
    v = abs(value)
    exp = int(np.floor(np.log10(v))) + 1
    mant = round(v / 10.0**exp * 1e5)
    if mant >= 100000:
        mant //= 10
        exp += 1
    if exp > 9 or exp < -9:
        if exp < -9:
            return " 00000-0"
        raise ValueError(f"{value!r} does not fit a TLE implied-decimal field")
    return f"{sign}{mant:05d}{'-' if exp < 0 else '+'}{abs(exp)}"


def _ndot_field(value: float) -> str:
    s = f"{value:.8f}"  # e.g. -0.00000006
    neg = s.startswith("-")
    s = s.lstrip("-")
    if s.startswith("0."):
        s = s[1:]
    if len(s) > 9:
        raise ValueError(f"mean_motion_dot {value!r} does not fit a TLE")
    return ("-" if neg else " ") + s.rjust(9)


def format_tle(es: ElementSet) -> tuple[str, str]:
    """TLE lines (with checksums, Alpha-5 numbers) for an element set.

    Epoch is written as year + day-of-year to 8 decimals (0.86 ms); angles to
    4 decimals, eccentricity to 7, mean motion to 8, as the format allows.
    """
    sat = int_to_alpha5(es.norad_id)
    ep = es.epoch.astimezone(UTC)
    start = datetime(ep.year, 1, 1, tzinfo=UTC)
    day = (ep - start).total_seconds() / 86400.0 + 1.0
    day_txt = f"{day:012.8f}"
    if day_txt.startswith(("367", "366")) and day >= _days_in_year(ep.year) + 1:
        day_txt = f"{_days_in_year(ep.year) + 1 - 1e-8:012.8f}"
    intl = (es.intl_designator or "").replace("-", "")
    if len(intl) >= 7 and intl[:4].isdigit():  # 1998-067A -> 98067A
        intl = intl[2:]
    l1 = (
        f"1 {sat}{(es.classification or 'U')[:1]} {intl[:8]:<8} {ep.year % 100:02d}{day_txt} "
        f"{_ndot_field(es.mean_motion_dot)} {_exp_field(es.mean_motion_ddot)} "
        f"{_exp_field(es.bstar)} {es.ephemeris_type % 10:d} {es.element_set_no % 10000:4d}"
    )
    ecc = f"{es.eccentricity:.7f}"[2:]
    l2 = (
        f"2 {sat} {es.inclination_deg:8.4f} {es.raan_deg % 360.0:8.4f} {ecc} "
        f"{es.arg_perigee_deg % 360.0:8.4f} {es.mean_anomaly_deg % 360.0:8.4f} "
        f"{es.mean_motion_rev_day:11.8f}{es.rev_at_epoch % 100000:5d}"
    )
    l1 += str(tle_checksum(l1))
    l2 += str(tle_checksum(l2))
    return l1, l2


def write_3le(element_sets: Iterable[ElementSet], path: str | Path) -> int:
    """Write element sets as 3LE text (name line, line 1, line 2); returns the count.

    Sets that carry TLE text are written as is; others are formatted with
    ``format_tle``.  A missing name is written as the catalog number.
    """
    count = 0
    with open(path, "w", encoding="ascii", errors="replace", newline="\n") as fh:
        for es in element_sets:
            if es.line1 and es.line2:
                l1, l2 = es.line1, es.line2
            else:
                l1, l2 = format_tle(es)
            fh.write(f"{es.name or es.norad_id}\n{l1}\n{l2}\n")
            count += 1
    return count
