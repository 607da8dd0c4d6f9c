"""Throughput: a one-million-row students CSV (cp874, Thai labels) must parse in well under a minute.

The full-size run is `long` (make test-long); a 100,000-row run keeps the vectorised path honest in the
default suite with a bound loose enough for a shared 2-core machine.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from assets.contract.landing import STATUS_LABELS
from assets.parsing.ids import citizen_id_check_digit
from assets.sources import read_delivery
from tests.fixtures.deliveries.builders import pseudonymiser, spec

STUDENTS = spec("satun", "students")


def write_students(path: Path, n: int, seed: int = 7) -> None:
    """n students with valid, distinct citizen IDs, a few bad rows, written with vectorised string ops."""
    rng = np.random.default_rng(seed)
    first12 = pd.Series(np.arange(n, dtype=np.int64) + 110_000_000_000).astype("str")
    weights = np.arange(13, 1, -1)
    digits = np.frombuffer("".join(first12).encode(), dtype=np.uint8).reshape(n, 12) - 48
    check = (11 - (digits @ weights) % 11) % 10
    ids = first12 + pd.Series(check).astype("str")
    assert ids.iloc[0][12] == str(citizen_id_check_digit(ids.iloc[0][:12]))
    grades = np.array(["อ.1", "อบ.2", "ป.1", "ป.2", "ป.3", "ป.4", "ป.5", "ป.6", "ม.1", "ม.2", "ม.3", "ม.4"])
    day = pd.Series(rng.integers(1, 29, n)).astype("str").str.zfill(2)
    month = pd.Series(rng.integers(1, 13, n)).astype("str").str.zfill(2)
    year = pd.Series(rng.integers(2548, 2563, n)).astype("str")
    frame = pd.DataFrame(
        {
            "เลขประจำตัวประชาชน": ids,
            "ชื่อ": "สมชาย",
            "นามสกุล": "ใจดี",
            "รหัสโรงเรียน": "10910" + pd.Series(rng.integers(10000, 10300, n)).astype("str"),
            "ชั้น": grades[rng.integers(0, len(grades), n)],
            "เพศ": np.where(rng.random(n) < 0.5, "ชาย", "หญิง"),
            "วันเกิด": day + "/" + month + "/" + year,
            "สถานะสิ้นปีการศึกษา": np.array(list(STATUS_LABELS))[rng.integers(0, 3, n)],
            "สาเหตุการออกกลางคัน": "",
            "ภาษาที่ใช้ที่บ้าน": "ไทย",
        }
    )
    frame.loc[::1000, "วันเกิด"] = "01/01/2012"  # CE years: 1 row in 1000 rejected
    frame.to_csv(path, index=False, encoding="cp874")


def parse_seconds(tmp_path: Path, n: int) -> tuple[float, int, int]:
    path = tmp_path / "students.csv"
    write_students(path, n)
    start = time.perf_counter()
    result = read_delivery(
        STUDENTS, path, province="satun", academic_year=2566, pseudonymiser=pseudonymiser()
    )
    elapsed = time.perf_counter() - start
    assert result.rows_read == n == len(result.rows) + len(result.rejects)
    return elapsed, len(result.rows), len(result.rejects)


def test_hundred_thousand_rows(tmp_path: Path) -> None:
    elapsed, rows, rejects = parse_seconds(tmp_path, 100_000)
    assert rejects == 100 and rows == 99_900
    assert elapsed < 20, f"{elapsed:.1f} s for 100,000 rows"


@pytest.mark.long
def test_one_million_rows(tmp_path: Path) -> None:
    elapsed, rows, rejects = parse_seconds(tmp_path, 1_000_000)
    assert rejects == 1000
    assert elapsed < 60, f"{elapsed:.1f} s for 1,000,000 rows"
