"""bench/pipeline_probe.py times `edusandbox run` without changing when its modules are imported: the probed
functions are wrapped as their modules load (GX's import, ~4 s, stays in the run's first ingest step)."""

import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_the_probes_wrap_their_functions_when_the_run_imports_them_not_before() -> None:
    script = textwrap.dedent("""
        import sys
        from bench.pipeline_probe import PROBES, Stopwatches

        watches = Stopwatches()
        watches.install()
        modules = {module for module, _ in PROBES.values()}
        print("imported early:", sorted(m for m in modules if m in sys.modules))
        import assets.ingest_assets
        import assets.read_ahead
        import pipelines.resources.warehouse
        from assets.checks import validation
        wrapped = [hasattr(validation.validate_delivery, "__wrapped__"),
                   hasattr(assets.read_ahead.ReadAhead.take, "__wrapped__"),
                   hasattr(assets.ingest_assets.reference_for_years, "__wrapped__"),
                   hasattr(pipelines.resources.warehouse.Warehouse.replace_partition, "__wrapped__")]
        print("wrapped:", wrapped)
        validation.validate_delivery("schools", "satun", __import__("pandas").DataFrame())
        print("calls:", watches.calls["validation"])
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "imported early: []" in lines
    assert "wrapped: [True, True, True, True]" in lines
    assert "calls: 1" in lines
