"""Progress lines for people watching a run: to the Dagster log and, when the CLI listens, to stdout."""

from __future__ import annotations

import logging

from dagster import AssetExecutionContext

PROGRESS = logging.getLogger("edusandbox.progress")


def report(context: AssetExecutionContext, message: str) -> None:
    context.log.info(message)
    PROGRESS.info(message)
