"""Fast construction of frozen ``ElementSet`` records for bulk readers.

A frozen slotted dataclass's generated ``__init__`` routes every field through
``object.__setattr__``, which dominates the cost of reading a large TLE file
(several microseconds per record, comparable to sgp4's own ``twoline2rv``).
Here the slots are filled on an instance of a plain twin class with the same
``__slots__`` (ordinary, fast attribute stores) whose ``__class__`` is then
switched to ``ElementSet`` — CPython allows this because the two layouts are
identical.  The result is an ordinary ``ElementSet``: equal, equally hashed,
still frozen.  An import-time self-check falls back to writing through the
slot descriptors if the trick is ever unavailable.
"""

from __future__ import annotations

from dataclasses import MISSING, fields
from datetime import UTC, datetime

from orbitwatch.elements.model import ElementSet


def _params(env: dict[str, object]) -> tuple[list[str], list[str]]:
    names, params = [], []
    for i, f in enumerate(fields(ElementSet)):
        names.append(f.name)
        if f.default is not MISSING:
            env[f"_d{i}"] = f.default
            params.append(f"{f.name}=_d{i}")
        else:
            params.append(f.name)
    return names, params


def _generate_twin():
    twin = type("_ElementSetTwin", (object,), {"__slots__": ElementSet.__slots__})
    env: dict[str, object] = {"_new": object.__new__, "_cls": ElementSet, "_twin": twin}
    names, params = _params(env)
    body = "".join(f"    o.{n} = {n}\n" for n in names)
    src = (
        f"def make_element_set({', '.join(params)}):\n    o = _new(_twin)\n{body}"
        "    o.__class__ = _cls\n    return o\n"
    )
    exec(src, env)  # noqa: S102 - generated from the dataclass's own field list
    return env["make_element_set"]


def _generate_descriptors():
    env: dict[str, object] = {"_new": object.__new__, "_cls": ElementSet}
    names, params = _params(env)
    for i, n in enumerate(names):
        env[f"_s{i}"] = ElementSet.__dict__[n].__set__
    body = "".join(f"    _s{i}(o, {n})\n" for i, n in enumerate(names))
    src = f"def make_element_set({', '.join(params)}):\n    o = _new(_cls)\n{body}    return o\n"
    exec(src, env)  # noqa: S102
    return env["make_element_set"]


def _select():
    sample = dict(
        norad_id=5,
        epoch=datetime(2020, 1, 1, tzinfo=UTC),
        mean_motion_rev_day=10.8,
        eccentricity=0.18,
        inclination_deg=34.2,
        raan_deg=1.0,
        arg_perigee_deg=2.0,
        mean_anomaly_deg=3.0,
        bstar=1e-4,
    )
    try:
        fn = _generate_twin()
        got = fn(**sample)
        if type(got) is ElementSet and got == ElementSet(**sample):
            return fn
    except (TypeError, AttributeError):
        pass
    return _generate_descriptors()


make_element_set = _select()
make_element_set.__doc__ = (
    "Build an ``ElementSet`` (same arguments as its constructor) without the "
    "frozen-dataclass setattr overhead."
)
