"""A three-partner world with every combination of releasability, and its oracle.

Partners US, JP, FR.  For each record type (element sets, conjunctions,
events, sensors) each partner contributes one record per releasability
combination: own only, to each single other partner, to both others, ALL.
:func:`expected_visible` is the rule of the issue written out plainly, used
as the oracle of the tests.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

PARTNERS = {"US": "United States", "JP": "Japan", "FR": "France"}
EPOCH = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)


def combos(partner: str) -> list[str]:
    others = [p for p in PARTNERS if p != partner]
    return [partner, others[0], others[1], ",".join(others), "ALL"]


def expected_visible(viewer: str, partner: str | None, releasable_to: str) -> bool:
    """The issue's rule: own records, records releasable to the viewer, or to ALL."""
    if partner == viewer:
        return True
    if releasable_to == "ALL":
        return True
    return viewer in [c.strip() for c in releasable_to.split(",")]


def make_tle(norad_id: int, name: str, *, raan_deg: float = 10.0, mean_anomaly_deg: float = 0.0,
             epoch: datetime = EPOCH, mean_motion: float = 15.5, inclination_deg: float = 51.6,
             eccentricity: float = 0.0005, set_no: int = 1) -> str:
    """3LE text of a synthetic element set (checksums from the shared TLE writer)."""
    from orbitwatch.elements import ElementSet, format_tle

    es = ElementSet(
        norad_id=norad_id, epoch=epoch, mean_motion_rev_day=mean_motion,
        eccentricity=eccentricity, inclination_deg=inclination_deg, raan_deg=raan_deg,
        arg_perigee_deg=90.0, mean_anomaly_deg=mean_anomaly_deg, bstar=1e-4,
        name=name, intl_designator="26001A", element_set_no=set_no,
    )
    l1, l2 = format_tle(es)
    return f"{name}\n{l1}\n{l2}\n"


class World:
    """What was seeded: records as (id, partner, releasable_to, extra)."""

    def __init__(self):
        self.objects: dict[int, list[tuple[str, str]]] = {}  # norad -> [(partner, rel)] per set
        self.names: dict[int, str] = {}
        self.conjunctions: list[tuple[int, str, str]] = []
        self.events: list[tuple[int, str, str]] = []
        self.sensors: list[tuple[int, str, str]] = []
        self.tokens: dict[tuple[str, str], str] = {}  # (partner, role) -> token

    def visible_objects(self, viewer: str) -> set[int]:
        return {n for n, sets in self.objects.items()
                if any(expected_visible(viewer, p, r) for p, r in sets)}

    def visible(self, kind: str, viewer: str) -> set[int]:
        return {i for i, p, r in getattr(self, kind) if expected_visible(viewer, p, r)}


def seed(engine) -> World:
    """Fill an empty, migrated store; returns the :class:`World` oracle."""
    from sqlalchemy import update

    from orbitwatch.elements import parse_text
    from orbitwatch.store import shared
    from orbitwatch.store.catalog import ingest_parse_result
    from orbitwatch.store.db import session_factory
    from orbitwatch.store.models import objects_table

    w = World()
    sessions = session_factory(engine)
    with sessions() as db:
        for code, name in PARTNERS.items():
            shared.add_partner(db, code=code, name=name)
        for code in PARTNERS:
            for role in ("viewer", "analyst", "admin"):
                token, _ = shared.create_token(db, partner=code, role=role)
                w.tokens[(code, role)] = token
        db.commit()

        norad = 90001
        k = 0
        for code in PARTNERS:
            for rel in combos(code):
                name = f"SEED {code} {rel.replace(',', '+')}"
                text = make_tle(norad, name, raan_deg=10.0 * k, mean_anomaly_deg=24.0 * k)
                ingest_parse_result(db.connection(), parse_text(text, f"{code}.tle"),
                                    partner=code, releasable_to=rel)
                w.objects[norad] = [(code, rel)]
                w.names[norad] = name
                norad += 1
                k += 1
        # one object with two element sets: US own-only (newer) and JP to FR
        for code, rel, ep in (("US", "US", EPOCH + timedelta(days=1)), ("JP", "FR", EPOCH)):
            text = make_tle(90100, "SHARED TWO SETS", epoch=ep, raan_deg=5.0)
            ingest_parse_result(db.connection(), parse_text(text, f"{code}.tle"),
                                partner=code, releasable_to=rel)
        w.objects[90100] = [("US", "US"), ("JP", "FR")]
        w.names[90100] = "SHARED TWO SETS"
        # owner / type metadata for filter tests
        for nid in w.objects:
            owner = "US" if nid % 2 else "JPN"
            otype = "PAYLOAD" if nid % 3 else "DEBRIS"
            db.execute(update(objects_table).where(objects_table.c.norad_id == nid)
                       .values(owner=owner, object_type=otype))

        k = 0
        for code in PARTNERS:
            for rel in combos(code):
                [cid] = shared.add_conjunctions(
                    db,
                    conjunctions=[{
                        "object_1": 90001 + k, "object_2": 90002 + (k % 14),
                        "object_1_name": "A", "object_2_name": "B",
                        "tca": EPOCH + timedelta(hours=k), "miss_distance_km": 0.1 + 0.3 * k,
                        "relative_speed_km_s": 10.0, "miss_r_km": 0.05, "miss_t_km": 0.05 + 0.3 * k,
                        "miss_n_km": 0.07,
                        "pc": (10.0 ** -(k % 7 + 2)) if k % 4 else None,
                        "state_1": [6778.0, 0.0, 0.0, 0.0, 7.67, 0.0],
                        "state_2": [6778.0, 0.1 + 0.3 * k, 0.0, 0.0, 0.0, 7.67],
                    }],
                    partner=code, releasable_to=rel,
                )
                w.conjunctions.append((cid, code, rel))
                eid = shared.add_event(
                    db, kind=("maneuver", "proximity", "breakup", "finding")[k % 4],
                    time=EPOCH + timedelta(hours=k), norad_id=90001 + k,
                    title=f"event {code} {rel}", payload={"k": k}, partner=code, releasable_to=rel,
                )
                w.events.append((eid, code, rel))
                sid = shared.add_sensor(
                    db, code=f"S{k}", name=f"sensor {code} {rel}", kind="radar",
                    latitude_deg=10.0 + k, longitude_deg=-50.0 + 7 * k, altitude_km=0.1,
                    partner=code, releasable_to=rel,
                )
                w.sensors.append((sid, code, rel))
                k += 1
        db.commit()
    return w
