"""`edusandbox run` with stopwatches around the ingest sub-steps, so the benchmark can split ingest time.

    python -m bench.pipeline_probe --timings FILE -- run --landing DIR --warehouse URL ...

The arguments after `--` go to `pipelines.cli.main` unchanged: the same code path as `edusandbox run`, in
the same single process. Dagster's event log only times whole steps, and GX validation runs inside each
ingest step, so the functions the ingest asset calls are wrapped (module attributes replaced as their
modules are imported; each call costs two clock reads): the files' reading (adapters, archive copy; with
read-ahead workers, the step's wait for them), the GX validation, the school-registry reference and the
warehouse load. Their totals, call counts and the rows validated are written to `--timings` as JSON when
the run ends.
"""

from __future__ import annotations

import argparse
import functools
import importlib.abc
import json
import sys
import time
from collections.abc import Callable
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType
from typing import Any

# probe name → (module, attribute path) of what the ingest asset calls.
PROBES: dict[str, tuple[str, str]] = {
    # the step's files: the wait for the read-ahead workers (which archive and adapt them in their own
    # processes), or the step's own read of a file they did not read
    "adapter": ("assets.read_ahead", "ReadAhead.take"),
    # imported by the ingest asset when a validation runs, so the module's own attribute is the one to wrap
    "validation": ("assets.checks.validation", "validate_delivery"),
    "reference": ("assets.ingest_assets", "reference_for_years"),
    "load": ("pipelines.resources.warehouse", "Warehouse.replace_partition"),
}


class Stopwatches:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {name: 0.0 for name in PROBES}
        self.calls: dict[str, int] = {name: 0 for name in PROBES}
        self.rows_validated = 0
        self.origin = time.perf_counter()
        self.timeline: list[tuple[str, float, float, str]] = []
        """(probe, start in seconds since the probe was installed, seconds, what it worked on) per call."""

    def wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                seconds = time.perf_counter() - started
                self.seconds[name] += seconds
                self.calls[name] += 1
                self.timeline.append((name, round(started - self.origin, 3), round(seconds, 3),
                                      _label(name, args)))
                if name == "validation" and len(args) >= 3:  # validate_delivery(entity, province, rows, ...)
                    self.rows_validated += len(args[2])

        return timed

    def install(self) -> None:
        """Wraps each probed function when its module is imported: importing them here, before the command
        starts, would time a different run (GX alone takes ~4 s to import, which `edusandbox run` does in its
        first ingest step while the read-ahead workers read, not before it starts them)."""
        pending: dict[str, list[tuple[str, str]]] = {}
        for name, (module_name, attribute) in PROBES.items():
            pending.setdefault(module_name, []).append((name, attribute))
        for module_name in [m for m in pending if m in sys.modules]:
            self._wrap_in(sys.modules[module_name], pending.pop(module_name))
        if pending:
            sys.meta_path.insert(0, _WrapOnImport(pending, self._wrap_in))

    def _wrap_in(self, module: ModuleType, probes: list[tuple[str, str]]) -> None:
        for name, attribute in probes:
            owner: Any = module
            *parents, leaf = attribute.split(".")
            for parent in parents:
                owner = getattr(owner, parent)
            setattr(owner, leaf, self.wrap(name, getattr(owner, leaf)))

    def as_dict(self) -> dict[str, object]:
        return {"seconds": self.seconds, "calls": self.calls, "rows_validated": self.rows_validated,
                "timeline": self.timeline}


class _WrapOnImport(importlib.abc.MetaPathFinder):
    """Finds nothing itself: for a module with probes, it lets the other finders find it and has the probes
    wrapped once the module has run."""

    def __init__(self, pending: dict[str, list[tuple[str, str]]],
                 wrap_in: Callable[[ModuleType, list[tuple[str, str]]], None]) -> None:
        self.pending = pending
        self.wrap_in = wrap_in

    def find_spec(self, fullname: str, path: Any, target: ModuleType | None = None) -> ModuleSpec | None:
        if fullname not in self.pending:
            return None
        spec = next((found for finder in sys.meta_path if finder is not self
                     and (found := finder.find_spec(fullname, path, target)) is not None), None)
        if spec is None or spec.loader is None:
            return spec
        probes, run_module = self.pending.pop(fullname), spec.loader.exec_module

        def exec_module(module: ModuleType) -> None:
            run_module(module)
            self.wrap_in(module, probes)

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def _label(name: str, args: tuple[Any, ...]) -> str:
    """What a probed call worked on: the file (adapter), province and entity (validation), the partition
    (load)."""
    if name == "adapter" and len(args) >= 2:  # ReadAhead.take(self, task, ...)
        return f"{args[1].province}/{args[1].year}/{args[1].path.name}"
    if name == "validation" and len(args) >= 3:  # validate_delivery(entity, province, rows, ...)
        return f"{args[1]}/{args[0]}: {len(args[2]):,} rows"
    if name == "load" and len(args) >= 5:  # replace_partition(self, entity, province, year, rows, ...)
        rows = args[4] if isinstance(args[4], list | tuple) else [args[4]]  # one frame, or one per file
        return f"{args[2]}/{args[3]}/{args[1].name}: {sum(map(len, rows)):,} rows"
    return ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pipeline_probe",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--timings", type=Path, required=True)
    parser.add_argument("cli_args", nargs=argparse.REMAINDER, help="-- then the edusandbox arguments")
    args = parser.parse_args(argv)
    cli_args = args.cli_args[1:] if args.cli_args[:1] == ["--"] else args.cli_args
    watches = Stopwatches()
    watches.install()
    from pipelines.cli import main as edusandbox

    try:
        return edusandbox(cli_args)
    finally:
        args.timings.write_text(json.dumps(watches.as_dict(), indent=2), encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
