"""Display helpers for statements and objections: the QR code, local times, status labels."""

from datetime import UTC, datetime

import segno
from flask_babel import lazy_gettext as _l
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


OBJECTION_STATUS_LABELS = {"open": _l("待答复"), "resolved": _l("已解决"), "rejected": _l("已驳回")}


def objection_status(code: str) -> str:
    """The display label of an objection's status."""
    return str(OBJECTION_STATUS_LABELS.get(code, code))
