"""Small pieces of the publisher against hand-worked cases: boundaries, safety, lineage, labels, exports."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from assets.parsing.ids import make_citizen_id
from assets.publish.boundaries import SETTING, load_boundaries
from assets.publish.catalogue import Catalogue
from assets.publish.checks import broken_local_references, remote_references
from assets.publish.exports import mask_suppressed, thai_headers
from assets.publish.fragments import target_status
from assets.publish.labels import format_change, format_value, topic_of
from assets.publish.lineage import deliveries_for, for_entities
from assets.publish.marts import uniform_dtypes
from assets.publish.safety import neutralise_frame, neutralise_text, privacy_problems, redact_person_ids

# ------------------------------------------------------------------------------------------- boundaries

SQUARE_CCW = [[100.0, 6.0], [101.0, 6.0], [101.0, 7.0], [100.0, 7.0], [100.0, 6.0]]  # RFC 7946 outer ring
HOLE_CW = [[100.2, 6.2], [100.2, 6.4], [100.4, 6.4], [100.4, 6.2], [100.2, 6.2]]


def _write_geojson(path: Path, features: list[dict]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


def _feature(key: str, geometry: dict) -> dict:
    return {"type": "Feature", "properties": {"adm2_pcode": key}, "geometry": geometry}


def test_map_is_off_with_the_setting_named_when_no_file_is_configured() -> None:
    off = load_boundaries(None)
    assert not off.available
    assert SETTING in off.off_reason_en and SETTING in off.off_reason_th


def test_map_is_off_when_the_file_is_missing_or_broken(tmp_path: Path) -> None:
    missing = load_boundaries(tmp_path / "nowhere.geojson")
    assert not missing.available and "not found" in missing.off_reason_en
    broken = tmp_path / "broken.geojson"
    broken.write_text("{not json", encoding="utf-8")
    assert "could not be read" in load_boundaries(broken).off_reason_en
    no_districts = _write_geojson(tmp_path / "empty.geojson", [])
    assert "no district features" in load_boundaries(no_districts).off_reason_en


def test_mis_nested_multipolygon_becomes_a_proper_one_wound_clockwise(tmp_path: Path) -> None:
    # As in the real mapthai file: typed MultiPolygon, nested like a Polygon (outer ring, one hole).
    path = _write_geojson(tmp_path / "d.geojson", [
        _feature("TH9501", {"type": "MultiPolygon", "coordinates": [SQUARE_CCW, HOLE_CW]}),
    ])
    feature = load_boundaries(path).for_province("95")["features"][0]
    coordinates = feature["geometry"]["coordinates"]
    assert feature["geometry"]["type"] == "MultiPolygon"
    assert len(coordinates) == 1 and len(coordinates[0]) == 2  # one polygon: outer ring and hole
    # d3-geo wants the outer ring clockwise and holes counter-clockwise: both rings are reversed here.
    assert coordinates[0][0] == SQUARE_CCW[::-1]
    assert coordinates[0][1] == HOLE_CW[::-1]


def test_boundaries_are_filtered_to_the_province_and_sorted(tmp_path: Path) -> None:
    ring = SQUARE_CCW[::-1]
    path = _write_geojson(tmp_path / "d.geojson", [
        _feature("TH9502", {"type": "Polygon", "coordinates": [ring]}),
        _feature("TH9101", {"type": "Polygon", "coordinates": [ring]}),
        _feature("TH9501", {"type": "Polygon", "coordinates": [ring]}),
        _feature("TH95", {"type": "Polygon", "coordinates": [ring]}),  # a province, not a district
        _feature("TH9503", {"type": "Point", "coordinates": [100.0, 6.0]}),  # not an area
    ])
    keys = [f["properties"]["adm2_pcode"] for f in load_boundaries(path).for_province("95")["features"]]
    assert keys == ["TH9501", "TH9502"]


# ------------------------------------------------------------------------------------------- safety


@pytest.mark.parametrize("text", ["=1+1", "+cmd", "-2+3", "@SUM(A1)", "\t=x", "\r=x"])
def test_formula_like_text_is_neutralised(text: str) -> None:
    assert neutralise_text(text) == "'" + text


def test_plain_text_and_numbers_are_left_alone() -> None:
    frame = pd.DataFrame({"name": pd.Series(["บ้านดอย", "=evil", None], dtype="str"),
                          "delta": [-5.0, 1.0, 2.0]})
    safe = neutralise_frame(frame)
    assert safe["name"].tolist()[:2] == ["บ้านดอย", "'=evil"] and pd.isna(safe["name"].iloc[2])
    assert safe["delta"].tolist() == [-5.0, 1.0, 2.0]


def test_privacy_check_refuses_person_level_columns_and_identifiers_in_text() -> None:
    citizen_id = make_citizen_id("110170020345")
    wrong_check_digit = citizen_id[:12] + str((int(citizen_id[12]) + 1) % 10)
    frames = {
        "ok": pd.DataFrame({"school_id": ["1095010001"], "school_name": [f"บ้านดอย {wrong_check_digit}"]}),
        "rows": pd.DataFrame({"student_key": ["abc"]}),
        "text": pd.DataFrame({"school_name": [f"ชื่อ {citizen_id} x"]}),
        "gcode": pd.DataFrame({"note": ["G123456789012"]}),
    }
    problems = privacy_problems(frames)
    assert any(p.startswith("rows:") and "student_key" in p for p in problems)
    assert any(p.startswith("text.school_name") for p in problems)
    assert any(p.startswith("gcode.note") for p in problems)
    assert not any(p.startswith("ok") for p in problems)


def test_person_ids_in_delivered_file_names_are_redacted() -> None:
    citizen_id = make_citizen_id("310170020345")
    assert redact_person_ids(f"2566/{citizen_id}_roster.csv") == "2566/[redacted]_roster.csv"
    assert redact_person_ids("G123456789012.xlsx") == "[redacted].xlsx"
    assert redact_person_ids("school_1095010001.csv") == "school_1095010001.csv"  # a school ID stays
    lineage = {"yala": [{"academic_year": 2566, "entity": "students", "source_file": f"{citizen_id}.csv",
                         "source_sha256": "1", "ingested_at": "t"}]}
    assert deliveries_for(lineage, "yala")[0].source_file == "[redacted].csv"


def test_only_remote_references_are_reported() -> None:
    page = ('<link href="../assets/site.css"><script src="assets/plotly.min.js"></script>'
            '<a href="#ind-x">x</a><img src="https://example.org/x.png"><script src="//cdn.example/x.js">'
            "</script><p>src=//not-a-tag</p>")
    assert remote_references(page) == ["https://example.org/x.png", "//cdn.example/x.js"]


# ------------------------------------------------------------------------------------------- exports


def test_suppressed_rows_lose_their_numerator_and_parity_rows_both_rates() -> None:
    frame = pd.DataFrame({
        "value": [50.0, np.nan, np.nan], "numerator": [5.0, 1.0, 12.5], "denominator": [10.0, 7.0, 40.0],
        "suppressed_reason": pd.Series([None, "denominator 7 < 10", "denominator 6 < 10"], dtype="str"),
        "unit": ["percent", "percent", "index"],
    })
    masked = mask_suppressed(frame)
    assert masked["numerator"].iloc[0] == 5.0 and masked["denominator"].iloc[0] == 10.0
    assert pd.isna(masked["numerator"].iloc[1]) and masked["denominator"].iloc[1] == 7.0
    assert pd.isna(masked["numerator"].iloc[2]) and pd.isna(masked["denominator"].iloc[2])
    assert frame["numerator"].iloc[1] == 1.0  # the mart frame itself is not modified


def test_thai_headers_name_indicator_columns_and_stay_unique() -> None:
    names = {"enrolment": "จำนวนนักเรียน", "share_small_schools": "สัดส่วนโรงเรียนขนาดเล็ก"}
    headers = thai_headers(["academic_year", "total_enrolment", "share_small_schools_prev",
                            "share_small_schools_change", "mystery", "value", "ค่า"], names)
    assert headers == ["ปีการศึกษา", "จำนวนนักเรียน", "สัดส่วนโรงเรียนขนาดเล็ก ปีก่อน",
                       "สัดส่วนโรงเรียนขนาดเล็ก การเปลี่ยนแปลง", "mystery", "ค่า", "ค่า (ค่า)"]


def test_warehouse_types_are_normalised() -> None:
    frame = pd.DataFrame({
        "rate": pd.Series([Decimal("1.25"), None], dtype=object),
        "flag": pd.Series([True, None], dtype=object),
        "year": pd.Series([2566, 2567], dtype="int32"),
        "name": pd.Series(["ยะลา", None], dtype=object),
    })
    uniform = uniform_dtypes(frame)
    assert uniform["rate"].dtype == "float64" and uniform["rate"].iloc[0] == 1.25
    assert str(uniform["flag"].dtype) == "boolean"
    assert uniform["year"].dtype == "int64"
    assert pd.api.types.is_string_dtype(uniform["name"].dtype)


# ------------------------------------------------------------------------------------------- catalogue


def test_unknown_indicator_gets_a_record_named_after_its_id() -> None:
    dim = pd.DataFrame([{
        "indicator_id": "dropout_rate", "name_th": "อัตราการออกกลางคัน", "name_en": "Dropout rate",
        "unit": "percent",
        "source": "rosters (raw.students); DOPA (raw.population), raw.students", "target_value": np.nan,
        "higher_is_better": False,
    }])
    catalogue = Catalogue(dim, {"teacher_turnover_rate": "percent"})
    known = catalogue.get("dropout_rate")
    assert known.described and known.source_entities == ("students", "population")
    unknown = catalogue.get("teacher_turnover_rate")
    assert not unknown.described and unknown.name_th == "teacher_turnover_rate" and unknown.unit == "percent"
    assert catalogue.get("learning_space_users").target == 10_000  # the mission's figure when dim has none


def test_lineage_adds_national_deliveries_and_filters_by_entity() -> None:
    lineage = {
        "yala": [{"academic_year": "2566.0", "entity": "students", "source_file": "b.csv",
                  "source_sha256": "1", "ingested_at": "2024-01-02T00:00:00+00:00"}],
        "satun": [{"academic_year": 2566, "entity": "students", "source_file": "s.csv", "source_sha256": "2",
                   "ingested_at": "x"}],
        "national": [{"academic_year": 2566, "entity": "population", "source_file": "p.csv",
                      "source_sha256": "3", "ingested_at": "nan"}],
    }
    yala = deliveries_for(lineage, "yala")
    assert [(d.source_file, d.delivered_by, d.academic_year) for d in yala] == [
        ("p.csv", "national", "2566"), ("b.csv", "yala", "2566")]
    assert yala[0].ingested_at == ""  # a missing time is blank, not the text "nan"
    assert [d.source_file for d in for_entities(yala, ("students",))] == ["b.csv"]
    assert for_entities(yala, ()) == yala  # an indicator naming no source shows every delivery
    assert deliveries_for(None, "yala") == []


# ------------------------------------------------------------------------------------------- labels


@pytest.mark.parametrize(("indicator_id", "topic"), [
    ("enrolment", "enrolment"), ("ner_primary", "enrolment"), ("dropout_rate", "dropout"),
    ("out_of_school_rate_6_14", "dropout"), ("transition_rate_p6_m1", "dropout"),
    ("share_small_schools", "small-schools"), ("literacy_pass_rate", "learning"),
    ("minimum_proficiency_share", "learning"), ("share_teachers_trained", "teachers"),
    ("pupil_teacher_ratio", "teachers"), ("share_poor_students", "poverty"),
    ("learning_space_applying_share", "learning-spaces"), ("brand_new_indicator", "other"),
])
def test_every_dbt_indicator_lands_in_its_topic(indicator_id: str, topic: str) -> None:
    assert topic_of(indicator_id) == topic


def test_numbers_are_shown_the_thai_office_way() -> None:
    assert format_value(12345.4, "count") == "12,345"
    assert format_value(33.3333, "percent") == "33.3%"
    assert format_value(1.0397, "index") == "1.04"
    assert format_value(None, "percent") == "–"
    assert format_change(-8.3333, "percent") == "−8.3 จุด (pp)"
    assert format_change(50.0, "count") == "+50"


@pytest.mark.parametrize(("value", "target", "higher", "status"), [
    (11_332, 10_000, True, "met"), (9_999, 10_000, True, "not-met"), (30.0, 30.0, True, "met"),
    (0.4, 0.5, False, "met"), (0.6, 0.5, False, "not-met"), (None, 30.0, True, None), (5.0, None, True, None),
    (31.0, 30.0, None, "met"),
])
def test_target_status(value: float | None, target: float | None, higher: bool | None,
                       status: str | None) -> None:
    assert target_status(value, target, higher) == status


def test_broken_relative_links_are_reported(tmp_path: Path) -> None:
    (tmp_path / "yala").mkdir()
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "site.css").write_text("", encoding="utf-8")
    page = tmp_path / "yala" / "index.html"
    html = ('<link href="../assets/site.css"><a href="#top">t</a><a href="monitor.json">m</a>'
            '<a href="../../outside.txt">o</a><a href="mailto:x@example.org">e</a>')
    assert broken_local_references(html, page, tmp_path) == ["monitor.json", "../../outside.txt"]
