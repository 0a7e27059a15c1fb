"""Server-side charts: matplotlib `Figure` (never pyplot) → PNG or SVG bytes.

Each chart module draws plain data from `reporting.chart_data` (`draw(data) -> Figure`)
and describes it for pages (`describe(data) -> ChartText`: alt text and a table).
"""

from coopapp.charts import benefit, compare, output, unit_yield
from coopapp.charts.base import FORMATS, SIZES, ChartText, render

MODULES = {"output": output, "yield": unit_yield, "benefit": benefit, "compare": compare}


def chart_bytes(name: str, data: dict, fmt: str, size: str = "page") -> bytes:
    """The chart `name` of `data` as PNG or SVG bytes, at the page or the phone `size`."""
    return render(lambda: MODULES[name].draw(data), fmt, size)


def describe(name: str, data: dict) -> ChartText:
    """The alt text and table of the chart `name` of `data`."""
    return MODULES[name].describe(data)


__all__ = ["FORMATS", "MODULES", "SIZES", "ChartText", "chart_bytes", "describe"]
