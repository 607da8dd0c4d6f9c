"""Ingest assets: one per province and contract entity, partitioned by academic year.

Each materialisation reads the province's delivered files for that entity and year, archives them as received,
runs the adapter, validates with the entity's GX suite, and replaces the (province, year) partition of
`raw.<entity>` in one transaction. Rows that fail go to `raw.quarantine` with the reason; a structural failure
loads nothing and fails the blocking check, so nothing downstream runs on a broken delivery.
"""


import json
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    BackfillPolicy,
    BetaWarning,
    DynamicPartitionsDefinition,
    MaterializeResult,
    MetadataValue,
    TableColumn,
    TableSchema,
    asset,
)

from assets.checks.reference import Reference, reference_for_years
from assets.contract.entities import ENTITIES, NATIONAL, PROVINCE_NAMES, PROVINCES, Entity
from assets.contract.landing import SOURCE_FILES
from assets.file_reading import FileOutcome, read_task
from assets.free_memory import CYCLE_COLLECTION_MIN_ROWS, collect_reference_cycles, release_free_memory
from assets.ingest_order import (
    LAST_PRIORITY,
    ingest_tasks,
    province_entities,
    read_first,
    reads_slowly,
    registry_folders,
    run_tasks,
    step_key,
)
from assets.parsing.pseudonym import load_pseudonym_key
from assets.pools import WAREHOUSE_POOL
from assets.progress import report
from assets.read_ahead import read_ahead
from assets.sources.common import concat_contract_rows
from pipelines.failpoints import failpoint
from pipelines.resources.paths import ProjectPaths
from pipelines.resources.warehouse import Warehouse, WarehouseResource

# A backfill of many academic years is one run (BackfillPolicy.single_run), chosen on purpose: Dagster's
# "beta" notice about the parameter would otherwise print once per asset at every load of the definitions.
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`", category=BetaWarning)

ACADEMIC_YEARS = DynamicPartitionsDefinition(name="academic_year")
INGEST_OWNER = "team:data-engineering"
QUARANTINE_WARN_SHARE = 0.05
SUITE_CHECK = "gx_suite"
NOTHING_LOST_CHECK = "rows_accounted_for"
QUARANTINE_CHECK = "quarantine_share"


def ingest_key(province: str, entity: str) -> AssetKey:
    return AssetKey(["raw", province, entity])


@cache
def ingest_keys_by_entity() -> dict[str, list[AssetKey]]:
    """Entity → the ingest asset of every province (and national source) that delivers it."""
    keys: dict[str, list[AssetKey]] = {}
    for province, entity in province_entities():
        keys.setdefault(entity, []).append(ingest_key(province, entity))
    return keys


def _table_schema(entity: Entity) -> TableSchema:
    return TableSchema(columns=[
        TableColumn(c.name, c.type, description=c.description) for c in entity.all_columns
    ])


QUARANTINE_FIELDS = ["province", "academic_year", "entity", "agency", "source_sha256", "source_file",
                     "source_row", "reason", "record"]


def _quarantine_frame(rejects: list[pd.DataFrame], entity: str, province: str,
                      outcome: FileOutcome) -> pd.DataFrame:
    frames = [f[["source_row", "agency", "reason", "record"]] for f in rejects if len(f)]
    if not frames:
        return pd.DataFrame(columns=QUARANTINE_FIELDS)
    quarantined = pd.concat(frames, ignore_index=True)
    # The row's own agency (a workbook sheet's), else the file's: (file, agency, row) names one record.
    return quarantined.assign(
        province=province, academic_year=outcome.year, entity=entity,
        agency=quarantined["agency"].fillna(outcome.agency) if outcome.agency else quarantined["agency"],
        source_sha256=outcome.sha256, source_file=outcome.path.name)[QUARANTINE_FIELDS]


def _run_ingest_steps(context: AssetExecutionContext) -> list[tuple[str, str]]:
    """(province, entity) of every ingest step this run executes."""
    run = context.dagster_run
    step_keys = set(context.instance.get_execution_plan_snapshot(run.execution_plan_snapshot_id)
                    .step_keys_to_execute) if run.execution_plan_snapshot_id else set()
    return [step for step in province_entities() if step_key(*step) in step_keys]


def plan_read_ahead(context: AssetExecutionContext, paths: ProjectPaths, years: list[int],
                    pseudonym_key: bytes) -> None:
    """At the run's first ingest step: every file of the run's ingest steps, to the read-ahead workers."""
    ahead = read_ahead()
    if not ahead.workers or ahead.planned_for(context.run_id):
        return
    tasks = run_tasks(paths.landing_path, _run_ingest_steps(context), years)
    ahead.plan(context.run_id, tasks, read_task, paths.archive_path, pseudonym_key, first=read_first(tasks),
               spill_to=Path(paths.home))


def validate_files(outcomes: list[FileOutcome], entity: str, province: str, reference: Reference,
                   report_path: Path) -> list[str]:
    """Validates the readable files together, in one GX run, and gives each file its valid rows and its
    quarantine (adapter rejects + rows failing a row expectation). Returns the blocking failures of the batch
    (a structural failure rejects every file in it). One run instead of one per file: GX's cost is mostly per
    expectation and per call, not per row, and a run covers several academic years and agency files."""
    readable = [o for o in outcomes if not o.blocking and o.adapted is not None]
    if not readable:
        return []
    counts = [len(o.adapted.rows) for o in readable]  # type: ignore[union-attr]
    # each row's file, in the smallest integer type (a byte per row, not 8)
    owner = np.repeat(np.arange(len(readable), dtype=np.min_scalar_type(len(readable))), counts)
    # Imported here: Great Expectations takes seconds to import, and loading the definitions should not wait.
    from assets.checks.validation import validate_delivery

    rows = concat_contract_rows([o.adapted.rows for o in readable])  # type: ignore[union-attr]
    for o in readable:  # the combined frame holds the rows now (an empty slice would still hold them: a copy)
        o.adapted.rows = o.adapted.rows.iloc[:0].copy()  # type: ignore[union-attr]
    validation = validate_delivery(entity, province, rows, reference=reference)
    del rows
    report_path.parent.mkdir(parents=True, exist_ok=True)
    report_path.write_text(validation.report_html, encoding="utf-8")
    if not validation.passed:
        for o in readable:
            o.blocking = [f"{o.path}: {failure}" for failure in validation.blocking_failures]
        return validation.blocking_failures
    # Valid rows keep the files' order, so each file's are one slice of them: a view, not a copy.
    quarantined_owner = owner[validation.quarantined_positions]
    valid_counts = np.asarray(counts) - np.bincount(quarantined_owner, minlength=len(readable))
    starts = np.cumsum(valid_counts) - valid_counts
    for index, o in enumerate(readable):
        start = starts[index]
        o.rows = validation.valid_rows.iloc[start:start + valid_counts[index]].reset_index(drop=True)
        failed = validation.quarantined[quarantined_owner == index]
        o.quarantine = _quarantine_frame([o.adapted.rejects, failed], entity, province, o)  # type: ignore[union-attr]
    return []


def _delivery_rows(outcomes: list[FileOutcome], province: str, entity: str,
                   archive_dir: Path) -> pd.DataFrame:
    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    return pd.DataFrame([{
        "province": province, "academic_year": o.year, "entity": entity, "agency": o.agency,
        "source_file": o.path.name, "source_sha256": o.sha256,
        "archived_path": str(archive_dir / o.sha256[:2] / f"{o.sha256}{o.path.suffix}"),
        "rows_read": o.rows_read, "rows_loaded": len(o.rows), "rows_quarantined": len(o.quarantine),
        "ingested_at": now,
    } for o in outcomes])


def _registry_deps(province: str, entity_name: str) -> list[AssetKey]:
    """The school registries a delivery is validated against (school-in-registry rules): the province's own
    schools asset, or for national files the registries of all four provinces."""
    return [ingest_key(f, "schools") for f in registry_folders(province, entity_name)]


def _preview(wh: Warehouse, entity: Entity, province: str, years: list[int]) -> pd.DataFrame:
    """The first rows loaded, for the asset's page in the UI."""
    return wh.read_frame(
        f"select * from {entity.table} where province = '{province}' "
        f"and academic_year in ({','.join(map(str, years))}) "
        "order by academic_year, source_file, source_row limit 5")


def build_ingest_asset(province: str, entity_name: str) -> AssetsDefinition:
    entity = ENTITIES[entity_name]
    key = ingest_key(province, entity_name)
    where = "national sources" if province == NATIONAL else PROVINCE_NAMES[province][1]
    deps = _registry_deps(province, entity_name)

    @asset(
        key=key,
        deps=deps,
        description=f"{entity.description} Delivered by {where}; validated with "
                    f"expectations/{entity_name}.json and loaded into `{entity.table}` "
                    f"(partition province={province}).",
        group_name=f"ingest_{province}",
        owners=[INGEST_OWNER],
        kinds={"python", "pandas", "great_expectations"},
        partitions_def=ACADEMIC_YEARS,
        backfill_policy=BackfillPolicy.single_run(),
        metadata={"dagster/column_schema": _table_schema(entity), "dagster/table_name": entity.table,
                  "province": province, "landing_files": ", ".join(
                      s.file_name for s in SOURCE_FILES
                      if s.province == province and s.entity == entity_name)},
        check_specs=[
            AssetCheckSpec(SUITE_CHECK, asset=key, blocking=True,
                           description=f"GX suite expectations/{entity_name}.json: structural expectations "
                                       "block; row-level failures are quarantined."),
            AssetCheckSpec(NOTHING_LOST_CHECK, asset=key, blocking=True,
                           description="Rows read = rows loaded + rows quarantined, for every file."),
            AssetCheckSpec(QUARANTINE_CHECK, asset=key,
                           description=f"Warns when more than {QUARANTINE_WARN_SHARE:.0%} of rows are "
                                       "quarantined."),
        ],
        pool=WAREHOUSE_POOL,
        op_tags={"dagster/priority": str(LAST_PRIORITY)} if reads_slowly(province, entity_name) else None,
    )
    def _ingest(context: AssetExecutionContext, warehouse: WarehouseResource,
                paths: ProjectPaths) -> Iterator[object]:
        key = load_pseudonym_key()
        wh = warehouse.get_warehouse()
        years = [int(k) for k in context.partition_keys]
        try:
            plan_read_ahead(context, paths, years, key)
        except Exception as err:  # noqa: BLE001 - an optimisation: without it each step reads its own files
            context.log.warning(f"files not read ahead ({type(err).__name__}: {err}); steps read their own")
        tasks = ingest_tasks(paths.landing_path, province, entity_name, years)
        if tasks:
            # GX (~4 s to import, once per process) while the read-ahead workers finish this step's files,
            # not after they are taken: a run of one re-delivered file waits for both otherwise
            import assets.checks.validation  # noqa: F401
        for year in sorted(set(years) - {t.year for t in tasks}):
            context.log.warning(f"{province}/{year}: no {entity_name} delivery; partition left as it was")
        outcomes = [read_ahead().take(task, read_task, paths.archive_path, key) for task in tasks]
        delivered = sorted({o.year for o in outcomes})
        report_path = paths.reports_path / province / f"{entity_name}_{'-'.join(map(str, delivered))}.html"
        totals = {"read": 0, "loaded": 0, "quarantined": 0}
        files_meta: list[dict[str, object]] = []
        # One connection for the whole step (opening a DuckDB file costs tens of ms, closing it a checkpoint);
        # holding it while validating keeps no other step waiting: warehouse steps share a pool of one.
        with wh.session():
            wh.ensure_raw_table(entity)
            reference = reference_for_years(wh, province, delivered) if delivered else None
            if reference is not None:
                validate_files(outcomes, entity_name, province, reference, report_path)
            for year in delivered:
                of_year = [o for o in outcomes if o.year == year]
                # never a partial load: the year keeps its last good data
                if any(o.blocking for o in of_year):
                    continue
                rows = [o.rows for o in of_year]  # inserted file by file: a concatenation would copy them
                quarantine = pd.concat([o.quarantine for o in of_year], ignore_index=True)
                wh.replace_partition(entity, province, year, rows, quarantine,
                                     _delivery_rows(of_year, province, entity_name, paths.archive_path))
                failpoint("ingest.after_partition_write")
                for o in of_year:
                    totals["read"] += o.rows_read
                    totals["loaded"] += len(o.rows)
                    totals["quarantined"] += len(o.quarantine)
                    files_meta.append({"year": year, "file": o.path.name, "sha256": o.sha256,
                                       "read": o.rows_read, "loaded": len(o.rows),
                                       "quarantined": len(o.quarantine)})
                loaded = sum(map(len, rows))
                report(context, f"ingest {province}/{entity_name} {year}: {loaded:,} rows loaded, "
                                 f"{len(quarantine):,} quarantined from {len(of_year)} file(s)")
                del rows, quarantine, of_year
            preview = _preview(wh, entity, province, years) if totals["loaded"] else pd.DataFrame()
        blocking = [f"{province}/{o.year}: {message}" for o in outcomes for message in o.blocking]
        rows_read = sum(o.rows_read for o in outcomes)  # a rejected file's too: it was validated as well
        del outcomes
        if rows_read >= CYCLE_COLLECTION_MIN_ROWS:
            collect_reference_cycles()  # the validation's frames, if GX's reference cycles still hold them
        release_free_memory()  # the step's frames: the run's process holds the least while later steps run
        reports = {"validation_report": str(report_path)} if report_path.exists() else {}
        lost = totals["read"] - totals["loaded"] - totals["quarantined"]
        share = totals["quarantined"] / totals["read"] if totals["read"] else 0.0
        yield MaterializeResult(
            metadata={
                "dagster/row_count": totals["loaded"],
                "rows_read": totals["read"],
                "rows_quarantined": totals["quarantined"],
                "files": MetadataValue.json(files_meta),
                "preview": MetadataValue.md(_preview_markdown(preview, entity)),
                "academic_years": ", ".join(map(str, years)),
            },
            check_results=[
                AssetCheckResult(
                    check_name=SUITE_CHECK, passed=not blocking, severity=AssetCheckSeverity.ERROR,
                    description="; ".join(blocking)[:2000] if blocking else "all structural expectations met",
                    metadata={"blocking_failures": MetadataValue.json(blocking),
                              **{k: MetadataValue.path(v) for k, v in reports.items()},
                              "rows_quarantined": totals["quarantined"]}),
                AssetCheckResult(
                    check_name=NOTHING_LOST_CHECK, passed=lost == 0, severity=AssetCheckSeverity.ERROR,
                    metadata={"rows_read": totals["read"], "rows_loaded": totals["loaded"],
                              "rows_quarantined": totals["quarantined"], "unaccounted": lost}),
                AssetCheckResult(
                    check_name=QUARANTINE_CHECK, passed=share <= QUARANTINE_WARN_SHARE,
                    severity=AssetCheckSeverity.WARN,
                    metadata={"quarantined_share": round(share, 4)}),
            ],
        )

    return _ingest


def _preview_markdown(frame: pd.DataFrame, entity: Entity) -> str:
    if frame.empty:
        return "_no rows_"
    shown = [c.name for c in entity.columns][:8]
    return frame[shown].astype(str).to_markdown(index=False) if hasattr(frame, "to_markdown") else json.dumps(
        frame[shown].astype(str).to_dict(orient="records"), ensure_ascii=False)


INGEST_ASSETS: list[AssetsDefinition] = [build_ingest_asset(p, e) for p, e in province_entities()]
PROVINCE_SLUGS: tuple[str, ...] = tuple(PROVINCES)
