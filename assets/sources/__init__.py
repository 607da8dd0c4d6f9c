"""Province adapters: every delivered file → the typed contract (assets.contract.entities), with rejects.

    read_delivery(source, path, province=..., academic_year=..., pseudonymiser=...) -> AdapterResult
    adapter_for(province) -> ProvinceAdapter
    discover_deliveries(landing, province, academic_year) -> [(SourceFile, Path, agency | None)]
"""

from __future__ import annotations

from pathlib import Path

from assets.contract.landing import SourceFile, source_files
from assets.parsing.pseudonym import Pseudonymiser
from assets.sources.base import AdapterResult, DeliveryError
from assets.sources.common import ProvinceAdapter
from assets.sources.mae_hong_son import MaeHongSonAdapter
from assets.sources.national import NationalAdapter
from assets.sources.satun import SatunAdapter
from assets.sources.sukhothai import SukhothaiAdapter
from assets.sources.yala import YalaAdapter

ADAPTERS: dict[str, ProvinceAdapter] = {
    adapter.province: adapter
    for adapter in (YalaAdapter(), SatunAdapter(), MaeHongSonAdapter(), SukhothaiAdapter(), NationalAdapter())
}

__all__ = ["ADAPTERS", "AdapterResult", "DeliveryError", "ProvinceAdapter", "adapter_for",
           "discover_deliveries", "read_delivery"]


def adapter_for(province: str) -> ProvinceAdapter:
    try:
        return ADAPTERS[province]
    except KeyError:
        raise KeyError(f"no adapter for province {province!r}; known: {', '.join(ADAPTERS)}") from None


def read_delivery(
    source: SourceFile, path: Path, *, province: str, academic_year: int, pseudonymiser: Pseudonymiser,
    agency: str | None = None,
) -> AdapterResult:
    """Read one delivered file into the contract. Raises DeliveryError when the file cannot be read at all.

    `province` is the landing folder's province ("national" for national sources); `academic_year` the
    folder's year (BE). `agency` restricts a multi-sheet workbook to that agency's sheet and, for one-agency
    files, is the agency every row carries (Yala derives it from the file name when not given).
    """
    if source.province != province:
        raise DeliveryError(path, f"{source.file_name} is a {source.province} source, not {province}")
    return adapter_for(province).read(
        source, Path(path), academic_year=academic_year, pseudonymiser=pseudonymiser, agency=agency
    )


def _safe_name(name: str) -> bool:
    return bool(name) and name not in {".", ".."} and not any(c in name for c in ("/", "\\", "\0"))


def _resolved(path: Path) -> Path:
    """The real path behind a delivered name; a symlink loop or unreadable link is a DeliveryError."""
    try:
        return path.resolve()
    except (RuntimeError, OSError) as err:  # Python 3.11 reports a symlink loop as RuntimeError
        raise DeliveryError(path, f"cannot resolve the link ({err})") from err


def discover_deliveries(
    landing: Path, province: str, academic_year: int
) -> list[tuple[SourceFile, Path, str | None]]:
    """Every contract file present in <landing>/<province>/<academic_year>/, with the agency its name gives.

    Paths are resolved and must stay inside the landing folder: a symlinked file or folder pointing outside
    (or looping) raises DeliveryError, as does a name with '..', a path separator or NUL. Files not in the
    contract are ignored, whatever their names.
    """
    root = Path(landing).resolve()
    folder = Path(landing) / province / str(academic_year)
    if not _safe_name(province) or not _safe_name(str(academic_year)):
        # repr: a hostile name may carry line breaks or control characters into the logs
        problem = f"province {province!r} and year {str(academic_year)!r} must be plain folder names"
        raise DeliveryError(Path(landing), problem)
    if not folder.is_dir():
        return []
    if not _resolved(folder).is_relative_to(root):
        raise DeliveryError(folder, f"folder resolves outside the landing folder {root}")
    found: list[tuple[SourceFile, Path, str | None]] = []
    for source in source_files(province):
        agencies: list[str | None] = list(source.agencies) if "{agency}" in source.file_name else [None]
        for agency, name in zip(agencies, source.file_names(), strict=True):
            if not _safe_name(name) or ".." in name:
                raise DeliveryError(folder / name, "file name must not contain '..' or path separators")
            path = folder / name
            if not (path.exists() or path.is_symlink()):
                continue
            target = _resolved(path)
            if not target.is_relative_to(root):
                raise DeliveryError(path, f"symlink points outside the landing folder ({target})")
            if not target.is_file():
                raise DeliveryError(path, "not a regular file")
            found.append((source, path, agency))
    return found
