"""Figures from the summary tables: metrics, comparison, dashboard, chart data, exports."""
