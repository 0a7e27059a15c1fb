"""The ground every domain stands on: money, units, codes, transactions, vocabulary."""
