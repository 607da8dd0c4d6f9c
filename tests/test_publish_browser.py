"""Every published page in headless Chromium (Debian's /usr/bin/chromium), opened from disk with the network
disabled: no console errors, no request leaves the machine, charts and maps drawn with the right number of
marks, Thai text rendered with the shipped Noto Sans Thai. Full-page screenshots go to test-artifacts/publish/
(kept by CI as artifacts)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest

from assets.contract.entities import PROVINCE_NAMES
from assets.publish import build_site, duckdb_reader, read_marts
from assets.publish.marts import Marts
from pipelines.settings import REPO_ROOT, shared_data_dir
from tests.publish_fixtures import FIXTURE_PROVINCES, fixture_lineage, make_marts_db

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--no-first-run",
                 "--disable-sync", "--disable-default-apps", "--mute-audio"]
GEOJSON = shared_data_dir() / "geo" / "districts_4provinces.geojson"
ABSENT = f"optional real data absent: {GEOJSON} (../shared/data not present)"
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "publish"
PAGES = ["index.html", *[f"{p}/index.html" for p in FIXTURE_PROVINCES]]
FONT_LOADED = """() => [...document.fonts].some(
    f => f.family.replace(/["']/g, '') === 'Noto Sans Thai' && f.status === 'loaded')"""
# Marks with a visible size: plotly keeps a zero-height path for a missing bar.
VISIBLE_MARKS = """(selector) => [...document.querySelectorAll(selector)].filter(e => {
    const box = e.getBBox();
    return box.width > 0 && box.height > 0 && !(e.getAttribute('d') || '').includes('NaN');
}).length"""


@dataclass
class OpenedPage:
    page: object  # playwright Page
    errors: list[str] = field(default_factory=list)
    remote_requests: list[str] = field(default_factory=list)

    def count(self, selector: str) -> int:
        return self.page.evaluate(VISIBLE_MARKS, selector)  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: run `bash .ci/install_system_packages.sh` (Debian's chromium; "
                    "Playwright's own browser download does not work offline)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def marts(tmp_path_factory: pytest.TempPathFactory) -> Marts:
    return read_marts(duckdb_reader(make_marts_db(tmp_path_factory.mktemp("marts") / "warehouse.duckdb")))


@pytest.fixture(scope="module")
def site(marts: Marts, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site with district maps when the real boundaries are present (else with maps off)."""
    out = tmp_path_factory.mktemp("site")
    build_site(marts, out, run_id="browser-run", built_at="2024-03-01T07:00:00+07:00",
               boundaries=GEOJSON if GEOJSON.is_file() else None, lineage=fixture_lineage())
    return out


@pytest.fixture(scope="module")
def opened(chromium: object, site: Path) -> Iterator[dict[str, OpenedPage]]:
    """Every page opened once, offline, with console errors and attempted remote requests recorded."""
    context = chromium.new_context(offline=True, viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    pages: dict[str, OpenedPage] = {}
    try:
        for relative in PAGES:
            pages[relative] = _open(context, site / relative)
        yield pages
    finally:
        context.close()


def _open(context: object, path: Path) -> OpenedPage:
    page = context.new_page()  # type: ignore[attr-defined]
    opened = OpenedPage(page)
    page.on("console", lambda m: opened.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: opened.errors.append(str(e)))

    def only_local(route: object) -> None:
        url = route.request.url  # type: ignore[attr-defined]
        if url.startswith("file://"):
            route.continue_()  # type: ignore[attr-defined]
        else:
            opened.remote_requests.append(url)
            route.abort()  # type: ignore[attr-defined]

    page.route("**/*", only_local)
    page.goto(path.as_uri(), wait_until="load")
    page.evaluate("document.fonts.ready.then(() => true)")
    charts = page.locator(".plotly-graph-div").count()
    page.wait_for_function(f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {charts}")
    return opened


def _screenshot(opened: OpenedPage, relative: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / (relative.replace("/index.html", "").replace(".html", "") + ".png")
    opened.page.screenshot(path=str(target), full_page=True)  # type: ignore[attr-defined]
    return target


# ------------------------------------------------------------------------------------------- every page


@pytest.mark.parametrize("relative", PAGES)
def test_page_opens_offline_without_errors_or_remote_requests(opened: dict[str, OpenedPage],
                                                              relative: str) -> None:
    page = opened[relative]
    assert page.errors == []
    assert page.remote_requests == []


@pytest.mark.parametrize("relative", PAGES)
def test_every_chart_on_the_page_is_drawn(opened: dict[str, OpenedPage], relative: str) -> None:
    page = opened[relative].page
    charts = page.locator(".plotly-graph-div").count()  # type: ignore[attr-defined]
    drawn = page.evaluate(  # type: ignore[attr-defined]
        "[...document.querySelectorAll('.plotly-graph-div')]"
        ".filter(d => d.querySelector('svg.main-svg')).length")
    assert charts > 0 and drawn == charts


@pytest.mark.parametrize("relative", PAGES)
def test_thai_text_is_rendered_with_the_shipped_font(opened: dict[str, OpenedPage], relative: str) -> None:
    opened_page = opened[relative]
    page = opened_page.page
    heading = page.inner_text("header.site h1")  # type: ignore[attr-defined]
    if relative == "index.html":
        assert "สถานการณ์การศึกษา" in heading
    else:
        assert PROVINCE_NAMES[relative.split("/")[0]][0] in heading
    assert page.evaluate(FONT_LOADED)  # type: ignore[attr-defined]
    assert page.evaluate("document.fonts.check('16px \"Noto Sans Thai\"', 'ภาษาไทย')")  # type: ignore[attr-defined]
    # What Chromium actually drew the Thai heading with: the shipped font file, not a system font.
    cdp = page.context.new_cdp_session(page)  # type: ignore[attr-defined]
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    heading_th = cdp.send("DOM.querySelector", {"nodeId": root, "selector": 'header.site h1 span[lang="th"]'})
    node = heading_th["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    assert [f["familyName"] for f in fonts] == ["Noto Sans Thai"] and fonts[0]["isCustomFont"]
    assert fonts[0]["glyphCount"] >= 10
    screenshot = _screenshot(opened_page, relative)
    assert screenshot.stat().st_size > 10_000


# ------------------------------------------------------------------------------------------- marks


def _luminance(css_colour: str) -> float:
    """Relative brightness of an "rgb(r, g, b)" colour (Rec. 709 weights)."""
    red, green, blue = (float(c) for c in css_colour[css_colour.index("(") + 1:-1].split(",")[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def _totals(marts: Marts, province: str, indicator_id: str) -> pd.DataFrame:
    facts = marts.province_indicators
    return facts[(facts["province"] == province) & (facts["indicator_id"] == indicator_id)
                 & (facts["breakdown_type"] == "total")]


def test_trend_lines_have_one_marker_per_year_with_a_value(opened: dict[str, OpenedPage],
                                                           marts: Marts) -> None:
    page = opened["yala/index.html"]
    for indicator_id in ("learning_space_users", "dropout_rate", "literacy_pass_rate"):
        expected = int(_totals(marts, "yala", indicator_id)["value"].notna().sum())
        assert page.count(f"#trend-{indicator_id} .scatterlayer .point") == expected, indicator_id


def test_district_bars_have_one_bar_per_district_with_a_value(opened: dict[str, OpenedPage],
                                                              marts: Marts) -> None:
    districts = marts.district_indicators
    page = opened["yala/index.html"]
    for indicator_id in ("dropout_rate", "literacy_pass_rate"):
        rows = districts[(districts["province"] == "yala") & (districts["indicator_id"] == indicator_id)
                         & (districts["academic_year"] == 2566)]
        expected = int(rows["value"].notna().sum())
        assert expected < len(rows) or indicator_id == "dropout_rate"  # literacy has a suppressed district
        assert page.count(f"#districts-{indicator_id} .bars .point path") == expected, indicator_id


def test_parity_chart_has_a_bar_per_published_index(opened: dict[str, OpenedPage], marts: Marts) -> None:
    facts = marts.province_indicators
    parity = facts[(facts["province"] == "yala") & facts["indicator_id"].str.endswith("_parity_index")
                   & (facts["academic_year"] == 2566)]
    expected = int(parity["value"].notna().sum())
    assert expected == len(parity) - 1  # the planted suppressed index draws no bar
    assert opened["yala/index.html"].count("#parity .bars .point path") == expected


def test_index_compares_provinces_with_a_bar_per_province_and_year(opened: dict[str, OpenedPage],
                                                                   marts: Marts) -> None:
    facts = marts.province_indicators
    for indicator_id in ("learning_space_users", "share_teachers_trained", "literacy_pass_rate"):
        rows = facts[(facts["indicator_id"] == indicator_id) & (facts["breakdown_type"] == "total")]
        expected = int(rows["value"].notna().sum())  # 4 provinces × 3 years, or Yala's 3 for literacy
        assert opened["index.html"].count(f"#compare-{indicator_id} .bars .point path") == expected


def test_district_maps_draw_every_district(opened: dict[str, OpenedPage], marts: Marts) -> None:
    if not GEOJSON.is_file():
        pytest.skip(ABSENT)
    districts = marts.district_indicators
    page = opened["yala/index.html"]
    for indicator_id in ("dropout_rate", "share_small_schools"):
        valued = districts[(districts["province"] == "yala") & (districts["indicator_id"] == indicator_id)
                           & (districts["academic_year"] == 2566) & districts["value"].notna()]
        # Yala's 8 districts drawn grey underneath, and each district with a value drawn again in colour.
        assert page.count(f"#map-{indicator_id} path.choroplethlocation") == 8 + len(valued), indicator_id
        # Colour encodes the value: the highest district is drawn darker than the lowest.
        fills = page.page.evaluate(  # type: ignore[attr-defined]
            "(s) => [...document.querySelectorAll(s)].map(p => getComputedStyle(p).fill)",
            f"#map-{indicator_id} .trace.choropleth:last-of-type path.choroplethlocation")
        ordered = valued.sort_values("district_code")["value"].tolist()
        darkest, palest = ordered.index(max(ordered)), ordered.index(min(ordered))
        assert _luminance(fills[darkest]) < _luminance(fills[palest]), (indicator_id, fills)


def test_page_without_boundaries_says_the_map_is_off(chromium: object, marts: Marts, tmp_path: Path) -> None:
    out = tmp_path / "site"
    build_site(marts, out, run_id="browser-run", built_at="2024-03-01T07:00:00+07:00", boundaries=None,
               lineage=fixture_lineage())
    context = chromium.new_context(offline=True)  # type: ignore[attr-defined]
    try:
        opened = _open(context, out / "yala" / "index.html")
        notice = opened.page.locator(".map-off")  # type: ignore[attr-defined]
        assert notice.is_visible() and "EDUSANDBOX_BOUNDARIES" in notice.inner_text()
        assert opened.page.locator("path.choroplethlocation").count() == 0  # type: ignore[attr-defined]
        assert opened.errors == [] and opened.remote_requests == []
    finally:
        context.close()

