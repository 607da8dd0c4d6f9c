"""Encoding detection: cp874 (Satun), UTF-8, UTF-8 with BOM (Sukhothai), stray BOMs."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assets.parsing import ParseError, decode_delivery, detect_encoding

THAI_CSV = "เลขประจำตัวประชาชน,ชั้น,วันเกิด\n1101700203450,ป.๑,15/03/2556\n"


def test_utf8_without_bom() -> None:
    assert detect_encoding(THAI_CSV.encode("utf-8")) == "utf-8"


def test_utf8_with_bom() -> None:
    assert detect_encoding(b"\xef\xbb\xbf" + THAI_CSV.encode("utf-8")) == "utf-8-sig"


def test_cp874() -> None:
    assert detect_encoding(THAI_CSV.encode("cp874")) == "cp874"


def test_plain_ascii_is_utf8() -> None:
    assert detect_encoding(b"school_id,total\n1095420123,5\n") == "utf-8"


def test_undecodable_bytes_name_the_offset() -> None:
    with pytest.raises(ParseError, match="byte offset 2"):
        detect_encoding(b"ab\xff\xfe")  # 0xFF is undefined in cp874 and invalid UTF-8


def test_high_bytes_without_thai_cannot_be_told_apart() -> None:
    # 0x80 is the euro sign in cp874 but no Thai letter: refuse to guess
    with pytest.raises(ParseError, match="no Thai"):
        detect_encoding(b"price \x80 5")


def test_bom_followed_by_invalid_utf8_is_an_error() -> None:
    with pytest.raises(ParseError, match="byte-order mark"):
        detect_encoding(b"\xef\xbb\xbf" + THAI_CSV.encode("cp874"))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp874"])
def test_decode_with_the_expected_encoding(encoding: str) -> None:
    text, used = decode_delivery(THAI_CSV.encode(encoding), expected=encoding)
    assert (text, used) == (THAI_CSV, encoding)


def test_decode_falls_back_to_detection_when_expected_fails() -> None:
    # Satun promised cp874 but sent UTF-8: cp874 would "decode" it into mojibake, so detection must win
    text, used = decode_delivery(THAI_CSV.encode("utf-8"), expected="cp874")
    assert (text, used) == (THAI_CSV, "utf-8")
    text, used = decode_delivery(THAI_CSV.encode("cp874"), expected="utf-8")
    assert (text, used) == (THAI_CSV, "cp874")


def test_decode_reports_a_bom_on_a_file_promised_as_plain_utf8() -> None:
    text, used = decode_delivery(b"\xef\xbb\xbf" + THAI_CSV.encode("utf-8"), expected="utf-8")
    assert text == THAI_CSV
    assert used == "utf-8-sig"


def test_decode_without_expected_uses_detection() -> None:
    assert decode_delivery(THAI_CSV.encode("cp874")) == (THAI_CSV, "cp874")


def test_tis620_is_accepted_as_a_name_for_cp874() -> None:
    assert decode_delivery(THAI_CSV.encode("cp874"), expected="TIS-620") == (THAI_CSV, "TIS-620")


def test_bom_in_the_middle_is_removed() -> None:
    # two Excel exports concatenated: the second file's BOM ends up inside the text
    data = b"\xef\xbb\xbfa,b\n1,2\n" + b"\xef\xbb\xbf" + "3,ไทย\n".encode()
    text, used = decode_delivery(data, expected="utf-8-sig")
    assert text == "a,b\n1,2\n3,ไทย\n"
    assert "\ufeff" not in text
    assert used == "utf-8-sig"


def test_decode_raises_when_nothing_decodes() -> None:
    with pytest.raises(ParseError):
        decode_delivery(b"ab\xff\xfe", expected="utf-8")


@pytest.mark.parametrize("data, expected", [
    (("เลขประจำตัว,ชั้น\r\n" * 40).encode("utf-8"), "utf-8"),
    (b"\xef\xbb\xbf" + ("ชั้น,\ufeffป.๑\n" * 40).encode("utf-8"), "utf-8"),
    (b"\xef\xbb\xbf" + ("ชั้น,ป.๑\n" * 40).encode("utf-8"), "utf-8-sig"),
    (("ชั้น,ป.๑\n" * 40).encode("utf-8"), "utf-8-sig"),
    (("ชั้น,ป.๑\n" * 40 + "ท้าย").encode("cp874"), "cp874"),
    (("ชั้น,ป.๑\r" * 40).encode("utf-8"), "utf-8"),
])
@pytest.mark.parametrize("read_again", [False, True])
def test_blocks_join_into_the_whole_files_text(data: bytes, expected: str, read_again: bool,
                                               tmp_path: Path) -> None:
    """Decoded a few bytes at a time (blocks end just after a line feed, so none splits a character or a
    CRLF), the text is decode_delivery's: BOM at the start read through, stray BOMs removed. The same when
    the blocks are read from the file again (`again_from`)."""
    from assets.parsing.encoding import decode_in_blocks

    path = tmp_path / "delivered.csv"
    path.write_bytes(data)
    used, blocks = decode_in_blocks(data, expected, block_bytes=7, again_from=path if read_again else None)
    pieces = list(blocks)
    assert (("".join(pieces)), used) == decode_delivery(data, expected)
    assert all(p.endswith("\n") for p in pieces[:-1])
    assert len(pieces) > 1 or b"\n" not in data


@settings(max_examples=200, deadline=None)
@given(lines=st.lists(st.text(alphabet="กขป.๑a,\r\ufeff ", max_size=12), max_size=15),
       final_break=st.booleans(), block_bytes=st.integers(1, 40))
def test_blocks_read_again_are_the_blocks_of_the_bytes_in_memory(lines: list[str], final_break: bool,
                                                                 block_bytes: int) -> None:
    """Read from the file again, the blocks join into the same text, each whole lines ending at a line feed,
    whatever the block size."""
    import tempfile

    from assets.parsing.encoding import decode_in_blocks

    data = ("\n".join(lines) + ("\n" if final_break else "")).encode("utf-8")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "delivered.jsonl"
        path.write_bytes(data)
        in_memory = "".join(decode_in_blocks(data, "utf-8", block_bytes=block_bytes)[1])
        pieces = list(decode_in_blocks(data, "utf-8", block_bytes=block_bytes, again_from=path)[1])
    assert "".join(pieces) == in_memory
    assert all(p.endswith("\n") for p in pieces[:-1] if p)  # a block of a stray BOM alone is ""


@pytest.mark.parametrize("change", [b"x", b""])
def test_a_file_changed_before_it_is_read_again_is_noticed(tmp_path: Path, change: bytes) -> None:
    from assets.parsing.encoding import FileChangedWhileRead, decode_in_blocks

    data = "ชั้น,ป.๑\n".encode() * 10
    path = tmp_path / "delivered.csv"
    path.write_bytes(data)
    _, blocks = decode_in_blocks(data, "utf-8", block_bytes=8, again_from=path)
    path.write_bytes(data[:-1] + change)  # one byte other than read, or one fewer
    with pytest.raises(FileChangedWhileRead):
        list(blocks)


@pytest.mark.parametrize("data, expected", [
    (THAI_CSV.encode("cp874"), "utf-8"),  # a byte that is not UTF-8: detection decides
    (THAI_CSV.encode("utf-8"), "cp874"),  # UTF-8 Thai promised as cp874 would decode as mojibake
])
def test_what_needs_detection_is_not_decoded_in_blocks(data: bytes, expected: str) -> None:
    from assets.parsing.encoding import NotDecodableInBlocks, decode_in_blocks

    with pytest.raises(NotDecodableInBlocks):
        list(decode_in_blocks(data, expected, block_bytes=7)[1])
