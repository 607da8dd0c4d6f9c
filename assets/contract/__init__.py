"""The landing and raw-table contract shared by the demo generator, the adapters, validation and dbt."""

from assets.contract.entities import ENTITIES, GRADES, PROVINCES, Column, Entity
from assets.contract.landing import SOURCE_FILES, SourceFile, source_files

__all__ = ["ENTITIES", "GRADES", "PROVINCES", "SOURCE_FILES", "Column", "Entity", "SourceFile",
           "source_files"]
