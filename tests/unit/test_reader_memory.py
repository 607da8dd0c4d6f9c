"""What the readers do to hold less than a whole file's worth of copies, each giving the same result."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from assets.sources import DeliveryError, read_delivery
from assets.sources.common import ProvinceAdapter
from assets.sources.readers import (
    DeliveredTable,
    RawFile,
    _longest_line_bytes,
    _parser_input,
    decode_text,
    read_csv_table,
)
from tests.fixtures.deliveries.builders import citizen_id, pseudonymiser, spec, write_csv, write_jsonl
from tests.fuzzing import valid_rows

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


def test_csv_is_parsed_from_the_delivered_bytes(tmp_path: Path) -> None:
    """The CSV parser reads the delivered bytes when they are UTF-8 (a BOM at the start is read through) or
    cp874 (pandas decodes them as it reads); a stray BOM inside (removed from the text) is encoded anew, a
    block at a time; a file not in its promised encoding falls back to the whole file's detection."""
    for name, data in [("plain", "a,ข\n1,๒\n".encode()), ("bom", b"\xef\xbb\xbf" + "a,ข\n1,๒\n".encode())]:
        raw = RawFile(tmp_path / name, data, "")
        assert _parser_input(raw, "utf-8")[0] is data
        assert _parser_input(raw, "utf-8-sig")[0] is data
    stray = RawFile(tmp_path / "stray", "a,ข\n\ufeff1,๒\n".encode(), "")
    assert _parser_input(stray, "utf-8") == ("a,ข\n1,๒\n".encode(), "utf-8-sig", ["encoding utf-8"])
    lines = "".join(f"{i},ข{i}\n" for i in range(50_000))
    thai = RawFile(tmp_path / "cp874", lines.encode("cp874"), "")
    data, codec, notes = _parser_input(thai, "cp874")
    assert data is thai.data and (codec, notes) == ("cp874", ["encoding cp874"])
    assert _parser_input(thai, "tis-620")[1:] == ("cp874", ["encoding tis-620"])  # decoded as cp874 always
    misread = RawFile(tmp_path / "promised-cp874", "a,ข\n".encode(), "")  # UTF-8 Thai, cp874 promised
    data, codec, notes = _parser_input(misread, "cp874")
    assert data is misread.data and notes == decode_text(misread, "cp874")[2] and codec == "utf-8-sig"
    assert "encoding utf-8 detected where the contract says cp874" in notes


def test_cp874_with_a_byte_it_leaves_undefined_reads_as_the_whole_file_decides(tmp_path: Path) -> None:
    """pandas meets the undefined byte part-way through its parse: the file is then read as one decoded
    whole would be, not half-read and not failed on the parser's error."""
    promised = dataclasses.replace(CASES, encoding="cp874")
    path = write_csv(tmp_path / "social_protection_cases.csv", CASES, [CASE], encoding="cp874")
    lines = path.read_bytes()
    many = lines + lines.splitlines(keepends=True)[-1] * 20_000  # 1.3 MB: past pandas' first chunk
    assert len(read_csv_table(RawFile(path, many, ""), promised)) == 20_001
    for bad in (lines.rstrip(b"\n") + b"\xdb\n", many + b"\xfc\n"):  # 0xDB, 0xFC: undefined in cp874
        with pytest.raises(DeliveryError, match="not decodable as cp874 or any supported encoding"):
            read_csv_table(RawFile(path, bad, ""), promised)
    utf8 = lines.decode("cp874").replace("ทุนเสมอภาค", "ทุน ✓").encode()  # no cp874 byte for '✓'
    table = read_csv_table(RawFile(path, utf8, ""), promised)
    assert table.fields["support_given"].tolist() == ["ทุน ✓"]
    assert "encoding utf-8 detected where the contract says cp874" in table.notes


def test_csv_is_never_decoded_whole_when_it_decodes_in_blocks(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole file as text beside its bytes and the parsed rows was the largest thing a worker held
    reading a national CSV: it is decoded a block at a time only (here, decoding it whole fails the test)."""
    import assets.sources.readers as readers

    def whole(*_: object) -> None:
        raise AssertionError("the whole file was decoded")

    monkeypatch.setattr(readers, "decode_delivery", whole)
    for encoding in ("utf-8-sig", "utf-8"):  # the file as its contract promises (UTF-8, a BOM or none)
        path = write_csv(tmp_path / encoding / "cases.csv", CASES, [CASE], encoding=encoding)
        assert read_csv_table(RawFile.read(path), CASES).fields["support_given"].tolist() == ["ทุนเสมอภาค"]
    thai = RawFile(tmp_path / "cp874", "a,ข\n".encode("cp874"), "")  # Satun's promise, parsed as delivered
    assert _parser_input(thai, "cp874") == (thai.data, "cp874", ["encoding cp874"])


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "cp874"])
def test_csv_reads_alike_from_bytes_or_from_text_decoded_whole(tmp_path: Path, encoding: str,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Read from the bytes (with the line checks made on them), or as before from the whole text encoded
    anew: the same fields, rows, notes and row problems, with a quoted line break and the last line cut."""
    import assets.sources.readers as readers

    rows = [CASE, {**CASE, "support_given": ""}, {**CASE, "support_given": "ทุน\r\nเสมอภาค"}, CASE]
    path = write_csv(tmp_path / "social_protection_cases.csv", CASES, rows, encoding=encoding)
    path.write_bytes(path.read_bytes().rstrip(b"\r\n").rsplit(b",", 2)[0])  # the last line cut short
    raw = RawFile.read(path)
    promised = dataclasses.replace(CASES, encoding=encoding)
    direct = read_csv_table(raw, promised)

    def whole(raw: RawFile, expected: str) -> tuple[bytes, str, list[str]]:
        text, _, notes = decode_text(raw, expected)
        return text.encode("utf-8"), "utf-8", notes

    monkeypatch.setattr(readers, "_parser_input", whole)
    encoded = read_csv_table(raw, promised)
    assert direct.fields.equals(encoded.fields)
    assert direct.notes == encoded.notes
    assert direct.source_row.tolist() == encoded.source_row.tolist() == [2, 3, 4, 6]
    assert direct.row_problems.equals(encoded.row_problems) and direct.row_problems.notna().sum() == 1
    assert direct.fields["support_given"].isna().tolist() == [False, True, False, True]  # the cut line's


def test_delivered_fields_are_not_copied_when_put_together() -> None:
    """A DataFrame built from a dict copies every column unless told not to: the delivered table took the
    whole file's columns again (at 6.6 M NT/O-NET rows, 320 MiB more at the adapter's peak)."""
    from assets.sources.readers import _table_from_columns

    delivered = {"person_id": pd.Series(["1", "2", "3"], dtype="str"),
                 "school_id": pd.Series(["1164010001"] * 3, dtype="str")}
    fields = _table_from_columns(CASES, delivered, 3, [])
    assert np.shares_memory(fields["school_id"].array._ndarray, delivered["school_id"].array._ndarray)


def test_typed_rows_hold_each_distinct_value_once_and_only_the_kept_rows() -> None:
    """A column is typed once per distinct value and spread over the kept rows only: text as a categorical
    over "string" values with a byte-sized code per row (a column judged row by row held a new string per
    row, 60 bytes each; spread as "string", an 8-byte pointer per row), lineage text likewise."""
    from assets.contract.entities import ENTITIES
    from assets.parsing.text import DistinctValues
    from assets.sources.common import Context, _typed_rows
    from assets.sources.readers import DeliveredTable

    schools = pd.Series(["1164010001", "1164010002", "1164010001", None], dtype="str")
    fields = pd.DataFrame({"school_id": schools})
    values = {"school_id": DistinctValues.of(schools)}
    table = DeliveredTable(fields, np.array([2, 3, 4, 5]))
    ctx = Context(CASES, RawFile(Path("x.csv"), b"", "0" * 64), "sukhothai", 2567, pseudonymiser())
    keep = np.array([True, False, True, True])
    rows = _typed_rows(ENTITIES["protection_cases"], values, table, ctx, keep)
    school = rows["school_id"]
    assert isinstance(school.dtype, pd.CategoricalDtype) and school.cat.categories.dtype == "string"
    assert school.cat.categories.tolist() == ["1164010001", "1164010002"]
    assert school.cat.codes.dtype == np.int8
    assert school.tolist()[:2] == ["1164010001"] * 2 and school.isna().tolist() == [False, False, True]
    for lineage in ("province", "source_file", "source_sha256", "agency"):
        assert isinstance(rows[lineage].dtype, pd.CategoricalDtype) and len(rows[lineage].cat.categories) <= 1
    assert rows["source_row"].tolist() == [2, 4, 5] and rows["province"].tolist() == ["sukhothai"] * 3
    assert rows["agency"].isna().all() and rows["source_file"].tolist() == ["x.csv"] * 3
    assert rows.index.tolist() == [0, 1, 2] and not values  # each converted column freed once typed


def test_text_over_many_values_stays_string_and_files_put_together_stay_text(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Over more than CATEGORICAL_MAX_VALUES distinct values (person keys) text stays "string" (DuckDB
    loads a categorical as an ENUM built value by value); typed rows of several files are put together with
    their categories united, or as "string" where a file's column is, never as objects."""
    from assets.sources import common

    values = pd.Series(["a", "b", None, "a"])
    few = common.text_rows(values, np.array([0, 1, 2, 3, 0]))
    assert isinstance(few.dtype, pd.CategoricalDtype) and few.cat.categories.tolist() == ["a", "b"]
    assert few.tolist()[:2] == ["a", "b"] and few.isna().tolist() == [False, False, True, False, False]
    monkeypatch.setattr(common, "CATEGORICAL_MAX_VALUES", 1)
    many = common.text_rows(values, np.array([0, 1, 2, 3, 0]))
    assert many.dtype == "string" and many.tolist() == ["a", "b", pd.NA, "a", "a"]
    keys = pd.Series(["".join(["key-", str(n)]) for n in (1, 2)])  # objects made here, not interned
    spread = common.text_rows(keys, np.array([0, 1, 0])).array._ndarray
    assert spread[0] is spread[2] is keys[0]  # rows of one value refer to its one object, not a copy each

    other = pd.DataFrame({"x": common.text_rows(pd.Series(["c"]), np.array([0, 0])), "n": [4, 5]})
    first = pd.DataFrame({"x": few, "n": [1, 2, 3, 4, 5]})
    united = common.concat_contract_rows([first, other])
    assert united["x"].cat.categories.tolist() == ["a", "b", "c"]
    assert united["n"].tolist() == [1, 2, 3, 4, 5, 4, 5]
    assert united["x"].tolist()[-3:] == ["a", "c", "c"]
    mixed = common.concat_contract_rows([first, pd.DataFrame({"x": many[:2], "n": [6, 7]})])
    assert mixed["x"].dtype == "string" and mixed["x"].tolist()[-3:] == ["a", "a", "b"]


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


def test_delivered_text_is_released_before_the_typed_rows_are_made(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The typed rows are made without the delivered fields beside them (released once the rejects' records
    are made from them): the rows and rejects are what they were, a rejected row's record included."""
    import assets.sources.common as common

    rows = [CASE, {**CASE, "follow_up_status": "ไม่รู้"}, CASE]  # an unknown label; a duplicate of row 2
    path = write_csv(tmp_path / "social_protection_cases.csv", CASES, rows)
    columns_left: list[int] = []
    typed_rows = common._typed_rows

    def spy(entity: object, values: object, table: DeliveredTable, *args: object) -> pd.DataFrame:
        columns_left.append(len(table.fields.columns))
        assert len(table.fields) == len(rows)  # the rows' index is kept
        return typed_rows(entity, values, table, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(common, "_typed_rows", spy)
    result = read_delivery(CASES, path, province="sukhothai", academic_year=2566,
                           pseudonymiser=pseudonymiser())
    assert columns_left == [0]
    assert result.rows["follow_up_status"].tolist() == ["in_progress"]
    assert result.rows["source_row"].tolist() == [2]
    assert result.rejects["source_row"].tolist() == [3, 4]
    assert "ไม่รู้" in result.rejects["record"][0] and "duplicate of row 2" in result.rejects["reason"][1]


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


LITERACY = spec("yala", "literacy")


def _literacy_file(tmp_path: Path, count: int = 30) -> Path:
    return write_jsonl(tmp_path / "literacy_screening.jsonl", LITERACY, valid_rows(LITERACY, count, 1))


def _read_literacy(path: Path) -> object:
    return read_delivery(LITERACY, path, province="yala", academic_year=2566, pseudonymiser=pseudonymiser())


def test_json_lines_are_parsed_with_the_files_bytes_released_and_read_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """While records are parsed the delivered bytes are no longer held (the blocks are read from the file
    again): the same rows, rejects and notes as parsing them from the bytes in memory."""
    import assets.sources.readers as readers

    path = _literacy_file(tmp_path)
    held: list[int] = []
    jsonl_table = readers._jsonl_table

    def spy(raw: RawFile, *args: object) -> DeliveredTable:
        held.append(len(raw.data))
        return jsonl_table(raw, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(readers, "_jsonl_table", spy)
    released = _read_literacy(path)
    monkeypatch.setattr(RawFile, "release", lambda self: None)  # as before: blocks of the bytes in memory
    in_memory = _read_literacy(path)
    assert held == [0, path.stat().st_size]
    for name in ("rows", "rejects"):
        pd.testing.assert_frame_equal(getattr(released, name), getattr(in_memory, name))
    assert released.notes == in_memory.notes and released.rows_read == 30  # type: ignore[attr-defined]


def test_json_lines_changed_while_read_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file rewritten between its first read and reading it again is not read half one, half the other."""
    path = _literacy_file(tmp_path)
    release = RawFile.release

    def rewritten(self: RawFile) -> None:
        release(self)
        path.write_bytes(path.read_bytes().replace(b"\n", b"\n\n", 1))  # one more (blank) line

    monkeypatch.setattr(RawFile, "release", rewritten)
    with pytest.raises(DeliveryError, match="changed while it was being read"):
        _read_literacy(path)
