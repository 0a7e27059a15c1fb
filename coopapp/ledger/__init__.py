"""The ledger: entries, their review and month close, and the summary tables they feed."""
