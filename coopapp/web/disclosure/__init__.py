"""Printed reports (annual report, 公开栏 notice sheet, their PDFs) and the disclosure calendar."""
