"""Which text encoding a delivered file is in: UTF-8 (with or without BOM) or Thai Windows cp874 (TIS-620)."""

from __future__ import annotations

import codecs
import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path

from assets.parsing.errors import ParseError

UTF8_BOM = codecs.BOM_UTF8
_ZERO_WIDTH_NO_BREAK_SPACE = "\ufeff"  # a BOM pasted into the middle of a file when files are concatenated
_CP874_THAI_BYTES = bytes(range(0xA1, 0xFC))  # TIS-620 Thai letters, vowels, tone marks and digits


def _utf8_error_offset(data: bytes) -> int | None:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        return err.start
    return None


def detect_encoding(data: bytes) -> str:
    """'utf-8-sig' (BOM present), 'utf-8' (decodes strictly) or 'cp874' (decodes and contains Thai).

    UTF-8 is tried first because valid UTF-8 Thai text is practically never also plausible cp874 and vice
    versa: cp874 Thai bytes 0xA1–0xFB form invalid UTF-8 sequences almost immediately.
    """
    if data.startswith(UTF8_BOM):
        offset = _utf8_error_offset(data[len(UTF8_BOM):])
        if offset is None:
            return "utf-8-sig"
        raise ParseError(
            f"file starts with a UTF-8 byte-order mark but is not valid UTF-8 at byte offset "
            f"{offset + len(UTF8_BOM)}"
        )
    utf8_offset = _utf8_error_offset(data)
    if utf8_offset is None:
        return "utf-8"
    try:
        data.decode("cp874")
    except UnicodeDecodeError as err:
        raise ParseError(
            f"neither UTF-8 (invalid at byte offset {utf8_offset}) nor cp874/TIS-620 "
            f"(byte 0x{data[err.start]:02X} undefined at byte offset {err.start})"
        ) from None
    if not any(b in _CP874_THAI_BYTES for b in _high_bytes(data)):
        raise ParseError(
            f"not valid UTF-8 at byte offset {utf8_offset} and contains no Thai cp874 characters "
            f"(byte 0x{data[utf8_offset]:02X}), so the encoding cannot be told"
        )
    return "cp874"


def _high_bytes(data: bytes) -> bytes:
    """The distinct bytes ≥ 0x80 (cheap: bytes.translate deletes the ASCII range in C)."""
    return bytes(set(data.translate(None, bytes(range(0x80)))))


def decode_delivery(data: bytes, expected: str | None = None) -> tuple[str, str]:
    """Decode a delivered file: (text, encoding used).

    With `expected`, that encoding is tried first; if the bytes do not decode with it, the detected encoding
    is used and returned (the adapter notes the difference). Stray BOMs (U+FEFF) anywhere in the text are
    removed. Raises ParseError when nothing decodes.
    """
    if expected is not None:
        codec, used = _expected_codec(data, expected)
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            pass
        else:
            if not (codec == "cp874" and _looks_like_utf8_misread(data)):
                return _strip_stray_boms(text), used
    detected = detect_encoding(data)
    return _strip_stray_boms(data.decode(detected)), detected


TEXT_BLOCK_BYTES = 16 * 2**20
"""Bytes decoded at a time by `decode_in_blocks`: a whole large file decoded at once is a second copy of it
as text, up to twice its size again for Thai (Python stores such text at two bytes a character)."""


class NotDecodableInBlocks(Exception):
    """The bytes do not decode with the expected codec block by block: use `decode_delivery` on the whole."""


def decode_in_blocks(data: bytes, expected: str, block_bytes: int | None = None, *,
                     again_from: Path | None = None, sha256: str | None = None) -> tuple[str, Iterator[str]]:
    """(encoding used, the text in blocks), the text joined being what `decode_delivery(data, expected)`
    returns when the bytes decode with the expected codec. Blocks end just after a line feed (byte 0x0A, which
    only ever is a line feed in UTF-8 and cp874), so no line and no CRLF is split between two blocks.

    With `again_from` (the file `data` was read from) the blocks are read from that file again as they are
    wanted, so that the caller may free `data` once this returns; the bytes read again must be `data`'s
    (`sha256`, its digest when the caller knows it; FileChangedWhileRead at the end otherwise).

    Raises NotDecodableInBlocks, at once or from the iterator at the block that fails, where
    `decode_delivery` would fall back to detection: the caller reads the whole file that way instead."""
    block_bytes = block_bytes or TEXT_BLOCK_BYTES
    codec, used = _expected_codec(data, expected)
    start = len(UTF8_BOM) if codec == "utf-8-sig" and data.startswith(UTF8_BOM) else 0
    if codec == "cp874" and _looks_like_utf8_misread(data):
        raise NotDecodableInBlocks(expected)
    block_codec = "utf-8" if codec == "utf-8-sig" else codec  # the BOM at the start is skipped above

    def decoded(block: bytes, position: int) -> str:
        try:
            return _strip_stray_boms(block.decode(block_codec))
        except UnicodeDecodeError as err:
            raise NotDecodableInBlocks(f"{expected}: byte offset {position + err.start}") from None

    def blocks() -> Iterator[str]:
        position = start
        while position < len(data):
            end = data.rfind(b"\n", position, position + block_bytes) + 1
            if end <= position:  # no line feed within a block's length: on to the next one (or the end)
                end = data.find(b"\n", position + block_bytes) + 1 or len(data)
            yield decoded(data[position:end], position)
            position = end

    if again_from is None:
        return used, blocks()
    digest = sha256 or hashlib.sha256(data).hexdigest()
    return used, _blocks_read_again(again_from, start, len(data), digest, block_bytes, decoded)


class FileChangedWhileRead(Exception):
    """A file read again (`decode_in_blocks(again_from=...)`) no longer holds the bytes first read."""


def _blocks_read_again(path: Path, start: int, size: int, sha256: str, block_bytes: int,
                       decoded: Callable[[bytes, int], str]) -> Iterator[str]:
    """The blocks of `decode_in_blocks`, each read from `path` when wanted: whole lines, at least
    `block_bytes` long unless at the end."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        head = file.read(start)
        digest.update(head)
        position, pending = start, b""
        while True:
            read = file.read(block_bytes)
            digest.update(read)
            block = pending + read
            end = block.rfind(b"\n") + 1 if read else len(block)
            if end:
                yield decoded(block[:end], position)
                position += end
            pending = block[end:]
            if not read:
                break
    if position != size or digest.hexdigest() != sha256:
        raise FileChangedWhileRead(str(path))


def single_byte_codec(data: bytes, expected: str) -> tuple[str, str] | None:
    """(codec, the encoding name to report) when a parser may decode `data` itself as it reads, with the
    expected codec: cp874, where every character is one byte and ASCII stays ASCII, so line breaks, quotes and
    delimiters are the bytes they are in UTF-8. None for UTF-8, and for UTF-8 Thai promised as cp874 (which
    `decode_delivery` detects). A byte cp874 leaves undefined still raises UnicodeDecodeError in the parser:
    its caller then decodes the whole file with `decode_delivery`, as `decode_in_blocks`' callers do."""
    codec, used = _expected_codec(data, expected)
    if codec != "cp874" or _looks_like_utf8_misread(data):
        return None
    return codec, used


def _expected_codec(data: bytes, expected: str) -> tuple[str, str]:
    """(codec to decode with, the encoding name to report) for a file promised in `expected`."""
    codec = _normalised_codec(expected)
    if codec == "utf-8" and data.startswith(UTF8_BOM):
        codec = "utf-8-sig"  # a BOM on a file promised as plain UTF-8 is harmless: read through it
    return codec, expected if codec == _normalised_codec(expected) else codec


def _normalised_codec(name: str) -> str:
    canonical = codecs.lookup(name).name  # 'UTF8' → 'utf-8', 'tis-620' → 'tis-620', 'cp874' → 'cp874'
    return {"tis-620": "cp874", "iso8859_11": "cp874"}.get(canonical, canonical)


def _looks_like_utf8_misread(data: bytes) -> bool:
    """cp874 decodes almost any byte string, so UTF-8 Thai promised as cp874 would 'decode' as mojibake.

    UTF-8 Thai is 0xE0 0xB8/0xB9 0x80–0xBF; if the whole file is valid UTF-8 with non-ASCII content, trust
    UTF-8 instead.
    """
    # bytes.isascii: a scan in C without a copy (the set of distinct high bytes took 0.65 s for 144 MB)
    return not data.isascii() and _utf8_error_offset(data) is None


def _strip_stray_boms(text: str) -> str:
    return text.replace(_ZERO_WIDTH_NO_BREAK_SPACE, "")
