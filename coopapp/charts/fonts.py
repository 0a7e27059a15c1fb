"""The CJK font the charts set Chinese in: found at run time, registered with matplotlib.

Looked for, in order: `COOP_CJK_FONT=/path/to/font` (.ttf, .otf or .ttc), the usual system
paths (Debian's fonts-noto-cjk, Fedora, Arch, WenQuanYi, macOS), the PyPI package
`noto-cjk-sans-otc` in the virtualenv (what `scripts/ensure_cjk_font.sh` installs for a
user without root), then whatever `fc-list :lang=zh` reports. A candidate counts only if
its character map covers a probe of Simplified Chinese.

    python -c "from coopapp.charts.fonts import main; main()"   # prints the font the charts use
"""

import importlib.util
import logging
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)

ENV_VAR = "COOP_CJK_FONT"
MISSING_MESSAGE = "CJK font missing: run make fonts"
# Characters every Simplified Chinese chart needs (村 and 户 are not in some Japanese-only fonts' SC forms).
PROBE = "中洞村产值万元户脱贫覆盖率没有数据规模"

SYSTEM_PATHS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  # Debian / Ubuntu fonts-noto-cjk
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",  # Fedora
    "/usr/share/fonts/google-noto-sans-cjk-fonts/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",  # Arch
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",  # Debian fonts-wqy-microhei
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/System/Library/Fonts/PingFang.ttc",  # macOS
    "/System/Library/Fonts/Hiragino Sans GB.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
)
PYPI_PACKAGE = ("noto_cjk_sans_otc", "NotoSansCJK-Regular.ttc")


@dataclass(frozen=True)
class CjkFont:
    """A font file and the face in it that covers Simplified Chinese."""

    path: str
    face_index: int
    family: str


def _faces(path: str):
    """(index, TTFont) for every face of a font file (several for a .ttc collection)."""
    from fontTools.ttLib import TTCollection, TTFont

    if path.lower().endswith((".ttc", ".otc")):
        collection = TTCollection(path, lazy=True)
        return list(enumerate(collection.fonts))
    return [(0, TTFont(path, lazy=True))]


def _family(face) -> str:
    name = face["name"]
    return str(name.getDebugName(16) or name.getDebugName(1) or "")


def _is_sc(family: str) -> bool:
    return family.endswith(" SC") or "SC" in family.split() or "GB" in family.split()


def inspect(path: str) -> CjkFont | None:
    """The Simplified Chinese face of `path` (an SC-named face tried first), or None."""
    try:
        faces = [(index, face, _family(face)) for index, face in _faces(path)]
    except Exception as exc:  # noqa: BLE001 - any unreadable file is simply not a candidate
        log.debug("not a usable font file %s: %s", path, exc)
        return None
    faces.sort(key=lambda f: not _is_sc(f[2]))  # stable: file order otherwise
    for index, face, family in faces:
        try:
            cmap = face.getBestCmap() or {}
        except Exception:  # noqa: BLE001
            continue
        if all(ord(ch) in cmap for ch in PROBE):
            return CjkFont(path, index, family)
    return None


def _pypi_font() -> str | None:
    package, filename = PYPI_PACKAGE
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / filename
        if candidate.is_file():
            return str(candidate)
    return None


def _fc_list() -> list[str]:
    if not shutil.which("fc-list"):
        return []
    try:
        out = subprocess.run(
            ["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return sorted({line.split(":")[0].strip() for line in out.splitlines() if line.strip()})


def candidates() -> list[str]:
    """Every place a CJK font may be, in order of preference."""
    found = []
    configured = os.environ.get(ENV_VAR, "").strip()
    if configured:
        found.append(configured)
    found += SYSTEM_PATHS
    pypi = _pypi_font()
    if pypi:
        found.append(pypi)
    return found


def find_font() -> CjkFont | None:
    """The first candidate whose character map covers Simplified Chinese (no registration)."""
    configured = os.environ.get(ENV_VAR, "").strip()
    if configured and not Path(configured).is_file():
        log.warning("%s=%s is not a file; looking elsewhere", ENV_VAR, configured)
    for path in [*candidates(), *_fc_list()]:
        if Path(path).is_file():
            font = inspect(path)
            if font is not None:
                return font
            if path == configured:
                log.warning("%s=%s does not cover Simplified Chinese; looking elsewhere", ENV_VAR, path)
    return None


@lru_cache(maxsize=1)
def chart_font() -> CjkFont | None:
    """The font the charts use, registered with matplotlib once per process; None (and a
    warning) when there is none, in which case charts show MISSING_MESSAGE instead."""
    from matplotlib import font_manager

    font = find_font()
    if font is None:
        log.warning("no CJK font found; charts will say %r (set %s or run make fonts)", MISSING_MESSAGE, ENV_VAR)
        return None
    font_manager.fontManager.addfont(font.path)
    # matplotlib names each face of a collection; use the name it gave the SC face.
    for entry in font_manager.fontManager.ttflist:
        if os.path.realpath(entry.fname) == os.path.realpath(font.path) and entry.index == font.face_index:
            return CjkFont(font.path, font.face_index, entry.name)
    return font


def main() -> int:
    font = find_font()
    if font is None:
        print(MISSING_MESSAGE, file=sys.stderr)
        return 1
    print(f"{font.family}\t{font.path}#{font.face_index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
