"""The files every page needs, shipped with the site so it works from disk with the network off:
plotly.js from the plotly package, Noto Sans Thai from fontpkg-noto-sans-thai, the stylesheet, and both
licences (MIT for plotly.js, SIL OFL 1.1 for the font, which asks to travel with the font).
"""

from __future__ import annotations

import importlib.metadata
import shutil
from pathlib import Path

import fontpkg_noto_sans_thai
import plotly

from assets.publish.pages import FONT_FILE, SITE_CSS

ASSETS_DIR = "assets"
PLOTLY_JS = "plotly.min.js"


class MissingStaticAsset(RuntimeError):
    """A file the pages need is not installed (a broken environment, not a data problem)."""


def plotly_js_source() -> Path:
    path = Path(plotly.__file__).parent / "package_data" / PLOTLY_JS
    if not path.is_file():
        raise MissingStaticAsset(f"{path} is missing: reinstall the pinned plotly package")
    return path


def thai_font_source() -> Path:
    files = sorted((fontpkg_noto_sans_thai.ROOT / "files").glob("*.ttf"))
    if not files:
        raise MissingStaticAsset("fontpkg-noto-sans-thai ships no .ttf: reinstall the pinned package")
    return files[0]


def _plotly_licence() -> Path | None:
    for file in importlib.metadata.files("plotly") or ():
        if file.name.upper().startswith("LICENSE"):
            return Path(str(file.locate()))
    return None


def write_static_assets(site_dir: Path) -> list[Path]:
    """Copy plotly.js, the font, the licences and site.css into `<site>/assets/`; returns what it wrote."""
    assets = site_dir / ASSETS_DIR
    (assets / "fonts").mkdir(parents=True, exist_ok=True)
    (assets / "licenses").mkdir(parents=True, exist_ok=True)
    copies: list[tuple[Path, Path]] = [
        (plotly_js_source(), assets / PLOTLY_JS),
        (thai_font_source(), assets / "fonts" / FONT_FILE),
        (fontpkg_noto_sans_thai.ROOT / "LICENSE", assets / "licenses" / "NotoSansThai-OFL.txt"),
    ]
    if (licence := _plotly_licence()) is not None:
        copies.append((licence, assets / "licenses" / "plotly-MIT.txt"))
    written = []
    for source, target in copies:
        if source.is_file():
            shutil.copyfile(source, target)
            written.append(target)
    css = assets / "site.css"
    css.write_text(SITE_CSS, encoding="utf-8")
    written.append(css)
    return written
