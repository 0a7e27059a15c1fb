"""What every chart shares: palette, sizes, the CJK font, number formats and rendering.

Charts use matplotlib's object API only (`Figure`, never pyplot): no global figure state,
safe in a web process. Rendering sets matplotlib's rc parameters for the duration of one
chart under a lock, so tick labels, legends and titles all use the CJK font.
"""

import io
import logging
import re
import threading
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import matplotlib
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from coopapp.charts.fonts import MISSING_MESSAGE, chart_font
from coopapp.core.money import yuan_decimal

log = logging.getLogger(__name__)

# Okabe–Ito: distinguishable with the common colour-vision deficiencies.
BLUE = "#0072B2"
ORANGE = "#E69F00"
SKY = "#56B4E9"
GREEN = "#009E73"
VERMILION = "#D55E00"
PURPLE = "#CC79A7"
YELLOW = "#F0E442"
GREY = "#6E6E6E"
INK = "#222222"

WIDTH_IN, HEIGHT_IN, DPI = 8.0, 5.0, 100  # 800 × 500 px PNG: legible on a phone held sideways
FORMATS = {"png": "image/png", "svg": "image/svg+xml"}
# The phone size (issue 17): half as wide, drawn at twice the resolution (800 × 720 px, sharp on a
# phone's screen). Its smallest text, 11 pt, shown PHONE_SHOWN_PX wide on a 390 px screen measures
# 11 × 360 / (72 × 4) = 13.75 CSS px; the page size there would be 11 × 360 / 576 ≈ 6.9 px.
PHONE_WIDTH_IN, PHONE_HEIGHT_IN, PHONE_DPI = 4.0, 3.6, 200
PHONE_SHOWN_PX = 360  # at least the chart's width on a 390 px screen (tests/browser/test_phone_layout.py)
SIZES = ("page", "phone")
_SIZE: ContextVar[str] = ContextVar("chart_size", default="page")

_RC = {
    "font.size": 12,
    "axes.titlesize": 15,
    "axes.labelsize": 12,
    "xtick.labelsize": 11,
    "ytick.labelsize": 11,
    "legend.fontsize": 11,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": GREY,
    "axes.labelcolor": INK,
    "xtick.color": INK,
    "ytick.color": INK,
    "text.color": INK,
    "axes.unicode_minus": True,
    "svg.fonttype": "path",  # glyphs as outlines: the SVG shows Chinese without the font installed
    "svg.hashsalt": "coop-charts",  # stable ids: the same chart gives the same bytes
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
}
_LOCK = threading.Lock()

MONTHS = tuple(f"{m}月" for m in range(1, 13))


def yuan(fen: int | None) -> float:
    """Fen as a float number of yuan, for plotting only (money stays integer fen elsewhere)."""
    return float(yuan_decimal(fen or 0))


def chinese_amount(value: float, _pos=None, fixed: bool = False) -> str:
    """A value in yuan the Chinese way: 8,000 · 1.5万 · 120万 · 1.2亿 (tick labels drop
    trailing zeros; `fixed=True` keeps two decimals, for labels that should line up: 18.40万)."""
    sign = "−" if value < 0 else ""
    v = abs(value)

    def scaled(x: float, suffix: str) -> str:
        text = f"{x:.2f}"
        return (text if fixed else text.rstrip("0").rstrip(".")) + suffix

    if v >= 1e8:
        text = scaled(v / 1e8, "亿")
    elif v >= 1e4:
        text = scaled(v / 1e4, "万")
    else:
        text = f"{v:,.0f}" if v >= 10 or v == int(v) else f"{v:.1f}"
    return sign + text


def plain_number(value: float, _pos=None) -> str:
    """An axis count or quantity: 1,200 · 3.5 · −2 (no needless decimals, a true minus)."""
    if abs(value - round(value)) < 1e-9:
        text = f"{round(value):,}"
    else:
        text = f"{value:,.1f}"
    return text.replace("-", "−")


def percent(value: float, _pos=None) -> str:
    """An axis ratio as a percentage: 0.25 → 25% · −0.1 → −10%."""
    return f"{value * 100:.0f}%".replace("-", "−")


AMOUNT_FORMAT = FuncFormatter(chinese_amount)
NUMBER_FORMAT = FuncFormatter(plain_number)
PERCENT_FORMAT = FuncFormatter(percent)


def narrow() -> bool:
    """Whether the chart being drawn is the phone size (fewer, shorter labels; notes on more lines)."""
    return _SIZE.get() == "phone"


def _figsize(height_in: float = HEIGHT_IN) -> tuple[float, float]:
    if narrow():
        return PHONE_WIDTH_IN, PHONE_HEIGHT_IN * height_in / HEIGHT_IN
    return WIDTH_IN, height_in


def new_figure(height_in: float = HEIGHT_IN) -> Figure:
    """A blank chart-sized figure with room for a title (`height_in` at the page size)."""
    return Figure(
        figsize=_figsize(height_in), dpi=PHONE_DPI if narrow() else DPI, layout="constrained", facecolor="white"
    )


def wrap(text: str, width_em: float, breaks: str = "，；") -> str:
    """`text` in lines of at most about `width_em` (a Chinese character is 1 em, others about ½),
    broken only after one of `breaks`."""
    lines: list[str] = []
    for part in re.split(f"(?<=[{breaks}])", text):
        if lines and _ems(lines[-1] + part) <= width_em:
            lines[-1] += part
        elif part.strip():
            lines.append(part.strip() if lines else part)
    return "\n".join(lines)


def _ems(text: str) -> float:
    return sum(1.0 if ord(ch) > 0x2E7F else 0.55 for ch in text)


def heading(ax, title: str, note: str) -> None:
    """The chart's title and, under it, a grey note; on a phone the note wraps to the width."""
    if narrow():  # about 240 pt beside the axis labels: 15 pt titles, 11 pt notes
        title, note = wrap(title, 15.5, "·"), wrap(note, 21.0)
    lines = note.count("\n") + 1
    ax.set_title(title, loc="left", pad=12 + 14 * lines)
    ax.text(0, 1.02, note, transform=ax.transAxes, fontsize=11, color=GREY, va="bottom")


def empty_figure(title: str, message: str) -> Figure:
    """A chart that says why there is nothing to draw (never a blank image)."""
    fig = Figure(figsize=_figsize(), dpi=PHONE_DPI if narrow() else DPI, facecolor="white")
    fig.text(0.04, 0.92, title, fontsize=15, va="top")
    fig.text(0.5, 0.5, message, ha="center", va="center", fontsize=16, color=GREY, wrap=True)
    return fig


def _missing_font_figure() -> Figure:
    fig = Figure(figsize=_figsize(), dpi=PHONE_DPI if narrow() else DPI, facecolor="white")
    fig.text(0.5, 0.5, MISSING_MESSAGE, ha="center", va="center", fontsize=16, color=VERMILION)
    return fig


def render(draw: Callable[[], Figure], fmt: str, size: str = "page") -> bytes:
    """Draw a figure with the CJK font and encode it as PNG or SVG bytes, at the page or phone `size`.

    Without a CJK font the image only says MISSING_MESSAGE (in ASCII), never boxes.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown chart format {fmt!r}")
    buffer = io.BytesIO()
    with drawing(size) as fig_of:
        fig = fig_of(draw)
        metadata = {"Date": None} if fmt == "svg" else {"Software": None}
        fig.savefig(buffer, format=fmt, metadata=metadata)
    return buffer.getvalue()


@contextmanager
def drawing(size: str = "page"):
    """The context charts are drawn in (CJK font, rc parameters, `size`): yields `draw → Figure`."""
    if size not in SIZES:
        raise ValueError(f"unknown chart size {size!r}")
    font = chart_font()
    rc = dict(_RC)
    if font is not None:
        rc["font.family"] = "sans-serif"
        rc["font.sans-serif"] = [font.family, "DejaVu Sans"]
    if size == "phone":
        rc["figure.dpi"] = rc["savefig.dpi"] = PHONE_DPI
    token = _SIZE.set(size)
    try:
        with _LOCK, matplotlib.rc_context(rc):
            yield lambda draw: draw() if font is not None else _missing_font_figure()
    finally:
        _SIZE.reset(token)


@dataclass
class ChartText:
    """What a page shows beside a chart: its alt text and its numbers as a table."""

    alt: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)


def share(part: int, whole: int | None, decimals: int = 0) -> str:
    """part / whole as a short percentage for labels: 8% · <1% · 99.5% (decimals=1) · — (no whole)."""
    if not whole:
        return "—"
    value = Decimal(part) * 100 / Decimal(whole)
    if 0 < value < 1 and not decimals:
        return "<1%"
    return f"{value.quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)}%".replace("-", "−")
