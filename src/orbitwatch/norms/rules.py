"""Norms of behaviour: rules over detected events -> findings.

A rules file (YAML, :data:`DEFAULT_RULES` ships with the package) lists rules,
each with an ``id``, a ``check`` (one of :data:`CHECKS`), ``params``, a
``severity`` and the public ``source`` it comes from.  :func:`evaluate` runs
the rules over events (the JSON-ready dicts the detectors produce, each with a
``type``: ``maneuver``, ``proximity``, ``breakup``, ``geo_relocation``) plus
optional catalog facts, and returns :class:`Finding` records: rule, severity,
who is responsible (attribution), the event(s) concerned and, where one fits,
a benign explanation:

- a manoeuvre within 3 days after a red conjunction of the same object
  (Pc >= 1e-4 or miss <= 1 km) is a collision-avoidance manoeuvre (severity
  ``info``);
- GEO station-keeping (east-west / north-south kinds) is not an approach
  (``info``), unless the same object started a drift (a GEO relocation event)
  between the manoeuvre and the approach, or the approach's trend is
  ``closing``: a burn that sends a satellite toward another is no
  station-keeping, whatever its direction;
- an unsafe approach by an object that did not manoeuvre before it is a chance
  conjunction, not a rendezvous: severity ``low``, since the collision risk
  stands whoever is to blame;
- a destructive test's alternatives that the element sets cannot exclude (an
  anomalous payload breakup) are reported as its benign explanation without
  lowering the severity;
- two objects of the same owner near each other (docking, formation) break
  no norm between nations and produce no finding at all.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

import yaml

from orbitwatch.timeutil import iso_z, parse_iso

SEVERITIES = ("info", "low", "medium", "high")
CHECKS = (
    "destructive_breakup",
    "unsafe_approach",
    "maneuver_near_foreign_asset",
    "long_lived_debris",
)
DEFAULT_RULES = "default_rules.yaml"
#: the parameters each check takes: numbers (non-negative) or lists of strings
PARAMS = {
    "destructive_breakup": {"classifications": list},
    "unsafe_approach": {"miss_km_leo": float, "miss_km_deep": float, "pc_threshold": float},
    "maneuver_near_foreign_asset": {"lookback_days": float, "notice_window_days": float},
    "long_lived_debris": {"max_lifetime_years": float, "leo_limit_km": float},
}


class RulesError(ValueError):
    """A rules file that cannot be used; the message names the file and the rule."""


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    title: str
    check: str
    severity: str
    source: str
    params: dict = field(default_factory=dict)
    #: when the commitment the rule cites came into force (None: not stated); a
    #: finding about an earlier act says so (the norm, not the commitment, applies)
    in_force_from: datetime | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """One event judged against one rule."""

    rule: str
    title: str
    severity: str
    responsible: int | None  # catalog number of the acting object
    responsible_owner: str | None
    affected: int | None
    affected_owner: str | None
    time: datetime
    summary: str
    source: str
    benign_explanation: str | None = None
    evidence: dict = field(default_factory=dict)
    #: the records the finding was judged from (events, conjunctions, catalog
    #: rows: the very objects passed to :func:`evaluate`), so that whoever stores
    #: it can release it no wider than they are (not part of the record)
    inputs: tuple = field(default=(), compare=False, repr=False)

    def to_dict(self) -> dict:
        return {
            "type": "finding",
            "rule": self.rule,
            "title": self.title,
            "severity": self.severity,
            "responsible": self.responsible,
            "responsible_owner": self.responsible_owner,
            "affected": self.affected,
            "affected_owner": self.affected_owner,
            "time": iso_z(self.time, 3),
            "summary": self.summary,
            "source": self.source,
            "benign_explanation": self.benign_explanation,
            "evidence": self.evidence,
        }


#: the fields of a rule
RULE_FIELDS = ("id", "title", "check", "severity", "params", "source", "in_force_from")
#: the classes a breakup record can carry (orbitwatch.behavior.breakups)
BREAKUP_CLASSES = ("collision", "destructive test", "explosion or anomaly", "undetermined")


class _Located(dict):
    """A YAML mapping with the (1-based) line of itself and of each of its keys,
    and the keys given more than once (YAML lets the last one win silently)."""

    line: int
    lines: dict
    repeated: list


class _LineLoader(yaml.SafeLoader):
    """PyYAML's safe loader building :class:`_Located` mappings from the nodes'
    marks, so that errors can name the line."""


def _located_mapping(loader: _LineLoader, node: yaml.MappingNode) -> _Located:
    loader.flatten_mapping(node)
    d = _Located()
    d.line, d.lines, d.repeated = node.start_mark.line + 1, {}, []
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in d.lines:
            d.repeated.append((key, key_node.start_mark.line + 1))
        d[key] = loader.construct_object(value_node, deep=True)
        d.lines[key] = key_node.start_mark.line + 1
    return d


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _located_mapping)


def _line(d, key=None) -> int | None:
    if not isinstance(d, _Located):
        return None
    return d.lines.get(key, d.line) if key is not None else d.line


def load_rules(path: str | Path | None = None) -> list[Rule]:
    """Rules from ``path`` (YAML), or the defaults shipped with orbitwatch.

    A rules file that cannot be used raises :class:`RulesError` naming the
    file, the line, the rule and the field: an unknown field (a misspelt
    ``params`` would otherwise leave the defaults in force unnoticed), a field
    given twice, a missing one, an id used by an earlier rule, an unknown
    check, severity or parameter, a bad value.
    """
    if path is None:
        text = resources.files("orbitwatch.norms").joinpath(DEFAULT_RULES).read_text()
        name = f"<orbitwatch>/{DEFAULT_RULES}"
    else:
        name = str(path)
        try:
            text = Path(path).read_text()
        except OSError as exc:
            raise RulesError(f"{name}: cannot read rules file ({exc.strerror})") from exc
    try:
        doc = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{name}:{mark.line + 1}" if mark else name
        raise RulesError(f"{where}: not valid YAML ({exc.__class__.__name__})") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("rules"), list):
        raise RulesError(f"{name}: expected a mapping with a 'rules' list")
    for key in doc:
        if key != "rules":
            raise RulesError(f"{name}:{_line(doc, key)}: field {key!r} is not known (use rules)")
    rules = []
    seen: dict[str, int | None] = {}
    for i, r in enumerate(doc["rules"], 1):
        if not isinstance(r, dict):
            raise RulesError(f"{name}: rule {i}: expected a mapping")
        rid = str(r["id"]) if r.get("id") else None

        def where(key=None, rid=rid, r=r, i=i) -> str:
            line = _line(r, key)
            return f"{name}{f':{line}' if line else ''}: rule {rid or i}"

        for key, line in getattr(r, "repeated", ()):
            raise RulesError(f"{name}:{line}: rule {rid or i}: field {key!r} is given twice")
        for key in r:
            if key not in RULE_FIELDS:
                raise RulesError(f"{where(key)}: field {key!r} is not a rule field "
                                 f"(use {', '.join(RULE_FIELDS)})")
        for key in ("id", "check", "severity", "source"):
            if not r.get(key):
                raise RulesError(f"{where()}: field '{key}' is missing")
        if rid in seen:
            raise RulesError(f"{where('id')}: field 'id': {rid!r} is already the id of the rule "
                             f"at line {seen[rid]}")
        seen[rid] = _line(r)
        if r["check"] not in CHECKS:
            raise RulesError(
                f"{where('check')}: field 'check': {r['check']!r} is not one of "
                + ", ".join(CHECKS)
            )
        if r["severity"] not in SEVERITIES:
            raise RulesError(
                f"{where('severity')}: field 'severity': {r['severity']!r} is not one of "
                + ", ".join(SEVERITIES)
            )
        rules.append(
            Rule(
                id=rid, title=str(r.get("title") or rid), check=r["check"],
                severity=r["severity"], source=" ".join(str(r["source"]).split()),
                params=_checked_params(name, r, rid),
                in_force_from=_in_force_from(r.get("in_force_from"), where("in_force_from")),
            )
        )
    return rules


def _in_force_from(value, where: str) -> datetime | None:
    """A rule's ``in_force_from``: a date (YAML's or ISO-8601 text) as 00:00 UTC."""
    import datetime as dt

    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, dt.date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    try:
        return parse_iso(str(value))
    except ValueError:
        raise RulesError(f"{where}: field 'in_force_from': {value!r} is not a date "
                         "(YYYY-MM-DD)") from None


def _checked_params(name: str, r: dict, rid: str) -> dict:
    """The rule's ``params``, each known to its check and of the right type."""
    params = r.get("params") or {}

    def where(key=None) -> str:
        line = _line(params, key) if key is not None else _line(r, "params")
        return f"{name}{f':{line}' if line else ''}: rule {rid}: params"

    if not isinstance(params, dict):
        raise RulesError(f"{where()}: expected a mapping")
    for key, line in getattr(params, "repeated", ()):
        raise RulesError(f"{name}:{line}: rule {rid}: params: field {key!r} is given twice")
    known = PARAMS[r["check"]]
    out = {}
    for key, value in params.items():
        kind = known.get(key)
        if kind is None:
            raise RulesError(f"{where(key)}: field {key!r} is not a parameter of {r['check']} "
                             f"(use {', '.join(known)})")
        if kind is float:
            try:
                if isinstance(value, bool):  # YAML's yes/no: not a number
                    raise TypeError
                value = float(value)
            except (TypeError, ValueError):
                raise RulesError(f"{where(key)}: field {key!r}: {value!r} is not a number") from None
            if not value >= 0 or value == float("inf"):
                raise RulesError(f"{where(key)}: field {key!r}: {value!r} must be a finite number >= 0")
        elif not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise RulesError(f"{where(key)}: field {key!r}: expected a list of names")
        elif key == "classifications":
            for v in value:
                if v not in BREAKUP_CLASSES:
                    raise RulesError(f"{where(key)}: field {key!r}: {v!r} is not a breakup class "
                                     f"(use {', '.join(BREAKUP_CLASSES)})")
        out[key] = value
    return out


class NoticesError(ValueError):
    """A notices file that cannot be used; the message names the file, line and field."""


def read_notices(path: str | Path) -> list[dict]:
    """Manoeuvre notifications from a file: JSON lines, or CSV with a header.

    Each record has ``object`` (catalog number; ``norad_id`` is accepted too),
    ``time`` (the planned manoeuvre time, ISO-8601) and optionally ``issued``
    (when the notice was given) and ``note``.  Returns dicts of type
    ``notice`` with times as ISO-8601 ``Z`` strings.  Raises
    :class:`NoticesError` naming the file, line and field of the first bad
    record (a notices file is short: one bad line means the file needs a look).
    """
    import csv
    import json

    p = Path(path)
    try:
        text = p.read_text()
    except OSError as exc:
        raise NoticesError(f"{p}: cannot read: {exc.strerror or exc}") from None
    lines = text.splitlines()
    first = next((ln for ln in lines if ln.strip()), "")
    rows: list[tuple[int, dict]] = []
    if first.lstrip().startswith("{"):
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise NoticesError(f"{p}:{n}: not a JSON object ({exc.msg})") from None
            if not isinstance(rec, dict):
                raise NoticesError(f"{p}:{n}: not a JSON object")
            rows.append((n, rec))
    else:
        reader = csv.DictReader(lines)
        for n, rec in enumerate(reader, 2):
            rows.append((n, {k.strip().lower(): (v or "").strip() for k, v in rec.items() if k}))
    out = []
    for n, rec in rows:
        obj = rec.get("object", rec.get("norad_id"))
        try:
            obj = int(obj)
        except (TypeError, ValueError):
            raise NoticesError(f"{p}:{n}: object: not a catalog number: {obj!r}") from None
        notice = {"type": "notice", "object": obj}
        for key in ("time", "issued"):
            value = rec.get(key)
            if value in (None, "") and key == "issued":
                continue
            try:
                notice[key] = iso_z(parse_iso(str(value)), 0)
            except (TypeError, ValueError):
                raise NoticesError(f"{p}:{n}: {key}: not an ISO-8601 time: {value!r}") from None
        if rec.get("note"):
            notice["note"] = str(rec["note"])
        out.append(notice)
    return out


#: the fields the rules read from each type of event record, and which are times
RECORD_FIELDS = {
    "maneuver": (("object", "gap_start", "gap_end", "epoch_estimate"),
                 ("gap_start", "gap_end", "epoch_estimate")),
    "proximity": (("asset", "object", "closest_km", "closest_time", "first_time"),
                  ("closest_time", "first_time", "last_time")),
    "breakup": (("parent", "classification"), ("epoch_estimate",)),
    "geo_relocation": (("object", "kind", "gap_start", "gap_end"), ("gap_start", "gap_end")),
    "notice": (("object", "time"), ("time", "issued")),
    "finding": ((), ()),
}


#: fields the rules compute with: catalog numbers (integers) and numbers
_ID_FIELDS = ("object", "asset", "parent", "collision_partner")
_OWNER_FIELDS = ("owner", "asset_owner", "object_owner", "collision_partner_owner")
_NUMBER_FIELDS = ("closest_km", "range_km", "asset_period_min", "asset_perigee_km", "delta_v_m_s")


def _is_number(x) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def record_problem(rec) -> str | None:
    """Why an event record cannot be judged ("field 'x': ..."), or None when it can."""
    if not isinstance(rec, dict):
        return "not a JSON object"
    kind = rec.get("type") or ("maneuver" if "delta_v_m_s" in rec else None)
    if kind not in RECORD_FIELDS:
        return f"field 'type': {kind!r} is not one of {', '.join(RECORD_FIELDS)}"
    required, times = RECORD_FIELDS[kind]
    for key in required:
        if rec.get(key) is None:
            return f"field {key!r}: missing (a {kind} record needs {', '.join(required)})"
    for key in times:
        if rec.get(key) is not None:
            try:
                _t(rec[key])
            except (ValueError, TypeError):
                return f"field {key!r}: {rec[key]!r} is not an ISO-8601 time"
    for key in _ID_FIELDS:
        v = rec.get(key)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int)):
            return f"field {key!r}: {v!r} is not a catalog number (an integer)"
    for key in _NUMBER_FIELDS:
        if rec.get(key) is not None and not _is_number(rec[key]):
            return f"field {key!r}: {rec[key]!r} is not a number"
    for key in _OWNER_FIELDS:
        v = rec.get(key)
        if v is not None and not (isinstance(v, str) and v.strip()):
            return f"field {key!r}: {v!r} is not an owner code (text, e.g. US, PRC, CIS)"
    if kind == "breakup":
        if rec["classification"] not in BREAKUP_CLASSES:
            return (f"field 'classification': {rec['classification']!r} is not one of "
                    + ", ".join(BREAKUP_CLASSES))
        n = rec.get("fragments")
        if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 0):
            return f"field 'fragments': {n!r} is not a count of fragments (an integer)"
    rtn = rec.get("closest_rtn_km")
    if rtn is not None and not (isinstance(rtn, list) and len(rtn) == 3 and all(map(_is_number, rtn))):
        return f"field 'closest_rtn_km': {rtn!r} is not three numbers (radial, along-track, cross-track km)"
    return None


def _t(value) -> datetime | None:
    if value is None:
        return None
    return value if isinstance(value, datetime) else parse_iso(str(value))


def evaluate(
    events: Iterable[dict],
    rules: Sequence[Rule] | None = None,
    *,
    owners: dict[int, str] | None = None,
    conjunctions: Iterable[dict] = (),
    catalog: Iterable[dict] = (),
    notices: Iterable[dict] = (),
) -> list[Finding]:
    """Judge ``events`` against ``rules``; see the module docstring.

    ``owners``: SATCAT owner by catalog number.  ``conjunctions``: screening
    records (``object_1``, ``object_2``, ``tca``, ``miss_distance_km``,
    optional ``pc``) used for safe separation and collision-avoidance
    explanations.  ``catalog``: per-object rows (``norad_id``, ``object_type``,
    ``perigee_km``, ``apogee_km``, ``mean_motion_dot``, ``mean_motion_rev_day``,
    ``epoch``) for the debris rule.  ``notices``: manoeuvre notifications
    (``object``, planned ``time``, optional ``issued``; :func:`read_notices`)
    that make a manoeuvre announced; events of type ``notice`` count too.
    """
    rules = list(rules) if rules is not None else load_rules()
    owners = owners or {}
    events = list(events)
    conjunctions = list(conjunctions)
    catalog = list(catalog)
    # notices come as their own argument or as stored events of type "notice"
    notices = list(notices) + [e for e in events if e.get("type") == "notice"]
    found: list[Finding] = []
    for rule in rules:
        fn = _CHECK_FUNCS[rule.check]
        found.extend(_dated(rule, f) for f in fn(rule, events, owners, conjunctions, catalog, notices))
    never = datetime.min.replace(tzinfo=UTC)
    found.sort(key=lambda f: (-SEVERITIES.index(f.severity), f.time or never))
    return found


def _dated(rule: Rule, f: Finding) -> Finding:
    """A finding about an act before the rule's commitment came into force says so:
    the behaviour breaks the norm the rule states, not a commitment then made."""
    if rule.in_force_from is None or f.time is None or f.time >= rule.in_force_from:
        return f
    day = rule.in_force_from.date().isoformat()
    return replace(
        f, summary=f"{f.summary} (before {day}, when the commitment cited came into force)",
        evidence={**f.evidence, "predates_commitment": day})


def catalog_rows(
    element_sets: Iterable, owners: dict[int, str] | None = None, types: dict[int, str] | None = None
) -> list[dict]:
    """Per-object rows for the catalog-wide rules (``catalog`` of :func:`evaluate`)
    from each object's newest element set, with SATCAT owner and type where known."""
    from orbitwatch.elements.model import set_ref
    from orbitwatch.orbit import perigee_apogee_km

    owners, types = owners or {}, types or {}
    rows = []
    for s in element_sets:
        per, apo = (float(x) for x in perigee_apogee_km(
            s.mean_motion_rev_day, s.eccentricity, s.inclination_deg))
        rows.append({
            "norad_id": s.norad_id, "name": s.name,
            "object_type": types.get(s.norad_id) or s.object_type,
            "owner": owners.get(s.norad_id) or s.owner,
            "perigee_km": per, "apogee_km": apo,
            "mean_motion_rev_day": s.mean_motion_rev_day,
            "mean_motion_dot": s.mean_motion_dot, "epoch": s.epoch,
            "element_set": set_ref(s),  # the evidence: which set, from which source
            # the label of the set the row was built from (a stored set), for releasability
            **({"partner": s.partner, "releasable_to": s.releasable_to}
               if getattr(s, "releasable_to", None) else {}),
        })
    return rows


def _owner(owners, ev, key_id, key_owner):
    nid = ev.get(key_id)
    return ev.get(key_owner) or (owners.get(nid) if nid is not None else None)


def _destructive(rule, events, owners, conj, catalog, notices):
    classes = set(rule.params.get("classifications", ["destructive test"]))
    for ev in events:
        if ev.get("type") != "breakup" or ev.get("classification") not in classes:
            continue
        when = _t(ev.get("epoch_estimate")) or _t(ev.get("evidence", {}).get("earliest_fragment_epoch"))
        owner = _owner(owners, ev, "parent", "owner")
        if not owner:
            continue  # no accusation of an unknown party (the CLI says what went unjudged)
        yield Finding(
            rule=rule.id, title=rule.title, severity=rule.severity,
            responsible=ev.get("parent"), responsible_owner=owner,
            affected=None, affected_owner=None, time=when,
            summary=(
                f"{ev.get('parent_name') or ev.get('parent')} ({owner}) broke "
                f"up into {ev.get('fragments')} catalogued fragments with no collision partner"
            ),
            source=rule.source,
            # what the element sets cannot exclude is reported; it does not lower
            # the severity (only launch and notification reports can settle it)
            benign_explanation=("not excluded: " + "; ".join(ev["benign_alternatives"])
                                if ev.get("benign_alternatives") else None),
            evidence={"breakup": ev},
            inputs=(ev,),
        )


#: slower than this (km/s) a "conjunction" is a docked, co-located or formation
#: partner (the screening's co-orbiting pairs), not a threat to manoeuvre away from
_CO_ORBITING_KM_S = 0.01


def _red(c: dict, pc_threshold: float, miss_km: float) -> bool:
    speed = c.get("relative_speed_km_s")
    if speed is not None and speed < _CO_ORBITING_KM_S:
        return False
    pc = c.get("pc")
    return (pc is not None and pc >= pc_threshold) or c.get("miss_distance_km", 1e9) <= miss_km


def _widest_first(records: list[dict]) -> list[dict]:
    """``records`` with those the most partners may see first (``ALL``, then a
    record with no label of its own, then by the number of partners listed),
    otherwise in their order: of two copies that say the same, a finding cites
    the one that narrows it least."""
    def reach(c: dict) -> tuple[int, int]:
        r = c.get("releasable_to")
        if r == "ALL":
            return (0, 0)
        if not r:
            return (1, 0)
        return (2, -len((set(r.split(",")) | {c.get("partner")}) - {None}))

    return sorted(records, key=reach)


def _conj_summary(c: dict) -> dict:
    """A conjunction as a finding's evidence cites it (JSON-ready)."""
    tca = _t(c.get("tca"))
    return {"object_1": c.get("object_1"), "object_2": c.get("object_2"),
            "tca": iso_z(tca, 3) if tca else None, "miss_distance_km": c.get("miss_distance_km"),
            "pc": c.get("pc")}


def _foreign_proximity(events, owners):
    """(proximity event, asset owner, object owner) for approaches between two
    known, different owners; docked vehicles are not approaches.  Same nation
    (or unknown): no norm between nations is at stake."""
    for ev in events:
        if ev.get("type") != "proximity" or ev.get("kind", "").startswith("docked"):
            continue
        a_owner = _owner(owners, ev, "asset", "asset_owner")
        o_owner = _owner(owners, ev, "object", "object_owner")
        if a_owner and o_owner and a_owner != o_owner:
            yield ev, a_owner, o_owner


#: Screening volumes of the 18/19 SDS Spaceflight Safety Handbook v1.7 (2023):
#: ellipsoid semi-axes (radial, along-track, cross-track; km) of the near-Earth
#: regimes by the asset's perigee height (km, upper bound), for periods under
#: 225 min; deep space (longer periods) is screened in 10 x 10 x 10 km, and
#: near-Earth objects above 2,000 km with the owner/operator volume, 2 x 25 x 25.
SCREENING_VOLUMES_KM = (
    (500.0, (0.4, 44.0, 51.0)),
    (750.0, (0.4, 25.0, 25.0)),
    (1200.0, (0.4, 12.0, 12.0)),
    (2000.0, (0.4, 2.0, 2.0)),
)
NEAR_EARTH_OO_VOLUME_KM = (2.0, 25.0, 25.0)
DEEP_SPACE_VOLUME_KM = (10.0, 10.0, 10.0)
DEEP_SPACE_PERIOD_MIN = 225.0


def _deep_space(ev: dict) -> bool:
    """Is the asset a deep-space object (period of 225 min or more)?  From the
    record's asset orbit; a record without it: its range (over 25 km is GEO)."""
    if ev.get("asset_period_min") is not None:
        return float(ev["asset_period_min"]) >= DEEP_SPACE_PERIOD_MIN
    if ev.get("asset_regime"):
        return ev["asset_regime"] != "LEO"
    return ev.get("range_km", 25.0) > 25.0


def screening_volume_km(ev: dict) -> tuple[float, float, float]:
    """The Handbook's screening ellipsoid (radial, along-track, cross-track; km) for the asset."""
    if _deep_space(ev):
        return DEEP_SPACE_VOLUME_KM
    perigee = ev.get("asset_perigee_km")
    for top, axes in SCREENING_VOLUMES_KM:
        if perigee is not None and float(perigee) <= top:
            return axes
    return NEAR_EARTH_OO_VOLUME_KM


def _inside_volume(ev: dict) -> bool:
    rtn = ev.get("closest_rtn_km")
    if not rtn:
        return False
    return sum((float(x) / ax) ** 2 for x, ax in zip(rtn, screening_volume_km(ev), strict=True)) <= 1.0


_PC_SLACK = timedelta(days=1)


def _unsafe_approach(rule, events, owners, conj, catalog, notices):
    p = rule.params
    miss_leo = float(p.get("miss_km_leo", 1.0))
    miss_deep = float(p.get("miss_km_deep", 5.0))
    pc_thr = float(p.get("pc_threshold", 1e-4))
    for ev, a_owner, o_owner in _foreign_proximity(events, owners):
        limit = miss_deep if _deep_space(ev) else miss_leo
        # the Pc of this pair's conjunctions during the approach (a day's slack
        # either side: screening and proximity use different sets in force)
        lo = (_t(ev.get("first_time")) or _t(ev["closest_time"])) - _PC_SLACK
        hi = (_t(ev.get("last_time")) or _t(ev["closest_time"])) + _PC_SLACK
        red = [
            c for c in conj
            if {c.get("object_1"), c.get("object_2")} == {ev["asset"], ev["object"]}
            and c.get("pc") is not None and c["pc"] >= pc_thr
            and _t(c.get("tca")) is not None and lo <= _t(c["tca"]) <= hi
        ]
        # one red conjunction is cited: of the copies partners stored, the one the
        # most readers may see, then the highest Pc (a Pc under the threshold is not
        # part of the judgement and is not cited)
        used = _widest_first(sorted(red, key=lambda c: -c["pc"]))[:1]
        pc = used[0]["pc"] if used else None
        inside = _inside_volume(ev)
        if ev.get("closest_km", 1e9) > limit and not inside and pc is None:
            continue
        chance = not ev.get("after_maneuver")
        yield Finding(
            rule=rule.id, title=rule.title,
            severity=_lower(rule.severity, "low") if chance else rule.severity,
            responsible=ev["object"], responsible_owner=o_owner,
            affected=ev["asset"], affected_owner=a_owner, time=_t(ev["closest_time"]),
            summary=(
                f"{ev.get('object_name') or ev['object']} ({o_owner}) passed "
                f"{ev['closest_km']:.3f} km from {ev.get('asset_name') or ev['asset']} ({a_owner})"
                + (f", inside its screening volume {'x'.join(f'{x:g}' for x in screening_volume_km(ev))} km"
                   if inside else "")
                + (f", Pc {pc:.2e}" if pc is not None else "")
            ),
            source=rule.source,
            benign_explanation=(
                "the approaching object did not manoeuvre before the approach: a chance "
                "conjunction, not a rendezvous"
                if chance else None
            ),
            evidence={"proximity": ev,
                      **({"conjunctions": [_conj_summary(c) for c in used]} if used else {})},
            inputs=(ev, *used),
        )


def _announced(notices, obj, m, m_time, slack: timedelta) -> bool:
    """Was this manoeuvre notified beforehand?  A notice of the same object whose
    planned ``time`` lies within ``slack`` of the manoeuvre's gap (the sets
    before and after it), issued (``issued``, when given) no later than the
    manoeuvre's estimated epoch."""
    lo = (_t(m["gap_start"]) if m else m_time) - slack
    hi = (_t(m["gap_end"]) if m else m_time) + slack
    for n in notices:
        if n.get("object") != obj:
            continue
        planned, issued = _t(n.get("time")), _t(n.get("issued"))
        if planned is not None and lo <= planned <= hi and (issued is None or issued <= m_time):
            return True
    return False


def _lower(severity: str, cap: str) -> str:
    """``severity``, but no higher than ``cap``."""
    return SEVERITIES[min(SEVERITIES.index(severity), SEVERITIES.index(cap))]


def _drift_started(relocations, obj, since: datetime, until: datetime) -> dict | None:
    """A GEO relocation event: ``obj`` started a drift between ``since`` and ``until``."""
    for r in relocations:
        if r.get("object") == obj and r.get("kind") in ("drift start", "relocation between sets"):
            end = _t(r.get("gap_end"))
            if end is not None and since <= end <= until:
                return r
    return None


def _maneuver_near_foreign(rule, events, owners, conj, catalog, notices):
    """One finding per manoeuvre and foreign asset: the approaches that followed
    one manoeuvre of the object to one asset (a pair passing each day, each
    day's window its own approach record) are one act; the finding is the most
    severe of them, then the closest, and names them all (``approaches``;
    ``inputs`` holds every one, so it is judged again when any changes)."""
    # copies of one approach (the same pair and closest time, stored by two
    # partners) are one: the widest-released, so the finding goes no narrower
    seen: set[tuple] = set()
    one_copy = []
    for e in _widest_first(list(events)):
        if e.get("type") == "proximity":
            key = (e.get("asset"), e.get("object"), str(e.get("closest_time")))
            if key in seen:
                continue
            seen.add(key)
        one_copy.append(e)
    groups: dict[tuple, list[Finding]] = {}
    for f in _maneuver_near_foreign_each(rule, one_copy, owners, conj, catalog, notices):
        m = f.evidence.get("maneuver") or {}
        key = (f.responsible, f.affected, m.get("gap_start"), m.get("gap_end"),
               None if m else f.time)
        groups.setdefault(key, []).append(f)
    for fs in groups.values():
        best = min(fs, key=lambda f: (-SEVERITIES.index(f.severity),
                                      f.evidence["proximity"].get("closest_km", math.inf)))
        if len(fs) == 1:
            yield best
            continue
        approaches = sorted(
            ({"first_time": f.evidence["proximity"].get("first_time"),
              "closest_time": f.evidence["proximity"].get("closest_time"),
              "closest_km": f.evidence["proximity"].get("closest_km")} for f in fs),
            key=lambda a: str(a["closest_time"]))
        yield replace(best, evidence={**best.evidence, "approaches": approaches},
                      inputs=tuple(_unique_by_id(x for f in fs for x in f.inputs)))


def _unique_by_id(objs) -> list:
    seen: set[int] = set()
    out = []
    for o in objs:
        if id(o) not in seen:
            seen.add(id(o))
            out.append(o)
    return out


def _maneuver_near_foreign_each(rule, events, owners, conj, catalog, notices):
    lookback = timedelta(days=float(rule.params.get("lookback_days", 14)))
    slack = timedelta(days=float(rule.params.get("notice_window_days", 1)))
    maneuvers = [e for e in events if e.get("type") == "maneuver" or (
        "delta_v_m_s" in e and "gap_end" in e)]
    relocations = [e for e in events if e.get("type") == "geo_relocation"]
    for ev, a_owner, o_owner in _foreign_proximity(events, owners):
        first = _t(ev["first_time"])
        closest = _t(ev.get("closest_time")) or first
        # manoeuvres that ended in the lookback before the approach began or
        # during it, up to its closest point, and sustained thrust (an arc of
        # electric propulsion) under way then: a low-thrust approach is
        # thrusting as it closes in
        own = [m for m in maneuvers if m.get("object") == ev["object"]]
        prior = [
            m for m in own
            if (first - lookback <= _t(m["gap_end"]) <= closest
                or ("sustained_thrust" in (m.get("evidence") or {})
                    and _t(m["gap_start"]) <= closest and _t(m["gap_end"]) >= first))
        ]
        # the approach's own flag (the detector's manoeuvres when it ran) counts
        # only when no manoeuvre records are judged at all (an approach file
        # alone): a stored approach keeps its flag after a later run withdrew
        # the manoeuvre, and a store's or a run's manoeuvres are every one found
        if not prior and not (ev.get("after_maneuver") and not maneuvers):
            continue
        # the latest; of several that end together, the first given (callers
        # give the widest-released copies first)
        m = max(prior, key=lambda m: _t(m["gap_end"])) if prior else None
        m_time = _t(m["epoch_estimate"]) if m else _t(ev.get("maneuver_epoch")) or first
        if _announced(notices, ev["object"], m, m_time, slack):
            continue
        benign = None
        severity = rule.severity
        avoided = None  # the red conjunction a collision-avoidance manoeuvre answered
        kind = (m or {}).get("kind", "")
        # a drift started at the manoeuvre (or since) is a relocation, not station-keeping
        drift = _drift_started(relocations, ev["object"],
                               (_t(m["gap_start"]) if m else m_time) - slack,
                               _t(ev.get("last_time") or ev.get("closest_time")) or first)
        keeping = "station-keeping" in kind and drift is None and ev.get("trend") != "closing"
        if keeping:
            benign, severity = "routine GEO station-keeping, not an approach", "info"
        else:
            for c in _widest_first(list(conj)):
                if ev["object"] in (c.get("object_1"), c.get("object_2")) and _red(c, 1e-4, 1.0):
                    tca = _t(c["tca"])
                    if tca - timedelta(days=3) <= m_time <= tca + timedelta(days=3):
                        benign = (
                            f"collision avoidance: the manoeuvre came close to a red conjunction "
                            f"(TCA {iso_z(tca, 0)})"
                        )
                        severity = "info"
                        avoided = c
                        break
        yield Finding(
            rule=rule.id, title=rule.title, severity=severity,
            responsible=ev["object"], responsible_owner=o_owner,
            affected=ev["asset"], affected_owner=a_owner, time=m_time,
            summary=(
                f"{ev.get('object_name') or ev['object']} ({o_owner}) manoeuvred and then came "
                f"within {ev['closest_km']:.1f} km of {ev.get('asset_name') or ev['asset']} "
                f"({a_owner}) with no notice on record"
                + (f"; the manoeuvre started a drift ({drift.get('direction')}, "
                   f"{drift.get('drift_after_deg_day')} deg/day)" if drift else "")
                + (f"; the manoeuvre is pending: {p.get('sets_after')} element set(s) after it, "
                   f"unconfirmed until more arrive"
                   if (p := ((m or {}).get("evidence") or {}).get("pending")) else "")
            ),
            source=rule.source, benign_explanation=benign,
            evidence={"maneuver": m, "proximity": ev, **({"geo_relocation": drift} if drift else {}),
                      **({"conjunction": _conj_summary(avoided)} if avoided else {})},
            inputs=tuple(x for x in (ev, m, drift, avoided) if x is not None),
        )


# Mean motion (rev/day) of a circular orbit 200 km up, where decay runs away.
_N_AT_200_KM = 16.2


def _catalog_type(row: dict) -> str:
    """The row's object type; without a SATCAT type (fragments catalogued after the
    SATCAT file, element sets with no type), the catalog name's ``DEB`` / ``R/B``."""
    from orbitwatch.elements.model import type_from_name

    otype = (row.get("object_type") or "").upper()
    if otype and otype not in ("UNKNOWN", "TBA"):
        return otype
    return type_from_name(row.get("name")) or otype


def _long_lived_debris(rule, events, owners, conj, catalog, notices):
    max_years = float(rule.params.get("max_lifetime_years", 5))
    leo_km = float(rule.params.get("leo_limit_km", 2000))
    # fragments inherit their parent's owner (a breakup record names its pieces)
    parents = {f: ev for ev in events if ev.get("type") == "breakup" and ev.get("owner")
               for f in ev.get("fragment_ids") or ()}
    for row in catalog:
        otype = _catalog_type(row)
        if otype not in ("DEBRIS", "ROCKET BODY"):
            continue
        perigee = row.get("perigee_km")
        if perigee is None or perigee > leo_km:
            continue
        n = row.get("mean_motion_rev_day")
        ndot = row.get("mean_motion_dot")  # rev/day^2 (the TLE's first-derivative/2 field)
        # Upper-bound lifetime at today's decay rate: dn/dt = 2 * ndot_field.
        # Decay speeds up as the orbit sinks, so the true lifetime is shorter;
        # the rule only fires where even the generous estimate says "long".
        if n is None or ndot is None:
            continue
        if ndot <= 0:
            years = float("inf")
        else:
            years = max(_N_AT_200_KM - n, 0.0) / (2.0 * ndot) / 365.25
        if years <= max_years:
            continue
        if perigee < 400:  # decay accelerates sharply below ~400 km: do not trust the bound
            continue
        nid = row.get("norad_id")
        when = _t(row.get("epoch"))
        parent = parents.get(nid)
        owner = owners.get(nid) or row.get("owner") or (parent or {}).get("owner")
        evidence = {"perigee_km": perigee, "mean_motion_dot": ndot,
                    "object_type": otype if otype == (row.get("object_type") or "").upper()
                    else f"{otype} (from the name)"}
        if row.get("element_set"):
            evidence["element_set"] = row["element_set"]
        if parent is not None and not (owners.get(nid) or row.get("owner")):
            evidence["owner_from_breakup_of"] = parent.get("parent")
        yield Finding(
            rule=rule.id, title=rule.title, severity=rule.severity,
            responsible=nid, responsible_owner=owner,
            affected=None, affected_owner=None, time=when,
            summary=(
                f"{row.get('name') or nid}: inactive {otype.lower()} with perigee "
                f"{perigee:.0f} km, lifetime at the current decay rate "
                + ("unbounded" if years == float("inf") else f"~{years:.0f} years")
                + f" (> {max_years:g})"
            ),
            source=rule.source, benign_explanation=None,
            evidence=evidence,
            inputs=(row, parent) if "owner_from_breakup_of" in evidence else (row,),
        )


_CHECK_FUNCS = {
    "destructive_breakup": _destructive,
    "unsafe_approach": _unsafe_approach,
    "maneuver_near_foreign_asset": _maneuver_near_foreign,
    "long_lived_debris": _long_lived_debris,
}
