"""What `edusandbox demo-data` and `make run` generate when not told otherwise. Kept apart from the generator
so the command line can show these defaults without importing numpy, pandas and the generator itself."""

DEFAULT_SCALE = 0.6
"""Students per province relative to its real size (1.0 ≈ 300,000 a year over the four provinces)."""
DEFAULT_YEARS = (2564, 2565, 2566, 2567)
DEMO_SEED = 2566
DEFAULT_ERROR_RATE = 0.01
