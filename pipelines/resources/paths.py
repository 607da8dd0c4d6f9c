"""Where the pipeline reads and writes files, as a Dagster resource (so CLI flags reach every step)."""

from __future__ import annotations

from pathlib import Path

from dagster import ConfigurableResource

from pipelines.settings import Settings


class ProjectPaths(ConfigurableResource):
    """Landing zone, archive, validation reports, publication folder and (optional) district boundaries."""

    home: str
    landing: str
    archive_dir: str
    publish_dir: str
    boundaries: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> ProjectPaths:
        return cls(home=str(settings.home), landing=str(settings.landing),
                   archive_dir=str(settings.archive_dir), publish_dir=str(settings.publish_dir),
                   boundaries=str(settings.boundaries) if settings.boundaries else None)

    @property
    def landing_path(self) -> Path:
        return Path(self.landing)

    @property
    def archive_path(self) -> Path:
        return Path(self.archive_dir)

    @property
    def publish_path(self) -> Path:
        return Path(self.publish_dir)

    @property
    def reports_path(self) -> Path:
        return Path(self.home) / "validation_reports"

    @property
    def boundaries_path(self) -> Path | None:
        return Path(self.boundaries) if self.boundaries else None
