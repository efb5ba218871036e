"""What an import reports: counts and row errors. No database."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

# The template's example row carries this mark in the cell after its last column: the import
# skips such a row and says so, so that the sample never lands in the registry.
EXAMPLE_MARK: Final = "示例行：导入时跳过"
# Beyond this many, errors are counted but not listed (a wrong file can have 100,000).
MAX_REPORTED_ERRORS: Final = 500
# A cell is quoted in a message by at most this many characters (a cell can hold 100 KB, and a
# file can repeat it in every row through one shared string).
QUOTE_CHARS: Final = 40
# Whatever builds them, an error's message and column are cut to these lengths.
MESSAGE_CHARS: Final = 300
COLUMN_CHARS: Final = 60


def quote(value: object) -> str:
    """A cell's text for a message: in full when short, else a prefix and its length."""
    text = str(value)
    if len(text) <= QUOTE_CHARS:
        return f"“{text}”"
    return f"“{text[:QUOTE_CHARS]}…”（共 {len(text)} 个字符）"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class RowError:
    """One problem: `row` as a spreadsheet shows it (header = 1), None for the whole file."""

    row: int | None
    column: str
    message: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "column", _cut(self.column, COLUMN_CHARS))
        object.__setattr__(self, "message", _cut(self.message, MESSAGE_CHARS))

    def __str__(self) -> str:
        if self.row is None:
            return self.message
        return f"row {self.row}, {self.column or '-'}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass(frozen=True)
class ImportResult:
    kind: str
    total_rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0  # every error found; `errors` lists at most MAX_REPORTED_ERRORS
    error_rows: int = 0  # how many rows have at least one error (file-wide errors not counted)
    dry_run: bool = True
    written: bool = False
    skipped_examples: tuple[int, ...] = ()  # rows marked EXAMPLE_MARK, not counted in total_rows
    notices: tuple[str, ...] = ()  # what the import also creates ("将新建区县：…")

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    @property
    def errors_not_listed(self) -> int:
        return self.error_count - len(self.errors)

    @property
    def error_summary(self) -> str:
        return error_summary(self.error_rows, self.error_count)

    @property
    def skipped_note(self) -> str:
        """ "已跳过示例行（第 2 行）", or "" when the file had no example row."""
        return skipped_note(self.skipped_examples)

    def summary(self) -> str:
        line = (
            f"{self.kind}: {self.total_rows} rows, created {self.created}, "
            f"updated {self.updated}, unchanged {self.unchanged}"
        )
        if self.skipped_examples:
            line += f" ({self.skipped_note})"
        for notice in self.notices:
            line += f" ({notice})"
        return f"{line} (--dry-run, 未写入)" if self.dry_run else line


def skipped_note(rows: tuple[int, ...]) -> str:
    if not rows:
        return ""
    numbers = "、".join(str(n) for n in rows)
    return f"已跳过示例行（第 {numbers} 行）"


def error_summary(error_rows: int, error_count: int) -> str:
    """ "3 行有误，共 5 处", or "共 1 处错误" when no row is named (the file as a whole)."""
    if error_rows:
        return f"{error_rows} 行有误，共 {error_count} 处"
    return f"共 {error_count} 处错误"


def _in_row_order(error: RowError) -> tuple[bool, int]:
    return error.row is not None, error.row or 0


class ErrorLog:
    """An import's errors as they are found, in bounded memory whatever their number: the
    MAX_REPORTED_ERRORS first in row order (file-wide errors first), how many there were, and
    which rows had any (a bit per row number). `len()` is the number found."""

    def __init__(self, errors: Iterable[RowError] = ()) -> None:
        self._kept: list[RowError] = []
        self._count = 0
        self._rows = bytearray()
        self._row_count = 0
        self.extend(errors)

    def append(self, error: RowError) -> None:
        self._count += 1
        if error.row is not None:
            byte, bit = divmod(error.row, 8)
            if byte >= len(self._rows):
                self._rows.extend(bytes(max(byte + 1 - len(self._rows), len(self._rows))))
            if not self._rows[byte] & (1 << bit):
                self._rows[byte] |= 1 << bit
                self._row_count += 1
        self._kept.append(error)
        if len(self._kept) >= 2 * MAX_REPORTED_ERRORS:
            self._kept = self.listed()

    def extend(self, errors: Iterable[RowError]) -> None:
        for error in errors:
            self.append(error)

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0

    def listed(self) -> list[RowError]:
        """The errors to show: the first MAX_REPORTED_ERRORS in row order."""
        return sorted(self._kept, key=_in_row_order)[:MAX_REPORTED_ERRORS]

    @property
    def rows(self) -> int:
        """How many rows have at least one error (file-wide errors are not counted)."""
        return self._row_count


@dataclass
class ParsedRow:
    """A data row's parsed cells. A row with cell errors (`valid` False) holds only the cells
    that parsed: planners still check its references, so that one pass reports every problem,
    but never write it."""

    number: int
    values: dict[str, Any]
    valid: bool = True

    def has(self, *names: str) -> bool:
        """Every one of `names` parsed to a value (asked many times per row: no generator)."""
        return None not in map(self.values.get, names)
