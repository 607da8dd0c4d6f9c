"""Plotly charts as HTML fragments: explicit div ids, a small fixed template, no plotly.js inlined, no CDN.

Pages load `assets/plotly.min.js` once; each fragment only carries its figure JSON, so output is deterministic.
"""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go
import plotly.io as pio

FONT_FAMILY = "'Noto Sans Thai', sans-serif"
COLORWAY = ("#1f5f8b", "#e07b39", "#3a9d5d", "#b8456b", "#7a5cab", "#c9a227", "#4a4a4a")
# Interactive but quiet: no mode bar (its logo link would reach out), responsive to the column width.
PLOT_CONFIG = {"displayModeBar": False, "responsive": True, "displaylogo": False}

_TEMPLATE = go.layout.Template(layout={
    "font": {"family": FONT_FAMILY, "size": 13, "color": "#222"},
    "colorway": list(COLORWAY),
    "paper_bgcolor": "white",
    "plot_bgcolor": "white",
    "xaxis": {"gridcolor": "#eee", "linecolor": "#999", "automargin": True},
    "yaxis": {"gridcolor": "#eee", "linecolor": "#999", "zerolinecolor": "#ccc", "automargin": True},
    "hoverlabel": {"font": {"family": FONT_FAMILY}},
    "legend": {"orientation": "h", "y": -0.2},
})

Value = float | None


def _axis_format(unit: str) -> dict[str, str]:
    if unit == "percent":
        return {"ticksuffix": "%"}
    if unit == "count":
        return {"tickformat": ",.0f"}
    return {}


def chart_div(fig: go.Figure, div_id: str, height: int = 320) -> str:
    """The figure as a `<div>` plus its drawing script (plotly.js must already be loaded on the page)."""
    fig.update_layout(template=_TEMPLATE, height=height, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return pio.to_html(fig, full_html=False, include_plotlyjs=False, div_id=div_id, config=PLOT_CONFIG,
                       default_width="100%", default_height=f"{height}px")


def comparison_bars(categories: Sequence[str], series: dict[str, Sequence[Value]], *, title: str, unit: str,
                    div_id: str) -> str:
    """Grouped bars: one bar per category (province) for each series (academic year)."""
    fig = go.Figure([go.Bar(name=name, x=list(categories), y=list(values)) for name, values in series.items()])
    fig.update_layout(title={"text": title}, barmode="group", yaxis=_axis_format(unit))
    return chart_div(fig, div_id)


def trend_line(years: Sequence[str], values: Sequence[Value], *, name: str, unit: str, target: Value,
               div_id: str) -> str:
    """One indicator over academic years; the programme or indicator target as a dashed line."""
    fig = go.Figure(go.Scatter(x=list(years), y=list(values), mode="lines+markers", name=name,
                               connectgaps=False, marker={"size": 9}))
    if target is not None:
        fig.add_hline(y=target, line_dash="dash", line_color="#b8456b",
                      annotation_text="เป้าหมาย / target", annotation_position="top left")
    fig.update_layout(xaxis={"type": "category", "title": {"text": "ปีการศึกษา / academic year"}},
                      yaxis=_axis_format(unit), showlegend=False)
    return chart_div(fig, div_id, height=260)


def multi_trend(years: Sequence[str], series: dict[str, Sequence[Value]], *, title: str, unit: str,
                div_id: str) -> str:
    """Several indicators of one unit over academic years (one line each)."""
    fig = go.Figure([
        go.Scatter(x=list(years), y=list(values), mode="lines+markers", name=name, connectgaps=False)
        for name, values in series.items()
    ])
    fig.update_layout(title={"text": title}, xaxis={"type": "category"}, yaxis=_axis_format(unit))
    return chart_div(fig, div_id, height=380)


def district_bars(districts: Sequence[str], values: Sequence[Value], *, title: str, unit: str,
                  div_id: str) -> str:
    """Districts side by side for one indicator and year (horizontal, names readable)."""
    fig = go.Figure(go.Bar(x=list(values), y=list(districts), orientation="h"))
    fig.update_layout(title={"text": title}, xaxis=_axis_format(unit), yaxis={"autorange": "reversed"})
    return chart_div(fig, div_id, height=max(260, 34 * len(districts) + 90))


def grouped_bars(categories: Sequence[str], series: dict[str, Sequence[Value]], *, title: str,
                 div_id: str, reference: Value = None, unit: str = "index") -> str:
    """Grouped bars with an optional reference line (1.0 for parity indices)."""
    fig = go.Figure([go.Bar(name=name, x=list(categories), y=list(values)) for name, values in series.items()])
    if reference is not None:
        fig.add_hline(y=reference, line_dash="dot", line_color="#444")
    fig.update_layout(title={"text": title}, barmode="group", yaxis=_axis_format(unit))
    return chart_div(fig, div_id, height=340)


def district_map(geojson: dict, locations: Sequence[str], values: Sequence[Value], names: Sequence[str], *,
                 title: str, unit: str, div_id: str) -> str:
    """District choropleth from the embedded GeoJSON: no tiles, no base map, zoomed to the province."""
    suffix = "%" if unit == "percent" else ""
    fig = go.Figure(go.Choropleth(
        geojson=geojson, featureidkey="properties.adm2_pcode", locations=list(locations), z=list(values),
        text=list(names), hovertemplate="%{text}: %{z:,.1f}" + suffix + "<extra></extra>",
        colorscale="YlOrRd", marker={"line": {"color": "white", "width": 1}},
        colorbar={"ticksuffix": suffix, "thickness": 14},
    ))
    fig.update_geos(fitbounds="locations", visible=False, projection_type="mercator")
    fig.update_layout(title={"text": title}, dragmode=False)
    return chart_div(fig, div_id, height=460)
