"""Sending an export (reporting.exports) as a download: CSV streamed as it is read, XLSX from its
temporary file. The CSV's rows come from `exports.stream`, which needs no request context."""

from flask import Response, send_file

from coopapp.reporting.exports import CSV_MIMETYPE, XLSX_MIMETYPE, Table, csv_chunks, xlsx_file

NO_STORE = "private, no-store"


def download(table: Table, fmt: str, stem: str) -> Response:
    """`stem.csv` or `stem.xlsx` (`stem` ASCII) as an attachment that no cache keeps."""
    name = f"{stem}.{fmt}"
    if fmt == "csv":
        headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": NO_STORE}
        return Response(csv_chunks(table), mimetype=CSV_MIMETYPE, headers=headers)
    response = send_file(xlsx_file(table), mimetype=XLSX_MIMETYPE, as_attachment=True, download_name=name)
    response.headers["Cache-Control"] = NO_STORE
    return response
