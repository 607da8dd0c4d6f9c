"""Atomic publication: a failed build, a failed check or a kill at any instant leaves the last good site
byte-identical; the next publication cleans up and swaps in one rename."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from assets.publish import PublicationError, publish_atomically, verify_site
from assets.publish.atomic import PARTIAL_SUFFIX
from pipelines.settings import REPO_ROOT

# A tiny site in build_site's manifest format, so verify_site (the blocking check) applies unchanged.
SITE_WRITER = textwrap.dedent('''
    import hashlib, json
    from pathlib import Path

    def write_site(out: Path, generation: str, files: int = 20) -> None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "index.html").write_text(f"<p>generation {generation}</p>", encoding="utf-8")
        for n in range(files):
            page = out / "yala" / f"part{n:04d}.txt"
            page.parent.mkdir(exist_ok=True)
            page.write_text(f"{generation}:{n}:" + "x" * 2000, encoding="utf-8")
        (out / "yala" / "index.html").write_text(f"<p>yala {generation}</p>", encoding="utf-8")
        hashes = {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                  for p in sorted(out.rglob("*")) if p.is_file()}
        manifest = {"provinces": ["yala"], "files": hashes, "generation": generation}
        (out / "build.json").write_text(json.dumps(manifest), encoding="utf-8")
''')
namespace: dict = {}
exec(SITE_WRITER, namespace)  # the same writer runs in the killed child processes below
write_site: Callable[..., None] = namespace["write_site"]


def builder(generation: str, files: int = 20) -> Callable[[Path], str]:
    def build(out: Path) -> str:
        write_site(out, generation, files)
        return generation

    return build


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under the published folder (through its link) and its sha256."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def generation_of(published: Path) -> str:
    return json.loads((published / "build.json").read_text(encoding="utf-8"))["generation"]


def store_of(published: Path) -> Path:
    return published.parent / f".{published.name}.versions"


def leftovers(published: Path) -> list[str]:
    store = store_of(published)
    found = [p.name for p in store.iterdir() if p.name.endswith(PARTIAL_SUFFIX)] if store.is_dir() else []
    next_link = published.parent / f".{published.name}.next"
    return found + ([next_link.name] if next_link.is_symlink() or next_link.exists() else [])


def test_first_publication_creates_the_link_and_the_second_swaps_it(tmp_path: Path) -> None:
    published = tmp_path / "publish"
    first = publish_atomically(builder("g1"), published)
    assert published.is_symlink() and generation_of(published) == "g1"
    assert first.previous is None and first.build_result == "g1"
    second = publish_atomically(builder("g2"), published)
    assert generation_of(published) == "g2" and second.previous == first.version
    third = publish_atomically(builder("g3"), published)
    kept = sorted(p.name for p in store_of(published).iterdir())
    assert kept == sorted([second.version, third.version])  # the current one and the one before
    assert verify_site(published) == []


def test_the_check_names_a_page_reaching_off_the_machine_or_linking_to_a_missing_file(tmp_path: Path) -> None:
    site = tmp_path / "site"
    write_site(site, "g1", files=1)
    page = site / "yala" / "index.html"
    page.write_text('<img src="part0000.txt"><script src="https://cdn.example/x.js"></script>'
                    '<a href="gone.csv#top">x</a>', encoding="utf-8")
    manifest = json.loads((site / "build.json").read_text(encoding="utf-8"))
    manifest["files"]["yala/index.html"] = hashlib.sha256(page.read_bytes()).hexdigest()
    (site / "build.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert verify_site(site) == [
        "yala/index.html: references https://cdn.example/x.js (pages must work offline)",
        "yala/index.html: broken link gone.csv#top"]


def test_a_failing_build_leaves_the_published_files_byte_identical(tmp_path: Path) -> None:
    published = tmp_path / "publish"
    good = publish_atomically(builder("good"), published)
    before = snapshot(published)

    def failing(out: Path) -> None:
        write_site(out, "half", files=3)
        raise RuntimeError("dbt test not_null_fct_province_indicators_value failed\nsecond line of detail")

    with pytest.raises(PublicationError) as raised:
        publish_atomically(failing, published)
    message = str(raised.value).splitlines()[0]
    assert message.startswith("publication aborted") and "untouched" in message and good.version in message
    assert "not_null_fct_province_indicators_value" in message and str(published) in message
    assert snapshot(published) == before
    assert leftovers(published) == []


def test_a_failing_blocking_check_aborts_the_swap(tmp_path: Path) -> None:
    published = tmp_path / "publish"
    publish_atomically(builder("good"), published)
    before = snapshot(published)

    def without_manifest(out: Path) -> None:
        write_site(out, "bad")
        (out / "build.json").unlink()

    with pytest.raises(PublicationError, match="blocking check failed: build.json is missing"):
        publish_atomically(without_manifest, published)

    def tampered(out: Path) -> None:
        write_site(out, "bad")
        (out / "yala" / "index.html").write_text('<script src="https://cdn.example/x.js"></script>')

    with pytest.raises(PublicationError, match="missing or changed after the build"):
        publish_atomically(tampered, published)
    assert snapshot(published) == before and generation_of(published) == "good"


def test_a_crash_just_before_the_swap_changes_nothing_and_is_cleaned_up(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The narrowest window: the new version is complete and its link made, the rename not yet done."""
    published = tmp_path / "publish"
    good = publish_atomically(builder("good"), published)
    before = snapshot(published)
    import assets.publish.atomic as atomic

    def killed(_source: object, _target: object) -> None:
        raise KeyboardInterrupt  # stands in for SIGKILL: no cleanup code runs after this point

    monkeypatch.setattr(atomic.os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        publish_atomically(builder("new"), published)
    monkeypatch.undo()
    assert snapshot(published) == before and generation_of(published) == "good"
    assert leftovers(published) == [f".{published.name}.next"]
    after = publish_atomically(builder("next"), published)
    assert generation_of(published) == "next" and leftovers(published) == []
    assert sorted(p.name for p in store_of(published).iterdir()) == sorted([good.version, after.version])


def test_stale_staging_folders_of_a_killed_run_are_removed(tmp_path: Path) -> None:
    published = tmp_path / "publish"
    publish_atomically(builder("good"), published)
    stale = store_of(published) / f"v00000000000000000001-1{PARTIAL_SUFFIX}"
    write_site(stale, "half", files=2)
    os.symlink(stale.name, published.parent / f".{published.name}.next")
    publish_atomically(builder("next"), published)
    assert not stale.exists() and leftovers(published) == []


def test_an_existing_real_folder_is_adopted_and_kept_as_the_previous_version(tmp_path: Path) -> None:
    published = tmp_path / "publish"
    write_site(published, "legacy")
    publication = publish_atomically(builder("new"), published)
    assert published.is_symlink() and generation_of(published) == "new"
    previous = store_of(published) / str(publication.previous)
    assert generation_of(previous) == "legacy"


def test_a_missing_link_is_restored_to_the_newest_complete_version(tmp_path: Path) -> None:
    """A kill between the two renames of an adoption leaves no link; the next run re-links before building."""
    published = tmp_path / "publish"
    publish_atomically(builder("good"), published)
    published.unlink()

    def failing(out: Path) -> None:
        raise RuntimeError("a later failure")

    with pytest.raises(PublicationError):
        publish_atomically(failing, published)
    assert generation_of(published) == "good"


# ------------------------------------------------------------------------------------------- real SIGKILLs

CHILD = SITE_WRITER + textwrap.dedent('''
    import sys
    from assets.publish import publish_atomically

    published, generation, files = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    print("ready", flush=True)
    publish_atomically(lambda out: write_site(out, generation, files), published)
    print("done", flush=True)
''')


def _child(tmp_path: Path, published: Path, generation: str, files: int) -> subprocess.Popen:
    script = tmp_path / "child.py"
    script.write_text(CHILD, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    process = subprocess.Popen([sys.executable, str(script), str(published), generation, str(files)],
                               stdout=subprocess.PIPE, text=True, env=env, cwd=REPO_ROOT)
    assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    return process


def _publish_duration(tmp_path: Path, files: int) -> float:
    published = tmp_path / "calibrate"
    started = time.perf_counter()
    process = _child(tmp_path, published, "calibration", files)
    assert process.wait(timeout=120) == 0
    return time.perf_counter() - started


def _kill_at(tmp_path: Path, published: Path, delay: float, files: int) -> None:
    process = _child(tmp_path, published, "new", files)
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)


def _check_kills(tmp_path: Path, fractions: list[float], files: int = 200) -> None:
    duration = _publish_duration(tmp_path, files)
    for n, fraction in enumerate(fractions):
        published = tmp_path / f"publish{n}"
        publish_atomically(builder("old", files=5), published)
        before = snapshot(published)
        _kill_at(tmp_path, published, fraction * duration, files)
        # Whatever instant the kill hit: the old site byte for byte, or the complete new one.
        assert verify_site(published) == [], fraction
        if generation_of(published) == "old":
            assert snapshot(published) == before, fraction
        else:
            assert generation_of(published) == "new" and len(snapshot(published)) == files + 3
        publish_atomically(builder("after"), published)
        assert generation_of(published) == "after" and leftovers(published) == []


def test_sigkill_at_several_instants_never_exposes_a_partial_site(tmp_path: Path) -> None:
    _check_kills(tmp_path, [0.1, 0.4, 0.7, 0.9, 1.05])


@pytest.mark.long
def test_sigkill_at_many_instants_never_exposes_a_partial_site(tmp_path: Path) -> None:
    _check_kills(tmp_path, [n / 40 for n in range(1, 49)])


def test_a_resolved_publish_path_still_publishes_through_the_link(tmp_path: Path) -> None:
    """Callers that resolve() the publish folder land inside the current version; publishing still swaps P."""
    published = tmp_path / "publish"
    publish_atomically(builder("g1"), published)
    resolved = published.resolve()
    assert resolved != published and resolved.parent == store_of(published)
    publish_atomically(builder("g2"), resolved)
    assert published.is_symlink() and generation_of(published) == "g2"
    assert not (resolved / f".{resolved.name}.versions").exists()
