"""Benchmarks: the whole pipeline against a hand-written DuckDB-SQL baseline (see bench/README.md)."""
