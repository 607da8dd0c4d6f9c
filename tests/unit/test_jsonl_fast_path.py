"""The JSON Lines reader's fast paths give what the standard library's decoding and line splitting gave.

`_RecordDecoder` lets orjson parse a line first and keeps its result only for objects of text, booleans and
nulls (until a file's lines mostly need the standard library); `_lines_of_blocks` splits a block without CR
with str.split. Both are compared here with the plain
ways they replace: the same records, the same refusals with the same messages, the same lines.
"""

import json

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assets.sources.readers import _json_text, _json_texts, _lines, _lines_of_blocks, _RecordDecoder

_STDLIB = json.JSONDecoder(parse_int=str, parse_float=str, parse_constant=str)


def stdlib_record(line: str) -> object:
    """The reader's decoding before orjson: every number as its literal text, json.loads's BOM refusal."""
    if line.startswith("\ufeff"):
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", line, 0)
    return _STDLIB.decode(line)


def trying_orjson() -> _RecordDecoder:
    return _RecordDecoder()


def past_its_trial() -> _RecordDecoder:
    """A decoder that stopped trying orjson: its file's first lines all needed the standard library."""
    decoder = _RecordDecoder()
    decoder.tried = decoder.ORJSON_TRIAL_LINES
    return decoder


def outcome(decode, line: str) -> tuple[object, ...]:
    try:
        value = decode(line)
    except json.JSONDecodeError as err:
        return ("refused", err.msg, err.pos)
    except RecursionError:
        return ("too deep",)
    return ("parsed", type(value).__name__, value, _key_order(value))


def _key_order(value: object) -> object:
    if isinstance(value, dict):
        return [(k, _key_order(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [_key_order(v) for v in value]
    return type(value).__name__


scalars = st.one_of(st.none(), st.booleans(), st.text(max_size=12), st.integers(),
                    st.floats(allow_nan=True, allow_infinity=True))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=8)
text_records = st.dictionaries(st.text(max_size=8), st.one_of(st.none(), st.booleans(), st.text(max_size=16)),
                               max_size=8)


@st.composite
def json_lines(draw: st.DrawFn) -> str:
    """A line as deliveries hold them: mostly objects of text, sometimes numbers, nesting or other values,
    written with or without escapes and spaces, then possibly damaged."""
    value = draw(st.one_of(text_records, text_records, st.dictionaries(st.text(max_size=6), json_values),
                           json_values))
    separators = draw(st.sampled_from([(",", ":"), (", ", ": "), (" ,", " : ")]))
    line = json.dumps(value, ensure_ascii=draw(st.booleans()), separators=separators)
    damage = draw(st.sampled_from(["none", "none", "insert", "delete", "pad", "bom"]))
    if damage == "insert":
        at = draw(st.integers(0, len(line)))
        line = line[:at] + draw(st.sampled_from(list('{}[]",: \t\x00\x1f\\ud800eE.-+0N'))) + line[at:]
    elif damage == "delete" and line:
        at = draw(st.integers(0, len(line) - 1))
        line = line[:at] + line[at + 1:]
    elif damage == "pad":
        line = draw(st.sampled_from([" ", "\t", "\u00a0", "\x0c", ""])) + line + draw(
            st.sampled_from([" ", "\t", "\u3000", "", "x"]))
    elif damage == "bom":
        line = "\ufeff" + line
    return line


@settings(max_examples=1500, deadline=None)
@given(json_lines())
def test_a_line_decodes_as_the_standard_library_decoded_it(line: str) -> None:
    expected = outcome(stdlib_record, line)
    assert outcome(trying_orjson().decode, line) == expected
    assert outcome(past_its_trial().decode, line) == expected


@pytest.mark.parametrize("line", [
    '{"cid":"1950585400393","gender":"หญิง","leave_reason":null,"active":true}',
    '{"cid":1950585400393}',                      # an ID sent as a number stays its digits
    '{"score":40.90,"zero":-0,"big":123456789012345678901234567890,"e":1E400}',
    '{"a":NaN,"b":Infinity,"c":-Infinity}',       # accepted by the standard library, refused by orjson
    '{"a":"1","a":"2","b":"3"}',                   # a repeated key: the last value, at the first place
    '{"s":"\\ud800"}', '{"s":"\\ud83d\\ude00"}',  # a lone surrogate escape, and a pair
    '{"s":"tab\tinside"}', '{"nested":{"n":[1,"x",{"m":2.5}]}}', '["not","an","object"]', '"text"', "7",
    "\ufeff{}", "{} ", " {}", "{}\x0c", "{} {}", "{", "", "nul", '{"a":1,}',
    "[" * 3000 + "]" * 3000,                        # deeper than orjson allows: the standard library decides
    '{"a":' * 3000 + "1" + "}" * 3000,
])
def test_edge_lines_decode_as_the_standard_library_decoded_them(line: str) -> None:
    expected = outcome(stdlib_record, line)
    assert outcome(trying_orjson().decode, line) == expected
    assert outcome(past_its_trial().decode, line) == expected


def test_numbers_stay_their_literal_text_through_the_fast_path() -> None:
    assert trying_orjson().decode('{"cid":1950585400393,"score":40.90,"ok":false}') == {
        "cid": "1950585400393", "score": "40.90", "ok": False}


def test_orjson_is_tried_on_every_line_only_while_it_parses_most_of_them() -> None:
    roster, scores = _RecordDecoder(), _RecordDecoder()
    lines = 3 * _RecordDecoder.ORJSON_TRIAL_LINES
    for i in range(lines):
        roster.decode(f'{{"cid":"{i}","gender":"หญิง","leave_reason":null}}')
        scores.decode(f'{{"cid":"{i}","score":{i}.5,"result":false}}')
    assert (roster.tried, roster.kept) == (lines, lines)
    assert (scores.tried, scores.kept) == (_RecordDecoder.ORJSON_TRIAL_LINES, 0)


def _blocks_of(text: str, cuts: list[int]) -> list[str]:
    """The text cut after line feeds only, as decode_in_blocks cuts it."""
    feeds = [i + 1 for i, ch in enumerate(text) if ch == "\n"]
    ends = sorted({feeds[c % len(feeds)] for c in cuts}) if feeds else []
    ends = [e for e in ends if e < len(text)]
    starts = [0, *ends]
    return [text[a:b] for a, b in zip(starts, [*ends, len(text)], strict=True)]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list("ab{}\"ก \u2028")), max_size=6), max_size=12),
       st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=1, max_size=12),
       st.lists(st.integers(0, 50), max_size=4), st.booleans())
def test_lines_of_blocks_are_the_lines_of_their_text(pieces: list[str], breaks: list[str], cuts: list[int],
                                                     ends_with_break: bool) -> None:
    text = "".join(p + breaks[i % len(breaks)] for i, p in enumerate(pieces))
    if not ends_with_break:
        text += "tail"
    blocks = _blocks_of(text, cuts)
    assert "".join(blocks) == text
    assert list(_lines_of_blocks(iter(blocks))) == list(_lines(text))


column_values = st.one_of(st.none(), st.just(float("nan")), st.booleans(), st.text(max_size=6),
                          st.lists(st.text(max_size=3), max_size=2),
                          st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2))


@given(st.lists(column_values, max_size=12), st.sampled_from(["text", "text and missing", "any"]))
def test_a_columns_values_are_made_text_as_one_by_one(values: list[object], shape: str) -> None:
    """`_json_texts` decides by pandas' type inference which columns need each value converted: every column
    must come out as it did when each value's type decided (a column of text as it is; any other mapped by
    `_json_text`: None for a missing value or key, JSON text for booleans, arrays and objects)."""
    if shape != "any":  # the common columns: all text, or text with missing values and keys
        values = [v if isinstance(v, str) or (shape == "text and missing" and v is None) else "x"
                  for v in values] + ([None, float("nan")] if shape == "text and missing" else [])
    column = pd.DataFrame({"c": values}, dtype=object)["c"]
    expected = column.map(_json_text) if column.map(type).ne(str).any() else column
    made = _json_texts(column)
    pd.testing.assert_series_equal(made, expected)
    assert [type(v) for v in made] == [type(v) for v in expected]
