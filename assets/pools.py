"""Dagster concurrency pools shared by the asset modules."""

WAREHOUSE_POOL = "warehouse"
"""Every step that opens the warehouse. DuckDB allows one writing process and no reader beside a writer in
another process, so the instance limits this pool to one step at a time (dagster.yaml: concurrency.pools);
parallel runs queue on it instead of failing on the file lock."""
