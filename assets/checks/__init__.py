"""Validation of deliveries (Great Expectations 1.x) and the checks across deliveries."""

CROSS_DIR_NAME = "cross"
"""expectations/cross/: the suites of the cross-delivery checks."""
