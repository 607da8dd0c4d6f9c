"""Render the landing contract for people (docs/landing-contract.md) and machines (docs/schemas/*.json).

Both are generated from assets/contract so they cannot drift; tests/test_contract_docs.py fails when the
committed files differ from what this writes. Regenerate with `python -m pipelines.contract_docs`.
"""

from __future__ import annotations

import json
from pathlib import Path

from assets.contract.entities import ENTITIES, LINEAGE_COLUMNS, PROVINCE_NAMES, PROVINCES, Entity
from assets.contract.landing import (
    EMIS,
    FIELDS,
    MHS_SHEETS,
    NEVER_LOADED,
    POSITION_LABELS,
    POVERTY_LABELS,
    SEX_LABELS,
    SOURCE_FILES,
    STATUS_LABELS,
    THAI_HEADERS,
    YALA_KEYS,
)
from pipelines.settings import REPO_ROOT

DOCS = REPO_ROOT / "docs"
JSON_TYPES = {"text": "string", "integer": "integer", "double": "number", "boolean": "boolean",
              "date": "string"}

INTRO = """# The landing contract

Generated from `assets/contract/` by `python -m pipelines.contract_docs`; do not edit by hand.
Machine-readable JSON Schemas of every raw table are in `docs/schemas/`.

## Where files land

```
<landing>/<province>/<academic_year_BE>/<file>     province: yala, satun, mae_hong_son, sukhothai
<landing>/national/<academic_year_BE>/<file>       national sources (DOPA, NIETS, EEF)
```

Academic years are Buddhist Era (2566 = the 2023-24 school year). Dates inside files are Buddhist Era too; a
Common-Era year where Buddhist Era is expected is rejected with the row named. Province codes are DOPA codes:
{codes}.

## What every delivered field means

Delivered fields are what a province sends. At ingest, `person_id` (13-digit citizen ID with the mod-11
check digit, or an OBEC "G" code: G + 12 digits) becomes a keyed hash (`student_key` / `teacher_key`) and is
never stored; {never} are delivered but never loaded. Sex, grade and status arrive as Thai labels and become
contract values.

| field | Thai header | Yala JSON key |
|---|---|---|
{fields}

Value labels: sex {sex}; status {status}; position {position}; poverty {poverty}. Grades: อบ.1–3 (also written
อ.1–3) → K1–K3, ป.1–6 → P1–P6, ม.1–6 → M1–M6, ปวช.1–3 → V1–V3.

## Files per province

| province | file | format | encoding | entity | agencies / sheets |
|---|---|---|---|---|---|
{files}

- **Yala** exports its linked education information system (14 agencies) as JSON Lines, one file per entity
  and agency: `obec` (area offices), `opec` (private schools incl. Islamic private schools), `onie`
  (non-formal education), `lao` (local government). Literacy screening (Thai reading and writing, P1–P6) is
  Yala's focus.
- **Satun** exports its self-management system as CSV in TIS-620 (cp874) with Thai headers, dates
  `dd/mm/2566`.
- **Mae Hong Son** sends XLSX workbooks with one sheet per agency ({sheets}); students and teachers have two
  header rows: merged group titles over the Thai field headers. Some numbers use Thai digits; many students
  carry G-codes.
- **Sukhothai** sends CSV in UTF-8 with a BOM (saved from Excel), including social-protection case records and
  community learning spaces.
- **Every province** sends `{emis}` in the OBEC EMIS shape: one row per school and grade label with ชาย /
  หญิง / รวม / ห้องเรียน, and subtotal rows (รวม อบ., รวมประถม, รวมมัธยมต้น, รวมมัธยมปลายและเทียบเท่า, รวมทั้งหมด) mixed
  in; subtotals are checked against the rows they sum, then dropped.

## Raw tables (the typed contract every adapter produces)

Every raw table also carries the lineage columns {lineage}. One partition = (province, academic_year).
"""


def _entity_section(entity: Entity) -> str:
    lines = [f"### raw.{entity.name}", "", entity.description, "",
             f"Key within a partition: {', '.join(entity.key)}.", "",
             "| column | type | nullable | allowed / range | description |", "|---|---|---|---|---|"]
    for c in entity.columns:
        allowed = ", ".join(c.allowed) if c.allowed else ""
        if c.min_value is not None or c.max_value is not None:
            low = "" if c.min_value is None else c.min_value
            high = "" if c.max_value is None else c.max_value
            allowed = f"{low} … {high}"
        nullable = "yes" if c.nullable else "no"
        stored = entity.stored_type(c)
        kind = "key (32 hex digits; a uuid column)" if stored == "key" else stored
        lines.append(f"| {c.name} | {kind} | {nullable} | {allowed} | {c.description} |")
    return "\n".join(lines) + "\n"


def render_markdown() -> str:
    all_fields = sorted({f for fields in FIELDS.values() for f in fields})
    fields = "\n".join(f"| {f} | {THAI_HEADERS.get(f, '')} | {YALA_KEYS.get(f, '')} |" for f in all_fields)
    files = "\n".join(
        f"| {s.province} | `{s.file_name}` | {s.format} | {s.encoding if s.format != 'xlsx' else '—'} | "
        f"{s.entity} | {', '.join(s.sheets.values()) if s.sheets else ', '.join(s.agencies)} |"
        for s in SOURCE_FILES)
    labels = lambda d: ", ".join(f"{k} → {v}" for k, v in d.items())  # noqa: E731
    text = INTRO.format(
        codes=", ".join(f"{PROVINCE_NAMES[p][1]} {c}" for p, c in PROVINCES.items()),
        never=" and ".join(sorted(NEVER_LOADED)), fields=fields, files=files, emis=EMIS,
        sex=labels(SEX_LABELS), status=labels(STATUS_LABELS), position=labels(POSITION_LABELS),
        poverty=labels(POVERTY_LABELS), sheets=", ".join(MHS_SHEETS.values()),
        lineage=", ".join(c.name for c in LINEAGE_COLUMNS))
    return text + "\n" + "\n".join(_entity_section(e) for e in ENTITIES.values())


def json_schema(entity: Entity) -> dict[str, object]:
    properties: dict[str, object] = {}
    for c in entity.all_columns:
        prop: dict[str, object] = {"type": [JSON_TYPES[c.type], "null"] if c.nullable else JSON_TYPES[c.type],
                                   "description": c.description}
        if c.type == "date":
            prop["format"] = "date"
        if c.allowed:
            prop["enum"] = list(c.allowed) + ([None] if c.nullable else [])
        if c.min_value is not None:
            prop["minimum"] = c.min_value
        if c.max_value is not None:
            prop["maximum"] = c.max_value
        properties[c.name] = prop
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"raw.{entity.name}",
        "description": entity.description,
        "type": "object",
        "properties": properties,
        "required": [c.name for c in entity.all_columns if not c.nullable],
        "additionalProperties": False,
        "x-key": list(entity.key),
    }


def rendered_files() -> dict[Path, str]:
    files = {DOCS / "landing-contract.md": render_markdown()}
    for entity in ENTITIES.values():
        files[DOCS / "schemas" / f"{entity.name}.json"] = json.dumps(
            json_schema(entity), ensure_ascii=False, indent=2) + "\n"
    return files


def main() -> None:
    for path, text in rendered_files().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(path.relative_to(REPO_ROOT))


if __name__ == "__main__":
    main()
