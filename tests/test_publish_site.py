"""The built site, without a browser: pages and their content, exports (XLSX, CSV, monitor.json), maps on and
off, privacy, and byte-for-byte reproducibility. Built from the fixture marts (tests/publish_fixtures.py)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from assets.publish import SiteBuildError, build_site, duckdb_reader, read_marts, verify_site
from assets.publish.exports import province_frames, thai_headers
from assets.publish.marts import Marts
from assets.publish.safety import esc, neutralise_text
from assets.read_ahead import ReadAhead
from pipelines.settings import shared_data_dir
from tests.publish_fixtures import (
    FIXTURE_PROVINCES,
    HOSTILE_FILE_NAME,
    HOSTILE_SCHOOL_NAMES,
    build_marts_frames,
    fixture_lineage,
    make_marts_db,
)

GEOJSON = shared_data_dir() / "geo" / "districts_4provinces.geojson"
ABSENT = f"optional real data absent: {GEOJSON} (../shared/data not present)"
NEEDS_GEOJSON = pytest.mark.skipif(not GEOJSON.is_file(), reason=ABSENT)
RUN_ID, BUILT_AT = "run-test-1", "2024-03-01T07:00:00+07:00"
YALA_DB = "yala"


@pytest.fixture(scope="module")
def marts(tmp_path_factory: pytest.TempPathFactory) -> Marts:
    """The fixture marts as the Dagster asset reads them: from a warehouse, through read_marts."""
    database = make_marts_db(tmp_path_factory.mktemp("marts") / "warehouse.duckdb")
    return read_marts(duckdb_reader(database))


def _build(marts: Marts, out: Path, **overrides: object) -> Path:
    options: dict = {"run_id": RUN_ID, "built_at": BUILT_AT, "boundaries": None, "lineage": fixture_lineage()}
    options.update(overrides)
    build_site(marts, out, **options)
    return out


@pytest.fixture(scope="module")
def site(marts: Marts, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built without boundaries: the "map off" configuration."""
    return _build(marts, tmp_path_factory.mktemp("site"))


@pytest.fixture(scope="module")
def mapped_site(marts: Marts, tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not GEOJSON.is_file():
        pytest.skip(ABSENT)
    return _build(marts, tmp_path_factory.mktemp("mapped"), boundaries=GEOJSON)


def _page(site: Path, province: str) -> str:
    return (site / province / "index.html").read_text(encoding="utf-8")


def _section(html: str, anchor: str) -> str:
    found = re.search(rf'<section id="{anchor}">(.*?)</section>', html, re.S)
    assert found, f"no section {anchor}"
    return found.group(1)


def _article(html: str, indicator_id: str) -> str:
    found = re.search(rf'<article class="indicator" id="ind-{indicator_id}".*?</article>', html, re.S)
    assert found, f"no indicator block for {indicator_id}"
    return found.group(0)


def _facts(marts: Marts, province: str) -> pd.DataFrame:
    facts = marts.province_indicators
    return facts[facts["province"] == province]


# ------------------------------------------------------------------------------------------- pages


def test_site_has_an_index_and_a_page_per_province_and_passes_its_checks(site: Path) -> None:
    assert (site / "index.html").is_file()
    for province in FIXTURE_PROVINCES:
        assert (site / province / "index.html").is_file()
    for shipped in ("plotly.min.js", "fonts/NotoSansThai.ttf", "site.css", "licenses/NotoSansThai-OFL.txt"):
        assert (site / "assets" / shipped).is_file(), shipped
    assert verify_site(site) == []


def test_pages_say_when_they_were_built_and_from_which_run(site: Path) -> None:
    for page in [site / "index.html", *[site / p / "index.html" for p in FIXTURE_PROVINCES]]:
        html = page.read_text(encoding="utf-8")
        facts = re.search(r'<p class="meta" id="build-facts">(.*?)</p>', html, re.S)
        assert facts and BUILT_AT in facts.group(1) and RUN_ID in facts.group(1), page


def test_pages_load_only_shipped_files(site: Path) -> None:
    html = _page(site, "yala")
    assert '<script src="../assets/plotly.min.js"></script>' in html
    assert "url('fonts/NotoSansThai.ttf')" in (site / "assets" / "site.css").read_text(encoding="utf-8")
    without_scripts = re.sub(r"<script>.*?</script>", "", html, flags=re.S)
    assert "cdn.plot.ly" not in html and "https://" not in without_scripts


def test_every_indicator_with_data_has_a_block_with_definition_and_lineage(site: Path, marts: Marts) -> None:
    definitions = marts.indicators.set_index("indicator_id")["definition"]
    for province in FIXTURE_PROVINCES:
        html = _page(site, province)
        ids = {i for i in _facts(marts, province)["indicator_id"] if not i.endswith("_parity_index")}
        for indicator_id in ids:
            block = _article(html, indicator_id)
            assert esc(definitions[indicator_id]) in block, (province, indicator_id)
            assert "definition and data lineage" in block
    literacy = _article(_page(site, "yala"), "literacy_pass_rate")
    for year in (2564, 2565, 2566):  # raw.literacy deliveries of every year, and no unrelated entity
        assert f"{year}/literacy_screening.xlsx" in literacy
    assert "students_yala.csv" not in literacy
    dropout = _article(_page(site, "yala"), "dropout_rate")
    assert "2566/students_yala.csv" in dropout and "validated and loaded" in dropout


def test_headline_cards_compare_with_targets_and_the_year_before(site: Path, marts: Marts) -> None:
    html = _section(_page(site, "yala"), "targets")
    facts = _facts(marts, "yala")
    users = facts[(facts["indicator_id"] == "learning_space_users") & (facts["breakdown_type"] == "total")
                  & (facts["academic_year"] == 2566)].iloc[0]
    card = html.split('id="target-learning_space_users">')[1].split('<div class="card"')[0]
    assert f"{users['value']:,.0f}" in card and "10,000" in card
    assert f"{users['value_prev_year']:,.0f}" in card  # the year before
    expected = "target met" if users["value"] >= 10_000 else "target not met"
    assert expected in card


def test_dim_indicators_without_data_are_named_as_missing(site: Path, marts: Marts) -> None:
    literacy_th = marts.indicators.set_index("indicator_id").loc["literacy_pass_rate", "name_th"]
    learning = _section(_page(site, "sukhothai"), "learning")
    assert "no data for this province yet" in learning and literacy_th in learning
    assert 'id="ind-literacy_pass_rate"' not in _page(site, "sukhothai")


def test_any_indicator_the_marts_hold_is_rendered(marts: Marts, tmp_path: Path) -> None:
    """A new indicator in dim_indicators, and one only the facts know, both get a block (generic fallback)."""
    frames = marts.by_table()
    dim = pd.concat([frames["dim_indicators"], pd.DataFrame([{
        "indicator_id": "teacher_turnover_rate", "name_th": "อัตราการย้ายออกของครู",
        "name_en": "Teacher turnover",
        "definition": "Teachers leaving during the year / teachers", "unit": "percent",
        "source": "Teacher registers (raw.teachers)", "target_value": np.nan}])], ignore_index=True)
    facts = frames["fct_province_indicators"]
    template = facts[facts["breakdown_type"] == "total"].iloc[[0]]
    new_rows = pd.concat([template.assign(indicator_id="teacher_turnover_rate", unit="percent", value=7.5),
                          template.assign(indicator_id="brand_new_count", unit="count", value=42.0)])
    facts = pd.concat([facts, new_rows], ignore_index=True)
    extended = Marts(facts, frames["fct_district_indicators"], frames["fct_school_monitor"], dim,
                     frames["mart_province_yearly"])
    province = str(template["province"].iloc[0])
    html = _page(_build(extended, tmp_path / "site"), province)
    turnover = _article(html, "teacher_turnover_rate")
    assert "อัตราการย้ายออกของครู" in turnover and "7.5%" in turnover
    assert "teachers_" in turnover  # lineage from raw.teachers deliveries
    assert "42" in _article(html, "brand_new_count") and "brand_new_count" in _section(html, "other")


def test_delivered_text_is_escaped_on_pages(site: Path) -> None:
    html = _page(site, "yala")
    assert "<script>alert" not in html and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "<img src=x" not in html and esc(HOSTILE_FILE_NAME) in html


def test_equity_section_shows_parity_indices_and_suppression(site: Path, marts: Marts) -> None:
    equity = _section(_page(site, "yala"), "equity")
    facts = _facts(marts, "yala")
    sex = facts[(facts["indicator_id"] == "dropout_rate_parity_index") & (facts["academic_year"] == 2566)
                & (facts["breakdown_type"] == "sex")].iloc[0]
    assert f"{sex['value']:.2f}" in equity
    assert "suppressed" in equity  # the planted poverty parity index of 2566
    assert 'id="parity"' in equity


def test_schools_at_risk_lists_flagged_schools_of_the_latest_year_only(site: Path, marts: Marts) -> None:
    schools = marts.school_monitor
    latest = schools[(schools["province"] == "yala") & (schools["academic_year"] == 2566)]
    flagged = latest[latest["risk_flag_count"] > 0].sort_values(["risk_flag_count", "school_name"],
                                                                  ascending=[False, True])
    section = _section(_page(site, "yala"), "schools")
    rows = re.findall(r"<tr><td>(.*?)</td>", section.split("<tbody>")[1])
    assert rows == [esc(n) for n in flagged["school_name"]]
    assert f"{len(flagged)} of {len(latest)} schools" in section


def test_map_is_off_and_the_page_says_why_without_boundaries(site: Path) -> None:
    html = _page(site, "yala")
    notice = re.search(r'<p class="notice map-off">(.*?)</p>', html, re.S)
    assert notice and "EDUSANDBOX_BOUNDARIES" in notice.group(1) and "The map is off" in notice.group(1)
    assert "choropleth" not in html.lower()
    monitor = json.loads((site / "yala" / "monitor.json").read_text(encoding="utf-8"))
    assert "EDUSANDBOX_BOUNDARIES" in monitor["map"]


@NEEDS_GEOJSON
def test_district_maps_draw_every_district_with_a_value(mapped_site: Path, marts: Marts) -> None:
    html = _page(mapped_site, "yala")
    assert "map-off" not in html
    districts = marts.district_indicators
    for indicator_id in ("dropout_rate", "share_small_schools"):  # the first two preferred with values
        rows = districts[(districts["province"] == "yala") & (districts["indicator_id"] == indicator_id)
                         & (districts["academic_year"] == 2566) & districts["value"].notna()]
        figure = re.search(rf'Plotly.newPlot\(\s*"map-{indicator_id}",\s*(\[.*?\]),\s*\{{', html, re.S)
        assert figure, indicator_id
        traces = json.loads(figure.group(1))
        assert traces[1]["locations"] == sorted("TH" + rows["district_code"])
        assert len(traces[0]["locations"]) == 8  # Yala's 8 districts as the grey base
    assert json.loads((mapped_site / "build.json").read_text(encoding="utf-8"))["maps"]["yala"] == "on"


# ------------------------------------------------------------------------------------------- exports


def _expected_frames(marts: Marts, province: str) -> dict[str, pd.DataFrame]:
    return province_frames(marts, province)


def _same(cell: object, value: object) -> bool:
    """A spreadsheet or CSV cell against the mart value it should hold (text neutralised)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)) or value == "":
        return cell is None or cell == ""
    if isinstance(value, (bool, np.bool_)):
        return cell in (bool(value), str(bool(value)))
    if isinstance(value, (int, float, np.integer, np.floating)):
        return cell not in (None, "") and float(cell) == pytest.approx(float(value))  # type: ignore[arg-type]
    return cell == neutralise_text(str(value))


def test_xlsx_opens_and_matches_each_mart_row_for_row(site: Path, marts: Marts) -> None:
    workbook = openpyxl.load_workbook(site / YALA_DB / "downloads" / "yala_monitor.xlsx")
    expected = _expected_frames(marts, "yala")
    assert workbook.sheetnames == ["คำอธิบาย", *expected]
    names = dict(zip(marts.indicators["indicator_id"], marts.indicators["name_th"], strict=True))
    for table, frame in expected.items():
        sheet = workbook[table]
        rows = list(sheet.iter_rows(values_only=True))
        assert list(rows[0]) == thai_headers(list(frame.columns), names), table
        assert len(rows) - 1 == len(frame), table
        for cells, values in zip(rows[1:], frame.itertuples(index=False), strict=True):
            mismatched = [(c, v) for c, v in zip(cells, values, strict=True) if not _same(c, v)]
            assert not mismatched, (table, mismatched[:3])
        assert sheet.freeze_panes == "A2", table
    facts = workbook["fct_province_indicators"]
    header = [c.value for c in facts[1]]
    assert facts.cell(2, header.index("ค่า") + 1).number_format == "#,##0.00"
    assert facts.cell(2, header.index("ปีการศึกษา") + 1).number_format == "0"
    assert "ปีการศึกษา" in header and "รหัสตัวชี้วัด" in header


def test_hostile_school_names_come_out_neutralised(site: Path) -> None:
    workbook = openpyxl.load_workbook(site / YALA_DB / "downloads" / "yala_monitor.xlsx")
    sheet = workbook["fct_school_monitor"]
    name_column = [c.value for c in sheet[1]].index("ชื่อโรงเรียน") + 1
    cells = {sheet.cell(r, name_column).value: sheet.cell(r, name_column)
             for r in range(2, sheet.max_row + 1)}
    for hostile in HOSTILE_SCHOOL_NAMES[:4]:  # those starting with = + - @
        cell = cells["'" + hostile]
        assert cell.data_type == "s"  # text, never a formula
    assert HOSTILE_SCHOOL_NAMES[4] in cells  # "<script>..." starts with "<": not a formula, left as written
    csv = pd.read_csv(site / YALA_DB / "downloads" / "csv" / "yala_fct_school_monitor.csv",
                      encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert "'=HYPERLINK(\"http://example.invalid/x\",\"click\")" in set(csv["ชื่อโรงเรียน"])
    assert {"'+cmd|' /C calc'!A0", "'-2+3", "'@SUM(A1:A2)"} <= set(csv["ชื่อโรงเรียน"])
    assert not any(name.startswith(("=", "+", "-", "@")) for name in csv["ชื่อโรงเรียน"])


@pytest.mark.parametrize("province", ["yala", "satun"])
def test_csv_is_utf8_with_bom_and_round_trips_with_pandas(site: Path, marts: Marts, province: str) -> None:
    names = dict(zip(marts.indicators["indicator_id"], marts.indicators["name_th"], strict=True))
    for table, frame in _expected_frames(marts, province).items():
        path = site / province / "downloads" / "csv" / f"{province}_{table}.csv"
        assert path.read_bytes()[:3] == b"\xef\xbb\xbf", path.name
        back = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
        assert list(back.columns) == thai_headers(list(frame.columns), names)
        assert len(back) == len(frame)
        for cells, values in zip(back.itertuples(index=False), frame.itertuples(index=False), strict=True):
            mismatched = [(c, v) for c, v in zip(cells, values, strict=True) if not _same(c, v)]
            assert not mismatched, (table, mismatched[:3])


def test_suppressed_numerators_are_blank_in_every_export(site: Path) -> None:
    def is_the_planted_row(row: dict) -> bool:
        return (row["indicator_id"] == "dropout_rate" and row["breakdown_value"] == "LAO"
                and row["academic_year"] == 2566)

    monitor = json.loads((site / "satun" / "monitor.json").read_text(encoding="utf-8"))
    rows = [r for r in monitor["tables"]["fct_province_indicators"] if is_the_planted_row(r)]
    assert len(rows) == 1 and rows[0]["value"] is None and rows[0]["numerator"] is None
    assert rows[0]["suppressed_reason"] == "denominator 6 < 10" and rows[0]["denominator"] == 1000.0
    csv = pd.read_csv(site / "satun" / "downloads" / "csv" / "satun_fct_province_indicators.csv",
                      encoding="utf-8-sig", dtype=str, keep_default_na=False)
    planted = csv[(csv["รหัสตัวชี้วัด"] == "dropout_rate") & (csv["กลุ่ม"] == "LAO") & (csv["ปีการศึกษา"] == "2566")]
    assert planted["ตัวตั้ง"].tolist() == [""] and planted["ค่า"].tolist() == [""]


def test_monitor_json_has_targets_definitions_and_no_person_level_data(site: Path, marts: Marts) -> None:
    monitor = json.loads((site / "yala" / "monitor.json").read_text(encoding="utf-8"))
    targets = {t["indicator_id"]: t for t in monitor["programme_targets"]}
    # Targets as dbt's seeds/programme_targets.csv sets them.
    assert {i: t["target"] for i, t in targets.items()} == {
        "learning_space_users": 10_000, "learning_space_applying_share": 30, "share_teachers_trained": 100,
        "share_directors_trained": 100}
    facts = _facts(marts, "yala")
    applying = facts[(facts["indicator_id"] == "learning_space_applying_share")
                     & (facts["breakdown_type"] == "total") & (facts["academic_year"] == 2566)].iloc[0]
    assert targets["learning_space_applying_share"]["value"] == pytest.approx(applying["value"])
    expected_status = "met" if applying["value"] >= 30 else "not-met"
    assert targets["learning_space_applying_share"]["status"] == expected_status
    assert monitor["indicators"]["literacy_pass_rate"]["deliveries"][0]["entity"] == "literacy"
    columns = {c for rows in monitor["tables"].values() for row in rows[:1] for c in row}
    assert not columns & {"student_key", "citizen_id", "g_code", "birth_date"}
    assert RUN_ID not in json.dumps(monitor) and "ingested_at" not in json.dumps(monitor)


def test_index_compares_the_four_provinces(site: Path) -> None:
    html = (site / "index.html").read_text(encoding="utf-8")
    for province in FIXTURE_PROVINCES:
        assert f'href="{province}/index.html"' in html
    compare = _section(html, "compare")
    for indicator_id in ("learning_space_users", "learning_space_applying_share", "share_teachers_trained",
                         "share_directors_trained"):
        assert f'id="compare-{indicator_id}"' in compare
    assert "เป้าหมาย" in compare and "10,000" in compare


# ------------------------------------------------------------------------------------------- privacy, reruns


def test_marts_with_student_level_columns_are_refused(marts: Marts, tmp_path: Path) -> None:
    leaky = Marts(marts.province_indicators, marts.district_indicators,
                  marts.school_monitor.assign(student_key="k1"), marts.indicators, marts.province_yearly)
    with pytest.raises(SiteBuildError, match="student_key"):
        build_site(leaky, tmp_path / "site", run_id=RUN_ID, built_at=BUILT_AT)


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _shuffled(marts: Marts) -> Marts:
    """The same rows in another order and with other dtypes, as another warehouse might return them."""
    def shuffle(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.sample(frac=1.0, random_state=7).reset_index(drop=True)

    return read_marts(_reader({t: shuffle(f) for t, f in marts.by_table().items()}))


def _reader(frames: dict[str, pd.DataFrame]) -> Callable[[str], pd.DataFrame]:
    def read_frame(sql: str) -> pd.DataFrame:
        table = sql.rsplit(".", 1)[-1].strip()
        return frames[table].astype(object).where(frames[table].notna(), None)  # as a DB-API driver returns

    return read_frame


def test_same_marts_and_build_facts_give_byte_identical_files(site: Path, marts: Marts,
                                                              tmp_path: Path) -> None:
    again = _tree(_build(_shuffled(marts), tmp_path / "again"))
    first = _tree(site)
    assert sorted(again) == sorted(first)
    differing = [name for name in first if first[name] != again[name]]
    assert not differing


def test_provinces_written_side_by_side_in_worker_processes_give_the_same_files(
        site: Path, marts: Marts, tmp_path: Path) -> None:
    workers = ReadAhead(workers=2)
    try:
        parallel = _tree(_build(marts, tmp_path / "parallel", run_all=workers.run_all))
        assert workers.started()  # the provinces went to the workers
    finally:
        workers.close()
    first = _tree(site)
    assert sorted(parallel) == sorted(first)
    assert [name for name in first if first[name] != parallel[name]] == []


def test_exports_do_not_change_with_the_run(site: Path, marts: Marts, tmp_path: Path) -> None:
    other = _build(marts, tmp_path / "other", run_id="run-test-2", built_at="2024-03-02T07:00:00+07:00")
    for export in sorted(site.rglob("*")):
        if export.suffix in {".xlsx", ".csv"} or export.name == "monitor.json":
            assert export.read_bytes() == (other / export.relative_to(site)).read_bytes(), export.name
    assert "run-test-2" in _page(other, "yala") and "run-test-2" not in _page(site, "yala")


def test_a_warehouse_with_no_rows_still_publishes_every_province(tmp_path: Path) -> None:
    empty = {t: f.iloc[0:0] for t, f in build_marts_frames().items()}
    html_dir = _build(read_marts(_reader(empty)), tmp_path / "empty", lineage=None)
    for province in FIXTURE_PROVINCES:
        assert "No data for this province in the warehouse yet" in _page(html_dir, province)
    assert verify_site(html_dir) == []
