"""The CJK font every chart uses, shipped by a dependency rather than the OS.

matplotlib's default font has no Chinese glyphs, and a server often has no
CJK font at all. The ``mplfonts`` package (a declared dependency) ships Noto
Sans CJK SC, which also has U+2212, the minus sign matplotlib draws on
negative ticks. This module registers that file with matplotlib on request;
nothing happens at import time.
"""

from __future__ import annotations

import importlib.util
import logging
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import matplotlib as mpl
from matplotlib import font_manager

logger = logging.getLogger(__name__)

FONT_PACKAGE = "mplfonts"
FONT_FILE = "NotoSansCJKsc-Regular.otf"


class FontNotFoundError(RuntimeError):
    """The packaged CJK font is missing, so Chinese text would render as boxes."""


@lru_cache(maxsize=1)
def cjk_font_path() -> Path:
    """Return the path of the packaged Noto Sans CJK SC font file.

    Raises
    ------
    FontNotFoundError
        If the ``mplfonts`` package or its font file is missing. The message
        names the reinstall command.
    """
    spec = importlib.util.find_spec(FONT_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FontNotFoundError(
            f"package {FONT_PACKAGE!r} is not installed, so charts cannot draw Chinese text; "
            "run `make install` (or `pip install -e .`) to install the project's dependencies "
            f"(未安装 {FONT_PACKAGE}，图表无法显示中文；请运行 make install)"
        )
    path = Path(spec.submodule_search_locations[0]) / "fonts" / FONT_FILE
    if not path.is_file():
        raise FontNotFoundError(
            f"font file {path} is missing from package {FONT_PACKAGE!r}; reinstall it with "
            f"`pip install --force-reinstall {FONT_PACKAGE}` (字体文件缺失，请重新安装 {FONT_PACKAGE})"
        )
    return path


@lru_cache(maxsize=1)
def register_cjk_font() -> str:
    """Register the packaged CJK font with matplotlib and return its family name."""
    path = cjk_font_path()
    font_manager.fontManager.addfont(str(path))
    name = font_manager.FontProperties(fname=str(path)).get_name()
    logger.debug("registered CJK font %s from %s", name, path)
    return name


def cjk_rc() -> dict[str, object]:
    """Return the rcParams that make matplotlib draw Chinese text and minus signs."""
    family = register_cjk_font()
    return {
        "font.family": "sans-serif",
        "font.sans-serif": [family, "DejaVu Sans"],
        "axes.unicode_minus": True,
    }


def use_cjk_font() -> None:
    """Set the CJK font globally, for notebooks where every chart should use it."""
    mpl.rcParams.update(cjk_rc())


@contextmanager
def cjk_font():
    """Context manager that applies the CJK font to charts drawn inside it only."""
    with mpl.rc_context(cjk_rc()):
        yield
