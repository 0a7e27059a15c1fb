"""Print HTML → PDF with the machine's headless Chromium, when there is one.

The page is written to a temporary file with its stylesheet and pictures inlined, so
Chromium needs neither the app's address nor a login, and prints exactly what the print
page shows (its CJK fonts included). Without Chromium, `PdfUnavailable` tells the view to
send the user to the print page and the browser's own 打印 → 另存为 PDF.
"""

import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

from flask import current_app

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


class PdfUnavailable(Exception):
    """No renderer on this machine, or it failed: the print page is the way."""


class PdfBusy(PdfUnavailable):
    """Every renderer slot of this process is taken: try again shortly, or print by hand."""


# A Chromium print takes seconds and ~200 MB: at most this many at once per app process, so a
# burst of PDF requests cannot tie up every worker; the rest are told to retry or print.
MAX_RENDERS = 2
WAIT_SECONDS = 5.0
_SLOTS = threading.BoundedSemaphore(MAX_RENDERS)


def chromium_path() -> str | None:
    """The configured PDF_CHROMIUM (None or "" disables PDFs), else the first Chromium on PATH."""
    if "PDF_CHROMIUM" in current_app.config:
        configured = current_app.config["PDF_CHROMIUM"]
        return configured if configured and os.access(configured, os.X_OK) else None
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def html_to_pdf(html: str, timeout: int = 60) -> bytes:
    """The PDF Chromium prints of `html` (a page with every asset inlined)."""
    binary = chromium_path()
    if binary is None:
        raise PdfUnavailable("no Chromium found")
    if not _SLOTS.acquire(timeout=WAIT_SECONDS):
        raise PdfBusy("every PDF renderer is busy")
    try:
        return _render(binary, html, timeout)
    finally:
        _SLOTS.release()


def _render(binary: str, html: str, timeout: int) -> bytes:
    with tempfile.TemporaryDirectory(prefix="coop-pdf-") as tmp:
        page, out = Path(tmp) / "page.html", Path(tmp) / "out.pdf"
        page.write_text(html, encoding="utf-8")
        command = [
            binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-extensions",
            "--no-first-run",
            "--no-pdf-header-footer",
            f"--user-data-dir={Path(tmp) / 'profile'}",
            f"--print-to-pdf={out}",
            page.as_uri(),
        ]
        env = {**os.environ, "HOME": tmp}
        try:
            subprocess.run(command, capture_output=True, timeout=timeout, check=False, env=env)  # noqa: S603
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PdfUnavailable(str(exc)) from exc
        body = out.read_bytes() if out.exists() else b""
    if not body.startswith(b"%PDF"):
        current_app.logger.warning("Chromium printed no PDF")
        raise PdfUnavailable("Chromium printed no PDF")
    return body
