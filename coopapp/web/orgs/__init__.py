"""The admin's pages for cooperatives (and party organisations)."""
