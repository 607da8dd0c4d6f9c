"""HTML building blocks: the page shell, paired Thai/English labels, tables. Delivered text goes via esc().

Pages are plain static HTML that works from file:// with the network off: one stylesheet, one local font, one
local plotly.min.js, relative links only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from assets.publish.safety import esc

FONT_FILE = "NotoSansThai.ttf"

SITE_CSS = f"""@font-face {{
  font-family: 'Noto Sans Thai';
  src: url('fonts/{FONT_FILE}') format('truetype');
  font-weight: 100 900;
  font-stretch: 62.5% 100%;
  font-style: normal;
  font-display: swap;
}}
:root {{ --ink: #222; --muted: #5a6470; --accent: #1f5f8b; --line: #d9dee4; --good: #2e7d32;
  --bad: #b3261e; }}
* {{ box-sizing: border-box; }}
body {{ font-family: 'Noto Sans Thai', sans-serif; color: var(--ink); margin: 0; line-height: 1.55;
  background: #f6f7f9; }}
header.site {{ background: var(--accent); color: white; padding: 1rem 1.5rem; }}
header.site a {{ color: white; }}
header.site h1 {{ margin: 0 0 .25rem; font-size: 1.6rem; }}
.meta {{ font-size: .85rem; color: var(--muted); }}
header.site .meta {{ color: #dfe9f1; }}
nav.toc {{ background: white; border-bottom: 1px solid var(--line); padding: .5rem 1.5rem;
  font-size: .9rem; display: flex; flex-wrap: wrap; gap: .2rem 1.1rem; }}
main {{ max-width: 1200px; margin: 0 auto; padding: 1rem 1.5rem 3rem; }}
section {{ background: white; border: 1px solid var(--line); border-radius: 6px; padding: 1rem 1.25rem;
  margin: 1rem 0; }}
h2 {{ font-size: 1.3rem; margin-top: 0; }}
h3 {{ font-size: 1.05rem; margin: .25rem 0; }}
.en {{ color: var(--muted); font-weight: normal; }}
h1 .en, header.site .en {{ color: #dfe9f1; }}
.cards {{ display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: .75rem; }}
.card {{ border: 1px solid var(--line); border-radius: 6px; padding: .75rem; background: #fff; }}
.big {{ font-size: 1.6rem; font-weight: 600; }}
.good {{ color: var(--good); }} .bad {{ color: var(--bad); }} .neutral {{ color: var(--muted); }}
.bar {{ height: 8px; background: #e8ecf0; border-radius: 4px; overflow: hidden; margin: .35rem 0; }}
.bar > span {{ display: block; height: 100%; background: var(--accent); }}
.indicator {{ border-top: 1px solid var(--line); padding-top: .75rem; margin-top: .75rem; }}
.indicator-grid {{ display: grid; grid-template-columns: minmax(240px, 1fr) minmax(300px, 2fr); gap: 1rem; }}
table {{ border-collapse: collapse; width: 100%; font-size: .9rem; }}
th, td {{ border-bottom: 1px solid var(--line); padding: .3rem .5rem; text-align: left;
  vertical-align: top; }}
td.num, th.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
.scroll {{ overflow-x: auto; }}
details {{ font-size: .88rem; margin: .35rem 0; }}
details dt {{ font-weight: 600; }} details dd {{ margin: 0 0 .35rem 1rem; }}
.notice {{ background: #fff6e0; border: 1px solid #e8c46a; padding: .6rem .8rem; border-radius: 6px; }}
.suppressed {{ color: var(--muted); font-style: italic; }}
.flag {{ display: inline-block; background: #fde8e6; color: var(--bad); border-radius: 3px; padding: 0 .35rem;
  margin: 0 .2rem .2rem 0; font-size: .8rem; }}
footer {{ text-align: center; padding: 1rem; }}
.status {{ display: inline-block; border-radius: 3px; padding: 0 .4rem; font-size: .85rem; }}
.status.met {{ background: #e3f2e5; color: var(--good); }}
.status.not-met {{ background: #fde8e6; color: var(--bad); }}
.status.unknown {{ background: #eef0f3; color: var(--muted); }}
.nodata {{ color: var(--muted); font-size: .9rem; }}
.chart-grid {{ display: grid; grid-template-columns: repeat(auto-fill, minmax(480px, 1fr)); gap: .75rem; }}
.downloads li {{ margin: .2rem 0; }}
code.hash {{ font-size: .8rem; }}
.province-cards .card h3 {{ margin-top: 0; }}
@media (max-width: 800px) {{ .indicator-grid {{ grid-template-columns: 1fr; }} }}
"""


def bi(thai: object, english: object) -> str:
    """A paired label: Thai first, English alongside (both escaped)."""
    return f'<span lang="th">{esc(thai)}</span> <span class="en" lang="en">/ {esc(english)}</span>'


def heading(level: int, thai: str, english: str, anchor: str | None = None) -> str:
    ident = f' id="{esc(anchor)}"' if anchor else ""
    return f"<h{level}{ident}>{bi(thai, english)}</h{level}>"


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], numeric: Sequence[bool] | None = None,
          caption: str | None = None) -> str:
    """A table from already-escaped cell HTML; `numeric` right-aligns columns."""
    numeric = numeric or [False] * len(headers)
    head = "".join(
        f'<th scope="col"{" class=num" if n else ""}>{h}</th>' for h, n in zip(headers, numeric, strict=True)
    )
    body = "".join(
        "<tr>"
        + "".join(f'<td{" class=num" if n else ""}>{c}</td>' for c, n in zip(row, numeric, strict=True))
        + "</tr>"
        for row in rows
    )
    cap = f"<caption>{caption}</caption>" if caption else ""
    return (f'<div class="scroll"><table>{cap}<thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")


def page(*, title_th: str, title_en: str, body: str, asset_prefix: str, built_at: str, run_id: str,
         nav: Sequence[tuple[str, str, str]], home_link: str | None) -> str:
    """The whole HTML document: head with local CSS and plotly.js, header with build facts, nav, body."""
    build_facts = (
        f'{bi("สร้างเมื่อ", "built at")}: <time>{esc(built_at)}</time> · '
        f'{bi("รหัสรอบการประมวลผล", "run id")}: <code>{esc(run_id)}</code>'
    )
    links = "".join(f'<a href="{esc(href)}">{bi(th, en)}</a>' for href, th, en in nav)
    home = (f'<p><a href="{esc(home_link)}">{bi("← หน้ารวมสี่จังหวัด", "all four provinces")}</a></p>'
            if home_link else "")
    return f"""<!DOCTYPE html>
<html lang="th">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="edusandbox">
<title>{esc(title_th)} / {esc(title_en)}</title>
<link rel="stylesheet" href="{asset_prefix}assets/site.css">
<script src="{asset_prefix}assets/plotly.min.js"></script>
</head>
<body>
<header class="site">
{home}<h1>{bi(title_th, title_en)}</h1>
<p class="meta" id="build-facts">{build_facts}</p>
</header>
<nav class="toc">{links}</nav>
<main>
{body}
</main>
<footer class="meta">{build_facts}</footer>
</body>
</html>
"""


def notice(thai: str, english: str, css_class: str = "notice") -> str:
    """A highlighted paragraph in both languages."""
    return f'<p class="{esc(css_class)}">{bi(thai, english)}</p>'


def link(href: str, thai: str, english: str) -> str:
    return f'<a href="{esc(href)}">{bi(thai, english)}</a>'


def definition_list(items: Iterable[tuple[str, str, str]]) -> str:
    """<dl> of (Thai term, English term, escaped description HTML); empty descriptions are left out."""
    rows = "".join(f"<dt>{bi(th, en)}</dt><dd>{html}</dd>" for th, en, html in items if html)
    return f"<dl>{rows}</dl>"


def section(anchor: str, thai: str, english: str, body: str) -> str:
    return f'<section id="{esc(anchor)}">{heading(2, thai, english)}{body}</section>'
