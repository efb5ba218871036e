"""Columns of an import kind (docs/rules.md §3.2) and the parsing of one cell. No database.

Each app declares its kinds' columns with these (`cities.imports.kinds`, `assessments.imports`).

A header cell may be the English name (any case) or the Chinese name. Unknown columns are an
error, so that a misspelt optional column is reported instead of silently ignored; a column
with an empty header cell is ignored as long as its cells are empty too. A kind may name
read-only columns (`KindSpec.ignored`, e.g. the current level in the exported roster) whose
header is accepted and whose cells are ignored, so that an exported file imports back as is.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from django.db import models

from cities import uscc as uscc_rules

from .results import quote


class CellError(ValueError):
    """A cell's value is invalid; the message says why, in Chinese."""


Parser = Callable[[str], object]


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    parse: Parser
    required: bool = True  # the column must be in the header
    blank: bool = False  # an empty cell is allowed and becomes `empty`
    empty: object = None
    # An empty cell means the importing city official's own city (an administrator must fill it).
    own_city: bool = False
    # For people: what the column means, an example value, and the allowed values (Chinese
    # labels) of an enumerated column; shown on the upload page and in the XLSX templates.
    help: str = ""
    example: str = ""
    options: tuple[str, ...] = ()

    @property
    def display(self) -> str:
        return f"{self.name}（{self.label}）"

    @property
    def requirement(self) -> str:
        """Whether the column and its cells are required, in Chinese."""
        if not self.required:
            return "选填（可省略此列）"
        if self.blank:
            return "选填（列必须有，值可为空）"
        if self.own_city:
            return "必填（城市官员可留空，表示本市）"
        return "必填"


@dataclass(frozen=True)
class KindSpec:
    kind: str
    label: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    # Headers of read-only columns a file may carry (an export's extra facts): their cells are
    # never read, whatever they hold.
    ignored: tuple[str, ...] = ()

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


@dataclass(frozen=True)
class HeaderMap:
    """Where each known column is in the file, and the header text the file uses for it."""

    positions: dict[str, int]
    titles: dict[str, str]
    width: int
    unnamed: tuple[int, ...] = field(default=())

    def title(self, name: str) -> str:
        return self.titles.get(name, name)


@dataclass(frozen=True)
class CellProblem:
    column: str  # the header text as in the file
    message: str


# --- cell parsers --------------------------------------------------------------------------


def text(max_length: int) -> Parser:
    def parse(value: str) -> str:
        if len(value) > max_length:
            raise CellError(f"长度不能超过 {max_length} 个字符（当前 {len(value)} 个）")
        return value

    return parse


def max_length(model: type[models.Model], name: str) -> int:
    model_field = model._meta.get_field(name)
    assert isinstance(model_field, models.Field) and model_field.max_length is not None
    return model_field.max_length


_TRUE: Final = frozenset({"是", "true", "1", "yes", "y"})
_FALSE: Final = frozenset({"否", "false", "0", "no", "n"})


BOOLEAN_OPTIONS: Final = ("是", "否")


def boolean(value: str) -> bool:
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise CellError(f"无法识别{quote(value)}：请填写 是/否、true/false、1/0 或 yes/no")


def choice(choices: type[models.TextChoices]) -> Parser:
    by_text: dict[str, str] = {}
    for code, label in choices.choices:
        by_text[str(code).lower()] = str(code)
        by_text[str(label)] = str(code)
    allowed = allowed_values(choices)

    def parse(value: str) -> str:
        found = by_text.get(value) or by_text.get(value.lower())
        if found is None:
            raise CellError(f"无效的值{quote(value)}，{allowed}")
        return found

    return parse


def labels(choices: type[models.TextChoices]) -> tuple[str, ...]:
    return tuple(str(label) for label in choices.labels)


def allowed_values(choices: type[models.TextChoices]) -> str:
    """ "可选：无、创新型中小企业、…（也可填代码：none、innovative、…）": Chinese labels first."""
    codes = "、".join(str(code) for code in choices.values)
    return f"可选：{'、'.join(labels(choices))}（也可填代码：{codes}）"


_ISO_DATE: Final = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@functools.lru_cache(maxsize=4096)  # a file's dates repeat: a few hundred distinct days
def iso_date(value: str) -> dt.date:
    if _ISO_DATE.match(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise CellError(f"日期{quote(value)}不存在") from None
    raise CellError(f"日期格式错误{quote(value)}：应为 YYYY-MM-DD，例如 2024-03-05")


def year(value: str) -> int:
    if not re.fullmatch(r"\d{4}", value):
        raise CellError(f"年份格式错误{quote(value)}：应为四位数字，例如 2024")
    return int(value)


@functools.lru_cache(maxsize=4096)  # the providers' codes repeat row after row
def uscc(value: str) -> str:
    try:
        return uscc_rules.validate(value)
    except uscc_rules.USCCError as exc:
        raise CellError(str(exc)) from None


def map_header(spec: KindSpec, header: tuple[str, ...]) -> tuple[HeaderMap, list[CellProblem]]:
    """Match header cells to the kind's columns; problems name the columns concerned."""
    lookup: dict[str, str] = {}
    for column in spec.columns:
        lookup[column.name.lower()] = column.name
        lookup[column.label] = column.name
    positions: dict[str, int] = {}
    titles: dict[str, str] = {}
    unnamed: list[int] = []
    problems: list[CellProblem] = []
    unknown: list[str] = []
    for index, title in enumerate(header):
        if not title:
            unnamed.append(index)
            continue
        if title in spec.ignored:
            continue
        name = lookup.get(title) or lookup.get(title.lower())
        if name is None:
            unknown.append(title)
        elif name in positions:
            problems.append(CellProblem(title, f"列重复：与{quote(titles[name])}是同一列"))
        else:
            positions[name], titles[name] = index, title
    missing = [c for c in spec.columns if c.required and c.name not in positions]
    if missing and not positions:
        expected = "、".join(c.display for c in spec.columns)
        problems.append(CellProblem("", f"第一行不是{spec.label}的表头：应包含列 {expected}"))
        return HeaderMap(positions, titles, len(header), tuple(unnamed)), problems
    for column in missing:
        problems.append(CellProblem(column.display, f"缺少必填列 {column.display}"))
    if unknown:
        expected = "、".join(c.display for c in spec.columns)
        for title in unknown:
            problems.append(
                CellProblem(title, f"未知的列{quote(title)}：{spec.label}的列为 {expected}")
            )
    return HeaderMap(positions, titles, len(header), tuple(unnamed)), problems


OWN_CITY_ONLY: Final = "不能为空：系统管理员导入时必须填写城市代码（城市官员可留空，表示本市）"


RowParser = Callable[[tuple[str, ...]], tuple[dict[str, object], list[CellProblem]]]


def parse_row(
    spec: KindSpec, header: HeaderMap, cells: tuple[str, ...], *, own_city: str | None = None
) -> tuple[dict[str, object], list[CellProblem]]:
    """Each present column's parsed value, and the problems of this row's cells.

    `own_city` is the importing city official's city code: an empty `own_city` column means it.
    """
    return row_parser(spec, header, own_city=own_city)(cells)


def row_parser(spec: KindSpec, header: HeaderMap, *, own_city: str | None = None) -> RowParser:
    """`parse_row` for one file: the columns' positions and titles are looked up once."""
    present = [
        (column, header.positions[column.name], header.title(column.name))
        for column in spec.columns
        if column.name in header.positions
    ]
    width = header.width
    unnamed = header.unnamed

    def parse(cells: tuple[str, ...]) -> tuple[dict[str, object], list[CellProblem]]:
        values: dict[str, object] = {}
        problems: list[CellProblem] = []
        count = len(cells)
        if count > width and any(cells[width:]):
            problems.append(CellProblem("", f"该行有 {count} 列，多于表头的 {width} 列"))
        for index in unnamed:
            if index < count and cells[index]:
                problems.append(
                    CellProblem(f"第 {index + 1} 列", "该列没有列名，但这一行在该列有内容")
                )
        for column, position, title in present:
            raw = cells[position] if position < count else ""
            if not raw:
                if column.own_city:
                    if own_city is not None:
                        values[column.name] = own_city
                    else:
                        problems.append(CellProblem(title, OWN_CITY_ONLY))
                elif column.blank:
                    values[column.name] = column.empty
                else:
                    problems.append(CellProblem(title, "不能为空"))
                continue
            try:
                values[column.name] = column.parse(raw)
            except CellError as exc:
                problems.append(CellProblem(title, str(exc)))
        return values, problems

    return parse
