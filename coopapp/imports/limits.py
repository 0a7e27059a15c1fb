"""What an import accepts before reading a file: its size, its type by content, and no zip bombs.

`check_file` runs first on every import, on the page and on the command line. An XLSX file is
a zip archive: its declared sizes and compression ratios are checked before anything is
expanded, and `zipfile` itself never yields more than a member's declared size (a member that
lies about it fails its CRC check, which the XLSX reader reports as an unreadable file).
"""

import os
import zipfile
from pathlib import Path
from xml.etree import ElementTree

from flask import current_app, has_app_context, has_request_context
from flask_babel import gettext as _

from coopapp.imports.package import Package, duplicate_parts

SUFFIXES = (".csv", ".xlsx", ".xls")
MAX_FILE_BYTES = 64 * 1024 * 1024  # IMPORT_MAX_BYTES overrides
MAX_UNCOMPRESSED_BYTES = 512 * 1024 * 1024  # IMPORT_MAX_UNCOMPRESSED_BYTES overrides: all members together
MAX_RATIO = 200  # a member that expands more than this (and past MIN_RATIO_BYTES) is refused
MIN_RATIO_BYTES = 4 * 1024 * 1024
MAX_MEMBERS = 10_000
# What reading one workbook may cost (see xlsx.Budget); settings of the same names override.
MAX_SECONDS = 120  # IMPORT_MAX_SECONDS: the whole import, reading and checking every row
# A web import's seconds (IMPORT_WEB_MAX_SECONDS): its budget must end before gunicorn restarts the
# worker (GUNICORN_TIMEOUT, 60 by default), with time left to write the rows and send the page.
WEB_TIMEOUT_MARGIN = 15
WEB_MAX_SECONDS = 60 - WEB_TIMEOUT_MARGIN
MAX_CELLS = 50_000_000  # IMPORT_MAX_CELLS: all rows together, each as wide as its last cell
MAX_SHARED_STRINGS_BYTES = 128 * 1024 * 1024  # IMPORT_MAX_SHARED_STRINGS_BYTES: their memory
MAX_PART_BYTES = 32 * 1024 * 1024  # IMPORT_MAX_PART_BYTES: each part read whole (workbook, styles)
SNIFF_BYTES = 64 * 1024
# An old Excel workbook (.xls) is read whole into memory by xlrd (about 25× its size with the
# formatting needed for hidden rows and merges): IMPORT_MAX_XLS_BYTES bounds it; a larger one
# is asked to be saved as .xlsx, which is streamed.
MAX_XLS_BYTES = 10 * 1024 * 1024

ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old Excel (.xls) and other Office 97-2003 files


class FileRefused(ValueError):
    """The file is refused as a whole; the message says why, for the user."""


def _setting(name: str, default: int) -> int:
    if has_app_context():
        return int(current_app.config.get(name) or default)
    return default


def max_file_bytes() -> int:
    return _setting("IMPORT_MAX_BYTES", MAX_FILE_BYTES)


def max_uncompressed_bytes() -> int:
    return _setting("IMPORT_MAX_UNCOMPRESSED_BYTES", MAX_UNCOMPRESSED_BYTES)


def reading_budget():
    """What reading a workbook or CSV file may cost, from the settings (xlsx.Budget); in a web
    request, at most `web_seconds`."""
    from coopapp.imports.xlsx import Budget

    seconds = _setting("IMPORT_MAX_SECONDS", MAX_SECONDS)
    if has_request_context():
        seconds = min(seconds, web_seconds())
    return Budget(
        cells=_setting("IMPORT_MAX_CELLS", MAX_CELLS),
        shared_bytes=_setting("IMPORT_MAX_SHARED_STRINGS_BYTES", MAX_SHARED_STRINGS_BYTES),
        part_bytes=_setting("IMPORT_MAX_PART_BYTES", MAX_PART_BYTES),
        seconds=seconds,
    )


def web_seconds() -> int:
    """A web import's seconds: IMPORT_WEB_MAX_SECONDS, else GUNICORN_TIMEOUT (as gunicorn.conf.py
    reads it, 60 by default) less WEB_TIMEOUT_MARGIN, so the import stops with its message before
    gunicorn kills the worker. The command line keeps IMPORT_MAX_SECONDS."""
    raw = os.environ.get("GUNICORN_TIMEOUT", "").strip()
    default = WEB_MAX_SECONDS
    if raw.isdigit():
        default = max(int(raw) - WEB_TIMEOUT_MARGIN, 5)
    return _setting("IMPORT_WEB_MAX_SECONDS", default)


def limit_message(exc) -> str:
    """The user's message for a workbook past a limit (xlsx.XlsxLimit): what, and what to do."""
    not_excel = _("这不是 Excel 保存的工作簿，请在 Excel 中打开、另存后再导入。")
    smaller = _("请删去多余的行和列，或把文件拆成几个较小的文件后再导入。")
    kind, value, limit = exc.kind, exc.value, exc.limit
    if kind == "row":
        text, advice = _("第 %(r)s 行超出了 Excel 的行数上限（1,048,576 行）", r=str(value)[:20]), not_excel
    elif kind == "column":
        text, advice = _("单元格位置 %(ref)s 超出了 Excel 的列数上限（XFD 列，16,384 列）", ref=value), not_excel
    elif kind == "cells":
        text, advice = _("工作表的单元格（含行内空格）超过 %(n)s 个", n=f"{limit:,}"), smaller
    elif kind == "csv_columns":
        text = _("第 %(r)s 行超过 %(n)s 列（Excel 的列数上限）", r=value, n=f"{limit:,}")
        advice = _("这不是 Excel 保存的 CSV 文件，请在 Excel 中打开、另存后再导入。")
    elif kind == "wide":
        text = _("工作表的行太宽：一小段数据里的单元格（含行内空格）超过 %(n)s 个", n=f"{limit:,}")
        advice = smaller
    elif kind == "merges":
        text, advice = _("工作表的合并单元格超过 %(n)s 处", n=f"{limit:,}"), smaller
    elif kind == "seconds":
        text, advice = _("导入超过 %(s)s 秒仍未完成", s=limit), _("请把文件拆成几个较小的文件后再导入。")
    elif kind == "shared":
        text, advice = _("工作簿中的文字超过 %(mb)s MB", mb=_mb(limit)), smaller
    elif kind == "text":
        text, advice = _("第 %(r)s 行的文字超过 %(mb)s MB", r=value, mb=_mb(limit)), smaller
    else:  # "part"
        name, size = value
        text = _("工作簿中的 %(name)s 过大（%(size)s MB，最大 %(max)s MB）", name=name, size=_mb(size), max=_mb(limit))
        advice = _("请在 Excel 中打开、另存后再导入。")
    return _("%(what)s：%(advice)s已停止导入，没有写入任何数据。", what=text, advice=advice)


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}"


def check_file(path: Path, file_name: str) -> str:
    """Refuse a file the import must not read (FileRefused); return how to read it (.csv, .xlsx or
    .xls, by its content: an old Excel workbook named .xlsx is read as .xls)."""
    suffix = Path(file_name).suffix.lower()
    size = Path(path).stat().st_size
    if size == 0:
        raise FileRefused(_("文件是空的。"))
    limit = max_file_bytes()
    if size > limit:
        raise FileRefused(_("文件太大（%(size)s MB），最大 %(max)s MB。", size=_mb(size), max=_mb(limit)))
    with open(path, "rb") as fh:
        head = fh.read(SNIFF_BYTES)
    if head.startswith(OLE2_MAGIC):
        return check_ole2(path, suffix)
    if suffix not in SUFFIXES:
        raise FileRefused(_("只能导入 .xlsx、.xls 或 .csv 文件。"))
    if suffix == ".xls":
        if head.startswith(ZIP_MAGIC):  # a workbook saved as .xlsx and renamed: read as what it is
            check_zip(path)
            return ".xlsx"
        raise FileRefused(_("文件名是 .xls，但内容不是 Excel 工作簿。"))
    if suffix == ".xlsx":
        if not head.startswith(ZIP_MAGIC):
            raise FileRefused(_("文件名是 .xlsx，但内容不是 Excel 工作簿。"))
        check_zip(path)
    else:
        if head.startswith(ZIP_MAGIC):
            raise FileRefused(_("这是 Excel 工作簿，不是 CSV 文件：请把扩展名改为 .xlsx。"))
        if looks_binary(head):
            raise FileRefused(_("CSV 文件中有二进制内容，不是文本：请在 Excel 中另存为 CSV 或 .xlsx。"))
    return suffix


def check_ole2(path: Path, suffix: str) -> str:
    """An Office 97–2003 (OLE2) file: an old Excel workbook is read as .xls; a password-protected
    workbook, a Word document or anything else is refused, saying which."""
    from coopapp.imports.xls import ole2_kind

    if suffix == ".csv":
        raise FileRefused(_("这是旧版 Excel 工作簿（.xls），不是 CSV 文件：请把扩展名改为 .xls。"))
    kind = ole2_kind(path)
    if kind == "workbook":
        size, limit = Path(path).stat().st_size, _setting("IMPORT_MAX_XLS_BYTES", MAX_XLS_BYTES)
        if size > limit:
            raise FileRefused(
                _(
                    "旧版 Excel 文件（.xls）太大（%(size)s MB），最大 %(max)s MB：请在 Excel 中另存为 .xlsx 后再导入。",
                    size=_mb(size),
                    max=_mb(limit),
                )
            )
        return ".xls"
    if kind == "encrypted":
        raise FileRefused(_("这个 Excel 文件设置了打开密码：请在 Excel 中去掉密码、另存后再导入。"))
    if kind == "word":
        raise FileRefused(_("这是 Word 文档，不是 Excel 工作簿。"))
    raise FileRefused(_("这是 Office 97–2003 格式的文件，但不是 Excel 工作簿。"))


def check_zip(path: Path) -> None:
    """Refuse an archive that is not a workbook or that would expand too far (a zip bomb)."""
    not_a_workbook = _("文件名是 .xlsx，但内容不是 Excel 工作簿。")
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            pair = duplicate_parts([m.filename for m in members])
            # the workbook part the package names is there
            found = len(members) <= MAX_MEMBERS and pair is None and bool(Package(archive, MAX_PART_BYTES).parts())
    except (zipfile.BadZipFile, OSError, ValueError, ElementTree.ParseError):
        raise FileRefused(not_a_workbook) from None
    if pair is not None:
        message = _(
            "工作簿中有两个只差大小写的部件（%(a)s 与 %(b)s），不同的软件会读到不同的内容，已拒绝。"
            "请在 Excel 中打开、另存后再导入。",
            a=pair[0][:100],
            b=pair[1][:100],
        )
        raise FileRefused(message)
    if not found:
        raise FileRefused(not_a_workbook)
    total = 0
    limit = max_uncompressed_bytes()
    for member in members:
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if total > limit or (member.file_size > MIN_RATIO_BYTES and ratio > MAX_RATIO):
            raise FileRefused(
                _(
                    "Excel 文件解压后过大（%(size)s MB，压缩比 %(ratio)s 倍），可能是“压缩炸弹”，已拒绝。",
                    size=_mb(max(total, member.file_size)),
                    ratio=int(ratio),
                )
            )


def looks_binary(head: bytes) -> bool:
    """Bytes no text file has: NUL, or many control characters other than tab and line ends."""
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 13, 12))
    return controls > max(8, len(head) // 100)
