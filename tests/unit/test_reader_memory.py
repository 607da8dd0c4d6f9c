"""What the readers do to hold less than a whole file's worth of copies, each giving the same result."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from assets.sources import read_delivery
from assets.sources.common import ProvinceAdapter
from assets.sources.readers import RawFile, _as_utf8, _longest_line_bytes, read_csv_table
from tests.fixtures.deliveries.builders import citizen_id, pseudonymiser, spec, write_csv

CASES = spec("sukhothai", "protection_cases")
CASE = dict(person_id=citizen_id(1), school_id="1164010001", disadvantage_type="ยากจนพิเศษ",
            support_given="ทุนเสมอภาค", follow_up_status="กำลังติดตาม")


def test_longest_line_scanned_in_blocks_is_the_longest_line() -> None:
    """Line feeds are found a block of bytes at a time; a line may span any number of blocks."""
    rng = random.Random(7)
    for _ in range(2000):
        data = bytes(rng.choice(b"ab\n") for _ in range(rng.randrange(0, 40)))
        longest = max(len(line) for line in data.split(b"\n"))
        for block in (1, 2, 3, 5, 64):
            assert _longest_line_bytes(data, block) == longest, (data, block)


def test_utf8_csv_is_parsed_from_the_delivered_bytes(tmp_path: Path) -> None:
    """The CSV parser reads UTF-8 bytes: a file that decoded as UTF-8 is handed over as it is (its BOM at the
    start is read through); a stray BOM inside (removed from the text) or another encoding is encoded anew."""
    for name, data, used in [
        ("plain", "a,ข\n1,๒\n".encode(), "utf-8"),
        ("bom", b"\xef\xbb\xbf" + "a,ข\n1,๒\n".encode(), "utf-8-sig"),
    ]:
        raw = RawFile(tmp_path / name, data, "")
        assert _as_utf8(raw, data.decode("utf-8-sig"), used) is data
    stray = RawFile(tmp_path / "stray", "a,ข\n\ufeff1,๒\n".encode(), "")
    assert _as_utf8(stray, "a,ข\n1,๒\n", "utf-8") == "a,ข\n1,๒\n".encode()
    thai = RawFile(tmp_path / "cp874", "a,ข\n".encode("cp874"), "")
    assert _as_utf8(thai, "a,ข\n", "cp874") == "a,ข\n".encode()


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "cp874"])
def test_csv_reads_alike_from_bytes_or_from_text_encoded_anew(tmp_path: Path, encoding: str,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import assets.sources.readers as readers

    path = write_csv(tmp_path / "social_protection_cases.csv", CASES, [CASE, {**CASE, "support_given": ""}],
                     encoding=encoding)
    raw = RawFile.read(path)
    direct = read_csv_table(raw, CASES)
    monkeypatch.setattr(readers, "_as_utf8", lambda raw, text, used: text.encode("utf-8"))
    encoded = read_csv_table(raw, CASES)
    assert direct.fields.equals(encoded.fields)
    assert direct.notes == encoded.notes
    assert direct.fields["support_given"].isna().tolist() == [False, True]


def test_the_files_bytes_are_released_before_the_conversion(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The conversion to the contract (the adapter's busiest step) no longer holds the delivered bytes: it
    gets the file's name and content address only."""
    path = write_csv(tmp_path / "social_protection_cases.csv", CASES, [CASE])
    seen: list[RawFile] = []
    finish = ProvinceAdapter.finish

    def spy(self: ProvinceAdapter, table: object, ctx: object) -> object:
        seen.append(ctx.raw)  # type: ignore[attr-defined]
        return finish(self, table, ctx)  # type: ignore[arg-type]

    monkeypatch.setattr(ProvinceAdapter, "finish", spy)
    result = read_delivery(CASES, path, province="sukhothai", academic_year=2566,
                           pseudonymiser=pseudonymiser())
    assert [(r.data, r.name, r.sha256) for r in seen] == [(b"", path.name, RawFile.read(path).sha256)]
    assert result.source_sha256 == RawFile.read(path).sha256 and len(result.rows) == 1


def test_freed_memory_goes_back_to_the_system() -> None:
    """After a file, a worker hands the C heap's free pages back (glibc's malloc_trim): 280 MB freed between
    objects still alive (as a file's frames leave the heap) stop being the process's resident memory."""
    from assets.free_memory import release_free_memory

    def resident_mib() -> float:
        return int(Path("/proc/self/statm").read_text().split()[1]) * 4096 / 2**20

    release_free_memory()
    before = resident_mib()
    allocated = [bytes(8000) + bytes([i % 256]) for i in range(40_000)]  # the C heap, not mmap
    kept = allocated[::8]
    grown = resident_mib()
    del allocated
    assert grown - before > 250
    assert resident_mib() - before > 250  # free() alone keeps pages between live objects
    assert release_free_memory() is True
    assert resident_mib() - before < 100
    assert len(kept) == 5000


def test_rows_kept_in_place_free_the_whole_table() -> None:
    """A national adapter keeps its sandbox provinces' rows in place (DeliveredTable.keep_only): the same rows
    as `subset`, and the whole table's fields are freed at once, although its caller still holds the table."""
    import gc
    import weakref

    import numpy as np
    import pandas as pd

    from assets.sources.readers import DeliveredTable

    def table() -> DeliveredTable:
        fields = pd.DataFrame({"school_id": ["1095", "1091", None, "1064"], "score": ["1", "2", "3", "4"]},
                              dtype="str")
        return DeliveredTable(fields, np.array([2, 3, 4, 5]), sheet=pd.Series(list("abcd"), dtype="str"),
                              notes=["encoding cp874"])

    keep = np.array([True, False, True, True])
    expected = table().subset(keep)
    in_place = table()
    whole = weakref.ref(in_place.fields)
    in_place.keep_only(keep)
    gc.collect()
    assert whole() is None
    pd.testing.assert_frame_equal(in_place.fields, expected.fields)
    assert in_place.source_row.tolist() == [2, 4, 5] and in_place.sheet.tolist() == ["a", "c", "d"]
    assert in_place.notes == ["encoding cp874"] and in_place.agency is None and in_place.row_problems is None
