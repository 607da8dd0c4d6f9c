"""The blocking checks a built site must pass before it is swapped in, and the file hashes they use.

Standard library only: atomic publication imports this without loading pandas or plotly.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

from assets.content_address import sha256_of

BUILD_MANIFEST = "build.json"


def file_hashes(root: Path) -> dict[str, str]:
    """Every file under root except the manifest itself, by relative path, with its sha256."""
    return {p.relative_to(root).as_posix(): sha256_of(p)
            for p in sorted(root.rglob("*")) if p.is_file() and p.name != BUILD_MANIFEST}


# Any src/href pointing off the machine would break "works with the network off".
_REMOTE = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)


class _References(HTMLParser):
    """Collects the src/href attribute values of a page's tags (text and scripts are not tags)."""

    def __init__(self) -> None:
        super().__init__()
        self.references: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.references += [v for k, v in attrs if k in {"src", "href"} and v]


def _references(html: str) -> list[str]:
    parser = _References()
    parser.feed(html)
    return parser.references


def remote_references(html: str) -> list[str]:
    """src/href values of the page that leave the machine (http, https, protocol-relative, any scheme://)."""
    return _remote(_references(html))


def broken_local_references(html: str, page: Path, root: Path) -> list[str]:
    """Relative src/href values of the page that do not lead to a file inside the site."""
    return _broken(_references(html), page, root)


def _remote(references: list[str]) -> list[str]:
    return [r for r in references if _REMOTE.match(r) and not r.lower().startswith("file:")]


def _broken(references: list[str], page: Path, root: Path) -> list[str]:
    broken = []
    for reference in references:
        target = reference.split("#", 1)[0].split("?", 1)[0]
        if not target or _REMOTE.match(reference) or ":" in target:
            continue  # an anchor on the same page, or not a relative path
        resolved = (page.parent / target).resolve()
        if not resolved.is_file() or not resolved.is_relative_to(root.resolve()):
            broken.append(reference)
    return broken


def verify_site(root: Path) -> list[str]:
    """Blocking checks on a built site before it may be swapped in: the manifest matches the files, every
    page is there, no page references anything remote, and every relative link leads to a file of the site."""
    manifest_path = root / BUILD_MANIFEST
    if not manifest_path.is_file():
        return [f"{BUILD_MANIFEST} is missing"]
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    problems = [f"{rel}: missing or changed after the build" for rel, digest in manifest["files"].items()
                if not (root / rel).is_file() or sha256_of(root / rel) != digest]
    pages = ["index.html", *[f"{slug}/index.html" for slug in manifest["provinces"]]]
    problems += [f"{page}: missing" for page in pages if page not in manifest["files"]]
    for page in pages:
        path = root / page
        if not path.is_file():
            continue
        references = _references(path.read_text(encoding="utf-8"))  # a province page: ~0.1 s to parse
        if remote := _remote(references):
            problems.append(f"{page}: references {remote[0]} (pages must work offline)")
        if broken := _broken(references, path, root):
            problems.append(f"{page}: broken link {broken[0]}")
    return problems
