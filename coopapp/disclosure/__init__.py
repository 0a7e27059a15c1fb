"""The village's public disclosure (村务公开): notices, periods, public pages."""
