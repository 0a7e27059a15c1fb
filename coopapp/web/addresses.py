"""Same-site addresses: where a redirect may go (never to another site)."""

from urllib.parse import urlsplit

from flask import request


def safe_next(target: str | None) -> str | None:
    """A redirect target only if it stays on this site (a relative path). A backslash or a control
    character is refused too: browsers read "/\\evil.example" as "//evil.example"."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    return target


# A confirmation page (`common.require_confirmation`) keeps the page its action was asked from in
# this field: its 确定 is posted from the confirmation page, whose address is the action's own.
CAME_FROM = "came_from"


def came_from() -> str | None:
    """The page on this site that the current request was sent from (its Referer's path and query)."""
    ref = request.referrer
    if ref:
        parts = urlsplit(ref)
        if parts.netloc == request.host:  # (and a path that stays here: not "//evil.example/x")
            return safe_next(parts.path + (f"?{parts.query}" if parts.query else ""))
    return None


def back_to(default: str) -> str:
    """The page the user came from on this site — before a confirmation page, if one was asked —
    else `default`. Never the request's own address (a POST-only action: it cannot be opened)."""
    for page in (safe_next(request.form.get(CAME_FROM)), came_from()):
        if page and urlsplit(page).path != request.path:
            return page
    return default
