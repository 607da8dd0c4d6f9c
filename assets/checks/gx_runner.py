"""One in-memory GX context for the whole process, and the two things everything else asks of it: run a list
of expectations on a DataFrame, and summarise each result in plain values.

Delivery validation (assets.checks.validation) and the cross-delivery checks (assets.checks.cross_delivery)
both go through `run_expectations`, so a rule means the same wherever it is checked. DataFrames are validated
in memory: GX's SQL data source does not work on DuckDB here, and validating before the write means a broken
delivery never reaches the warehouse.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import great_expectations as gx
import numpy as np
from great_expectations.core.batch_definition import BatchDefinition
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.execution_engine import pandas_execution_engine
from great_expectations.expectations.expectation import Expectation
from great_expectations.expectations.expectation_configuration import parse_result_format

from assets.checks.suites import columns_of, describe_condition, label_of, severity_of

# GX sets this module's logger to INFO at import, and every ephemeral context then prints "Created temporary
# directory ... for ephemeral docs site" into the run's console output.
logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)

EXAMPLES_PER_EXPECTATION = 5
COUNTS_ONLY: dict[str, Any] = {"result_format": "BASIC", "partial_unexpected_count": EXAMPLES_PER_EXPECTATION,
                               "return_unexpected_index_query": False}
"""Cheap: success, unexpected counts and a few failing values."""
WITH_INDICES: dict[str, Any] = {"result_format": "COMPLETE", "return_unexpected_index_query": False}
"""Also the index of every failing row (costly on large frames: ask only for expectations that failed)."""

_POSITION = "_position_in_run"


def _configuration_kwargs_once_per_call() -> None:
    """GX 1.x rebuilds an expectation's configuration (a pydantic `.dict()` of the expectation) once for every
    key it looks up in `_get_domain_kwargs`, `_get_success_kwargs` and `_get_runtime_kwargs`: 7 to 12 builds
    per runtime look-up, and GX looks up several times per expectation and validation. In the demo run that
    was a third of GX's time (py-spy). These replacements build it once per call (2 builds per runtime
    look-up) and return exactly what GX's methods return (tests/unit/test_gx_runner.py compares both on
    every expectation of every suite, for the pinned GX version). Applied once, at import."""

    def looked_up(self: Expectation, configured: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
        return {key: configured.get(key, self._get_default_value(key)) for key in keys}

    def domain_kwargs(self: Expectation) -> dict[str, Any]:
        return looked_up(self, self.configuration.kwargs, self.domain_keys)

    def success_kwargs(self: Expectation) -> dict[str, Any]:
        configured = self.configuration.kwargs
        return {**looked_up(self, configured, self.success_keys),
                **looked_up(self, configured, self.domain_keys)}

    def runtime_kwargs(self: Expectation, runtime_configuration: dict | None = None) -> dict:
        runtime_configuration = runtime_configuration or {}
        configured = looked_up(self, self.configuration.kwargs, self.runtime_keys)
        found = {key: runtime_configuration.get(key, value) for key, value in configured.items()}
        found.update(self._get_success_kwargs())
        found["result_format"] = parse_result_format(found["result_format"])
        return found

    Expectation._get_domain_kwargs = domain_kwargs  # type: ignore[method-assign]
    Expectation._get_success_kwargs = success_kwargs  # type: ignore[method-assign]
    Expectation._get_runtime_kwargs = runtime_kwargs  # type: ignore[method-assign]


_RUN = threading.local()
"""`dicts`: id → (expectation, its dict) while this thread is inside `run_expectations`, else None."""


def _expectation_dicts_once_per_run() -> None:
    """Inside one validation GX turns the same expectation into a dict (pydantic's `.dict()`, behind every
    `configuration` look-up) tens of times, walking each value of a reference set every time: one expectation
    on a set of 7,400 values took 0.34 s on 4,776 rows, 0.13 s with each dict built once. While a
    thread is inside `run_expectations`, each expectation object's dict is built once and handed out as a new
    dict each time (GX pops keys from it; nested dicts copied too, lists shared: GX does not change them in
    place). Outside a run, and in other threads, every call builds it anew as pydantic does, so a changed
    expectation is never seen stale (tests/unit/test_gx_runner.py)."""

    def dict_once_per_run(self: Expectation, **options: Any) -> dict[str, Any]:
        built = getattr(_RUN, "dicts", None)
        if built is None or options != {"exclude_defaults": True}:  # the only form GX asks for in a run
            return GX_ORIGINALS["dict"](self, **options)  # pydantic's own
        held = built.get(id(self))
        if held is None:  # the entry holds the expectation, so its id is not reused while the run lasts
            held = built[id(self)] = (self, GX_ORIGINALS["dict"](self, **options))
        return {key: dict(value) if isinstance(value, dict) else value for key, value in held[1].items()}

    Expectation.dict = dict_once_per_run  # type: ignore[method-assign]


GX_ORIGINALS = {name: getattr(Expectation, name)
                for name in ("_get_domain_kwargs", "_get_success_kwargs", "_get_runtime_kwargs", "dict")}
"""GX's own methods, kept for the tests that compare them with the replacements."""
_configuration_kwargs_once_per_call()
_expectation_dicts_once_per_run()

# One context per process, guarded because Dagster may validate in several threads.
_GX_LOCK = threading.Lock()
_batch_definition: BatchDefinition | None = None


def _dataframe_batch_definition() -> BatchDefinition:
    global _batch_definition
    if _batch_definition is None:
        # GX fingerprints every DataFrame batch it loads (an MD5 over pandas' hash of every cell, twice per
        # validate call) only to label results; on 1M students that was 40 % of the validation time. GX skips
        # it above this size threshold, so setting the threshold to 0 skips it always.
        pandas_execution_engine.HASH_THRESHOLD = 0
        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False)  # no tqdm noise in run logs
        asset = context.data_sources.add_pandas("deliveries").add_dataframe_asset("delivery")
        _batch_definition = asset.add_batch_definition_whole_dataframe("whole_file")
    return _batch_definition


def run_expectations(frame: Any, expectations: list[Expectation], result_format: dict[str, Any],
                     parameters: dict[str, Any] | None = None) -> list[Any]:
    """GX results for `frame`, one per expectation, in the order given.

    `parameters` fills the `{"$PARAMETER": name}` values of the expectations (reference sets).
    """
    if not expectations:
        return []
    # GX does not return results in suite order, so each copy is tagged with its position.
    tagged = [e.copy(update={"id": None, "meta": {**(e.meta or {}), _POSITION: i}})
              for i, e in enumerate(expectations)]
    suite = gx.ExpectationSuite(name="run", expectations=tagged)
    with _GX_LOCK:
        batch = _dataframe_batch_definition().get_batch(batch_parameters={"dataframe": frame})
        _RUN.dicts = {}
        try:
            result = batch.validate(suite, result_format=result_format,
                                    expectation_parameters=parameters or None)
        finally:
            _RUN.dicts = None
            _forget_batches(batch)
    ordered: list[Any] = [None] * len(expectations)
    for r in result.results:
        ordered[r.expectation_config.meta[_POSITION]] = r
    return ordered


def _forget_batches(batch: Any) -> None:
    """Drops the execution engine's cache of loaded batches. GX keeps the last DataFrame it validated there
    until another replaces it: at 9 M students the run's process carried one step's 3.3 M students (1.2 GB)
    through the next step, and the NT/O-NET results' 6.6 M rows through the rest of the run when no
    validation followed them closely."""
    manager = batch.data.execution_engine.batch_manager
    manager.batch_data_cache.clear()
    manager.reset_batch_cache()


def error_of(result: Any) -> str | None:
    """The exception message when GX could not evaluate the expectation, else None."""
    info = result.exception_info or {}
    if info.get("raised_exception"):
        return str(info.get("exception_message"))
    for value in info.values():  # keyed by metric id when a metric failed
        if isinstance(value, dict) and value.get("raised_exception"):
            return str(value.get("exception_message"))
    return None


def summarise(expectation: Expectation, result: Any) -> dict[str, Any]:
    """Plain values for reports and metadata: type, columns, condition, label, severity, rule, success,
    unexpected_count, examples (a few failing values), observed (table-level result), error."""
    details = result.result or {}
    examples = (details.get("partial_unexpected_list") or [])[:EXAMPLES_PER_EXPECTATION]
    return _summary(expectation, success=bool(result.success),
                    unexpected_count=details.get("unexpected_count"), examples=[str(v) for v in examples],
                    observed=details.get("observed_value"), error=error_of(result))


def met_summary(expectation: Expectation) -> dict[str, Any]:
    """`summarise` of a row expectation that no row fails, for one found met without GX (a key found unique
    by hashing: assets/checks/distinct_values.py)."""
    return _summary(expectation, success=True, unexpected_count=0, examples=[], observed=None, error=None)


def _summary(expectation: Expectation, **outcome: Any) -> dict[str, Any]:
    return {
        "type": expectation.expectation_type,
        "columns": columns_of(expectation),
        "condition": describe_condition(getattr(expectation, "row_condition", None)),
        "label": label_of(expectation),
        "severity": severity_of(expectation),
        "rule": (expectation.meta or {}).get("rule", ""),
        **outcome,
    }


def failing_indices(result: Any) -> list[Any]:
    """Index labels of the failing rows (needs WITH_INDICES)."""
    return list((result.result or {}).get("unexpected_index_list") or [])


def failing_positions(result: Any) -> np.ndarray:
    """The failing rows' positions, each once (the frame was validated with a 0..n-1 index)."""
    return np.unique(np.asarray(failing_indices(result), dtype=np.int64))


def add_reason(reasons: np.ndarray, positions: np.ndarray, label: str) -> None:
    """Appends `label` to the reasons of the rows at `positions` (in place; None = no reason yet)."""
    current = reasons[positions]
    empty = np.equal(current, None)
    current[empty] = label
    current[~empty] = current[~empty] + ("; " + label)
    reasons[positions] = current
