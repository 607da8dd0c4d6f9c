"""Hotspots from a py-spy profile in raw (folded) format, as a short Markdown list.

    py-spy record --subprocesses -r 25 -f raw -o profile.txt -- .venv/bin/python -m pipelines.cli run ...
    .venv/bin/python -m bench.hotspots profile.txt [--rate 25] [--top 15]

py-spy is not a project dependency: install it into a throwaway venv (README). Without --idle, py-spy samples
only threads that are running, so the seconds below are CPU seconds (samples / rate). For each process:
the frames where the time is spent (self), and the project functions (assets/, pipelines/) that the time
is spent under (inclusive), with file:line.
"""

from __future__ import annotations

import argparse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_PREFIXES = ("(assets/", "(pipelines/", "(bench/")


@dataclass
class ProcessProfile:
    name: str
    samples: int = 0
    self_samples: Counter[str] = field(default_factory=Counter)
    inclusive_samples: Counter[str] = field(default_factory=Counter)


def _process_name(frame: str) -> str:
    """'process 123:"python -m pipelines.cli run ..."' → a short label."""
    command = frame.split(":", 1)[1].strip('"') if ":" in frame else frame
    if " dbt " in f" {command} " or "/dbt " in command:
        return "dbt"
    if "pipelines.cli" in command or "pipeline_probe" in command:
        return "pipeline (Dagster process)"
    return command[:60]


def read_profile(path: Path) -> dict[str, ProcessProfile]:
    processes: dict[str, ProcessProfile] = {}
    with path.open(encoding="utf-8", errors="replace") as lines:
        for line in lines:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            if not count.isdigit():
                continue
            frames = stack.split(";")
            # --subprocesses nests a child's stacks under its parents' process frames: the last one is its own
            own = max(i for i, f in enumerate(frames) if f.startswith("process ")) if frames[0].startswith(
                "process ") else -1
            name = _process_name(frames[own]) if own >= 0 else "?"
            calls = [f for f in frames[own + 1:] if not f.startswith("thread (")]
            profile = processes.setdefault(name, ProcessProfile(name))
            samples = int(count)
            profile.samples += samples
            if calls:
                profile.self_samples[calls[-1]] += samples
                for frame in set(calls):
                    profile.inclusive_samples[frame] += samples
    return processes


def markdown(processes: dict[str, ProcessProfile], rate: float, top: int) -> str:
    lines: list[str] = []
    for profile in sorted(processes.values(), key=lambda p: -p.samples):
        lines += [f"### {profile.name}: {profile.samples / rate:,.1f} CPU s sampled", "", "Self time:"]
        lines += [f"- {n / rate:,.1f} s  {frame}" for frame, n in profile.self_samples.most_common(top)]
        project = [(f, n) for f, n in profile.inclusive_samples.most_common()
                   if any(p in f for p in PROJECT_PREFIXES)][:top]
        if project:
            lines += ["", "Project code, inclusive:"]
            lines += [f"- {n / rate:,.1f} s  {frame}" for frame, n in project]
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.hotspots", description=__doc__.splitlines()[0])
    parser.add_argument("profile", type=Path, help="py-spy record -f raw output")
    parser.add_argument("--rate", type=float, default=25, help="the sampling rate given to py-spy (-r)")
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args(argv)
    print(markdown(read_profile(args.profile), args.rate, args.top))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
