"""The published provincial monitors: a static site (index + one page per province), exports and maps.

    marts = read_marts(warehouse.read_frame)
    build = lambda out: build_site(marts, out, run_id=..., built_at=..., boundaries=..., lineage=...)
    publish_atomically(build, publish_dir)

`build_site` writes a complete site into a folder; `publish_atomically` builds it in a staging folder, runs
the blocking checks and swaps it in with one rename (see atomic.py for the guarantee).

Names are imported on first use (PEP 562), so `assets.publish.atomic` stays light: a publication process (or a
test that kills one) does not load pandas and plotly before it needs them.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_HOMES = {
    "Publication": "atomic", "PublicationError": "atomic", "publish_atomically": "atomic",
    "MART_TABLES": "marts", "Marts": "marts", "duckdb_reader": "marts", "read_marts": "marts",
    "BuiltSite": "site", "SiteBuildError": "site", "build_site": "site", "verify_site": "checks",
}
__all__ = [
    "MART_TABLES", "BuiltSite", "Marts", "Publication", "PublicationError", "SiteBuildError", "build_site",
    "duckdb_reader", "publish_atomically", "read_marts", "verify_site",
]

if TYPE_CHECKING:
    from assets.publish.atomic import Publication, PublicationError, publish_atomically
    from assets.publish.checks import verify_site
    from assets.publish.marts import MART_TABLES, Marts, duckdb_reader, read_marts
    from assets.publish.site import BuiltSite, SiteBuildError, build_site


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"assets.publish.{_HOMES[name]}"), name)
