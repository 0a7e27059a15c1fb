"""Display helpers for statements and objections: the QR code, local times."""

from datetime import UTC, datetime

import segno
from markupsafe import Markup

from coopapp.ledger.operations import CHINA


def qr_svg(url: str, scale: int = 4) -> Markup:
    """`url` as an inline SVG QR code: a plain path, no style attribute (CSP forbids inline styles)."""
    code = segno.make(url, error="m", micro=False)
    svg = code.svg_inline(scale=scale, svgclass="qr", lineclass="qr-line", title=None)
    return Markup(svg)


def local_time(value: datetime | None) -> str:
    """A stored (naive UTC) timestamp as China time, "2025-03-05 14:30"; None → ""."""
    if value is None:
        return ""
    return value.replace(tzinfo=UTC).astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
