"""Yala: JSON Lines per entity and agency, English-ish keys, Thai labels, Buddhist-Era ISO dates."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from assets.sources import DeliveryError, read_delivery
from tests.fixtures.deliveries.builders import (
    bad_check_digit,
    check_result,
    citizen_id,
    pseudonymiser,
    reasons_by_row,
    spec,
    write_jsonl,
)

SCHOOL = "1195010001"
STUDENTS = spec("yala", "students")


def student(n: int, **overrides: object) -> dict[str, object]:
    row: dict[str, object] = dict(
        person_id=citizen_id(n),
        first_name="อาดีลัน",
        last_name="ดอเลาะ",
        school_id=SCHOOL,
        grade="ป.4",
        sex="ชาย",
        birth_date="2556-05-20",
        status="กำลังศึกษา",
        dropout_reason=None,
        home_language="มลายูถิ่น",
    )
    row.update(overrides)
    return row


def read(source, path: Path, agency: str | None = None):
    return read_delivery(
        source, path, province="yala", academic_year=2566, pseudonymiser=pseudonymiser(), agency=agency
    )


def test_students_per_agency_file(tmp_path: Path) -> None:
    rows = [
        student(1),
        student(2, sex="หญิง", grade="อ.3", birth_date="2560-12-31"),
        student(3, person_id=int(citizen_id(3)), grade="ม.1", birth_date="2553-01-02 00:00:00"),
    ]
    path = write_jsonl(tmp_path / "students_opec.jsonl", STUDENTS, rows)

    result = read(STUDENTS, path)

    check_result(result, raw_ids=[citizen_id(1), citizen_id(3)])
    assert result.rejects.empty
    assert set(result.rows["agency"]) == {"opec"}  # from the file name
    assert result.rows["grade"].tolist() == ["P4", "K3", "M1"]
    assert result.rows["birth_date"].tolist() == [
        pd.Timestamp(2013, 5, 20),
        pd.Timestamp(2017, 12, 31),
        pd.Timestamp(2010, 1, 2),
    ]
    # a citizen ID sent as a JSON number keeps all 13 digits and pseudonymises like the string
    assert result.rows["student_key"][2] == pseudonymiser().key_for(citizen_id(3))
    assert result.rows["source_row"].tolist() == [1, 2, 3]


def test_explicit_agency_wins_and_schools_file_has_none(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "students_lao.jsonl", STUDENTS, [student(1)])
    assert read(STUDENTS, path, agency="lao").rows["agency"].tolist() == ["lao"]
    schools = spec("yala", "schools")
    path = write_jsonl(
        tmp_path / "schools.jsonl",
        schools,
        [
            dict(
                school_id=SCHOOL,
                school_name="ศาสนสามัคคี",
                affiliation="11",
                district_code="9501",
                sandbox_member=True,
            )
        ],
    )
    result = read(schools, path)
    check_result(result)
    assert result.rows["agency"].isna().all()
    assert result.rows["sandbox_member"].tolist() == [True]


def test_row_rejects_and_line_numbers(tmp_path: Path) -> None:
    rows = [
        student(1),
        student(2, birth_date="2013-05-20"),
        student(3, person_id=bad_check_digit(3)),
        student(1),
        student(4, person_id="g-1234-5678-9012", status="ย้ายออก"),
        student(5, person_id=""),
    ]
    path = write_jsonl(tmp_path / "students_obec.jsonl", STUDENTS, rows)
    # a blank line in the middle: skipped, but line numbers stay physical
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([*lines[:2], "", *lines[2:]]) + "\n", encoding="utf-8")

    result = read(STUDENTS, path)

    check_result(result, raw_ids=[bad_check_digit(3)])
    assert result.rows["source_row"].tolist() == [1, 6]
    assert result.rows["id_kind"].tolist() == ["citizen_id", "g_code"]
    assert reasons_by_row(result) == {
        2: "birth_date: Common-Era year 2013 where Buddhist Era expected",
        4: "person_id: citizen ID fails its check digit",
        5: "duplicate of row 1",
        7: "person_id: missing",
    }


def test_literacy_screening(tmp_path: Path) -> None:
    source = spec("yala", "literacy")
    base = dict(school_id=SCHOOL, grade="ป.1", screened_on="2566-07-15")
    rows = [
        dict(base, person_id=citizen_id(1), skill="reading", score=72.5, passed="ผ่าน"),
        dict(base, person_id=citizen_id(1), skill="การเขียน", score="40", passed="ไม่ผ่าน"),
        dict(base, person_id=citizen_id(1), skill="reading", score=90, passed=True),
        dict(base, person_id=citizen_id(2), skill="ฟัง", score=50, passed=False),
    ]
    result = read(source, write_jsonl(tmp_path / "literacy_screening.jsonl", source, rows))
    check_result(result)
    assert result.rows[["skill", "score", "passed"]].values.tolist() == [
        ["reading", 72.5, True],
        ["writing", 40.0, False],
    ]
    assert result.rows["screened_on"].tolist() == [pd.Timestamp(2023, 7, 15)] * 2
    assert reasons_by_row(result) == {3: "duplicate of row 1", 4: "skill: unknown value 'ฟัง'"}


def test_line_that_is_not_json_names_the_line(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "students_obec.jsonl", STUDENTS, [student(1), student(2)])
    path.write_text(path.read_text(encoding="utf-8") + '{"cid": "1", "fname": \n', encoding="utf-8")
    with pytest.raises(DeliveryError) as err:
        read(STUDENTS, path)
    assert "line 3" in err.value.problem and err.value.path == str(path)


def test_line_that_is_json_but_not_an_object(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "students_obec.jsonl", STUDENTS, [student(1)])
    path.write_text(path.read_text(encoding="utf-8") + "[1, 2]\n", encoding="utf-8")
    with pytest.raises(DeliveryError, match="line 2 is not a JSON object"):
        read(STUDENTS, path)


def test_key_missing_from_every_line_is_structural(tmp_path: Path) -> None:
    rows = [{k: v for k, v in student(n).items() if k != "grade"} for n in (1, 2)]
    path = write_jsonl(tmp_path / "students_obec.jsonl", STUDENTS, rows)
    with pytest.raises(DeliveryError, match=r"'class' \(grade\)"):
        read(STUDENTS, path)


def test_key_missing_from_one_line_is_a_row_reject(tmp_path: Path) -> None:
    rows = [student(1), {k: v for k, v in student(2).items() if k != "grade"}]
    result = read(STUDENTS, write_jsonl(tmp_path / "students_obec.jsonl", STUDENTS, rows))
    assert reasons_by_row(result) == {2: "grade: required value missing"}


def test_empty_jsonl_is_structural(tmp_path: Path) -> None:
    path = tmp_path / "students_obec.jsonl"
    path.write_text("\n\n", encoding="utf-8")
    with pytest.raises(DeliveryError, match="empty"):
        read(STUDENTS, path)


def test_names_never_leave_the_reader(tmp_path: Path) -> None:
    rows = [student(1), student(2, sex="?")]
    result = read(STUDENTS, write_jsonl(tmp_path / "students_obec.jsonl", STUDENTS, rows))
    dumped = result.rows.astype("string").to_csv() + "".join(result.rejects["record"])
    assert "อาดีลัน" not in dumped and "ดอเลาะ" not in dumped
    assert json.loads(result.rejects["record"][0])["sex"] == "?"


def test_lines_parsed_in_chunks_give_the_frame_of_all_lines(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The reader turns every JSONL_CHUNK_LINES lines into a frame (a whole roster's dicts at once took
    most of a worker's memory). Chunks of two lines, where a key is absent from a whole chunk, typed as a
    boolean or a number in one chunk and text in another, and lines come in another key order, CRLF and
    blank, give exactly the rows and rejects of one frame over all lines."""
    import assets.sources.readers as readers

    rows = [
        student(1),
        student(2, home_language=True),
        {k: v for k, v in reversed(student(3).items())},
        {k: v for k, v in student(4).items() if k not in ("dropout_reason", "home_language")},
        {k: v for k, v in student(5).items() if k not in ("dropout_reason", "home_language")},
        student(6, person_id=int(citizen_id(6)), home_language=None, grade="ป.7"),
        {k: v for k, v in student(7).items() if k != "grade"},
        student(8, sex=False, dropout_reason=12),
        student(1),
    ]
    path = write_jsonl(tmp_path / "students_obec.jsonl", STUDENTS, rows)
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_bytes("\r\n".join([*lines[:3], "", *lines[3:]]).encode("utf-8") + b"\n")

    monkeypatch.setattr(readers, "JSONL_CHUNK_LINES", 10_000)
    whole = read(STUDENTS, path)
    monkeypatch.setattr(readers, "JSONL_CHUNK_LINES", 2)
    chunked = read(STUDENTS, path)

    pd.testing.assert_frame_equal(chunked.rows, whole.rows)
    pd.testing.assert_frame_equal(chunked.rejects, whole.rejects)
    assert whole.rows["source_row"].tolist() == [1, 2, 3, 5, 6]
    assert reasons_by_row(whole) == {7: "grade: unknown grade 'ป.7'", 8: "grade: required value missing",
                                     9: "sex: unknown value 'false'", 10: "duplicate of row 1"}


@pytest.mark.parametrize("line_break", ["\n", "\r\n", "\r"])
def test_text_decoded_in_blocks_gives_the_rows_of_the_whole_text(tmp_path: Path, line_break: str,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The reader decodes a block at a time (assets.parsing.encoding.TEXT_BLOCK_BYTES): with blocks shorter
    than a line, blank lines, a BOM at the start and stray ones inside and no final line break, every line
    keeps its number and the rows, rejects and notes are those of the text decoded whole."""
    import assets.parsing.encoding as encoding

    rows = [student(n, grade="ป.7" if n == 5 else "ป.4") for n in range(1, 9)] + [student(2)]
    path = write_jsonl(tmp_path / "students_obec.jsonl", STUDENTS, rows)
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[3] = "\ufeff" + lines[3]
    text = line_break.join([*lines[:2], "", *lines[2:6], "  ", *lines[6:]])
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))

    monkeypatch.setattr(encoding, "TEXT_BLOCK_BYTES", 10**9)
    whole = read(STUDENTS, path)
    monkeypatch.setattr(encoding, "TEXT_BLOCK_BYTES", 16)
    in_blocks = read(STUDENTS, path)

    pd.testing.assert_frame_equal(in_blocks.rows, whole.rows)
    pd.testing.assert_frame_equal(in_blocks.rejects, whole.rejects)
    assert in_blocks.notes == whole.notes
    assert whole.rows["source_row"].tolist() == [1, 2, 4, 5, 7, 9, 10]  # 3 and 8 blank
    assert reasons_by_row(whole) == {6: "grade: unknown grade 'ป.7'", 11: "duplicate of row 2"}


def test_a_file_the_blocks_cannot_read_is_read_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file that does not decode with the contract's encoding is decoded whole, with detection (noted); a
    broken file reports the whole file's first problem: here its encoding, although a line in a block before
    the undecodable byte's is not JSON either."""
    import assets.parsing.encoding as encoding

    monkeypatch.setattr(encoding, "TEXT_BLOCK_BYTES", 16)
    cp874 = tmp_path / "cp874" / "students_obec.jsonl"
    write_jsonl(cp874, STUDENTS, [student(1), student(2)])
    cp874.write_bytes(cp874.read_text(encoding="utf-8").encode("cp874"))
    result = read(STUDENTS, cp874)
    assert len(result.rows) == 2
    assert "encoding cp874 detected where the contract says utf-8" in result.notes

    broken = write_jsonl(tmp_path / "broken" / "students_obec.jsonl", STUDENTS,
                         [student(n) for n in range(9)])
    data = broken.read_bytes().replace(b"}\n", b"\n", 1)  # line 1 is not JSON ...
    broken.write_bytes(data + b'{"cid": "\xff"}\n')  # ... and a byte near the end is neither UTF-8 nor cp874
    with pytest.raises(DeliveryError, match="not decodable as utf-8 or any supported encoding"):
        read(STUDENTS, broken)


def test_equal_values_of_a_chunk_are_one_object_in_new_arrays() -> None:
    """JSON decoding makes a string per value: the reader shares equal values of a chunk (a roster's sex,
    grade and school repeat on every line), and gives every column an array of its own, so that no column
    keeps the parsed chunk's array of all values alive."""
    from assets.sources.readers import _EqualValuesShared

    records = [{"cid": str(n), "sex": "ชาย" + "", "grade": f"ป.{n % 2 + 1}", "note": None,
                "flag": [n] if n == 3 else "x"} for n in range(40)]
    for record in records:  # a new string per value, as the JSON decoder makes them
        record["sex"] = "".join(["ช", "าย"])
    share = _EqualValuesShared()
    share(pd.DataFrame.from_records(records))  # the first chunk: `cid` found mostly distinct
    parsed = pd.DataFrame.from_records(records)
    shared = share(parsed)

    pd.testing.assert_frame_equal(shared, parsed)
    assert len({id(v) for v in parsed["sex"]}) == 40
    assert len({id(v) for v in shared["sex"]}) == 1
    assert len({id(v) for v in shared["grade"]}) == 2
    assert share.mostly_distinct == {"cid"}
    for name in parsed.columns:  # an ID, an all-missing column and a list (unhashable) included
        assert not np.shares_memory(np.asarray(shared[name].array), np.asarray(parsed[name].array)), name
