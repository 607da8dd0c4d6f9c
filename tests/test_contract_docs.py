"""The committed contract documents are exactly what the contract renders, and the contract is coherent."""

from __future__ import annotations

import json

from assets.contract.entities import ENTITIES, PROVINCES
from assets.contract.landing import FIELDS, SOURCE_FILES, THAI_HEADERS, YALA_KEYS
from pipelines.contract_docs import rendered_files


def test_committed_docs_match_the_contract() -> None:
    stale = [str(p) for p, text in rendered_files().items()
             if not p.exists() or p.read_text(encoding="utf-8") != text]
    assert not stale, f"run `python -m pipelines.contract_docs`: stale {stale}"


def test_json_schemas_list_every_contract_column() -> None:
    for path, text in rendered_files().items():
        if path.suffix == ".json":
            schema = json.loads(text)
            entity = ENTITIES[path.stem]
            assert list(schema["properties"]) == entity.column_names


def test_every_province_delivers_the_core_entities_and_emis() -> None:
    for province in PROVINCES:
        entities = {s.entity for s in SOURCE_FILES if s.province == province}
        assert {"schools", "students", "teachers", "training", "learning_spaces",
                "enrolment_counts"} <= entities


def test_every_delivered_field_has_a_header_in_its_format() -> None:
    for source in SOURCE_FILES:
        if source.entity in FIELDS:
            table = YALA_KEYS if source.format == "jsonl" else THAI_HEADERS
            missing = [f for f in FIELDS[source.entity] if f not in table]
            assert not missing, f"{source.province}/{source.file_name}: no header for {missing}"
