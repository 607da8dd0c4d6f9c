"""Deterministic demo deliveries for the four sandbox provinces (`edusandbox demo-data`).

    generate_landing(out, seed=2566, scale=1.0, years=(2564, ..., 2567), error_rate=0.01) -> DemoSummary

config (profiles and rates) → schools, students, staff, activities (the simulation, run by simulation.py)
→ tables / national (delivered rows) → mess (injected at error_rate, counted) → writers (each province's
real format). generate.py drives it year by year within a province, each province on its own (in parallel
worker processes under `edusandbox run` and `edusandbox demo-data`), and joins the national files.
"""

from pipelines.demo_data.generate import DEFAULT_SCALE, DEFAULT_YEARS, DemoSummary, generate_landing

__all__ = ["DEFAULT_SCALE", "DEFAULT_YEARS", "DemoSummary", "generate_landing"]
