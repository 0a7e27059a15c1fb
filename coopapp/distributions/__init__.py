"""Distributions of income to households: plans, their lines, objections."""
