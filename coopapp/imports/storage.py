"""Uploads waiting in instance/imports/ for their confirmation, and the sweep of abandoned ones.

An upload is kept (named by its SHA-256) between the preview and the confirm, and while its
preview offers a choice (a question, another sheet, hidden rows: see web/imports/reading.py); a
confirmed one, or one refused with nothing to choose, is deleted at once. One that is never confirmed is deleted by `sweep_abandoned`
once it is older than IMPORT_UPLOAD_MAX_AGE_HOURS (default 24) — on every new upload, and by
`flask --app wsgi coop import cleanup`.
"""

import os
import re
import time
from pathlib import Path

from flask import current_app

from coopapp.imports.batches import upload_dir

DEFAULT_MAX_AGE_HOURS = 24
# Only what keep_upload writes: "<sha256>.csv|.xlsx|.xls" and its "upload-<n>.part" while it arrives.
_KEPT = re.compile(r"^([0-9a-f]{64}\.(csv|xlsx|xls)|upload-\d+\.part)$")


def max_age_hours() -> float:
    """IMPORT_UPLOAD_MAX_AGE_HOURS from the app's configuration, else the environment, else 24."""
    value = current_app.config.get("IMPORT_UPLOAD_MAX_AGE_HOURS") or os.environ.get("IMPORT_UPLOAD_MAX_AGE_HOURS")
    try:
        hours = float(value) if value else DEFAULT_MAX_AGE_HOURS
    except ValueError:
        current_app.logger.warning(
            "IMPORT_UPLOAD_MAX_AGE_HOURS=%r is not a number; using %s", value, DEFAULT_MAX_AGE_HOURS
        )
        hours = DEFAULT_MAX_AGE_HOURS
    return hours if hours > 0 else DEFAULT_MAX_AGE_HOURS


def sweep_abandoned(max_age: float | None = None, now: float | None = None) -> list[Path]:
    """Delete kept uploads last written more than `max_age` hours ago; return the deleted paths.

    Files the import pages did not write are left alone, whatever their age.
    """
    hours = max_age_hours() if max_age is None else max_age
    cutoff = (time.time() if now is None else now) - hours * 3600
    deleted = []
    for path in upload_dir().iterdir():
        if not _KEPT.match(path.name) or not path.is_file():
            continue
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                deleted.append(path)
        except FileNotFoundError:  # confirmed (and deleted) by another request meanwhile
            continue
    return deleted
