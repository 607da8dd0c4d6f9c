"""What every province adapter returns: typed contract rows plus the rows it could not parse, with reasons."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from assets.parsing.ids import redact_person_ids


class DeliveryError(Exception):
    """A delivery that cannot be read at all (wrong encoding, missing column, truncated file).

    Structural: nothing of the file is loaded. The message names the file and the problem.
    """

    def __init__(self, path: Path | str, problem: str) -> None:
        self.path = str(path)
        # A problem may quote a delivered value (a header, a cell in a library error): never a raw person ID.
        self.problem = redact_person_ids(problem)
        super().__init__(f"{path}: {self.problem}")


@dataclass
class AdapterResult:
    """One delivered file read into the contract.

    `rows` holds the contract columns of `entity` (see assets.contract.entities) plus the lineage columns,
    typed. `rejects` holds rows that failed parsing: columns source_row (int), reason (str), record (str,
    JSON of the delivered values with raw identifiers already pseudonymised and names removed).
    rows_read == len(rows) + len(rejects) always.
    """

    entity: str
    source_file: str
    source_sha256: str
    rows: pd.DataFrame
    rejects: pd.DataFrame
    rows_read: int
    notes: list[str] = field(default_factory=list)
    """Human-readable facts about the file (encoding detected, subtotal rows dropped and checked, ...)."""
