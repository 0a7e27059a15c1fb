"""Who may do what, where: scope, accounts, the audit chain."""
