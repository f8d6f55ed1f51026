"""Helpers to load CARA's reference conjunctions (shared data) for the collision tests."""

from __future__ import annotations

import csv
import json

import numpy as np

from orbitwatch.ccsds.cdm import read_cdm
from orbitwatch.collision.encounter import conjunction_from_cdm
from tests.conftest import shared_path


def cara_rows():
    d = shared_path("collision_probability", "cara_PcTestCaseCDMs")
    with open(d / "CARA_PcMethod_Test_Conjunctions.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def cara_conjunction(row):
    d = shared_path("collision_probability", "cara_PcTestCaseCDMs")
    cdm = read_cdm(d / f"{row['Conjunction_ID']}.cdm")
    return conjunction_from_cdm(cdm, float(row["HBR_m"]))


def unit_test_refs():
    p = shared_path("collision_probability", "cara_unit_test_reference_values.json")
    return json.loads(p.read_text())


def alfano_case(n: int):
    """(r1, v1, C1, r2, v2, C2) in m, m/s, m^2 from 'Case<n> data at TCA.csv'."""
    p = shared_path("collision_probability", "alfano_2009_test_cases", f"Case{n} data at TCA.csv")

    def isnum(x):
        try:
            float(x)
            return True
        except ValueError:
            return False

    with open(p, newline="") as fh:
        rows = [[float(x) for x in r if x.strip()] for r in csv.reader(fh) if r and isnum(r[0])]
    return (np.array(rows[0]), np.array(rows[1]), np.array(rows[2:8]), np.array(rows[8]),
            np.array(rows[9]), np.array(rows[10:16]))
