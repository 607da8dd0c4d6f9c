"""A self-contained HTML validation report for one delivered file, in the spirit of GX Data Docs.

GX's own Data Docs site needs a file-backed context and loads its styles from a CDN; this page is one
string with inline CSS, so it can be stored next to the run's metadata and opened offline.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assets.checks.validation import ValidationOutcome

QUARANTINE_SAMPLE = 50

_CSS = """
body{font-family:"Noto Sans Thai","Noto Sans",system-ui,sans-serif;margin:2rem;color:#1d2327;max-width:78rem}
h1{font-size:1.5rem;margin-bottom:.2rem} h2{font-size:1.15rem;margin-top:2rem}
.status{display:inline-block;padding:.2rem .7rem;border-radius:.3rem;font-weight:600;color:#fff}
.passed{background:#1e7b34} .rejected{background:#b32d2e} .warned{background:#9a6700}
table{border-collapse:collapse;width:100%;font-size:.9rem} th,td{border:1px solid #d0d7de;padding:.3rem .5rem;
text-align:left;vertical-align:top} th{background:#f3f5f7} tr.fail td{background:#fff1f0}
tr.warn td{background:#fff8e1} td.num{text-align:right;font-variant-numeric:tabular-nums}
code{font-size:.85rem} dl.counts{display:grid;grid-template-columns:max-content max-content;gap:.2rem 1rem}
dl.counts dt{font-weight:600}
"""


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _count(value: Any) -> str:
    return "" if value is None else f"{int(value):,}"


def _expectation_rows(results: list[dict[str, Any]]) -> str:
    rows = []
    for r in results:
        css = "" if r["success"] else ("warn" if r["severity"] == "warning" else "fail")
        detail = r["error"] or ", ".join(r["examples"]) or ("" if r["observed"] is None else r["observed"])
        rows.append(
            f'<tr class="{css}"><td><code>{_e(r["type"])}</code></td><td>{_e(", ".join(r["columns"]))}</td>'
            f'<td>{_e(r["condition"] or "")}</td><td>{_e(r["severity"])}</td>'
            f'<td>{"passed" if r["success"] else "FAILED"}</td>'
            f'<td class="num">{_count(r["unexpected_count"])}</td>'
            f"<td>{_e(r['rule'])}</td><td>{_e(detail)}</td></tr>"
        )
    return "\n".join(rows)


def _quarantine_rows(outcome: ValidationOutcome) -> str:
    sample = outcome.quarantined.head(QUARANTINE_SAMPLE)
    return "\n".join(
        f'<tr><td class="num">{_e(row.source_row)}</td><td>{_e(row.reason)}</td>'
        f"<td><code>{_e(row.record)}</code></td></tr>"
        for row in sample.itertuples(index=False)
    )


def render_report(outcome: ValidationOutcome, suite_name: str) -> str:
    """The whole page: status, counts, blocking failures, expectations not evaluated (and why), notes on the
    reference data, every expectation, a sample of quarantined rows."""
    results = outcome.expectation_results
    failed = [r for r in results if not r["success"]]
    if not outcome.passed:
        status, css = "REJECTED: blocking failure", "rejected"
    elif failed:
        status, css = "LOADED with quarantined rows or warnings", "warned"
    else:
        status, css = "PASSED", "passed"
    title = f"Validation: {outcome.entity} — {outcome.province}"
    blocking = "".join(f"<li>{_e(m)}</li>" for m in outcome.blocking_failures) or "<li>none</li>"
    failed_list = "".join(
        f"<li><code>{_e(r['label'])}</code> ({_e(r['severity'])}): "
        f"{_count(r['unexpected_count']) or 'failed'}"
        f"{' unexpected' if r['unexpected_count'] is not None else ''}</li>"
        for r in failed
    ) or "<li>none</li>"
    skipped = "".join(f"<li>{_e(m)}</li>" for m in outcome.skipped) or "<li>none</li>"
    notes = "".join(f"<li>{_e(m)}</li>" for m in outcome.notes) or "<li>none</li>"
    more = len(outcome.quarantined) - QUARANTINE_SAMPLE
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title><style>{_CSS}</style></head>
<body>
<h1>{_e(title)}</h1>
<p>Entity <b>{_e(outcome.entity)}</b>, province <b>{_e(outcome.province)}</b>,
 suite <code>{_e(suite_name)}</code> &nbsp;<span class="status {css}">{_e(status)}</span></p>
<dl class="counts">
<dt>Rows read</dt><dd class="rows-read">{_count(outcome.rows_read)}</dd>
<dt>Valid rows</dt><dd class="rows-valid">{_count(len(outcome.valid_rows))}</dd>
<dt>Quarantined rows</dt><dd class="rows-quarantined">{_count(len(outcome.quarantined))}</dd>
<dt>Expectations evaluated</dt><dd>{len(results)}</dd>
<dt>Expectations failed</dt><dd>{len(failed)}</dd>
</dl>
<h2>Blocking failures</h2><ul>{blocking}</ul>
<h2>Failed expectations</h2><ul>{failed_list}</ul>
<h2>Not evaluated</h2><ul class="skipped">{skipped}</ul>
<h2>Reference data</h2><ul class="notes">{notes}</ul>
<h2>All expectations</h2>
<table><thead><tr><th>Expectation</th><th>Column(s)</th><th>Where</th><th>Severity</th><th>Result</th>
<th>Unexpected</th><th>Rule</th><th>Examples / observed</th></tr></thead>
<tbody>
{_expectation_rows(results)}
</tbody></table>
<h2>Quarantined rows{f" (first {QUARANTINE_SAMPLE} of {len(outcome.quarantined):,})" if more > 0 else ""}</h2>
<table><thead><tr><th>source_row</th><th>Reason</th><th>Record</th></tr></thead>
<tbody>
{_quarantine_rows(outcome)}
</tbody></table>
</body></html>
"""
