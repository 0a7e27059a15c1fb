"""Settings an operator sets by environment variable reach the app's configuration."""

import pytest

from config import Config


def test_number_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("DISCLOSURE_GRACE_DAYS", "3")
    monkeypatch.setenv("IMPORT_UPLOAD_MAX_AGE_HOURS", "1.5")
    monkeypatch.setenv("WEAK_VILLAGE_THRESHOLD_FEN", "5000000")
    monkeypatch.setenv("PDF_CHROMIUM", "")
    settings = Config.from_environment()
    assert settings["DISCLOSURE_GRACE_DAYS"] == 3
    assert settings["IMPORT_UPLOAD_MAX_AGE_HOURS"] == 1.5
    assert settings["WEAK_VILLAGE_THRESHOLD_FEN"] == 5_000_000
    assert settings["PDF_CHROMIUM"] == ""  # PDFs turned off
    assert "IMPORT_MAX_BYTES" not in settings  # unset: the default stays


def test_a_bad_number_stops_the_start_naming_the_variable(monkeypatch):
    monkeypatch.setenv("DISCLOSURE_MONTHLY_MIN_ENTRIES", "thirty")
    with pytest.raises(RuntimeError, match="DISCLOSURE_MONTHLY_MIN_ENTRIES"):
        Config.from_environment()
