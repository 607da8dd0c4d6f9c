"""Rows of a worksheet's XML read with regular expressions instead of an XML parser, for plain sheets.

ElementTree builds an element for every cell, value and inline string and hands each to Python: Mae Hong Son's
roster is the slowest file to read at national scale (1.65 M rows, 967 MiB of sheet XML: 95.0 s, 56.7 s with
this reader). At a third of that scale its rows took 21.2 s so and take 11.0 s here.

Plain rows (cells of values and inline strings, attributes in quotes, text without entities) are typed here
straight from the text by the same rules (`CellTyping`); any other row is parsed by ElementTree alone, inside
the sheet's own root element so that its namespaces are the same. What this reader cannot split into rows
with certainty (comments, CDATA, processing instructions, a document type, another encoding, damaged XML,
rows outside `sheetData` or inside a row) raises `NotPlainSheet`, and the caller reads the sheet with
ElementTree from the start.
"""

from __future__ import annotations

import codecs
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from typing import IO, Protocol

Cells = dict[int, object]
"""One sheet row as its cells: column number (1-based) → value."""

SHEET_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
ROW_TAG = f"{{{SHEET_MAIN_NS}}}row"
READ_CHARACTERS = 4 * 2**20
MAX_PENDING_CHARACTERS = 32 * 2**20
"""Text held while looking for the rows, the end of a row or the end of the sheet: beyond it (a forged sheet)
the parser, which streams, reads the sheet."""


class NotPlainSheet(Exception):
    """The sheet's XML is not one this reader splits into rows with certainty: parse it whole instead."""


class CellTyping(Protocol):
    def cells(self, row: ElementTree.Element) -> Cells: ...
    def typed(self, kind: str, text: str, style: str | None) -> object: ...
    def column_of(self, coordinate: str) -> int: ...


_S = "[ \t\r\n]"
_NAME = "(?:[A-Za-z_][A-Za-z0-9_.-]*:)?[A-Za-z_][A-Za-z0-9_.-]*"
_VALUE = """(?:"([^"<&\t\n\r]*)"|'([^'<&\t\n\r]*)')"""
_ATTRIBUTE = re.compile(f"{_S}+({_NAME}){_S}*={_S}*{_VALUE}")
_ATTRIBUTES = f"(?:{_S}+{_NAME}{_S}*={_S}*(?:\"[^\"<&\t\n\r]*\"|'[^'<&\t\n\r]*'))*"
_ROW_START = re.compile(f"{_S}*<row({_ATTRIBUTES}){_S}*(/?)>")
_T = '<t(?: xml:space="preserve")?'
_CELL_CONTENT = f"(?:<v>([^<]*)</v>|<v/>|<is>(?:{_T}>([^<]*)</t>|{_T}/>)</is>)?"
_CELL = re.compile(f"{_S}*<c({_ATTRIBUTES}){_S}*(?:/>|>{_CELL_CONTENT}</c>)")
_SIMPLE_CELL = re.compile(
    f'<c r="([A-Z]{{1,3}})[0-9]+"(?: s="([0-9]*)")?(?: t="([A-Za-z]*)")?'
    f"(?:/>|>(?:<v>([^<]*)</v>|<is>{_T}>([^<]*)</t></is>)?</c>)")
"""A cell as Excel and most writers lay it out: one pattern instead of reading its attributes one by one."""
_ONLY_SPACE = re.compile(f"{_S}*")
_SHEET_DATA_START = re.compile(f"<sheetData{_S}*>")
_SHEET_DATA_END = re.compile(f"{_S}*</sheetData{_S}*>")
_ROOT_START = re.compile(r"<worksheet\b[^<>]*>")
_DECLARATION = re.compile(r"\ufeff?<\?xml\b[^<>]*\?>")
_ENCODING = re.compile(f"encoding{_S}*={_S}*[\"']([^\"']*)[\"']")
_NOT_XML_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SPLIT_UNSURE = re.compile(r"<[!?]")
"""Comments, CDATA, document types and processing instructions may hold a "</row>" that closes no row."""


def plain_sheet_rows(xml: IO[bytes], typing: CellTyping) -> Iterator[tuple[int, Cells]]:
    """(sheet row number, cells) of every row, as ElementTree and `typing.cells` give them; or NotPlainSheet,
    possibly after some rows (the caller then reads the sheet again)."""
    text = _Text(xml)
    head, root_start = _head(text)
    prefixes = _declared_prefixes(root_start)
    columns: dict[str, int] = {}
    row_number = 0
    while True:
        buffer, position = text.buffer, text.position
        if (end := _SHEET_DATA_END.match(buffer, position)) is not None:
            text.position = end.end()
            break
        start = _ROW_START.match(buffer, position)
        empty = start is not None and start.group(2) == "/"
        close = buffer.find("</row>", position) if start is not None and not empty else -1
        if start is None or (not empty and close < 0):
            if text.ended:
                raise NotPlainSheet("sheetData does not end")
            text.read_more()
            continue
        row_end = start.end() if empty else close + len("</row>")
        number = _plain_row_number(start.group(1), prefixes)
        cells = None
        checked = row_end <= text.plain_until()  # the whole row's text passes `_not_plain` already
        if number is not False and (checked or not _not_plain(start.group(1))):
            cells = {} if empty else _plain_cells(buffer[start.end():close], typing, prefixes, columns,
                                                  checked=checked)
        if cells is None:  # not plain: parsed alone
            number, cells = _parsed_row(buffer[start.start():row_end], typing, root_start)
        text.position = row_end
        row_number = row_number_of(number) if number else row_number + 1
        yield row_number, cells
        text.drop_read_if_long()
    _check_outside_rows(head, text.rest())


def _not_plain(text: str) -> bool:
    """What the XML parser would change in a row's text (entities, carriage returns) or refuse (characters
    XML does not allow, "]]>"). Substring tests: one regular expression with these alternatives took a
    quarter of the reading time."""
    return "&" in text or "\r" in text or "]]>" in text or _NOT_XML_CHARACTER.search(text) is not None


def _first_not_plain(text: str, start: int) -> int:
    """Where the first text `_not_plain` objects to begins, from `start` on (len(text) when none does): one
    scan of a block of rows instead of four per row (a tenth of a large roster's reading)."""
    found = [i for i in (text.find("&", start), text.find("\r", start), text.find("]]>", start)) if i >= 0]
    if (character := _NOT_XML_CHARACTER.search(text, start)) is not None:
        found.append(character.start())
    return min(found, default=len(text))


_XML_CONTROL_BYTES = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])
"""The control characters XML does not allow, as bytes: in UTF-8 these bytes are those characters only."""


def _surely_plain(block: bytes, decoded: str) -> bool:
    """Whether `_first_not_plain(decoded, 0)` is len(decoded), `block` being the UTF-8 decoded: substring
    tests and bytes.translate are several times faster than the pattern's search. A "]]>" is left to the
    caller (it may begin in the text before)."""
    return ("&" not in decoded and "\r" not in decoded and "\ufffe" not in decoded and "\uffff" not in decoded
            and len(block.translate(None, _XML_CONTROL_BYTES)) == len(block))


def row_number_of(text: str) -> int:
    """A row element's `r`, by openpyxl's rules."""
    try:
        return int(text)
    except ValueError:  # "5.0" is accepted as openpyxl accepts it; "5.5" is a damaged sheet
        value = float(text)
        if not value.is_integer():
            raise ValueError(f"{text} is not a valid row number") from None
        return int(value)


def _plain_cells(content: str, typing: CellTyping, prefixes: frozenset[str],
                 columns: dict[str, int], checked: bool = False) -> Cells | None:
    """The cells of a row's content when every one is plain, else None. `columns`: column letters → number,
    from `typing.column_of` once per sheet (a reference of letters and ASCII digits is its letters').
    `checked`: the content is known to pass `_not_plain`."""
    if not checked and _not_plain(content):
        return None
    found: Cells = {}
    column = 0
    position = 0
    while (cell := _SIMPLE_CELL.match(content, position)) is not None:
        position = cell.end()
        letters, style, kind, value_text, inline_text = cell.groups()
        column = columns.get(letters) or columns.setdefault(letters, typing.column_of(f"{letters}1"))
        if kind == "inlineStr":
            if inline_text is not None:
                found[column] = inline_text
        elif value_text:
            found[column] = typing.typed("n" if kind is None else kind, value_text, style)
    while (cell := _CELL.match(content, position)) is not None:
        position = cell.end()
        attributes, value_text, inline_text = cell.groups()
        named = _plain_attribute_map(attributes, prefixes)
        if named is None:
            return None
        coordinate = named.get("r")
        column = typing.column_of(coordinate) if coordinate else column + 1
        kind = named.get("t", "n")
        value: object = None
        if kind == "inlineStr":  # as `_inline_text`: an empty <t/> is "", a cell without <is> has no value
            if "<is>" in cell.group(0):
                value = inline_text or ""
        elif value_text:
            value = typing.typed(kind, value_text, named.get("s"))
        if value is not None:
            found[column] = value
    if _ONLY_SPACE.fullmatch(content, position) is None:
        return None
    return found


def _parsed_row(row_xml: str, typing: CellTyping, root_start: str) -> tuple[str | None, Cells]:
    """A row that is not plain, parsed by ElementTree inside the sheet's root element (same namespaces)."""
    try:
        root = ElementTree.fromstring(f"{root_start}{row_xml}</worksheet>")
    except ElementTree.ParseError as err:
        raise NotPlainSheet(str(err)) from err
    rows = list(root)
    if len(rows) != 1 or rows[0].tag != ROW_TAG:
        raise NotPlainSheet("not one row element in the main namespace")
    if sum(1 for _ in rows[0].iter(ROW_TAG)) != 1:  # iter() counts the row itself
        raise NotPlainSheet("a row inside a row")
    return rows[0].get("r"), typing.cells(rows[0])


def _plain_attribute_map(attributes: str, prefixes: frozenset[str]) -> dict[str, str] | None:
    """Name → value, or None when a name repeats, declares a namespace or uses a prefix the root does not
    declare (the parser would read them otherwise, or refuse them)."""
    named: dict[str, str] = {}
    for match in _ATTRIBUTE.finditer(attributes):
        name = match.group(1)
        prefix, colon, _ = name.partition(":")
        if name in named or name.startswith("xmlns") or (colon and prefix not in prefixes):
            return None
        named[name] = match.group(2) if match.group(2) is not None else match.group(3)
    return named


_ONLY_ROW_NUMBER = re.compile(' r="([0-9]+)"')
"""A row's attributes as most writers leave them: its number alone."""


def _plain_row_number(attributes: str, prefixes: frozenset[str]) -> str | None | bool:
    """A row's `r` (None when it has none), or False when its attributes are not plain."""
    if (only := _ONLY_ROW_NUMBER.fullmatch(attributes)) is not None:
        return only.group(1)
    named = _plain_attribute_map(attributes, prefixes)
    return False if named is None else (named.get("r") or None)


def _declared_prefixes(root_start: str) -> frozenset[str]:
    declared = {m.group(1).partition(":")[2] for m in _ATTRIBUTE.finditer(root_start)
                if m.group(1).startswith("xmlns:")}
    return frozenset(declared | {"xml"})


def _head(text: _Text) -> tuple[str, str]:
    """The XML up to and including `<sheetData>`, and the root's start tag; NotPlainSheet unless the root is
    a worksheet whose unprefixed elements are in the main namespace, in UTF-8."""
    while (found := _SHEET_DATA_START.search(text.buffer)) is None:
        if text.ended:
            raise NotPlainSheet("no sheetData with rows")
        text.read_more()
    head = text.buffer[:found.end()]
    declaration = _DECLARATION.match(head)
    if _SPLIT_UNSURE.search(head, declaration.end() if declaration else 0) is not None:
        raise NotPlainSheet("a comment, document type or processing instruction before the rows")
    encoding = _ENCODING.search(declaration.group(0)) if declaration else None
    try:
        if encoding is not None and codecs.lookup(encoding.group(1)).name != "utf-8":
            raise NotPlainSheet(f"encoding {encoding.group(1)}")
    except LookupError as err:
        raise NotPlainSheet(str(err)) from err
    root = _ROOT_START.search(head)
    if root is None or root.group(0).endswith("/>"):
        raise NotPlainSheet("no worksheet element")
    try:
        probe = ElementTree.fromstring(f"{root.group(0)}<row/></worksheet>")
    except ElementTree.ParseError as err:
        raise NotPlainSheet(str(err)) from err
    if probe[0].tag != ROW_TAG:
        raise NotPlainSheet("unprefixed elements outside the main namespace")
    text.position = found.end()
    text.check_from(found.end())
    return head, root.group(0)


def _check_outside_rows(head: str, tail: str) -> None:
    """The XML around the rows, parsed: damaged XML there, or a row outside sheetData, and the parser
    decides."""
    try:
        root = ElementTree.fromstring(f"{head}</sheetData>{tail}")
    except ElementTree.ParseError as err:
        raise NotPlainSheet(str(err)) from err
    if any(True for _ in root.iter(ROW_TAG)):
        raise NotPlainSheet("rows outside sheetData")


class _Text:
    """The sheet's XML decoded as UTF-8 a block at a time; `buffer[position:]` is what is left to read."""

    def __init__(self, xml: IO[bytes]) -> None:
        self.xml = xml
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
        self.buffer = ""
        self.position = 0
        self.ended = False
        self.checking = False
        self._plain_until: int | None = None
        """`_first_not_plain(buffer, 0)`, found when first asked for after the buffer changed."""

    def plain_until(self) -> int:
        """How far from its start the buffer passes `_not_plain`: any of its text that ends here or before
        does."""
        if self._plain_until is None:
            self._plain_until = _first_not_plain(self.buffer, 0)
        return self._plain_until

    def check_from(self, position: int) -> None:
        """From here on (the rows), text that could hide a "</row>" ends the plain reading."""
        self.checking = True
        if _SPLIT_UNSURE.search(self.buffer, max(position - 1, 0)) is not None:
            raise NotPlainSheet("a comment, CDATA or processing instruction")

    def read_more(self) -> None:
        if len(self.buffer) - self.position > MAX_PENDING_CHARACTERS:
            raise NotPlainSheet(f"over {MAX_PENDING_CHARACTERS:,} characters without the end of a row, the "
                                "rows or the sheet")
        block = self.xml.read(READ_CHARACTERS)
        try:
            decoded = self.decoder.decode(block, final=not block)
        except UnicodeDecodeError as err:
            raise NotPlainSheet(str(err)) from err
        self.ended = not block
        if self.checking and _SPLIT_UNSURE.search(self.buffer[-1:] + decoded) is not None:
            raise NotPlainSheet("a comment, CDATA or processing instruction")
        read_before, all_plain = len(self.buffer), self._plain_until == len(self.buffer)
        self.buffer += decoded
        if all_plain:  # a "]]>" may begin in the last two characters read before
            from_here = max(read_before - 2, 0)
            self._plain_until = (len(self.buffer) if _surely_plain(block, decoded)
                                 and self.buffer.find("]]>", from_here) < 0
                                 else _first_not_plain(self.buffer, from_here))

    def drop_read_if_long(self) -> None:
        if self.position > READ_CHARACTERS:
            if self._plain_until is not None and self._plain_until >= self.position:
                self._plain_until -= self.position
            else:  # what `_not_plain` objects to was read already: found again in what is left
                self._plain_until = None
            self.buffer, self.position = self.buffer[self.position:], 0

    def rest(self) -> str:
        while not self.ended:
            self.read_more()
        return self.buffer[self.position:]
