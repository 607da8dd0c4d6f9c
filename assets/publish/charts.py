"""Plotly charts as HTML fragments: explicit div ids, a small fixed template, no plotly.js inlined, no CDN.

Pages load `assets/plotly.min.js` once; each fragment only carries its figure JSON, so output is
deterministic. Figures are plain dicts in plotly's schema, serialised without graph_objects validation
(which cost most of the build time); the browser tests check that every chart draws.
Plotly reads a few HTML-like tags (<a href>, <b>, <br>) in chart text, so every label is entity-escaped
first (plotly decodes the entities back to plain text); the figure JSON itself is script-safe (plotly escapes
"<", ">" and "/").
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import plotly.io as pio
from plotly.colors import sequential

FONT_FAMILY = "'Noto Sans Thai', sans-serif"
COLORWAY = ("#1f5f8b", "#e07b39", "#3a9d5d", "#b8456b", "#7a5cab", "#c9a227", "#4a4a4a")
# Interactive but quiet: no mode bar (its logo link would reach out), responsive to the column width.
PLOT_CONFIG = {"displayModeBar": False, "responsive": True, "displaylogo": False}

_TEMPLATE = {"layout": {
    "font": {"family": FONT_FAMILY, "size": 13, "color": "#222"},
    "colorway": list(COLORWAY),
    "paper_bgcolor": "white",
    "plot_bgcolor": "white",
    "xaxis": {"gridcolor": "#eee", "linecolor": "#999", "automargin": True},
    "yaxis": {"gridcolor": "#eee", "linecolor": "#999", "zerolinecolor": "#ccc", "automargin": True},
    "hoverlabel": {"font": {"family": FONT_FAMILY}},
    "legend": {"orientation": "h", "y": -0.2},
}}

Value = float | None
Figure = dict[str, object]


def _explicit_scale(colours: Sequence[str]) -> list[list[object]]:
    """A colour scale spelled out: plotly.js's own "YlOrRd" runs red-to-yellow, plotly.py's yellow-to-red."""
    last = len(colours) - 1
    return [[n / last, colour] for n, colour in enumerate(colours)]


LOW_TO_HIGH = _explicit_scale(sequential.YlOrRd)  # pale for low values, dark red for high


def label(text: object) -> str:
    """Chart text shown as written, never as plotly markup."""
    return html.escape("" if text is None else str(text), quote=False)


def _labels(texts: Sequence[object]) -> list[str]:
    return [label(t) for t in texts]


def _axis_format(unit: str) -> dict[str, str]:
    if unit == "percent":
        return {"ticksuffix": "%"}
    if unit == "count":
        return {"tickformat": ",.0f"}
    return {}


def _horizontal_line(y: float, color: str, dash: str) -> dict[str, object]:
    """A reference line across the plot at height y (what plotly's add_hline draws)."""
    return {"type": "line", "xref": "x domain", "x0": 0, "x1": 1, "yref": "y", "y0": y, "y1": y,
            "line": {"color": color, "dash": dash}}


def chart_div(figure: Figure, div_id: str, height: int = 320) -> str:
    """The figure as a `<div>` plus its drawing script (plotly.js must already be loaded on the page)."""
    layout = {"template": _TEMPLATE, "height": height, "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
              **figure.get("layout", {})}  # type: ignore[dict-item]
    return pio.to_html({"data": figure["data"], "layout": layout}, validate=False, full_html=False,
                       include_plotlyjs=False, div_id=div_id, config=PLOT_CONFIG, default_width="100%",
                       default_height=f"{height}px")


def _bars(categories: Sequence[str], series: dict[str, Sequence[Value]]) -> list[dict[str, object]]:
    return [{"type": "bar", "name": label(name), "x": _labels(categories), "y": list(values)}
            for name, values in series.items()]


def comparison_bars(categories: Sequence[str], series: dict[str, Sequence[Value]], *, title: str, unit: str,
                    div_id: str) -> str:
    """Grouped bars: one bar per category (province) for each series (academic year)."""
    return chart_div({"data": _bars(categories, series), "layout": {
        "title": {"text": label(title)}, "barmode": "group", "yaxis": _axis_format(unit)}}, div_id)


def trend_line(years: Sequence[str], values: Sequence[Value], *, name: str, unit: str, target: Value,
               div_id: str) -> str:
    """One indicator over academic years; the programme or indicator target as a dashed line."""
    layout: dict[str, object] = {
        "xaxis": {"type": "category", "title": {"text": "ปีการศึกษา / academic year"}},
        "yaxis": _axis_format(unit), "showlegend": False,
    }
    if target is not None:
        layout["shapes"] = [_horizontal_line(target, "#b8456b", "dash")]
        layout["annotations"] = [{"text": "เป้าหมาย / target", "xref": "x domain", "x": 0, "yref": "y",
                                  "y": target, "showarrow": False, "xanchor": "left", "yanchor": "bottom"}]
    trace = {"type": "scatter", "x": _labels(years), "y": list(values), "mode": "lines+markers",
             "name": label(name), "connectgaps": False, "marker": {"size": 9}}
    return chart_div({"data": [trace], "layout": layout}, div_id, height=260)


def multi_trend(years: Sequence[str], series: dict[str, Sequence[Value]], *, title: str, unit: str,
                div_id: str) -> str:
    """Several indicators of one unit over academic years (one line each)."""
    traces = [{"type": "scatter", "x": _labels(years), "y": list(values), "mode": "lines+markers",
               "name": label(name), "connectgaps": False} for name, values in series.items()]
    return chart_div({"data": traces, "layout": {
        "title": {"text": label(title)}, "xaxis": {"type": "category"}, "yaxis": _axis_format(unit)}},
        div_id, height=380)


def district_bars(districts: Sequence[str], values: Sequence[Value], *, title: str, unit: str,
                  div_id: str) -> str:
    """Districts side by side for one indicator and year (horizontal, names readable)."""
    trace = {"type": "bar", "x": list(values), "y": _labels(districts), "orientation": "h"}
    return chart_div({"data": [trace], "layout": {
        "title": {"text": label(title)}, "xaxis": _axis_format(unit), "yaxis": {"autorange": "reversed"}}},
        div_id, height=max(260, 34 * len(districts) + 90))


def grouped_bars(categories: Sequence[str], series: dict[str, Sequence[Value]], *, title: str,
                 div_id: str, reference: Value = None, unit: str = "index") -> str:
    """Grouped bars with an optional reference line (1.0 for parity indices)."""
    layout: dict[str, object] = {"title": {"text": label(title)}, "barmode": "group",
                                 "yaxis": _axis_format(unit)}
    if reference is not None:
        layout["shapes"] = [_horizontal_line(reference, "#444", "dot")]
    return chart_div({"data": _bars(categories, series), "layout": layout}, div_id, height=340)


# plotly.js fetches its world topojson from cdn.plot.ly for any geo subplot, even when every base layer is
# off and the trace brings its own GeoJSON (plotly.js issue #6767). It skips the fetch when the topology is
# already registered in window.PlotlyGeoAssets, so the map fragment registers an empty one under the name
# plotly.js derives from the layout (scope "world", resolution 110). None of it is drawn: no base map.
GEO_SCOPE, GEO_RESOLUTION = "world", 110
_EMPTY_TOPOLOGY_SCRIPT = (
    "<script>window.PlotlyGeoAssets = window.PlotlyGeoAssets || {topojson: {}};"
    f'window.PlotlyGeoAssets.topojson["{GEO_SCOPE}_{GEO_RESOLUTION}m"] = '
    '{"type": "Topology", "objects": {}, "arcs": []};</script>'
)


def district_map(geojson: dict, locations: Sequence[str], values: Sequence[Value], names: Sequence[str], *,
                 title: str, unit: str, div_id: str) -> str:
    """District choropleth from the embedded GeoJSON: no tiles, no base map, zoomed to the province.

    Two traces: every district of the province in grey (so gaps show as "no data"), then the districts that
    have a value, coloured. The empty registered topology keeps plotly.js off the network (see above).
    """
    suffix = "%" if unit == "percent" else ""
    all_keys = [f["properties"]["adm2_pcode"] for f in geojson.get("features", [])]
    outline = {
        "type": "choropleth", "geojson": geojson, "featureidkey": "properties.adm2_pcode",
        "locations": all_keys, "z": [0] * len(all_keys), "colorscale": [[0, "#e3e6ea"], [1, "#e3e6ea"]],
        "showscale": False, "hoverinfo": "skip", "marker": {"line": {"color": "white", "width": 1}},
    }
    coloured = {
        "type": "choropleth", "geojson": geojson, "featureidkey": "properties.adm2_pcode",
        "locations": list(locations), "z": list(values), "text": _labels(names),
        "hovertemplate": "%{text}: %{z:,.1f}" + suffix + "<extra></extra>",
        "colorscale": LOW_TO_HIGH, "marker": {"line": {"color": "white", "width": 1}},
        "colorbar": {"ticksuffix": suffix, "thickness": 14},
    }
    layout = {
        "title": {"text": label(title)}, "dragmode": False,
        "geo": {"fitbounds": "locations", "visible": False, "projection": {"type": "mercator"},
                "scope": GEO_SCOPE, "resolution": GEO_RESOLUTION},
    }
    figure = {"data": [outline, coloured], "layout": layout}
    return _EMPTY_TOPOLOGY_SCRIPT + chart_div(figure, div_id, height=460)
