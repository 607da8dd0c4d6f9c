"""The set-up (Makefile, `.venv/.installed`) compiles the environment's bytecode once.

uv installs packages without it, and where PYTHONDONTWRITEBYTECODE is set (as on this project's machines) no
process writes it either: every process of a run (the run itself, its read-ahead workers, dbt) would compile
each module it imports from source, every time (~8 s of CPU in `make run`). Python uses a cached file only
when the source's modification time and size recorded in its header are the source's own, so that is what
is checked here, file by file.
"""

from __future__ import annotations

import importlib.util
import struct
from pathlib import Path

import pytest

# The packages every run imports in several processes. The project's own modules are compiled by the set-up
# too, but an edit since then only costs its own module's compilation (milliseconds), so they are not checked.
PACKAGES = ["dagster", "dbt", "great_expectations", "pandas", "duckdb", "sqlalchemy"]


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.submodule_search_locations, f"{name} is not an installed package"
    return Path(next(iter(spec.submodule_search_locations)))


def _usable_bytecode(source: Path) -> bool:
    """Whether the import system would load `source` from its cached bytecode instead of compiling it."""
    cached = Path(importlib.util.cache_from_source(str(source)))
    if not cached.exists():
        return False
    header = cached.read_bytes()[:16]
    if header[:4] != importlib.util.MAGIC_NUMBER:
        return False
    flags, mtime, size = struct.unpack("<III", header[4:16])
    if flags & 0b1:  # hash-based: checked against the source's hash, not its time stamp
        return True
    stat = source.stat()
    return mtime == (int(stat.st_mtime) & 0xFFFFFFFF) and size == (stat.st_size & 0xFFFFFFFF)


def _without_bytecode(package: Path) -> list[Path]:
    return [source for source in package.rglob("*.py") if not _usable_bytecode(source)]


@pytest.mark.parametrize("name", PACKAGES)
def test_every_module_of_the_package_has_usable_bytecode(name: str) -> None:
    package = _package_dir(name)
    missing = _without_bytecode(package)
    assert not missing, (f"{len(missing)} modules of {name} would be compiled at every import, e.g. "
                         f"{[str(p.relative_to(package)) for p in missing[:3]]}: run `make .venv/.installed`")


def test_the_check_sees_a_stale_cache(tmp_path: Path) -> None:
    """A cached file that no longer matches its source does not count (Python would compile it again)."""
    import py_compile

    source = tmp_path / "module.py"
    source.write_text("VALUE = 1\n", encoding="utf-8")
    assert not _usable_bytecode(source)
    py_compile.compile(str(source), doraise=True)
    assert _usable_bytecode(source)
    source.write_text("VALUE = 22\n", encoding="utf-8")  # a different size: the cache is stale
    assert not _usable_bytecode(source)
