"""Importing the files accountants keep (CSV, XLSX): ledger entries and household rosters."""
