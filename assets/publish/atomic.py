"""Atomic publication: readers see the last good site or the new complete one, never a mix, at any instant.

The publish folder P (EDUSANDBOX_PUBLISH_DIR) is a symbolic link into a version store beside it:

    <parent>/<name>                          → .<name>.versions/<version>   (what readers open)
    <parent>/.<name>.versions/<version>/     complete, verified builds: the current one, and the one before
                                             it (a rollback target; a reader in the middle of a page keeps it)
    <parent>/.<name>.versions/<v>.partial/   the staging folder of a build in progress
    <parent>/.<name>.next                    the new link, for the instant before it replaces P
    <parent>/.<name>.lock                    flock held for the whole publication (one publisher at a time)

Steps: (1) take the lock and clear what a killed run left (staging folders, a stray .next link);
(2) build into `<version>.partial`; (3) run the blocking checks on it (checks.verify_site); (4) fsync its
files and rename it to `<version>`: only complete, verified builds carry a final name; (5) point `.next` at it
and rename(2) `.next` over P, which atomically swaps the link; (6) fsync the parent, prune older versions.

Guarantee. A SIGKILL at any instant before (5) leaves P pointing at the last good version, whose files are
never written again (their bytes stay identical); one after (5) leaves P on the new, complete, verified
version. There is no instant at which P is missing or points at a partial build. Leftovers of a killed run
are removed by the next publication. A failing build or check raises PublicationError, whose first line says
that publication was aborted, why, and which version P still serves. Files are fsynced before the swap, so
the same holds after a power cut on filesystems that order metadata after data (ext4 data=ordered, xfs).

Two cases are outside the single-rename swap: if P is a real directory (an older layout), step (1) moves it
into the store and links it back (two renames: a kill in between leaves P absent, and the next publication
re-links it to the newest complete version); and the first publication creates P with the rename of (5).
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assets.publish.checks import verify_site
from pipelines.file_lock import exclusive_lock

log = logging.getLogger(__name__)

PARTIAL_SUFFIX = ".partial"

Verify = Callable[[Path], list[str]]


class PublicationError(RuntimeError):
    """The new site was not published; the last good one is untouched."""


@dataclass(frozen=True)
class Publication:
    path: Path  # P, the published link
    version: str  # the version P now points at
    previous: str | None  # the version it pointed at before
    build_result: Any  # whatever the build callable returned


@dataclass(frozen=True)
class _Layout:
    link: Path
    store: Path
    next_link: Path
    lock: Path

    @classmethod
    def of(cls, publish_dir: Path) -> _Layout:
        link = _published_link(Path(os.path.abspath(publish_dir)))  # not resolve(): P itself is the link
        parent, name = link.parent, link.name
        return cls(link, parent / f".{name}.versions", parent / f".{name}.next", parent / f".{name}.lock")


def _published_link(path: Path) -> Path:
    """P for a path that already went through P's link (a caller that resolve()d the publish folder gets
    `<parent>/.<name>.versions/<version>`): publishing there would nest stores inside a published version."""
    store = path.parent
    if store.name.startswith(".") and store.name.endswith(".versions"):
        link = store.parent / store.name[1:].removesuffix(".versions")
        if link.is_symlink():
            return link
    return path


def _new_version() -> str:
    """Sorts by creation time; the pid keeps two hosts' or processes' names apart."""
    return f"v{time.time_ns():020d}-{os.getpid()}"


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(root: Path) -> None:
    for path in sorted(root.rglob("*"), reverse=True):
        if not path.is_symlink():
            _fsync_path(path)
    _fsync_path(root)


def current_version(layout: _Layout) -> str | None:
    """The store version P points at, if P is a link into the store."""
    if not layout.link.is_symlink():
        return None
    target = Path(os.readlink(layout.link))
    return target.name if (layout.link.parent / target).parent == layout.store else None


def _complete_versions(layout: _Layout) -> list[str]:
    if not layout.store.is_dir():
        return []
    return sorted(p.name for p in layout.store.iterdir()
                  if p.is_dir() and not p.name.endswith(PARTIAL_SUFFIX))


def _point_link_at(layout: _Layout, version: str) -> None:
    """Atomically make P a link to `version` (rename(2) of a fresh link over the old one)."""
    if layout.next_link.is_symlink() or layout.next_link.exists():
        layout.next_link.unlink()
    os.symlink(os.path.relpath(layout.store / version, layout.link.parent), layout.next_link)
    os.replace(layout.next_link, layout.link)
    _fsync_path(layout.link.parent)


def _adopt_real_directory(layout: _Layout) -> None:
    """An older layout published into P directly: move it into the store and link it back."""
    if not any(layout.link.iterdir()):
        layout.link.rmdir()
        return
    version = _new_version()
    layout.link.rename(layout.store / version)
    _point_link_at(layout, version)
    log.warning("moved the existing publication %s into %s and linked it back", layout.link, layout.store)


def _recover(layout: _Layout) -> None:
    """Clear what a killed publication left behind, and make sure P exists if any good version does."""
    layout.store.mkdir(parents=True, exist_ok=True)
    for leftover in layout.store.glob(f"*{PARTIAL_SUFFIX}"):
        log.warning("removing the staging folder of an interrupted publication: %s", leftover)
        shutil.rmtree(leftover, ignore_errors=True)
    if layout.next_link.is_symlink() or layout.next_link.exists():
        layout.next_link.unlink()
    if layout.link.is_dir() and not layout.link.is_symlink():
        _adopt_real_directory(layout)
    elif layout.link.exists() and not layout.link.is_symlink():
        raise PublicationError(f"publication aborted: {layout.link} is a file, not a publish folder")
    if not layout.link.is_symlink() and (versions := _complete_versions(layout)):
        _point_link_at(layout, versions[-1])  # re-link after a kill during the adoption above


def _prune(layout: _Layout, keep: set[str]) -> None:
    """Remove complete versions other than `keep` (the store never holds partial builds after a swap)."""
    for version in _complete_versions(layout):
        if version not in keep:
            shutil.rmtree(layout.store / version, ignore_errors=True)


def _abort(layout: _Layout, staging: Path, reason: str) -> PublicationError:
    shutil.rmtree(staging, ignore_errors=True)
    served = current_version(layout) or ("nothing yet" if not layout.link.exists() else str(layout.link))
    # The run's output shows the first line of the error: it must say what happened to the published site.
    message = (f"publication aborted, the last good site at {layout.link} is untouched (still serving "
               f"{served}): {reason}")
    log.error(message)
    return PublicationError(message)


def publish_atomically(build: Callable[[Path], Any], publish_dir: Path, *,
                       verify: Verify | None = verify_site) -> Publication:
    """Run `build(staging_dir)`, check the result, and swap it in as `publish_dir` in one rename.

    Raises PublicationError (the published site untouched) when the build raises or a check fails.
    """
    layout = _Layout.of(Path(publish_dir))
    with exclusive_lock(layout.lock):
        _recover(layout)
        previous = current_version(layout)
        version = _new_version()
        staging = layout.store / f"{version}{PARTIAL_SUFFIX}"
        staging.mkdir()
        try:
            result = build(staging)
        except Exception as error:  # any build failure aborts publication, with its reason
            raise _abort(layout, staging, f"the build failed ({type(error).__name__}: {error})") from error
        problems = verify(staging) if verify is not None else []
        if problems:
            raise _abort(layout, staging, "blocking check failed: " + "; ".join(problems[:5]))
        _fsync_tree(staging)
        staging.rename(layout.store / version)
        _fsync_path(layout.store)
        _point_link_at(layout, version)
        _prune(layout, {version, previous} if previous else {version})
    log.info("published %s → %s (previous: %s)", layout.link, version, previous)
    return Publication(layout.link, version, previous, result)
