"""Data lineage for the pages: which delivered files an indicator was computed from, of which academic year,
and when they were validated and loaded.

The Dagster asset passes `{province_slug: [{academic_year, entity, source_file, source_sha256, ingested_at}]}`
read from raw.deliveries (values may arrive as text). National deliveries (population, poverty screening,
assessments) are filed under the slug `national` and feed every province.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from assets.contract.entities import NATIONAL
from assets.publish.labels import is_missing
from assets.publish.safety import redact_person_ids

Lineage = Mapping[str, Sequence[Mapping[str, object]]]


@dataclass(frozen=True, order=True)
class Delivery:
    """One delivered file that was validated and loaded into raw.<entity>."""

    academic_year: str
    entity: str
    source_file: str
    source_sha256: str
    ingested_at: str
    delivered_by: str  # the province slug or "national"

    def to_json(self) -> dict[str, str]:
        """The delivery's identity, without its load time: exports must not change when the same files are
        loaded again (the pages show the time)."""
        return {"academic_year": self.academic_year, "entity": self.entity, "source_file": self.source_file,
                "source_sha256": self.source_sha256, "delivered_by": self.delivered_by}


def _text(value: object) -> str:
    if is_missing(value):
        return ""
    text = str(value)
    return "" if text in {"nan", "None", "NaT", "<NA>"} else text


def _year(value: object) -> str:
    """'2566', 2566 or 2566.0 → '2566'."""
    text = _text(value)
    return text[:-2] if text.endswith(".0") and text[:-2].isdigit() else text


def _delivery(record: Mapping[str, object], delivered_by: str) -> Delivery:
    return Delivery(
        academic_year=_year(record.get("academic_year")),
        entity=_text(record.get("entity")),
        source_file=redact_person_ids(_text(record.get("source_file"))),
        source_sha256=_text(record.get("source_sha256")),
        ingested_at=_text(record.get("ingested_at")),
        delivered_by=delivered_by,
    )


def deliveries_for(lineage: Lineage | None, province: str) -> list[Delivery]:
    """The province's own deliveries plus the national ones, sorted (deterministic pages)."""
    if not lineage:
        return []
    records = [_delivery(r, province) for r in lineage.get(province, ())]
    if province != NATIONAL:
        records += [_delivery(r, NATIONAL) for r in lineage.get(NATIONAL, ())]
    return sorted(set(records))


def for_entities(deliveries: Iterable[Delivery], entities: Sequence[str]) -> list[Delivery]:
    """Deliveries of the given raw entities (all of them when the indicator names no entity)."""
    deliveries = list(deliveries)
    if not entities:
        return deliveries
    wanted = set(entities)
    return [d for d in deliveries if d.entity in wanted]
