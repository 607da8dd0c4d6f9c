"""Synthetic contract rows for tests and benchmarks of the validation (vectorised: 1M rows in about a second).

Rows are valid under the baseline suites; `students(n, bad_fraction=...)` spoils a fraction of them in
known ways so that the quarantine can be checked against what was spoiled.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from assets.checks.derived import BE_OFFSET, OFFICIAL_AGE
from assets.contract.entities import ENTITIES, PROVINCES, STUDENT_STATUSES
from assets.sources.common import CONTRACT_DTYPES

SHA = "ab" * 32


def _hex_keys(rng: np.random.Generator, n: int) -> np.ndarray:
    """n distinct 32-hex-character keys (a counter mixed by a random odd multiplier, so no collisions)."""
    high = rng.integers(0, 2**63, dtype=np.uint64)
    low = (np.arange(n, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)) ^ np.uint64(rng.integers(0, 2**63))
    return np.char.add(np.char.mod("%016x", np.full(n, high)), np.char.mod("%016x", low)).astype(object)


def _lineage(n: int, province: str, academic_year: int, source_file: str) -> dict[str, object]:
    return {
        "province": pd.array([province] * n, dtype="string"),
        "academic_year": pd.array(np.full(n, academic_year), dtype="Int64"),
        "agency": pd.array(["obec"] * n, dtype="string"),
        "source_sha256": pd.array([SHA] * n, dtype="string"),
        "source_file": pd.array([source_file] * n, dtype="string"),
        "source_row": pd.array(np.arange(2, n + 2), dtype="Int64"),
    }


def school_ids(rng: np.random.Generator, n: int, province: str, schools: int = 500) -> np.ndarray:
    pool = np.char.add(f"10{PROVINCES[province]}", np.char.zfill(np.arange(1, schools + 1).astype(str), 6))
    return pool[rng.integers(0, schools, n)].astype(object)


def students(n: int, province: str = "yala", academic_year: int = 2566, seed: int = 0) -> pd.DataFrame:
    """n valid student rows: ages on time for the grade (±1 year), unique keys, real-looking school IDs."""
    rng = np.random.default_rng(seed)
    grades = np.array([g for g in OFFICIAL_AGE if not g.startswith("V")])
    grade = grades[rng.integers(0, len(grades), n)]
    official = pd.Series(grade).map(OFFICIAL_AGE).to_numpy()
    age = official + rng.integers(-1, 2, n)
    # Born between 17 May and 31 Dec of (reference year - age - 1) or 1 Jan-16 May of (reference year - age).
    start = pd.Timestamp(f"{academic_year - BE_OFFSET}-05-17")
    birth = (start - pd.to_timedelta((age + 1) * 365.25, unit="D")
             + pd.to_timedelta(rng.integers(5, 360, n), unit="D")).normalize()
    frame = pd.DataFrame({
        "student_key": pd.array(_hex_keys(rng, n), dtype="string"),
        "id_kind": pd.array(np.where(rng.random(n) < 0.9, "citizen_id", "g_code"), dtype="string"),
        "school_id": pd.array(school_ids(rng, n, province), dtype="string"),
        "grade": pd.array(grade, dtype="string"),
        "sex": pd.array(np.where(rng.random(n) < 0.5, "M", "F"), dtype="string"),
        "birth_date": pd.Series(birth).astype("datetime64[ns]"),
        "status": pd.array(np.array(STUDENT_STATUSES[:3])[rng.integers(0, 3, n)], dtype="string"),
        "dropout_reason": pd.array([None] * n, dtype="string"),
        "home_language": pd.array([None] * n, dtype="string"),
        **_lineage(n, province, academic_year, "students.csv"),
    })
    return frame[ENTITIES["students"].column_names]


def spoil_students(frame: pd.DataFrame, fraction: float, seed: int = 1) -> tuple[pd.DataFrame, np.ndarray]:
    """A copy with `fraction` of rows spoiled (unknown grade, bad school ID or implausible birth date, in
    turn); returns it and the spoiled positions."""
    rng = np.random.default_rng(seed)
    spoiled = frame.copy()
    positions = np.sort(rng.choice(len(frame), int(len(frame) * fraction), replace=False))
    thirds = np.array_split(positions, 3)
    spoiled.loc[thirds[0], "grade"] = "P7"
    spoiled.loc[thirds[1], "school_id"] = "99" + spoiled.loc[thirds[1], "school_id"].str[2:]
    spoiled.loc[thirds[2], "birth_date"] = spoiled.loc[thirds[2], "birth_date"] - pd.Timedelta(days=3653)
    return spoiled, positions


def contract_frame(entity: str, records: list[dict[str, object]], province: str = "yala",
                   academic_year: int = 2566, source_file: str = "delivery.csv") -> pd.DataFrame:
    """Typed contract rows of `entity` from hand-written records (contract column → value; lineage columns
    default to the given province and year, rows numbered from 2), as an adapter would return them."""
    n = len(records)
    lineage = _lineage(n, province, academic_year, source_file)
    columns: dict[str, object] = {}
    for column in ENTITIES[entity].all_columns:
        if column.name in lineage and all(column.name not in r for r in records):
            columns[column.name] = lineage[column.name]
            continue
        values = [r.get(column.name) for r in records]
        columns[column.name] = pd.Series(values, dtype=CONTRACT_DTYPES[column.type])
    return pd.DataFrame(columns)[ENTITIES[entity].column_names]
