"""What an import found: its rows, problems, questions and preview, and how the file was read
(the `--json` report, the preview page).

Every import reads and checks the whole file first, writing nothing and holding no lock (the
checking pass: stages 1–4), then writes what it kept in one short transaction that takes the
target's lock and checks again what may have changed meanwhile (the writing pass: `write`)."""

from dataclasses import dataclass, field

from flask_babel import gettext as _

from coopapp.imports.layout import Layout
from coopapp.imports.options import ReadOptions

# A file with more bad rows than this lists the first ones and says how many more there are.
MAX_LISTED_ERRORS = 10_000


@dataclass
class Problem:
    """One bad cell or row: the row number as the spreadsheet shows it, the column's header, the value, why."""

    row: int | None
    column: str | None
    value: str | None
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "value": self.value, "message": self.message}


@dataclass
class Question:
    """Where the file alone cannot say what the user means: the import stops, writes nothing and asks.

    `key` names the question for its answer (`ReadOptions.answers[key]`, `--answer KEY=VALUE`, or
    the page's choice); `options` are (value, label) pairs, the value being what answers it."""

    key: str
    row: int | None
    column: str | None
    value: str | None
    message: str
    options: list[tuple[str, str]]

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "message": self.message,
            "options": [{"value": v, "label": label} for v, label in self.options],
        }


@dataclass
class ImportReport:
    """The outcome of an import or a dry run; `as_dict` is the `--json` object."""

    kind: str
    file_name: str
    dry_run: bool
    sha256: str = ""
    rows_ok: int = 0
    rows_skipped: int = 0
    total_fen: int = 0
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    error_count: int = 0
    batch_id: int | None = None
    imported: bool = False
    # For the preview page: the first rows as parsed (row number, status, values).
    preview: list[dict] = field(default_factory=list)
    preview_limit: int = 0
    # How the file is read (the user's choices and answers), and what the reading found.
    options: ReadOptions = field(default_factory=ReadOptions)
    questions: list[Question] = field(default_factory=list)
    # What reading the workbook's sheet found (a workbook_sheets.SheetRead; None: a CSV file or not read
    # yet): the sheet read, the visible worksheets and the hidden rows are its (see the properties).
    reading: object = field(default=None, repr=False)
    layout: Layout = field(default_factory=Layout)  # the sheet's merges and tables' total rows, as read
    date1904: bool = False  # the workbook counts dates from 1904 (Mac Excel): its serial days are read so

    @property
    def sheet(self) -> str | None:
        """The worksheet read (None: a CSV file)."""
        return self.reading.name if self.reading is not None else None

    @property
    def sheets(self) -> list[str]:
        """The workbook's visible worksheets, for the choice."""
        return self.reading.names if self.reading is not None else []

    @property
    def hidden_rows(self) -> list[int]:
        """The rows the file hides that hold something (left out unless included)."""
        return self.reading.hidden_rows if self.reading is not None else []

    @property
    def ok(self) -> bool:
        """Nothing wrong and nothing to ask: the file may be imported."""
        return self.error_count == 0 and not self.questions

    @property
    def preview_total(self) -> int:
        """How many rows the preview is the first of: the good rows."""
        return self.rows_ok

    @property
    def confirmable(self) -> bool:
        """May the previewed file be confirmed? When it has no bad row."""
        return self.ok

    def hidden_between(self, first: int, last: int) -> int:
        """How many hidden rows left out lie between rows `first` and `last` (they are not skipped rows:
        the report lists them apart)."""
        reading = self.reading
        if reading is None or reading.include_hidden or not self.hidden_rows:
            return 0
        return sum(1 for row in self.hidden_rows if first < row < last)

    def error(self, row, column, value, message) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_LISTED_ERRORS:
            self.errors.append(Problem(row, column, value, str(message)))

    def ask(self, key: str, row, column, value, message, options) -> None:
        """Stop for a question (once per key): the import writes nothing until it is answered."""
        if all(q.key != key for q in self.questions):
            self.questions.append(Question(key, row, column, value, str(message), [(v, str(lb)) for v, lb in options]))

    def warn(self, row, column, value, message) -> None:
        self.warnings.append(Problem(row, column, value, str(message)))

    def show(self, row: dict) -> None:
        if len(self.preview) < self.preview_limit:
            self.preview.append(row)

    def as_dict(self) -> dict:
        unlisted = self.error_count - len(self.errors)
        warnings = [w.as_dict() for w in self.warnings]
        if unlisted > 0:
            message = _("另有 %(n)s 个错误未列出。", n=unlisted)
            warnings.append(Problem(None, None, None, message).as_dict())
        return {
            "kind": self.kind,
            "file": self.file_name,
            "sha256": self.sha256,
            "dry_run": self.dry_run,
            "imported": self.imported,
            "batch_id": self.batch_id,
            "rows_ok": self.rows_ok,
            "rows_skipped": self.rows_skipped,
            "total_fen": self.total_fen,
            "errors": [e.as_dict() for e in self.errors],
            "warnings": warnings,
            "questions": [q.as_dict() for q in self.questions],
            "sheet": self.sheet,
            "sheets": self.sheets,
            "hidden_rows": self.hidden_rows,
        }


class RollBack(Exception):
    """Raised inside the import's transaction to undo it (a dry run, or a file with bad rows)."""
