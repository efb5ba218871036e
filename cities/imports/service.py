"""Bulk import of any registered kind (docs/rules.md §3.2): all or nothing, upserts, an audit trail.

`import_file` is the one entry point for the command, the pages and the API. It reads the file,
parses every row, resolves references against the database in bulk, and writes nothing unless
every row is valid. Importing the same file twice changes nothing the second time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Final

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import policy
from accounts.models import User
from cities import signals
from cities.models import ImportJob

from . import columns, readers, registry
from .columns import HeaderMap, KindSpec
from .plans import Context, Notice, Plan, Scope
from .results import (
    EXAMPLE_MARK,
    ImportResult,
    ParsedRow,
    RowError,
    capped,
    rows_with_errors,
)
from .writers import PartWriter, write_plan

Progress = Callable[[int, str], None]

CHANGE_REASON: Final = "批量导入"
PROGRESS_EVERY: Final = 2000


def importable_kinds(actor: User | None) -> tuple[str, ...]:
    """The kinds `actor` may import; None (the management command) may import every kind."""
    return policy.import_kinds(
        actor,
        registry.kinds(),
        tuple(k for k in registry.kinds() if registry.get(k).city_officials),
    )


def scope_for(actor: User | None) -> Scope:
    if actor is None or policy.scope_of(actor).is_nation:
        return Scope()
    assert actor.city is not None
    return Scope(city_id=actor.city.pk, city_code=actor.city.code)


@dataclass(frozen=True)
class ParsedFile:
    """A file read and checked cell by cell, before any database lookup."""

    spec: KindSpec
    header: HeaderMap | None  # None when the file or its header could not be read
    rows: list[ParsedRow]
    total_rows: int
    errors: list[RowError]
    skipped_examples: tuple[int, ...] = ()  # the template's example rows, not read


def import_file(
    *,
    kind: str,
    content: bytes,
    actor: User | None,
    dry_run: bool,
    progress: Progress | None = None,
    max_rows: int | None = None,
) -> ImportResult:
    """Validate `content` as a `kind` file and, unless `dry_run` or any row is invalid, write it.

    `max_rows` bounds the rows read (uploads pass settings.IMPORT_MAX_ROWS; the management
    command, run by an administrator on the server, reads any size).
    """
    if kind not in registry.kinds():
        raise ValueError(f"unknown import kind {kind!r}")
    if kind not in importable_kinds(actor):
        label = registry.label(kind)
        error = RowError(None, "", f"您无权导入“{label}”数据")
        return ImportResult(kind=kind, errors=[error], error_count=1, dry_run=dry_run)
    parsed = parse_file(
        kind=kind, content=content, actor=actor, progress=progress, max_rows=max_rows
    )
    return apply_parsed(parsed, actor=actor, dry_run=dry_run, progress=progress)


def parse_file(
    *,
    kind: str,
    content: bytes,
    actor: User | None = None,
    progress: Progress | None = None,
    max_rows: int | None = None,
) -> ParsedFile:
    """Read and parse every row (no database): cell errors and duplicate keys.

    A city official's empty 城市代码 cells are their own city (`Column.own_city`). A row marked
    as the template's example (`EXAMPLE_MARK` in one of its cells) is skipped and reported.
    """
    spec = registry.spec(kind)
    own_city = scope_for(actor).city_code
    try:
        table = readers.read_table(content, max_rows=max_rows)
    except readers.ImportFileError as exc:
        return ParsedFile(spec, None, [], 0, [RowError(None, "", str(exc))])
    header, problems = columns.map_header(spec, table.header)
    if problems:
        header_errors = [RowError(table.header_row, p.column, p.message) for p in problems]
        return ParsedFile(spec, None, [], len(table.rows), header_errors)

    examples = tuple(number for number, cells in table.rows if EXAMPLE_MARK in cells)
    skip = set(examples)
    data_rows = [(number, cells) for number, cells in table.rows if number not in skip]
    total = len(data_rows)
    errors: list[RowError] = []
    rows: list[ParsedRow] = []
    seen: dict[tuple[object, ...], int] = {}
    key_title = "、".join(header.title(name) for name in spec.key)
    parse_row = columns.row_parser(spec, header, own_city=own_city)
    for index, (number, cells) in enumerate(data_rows, start=1):
        values, cell_problems = parse_row(cells)
        if cell_problems:
            errors.extend(RowError(number, p.column, p.message) for p in cell_problems)
        key = tuple(values.get(name) for name in spec.key)
        first = seen.setdefault(key, number) if None not in key else number
        if first != number:
            errors.append(RowError(number, key_title, f"与第 {first} 行重复"))
        # Every row goes on to the planner, which checks the references of the cells that did
        # parse (so one pass reports every problem) and writes only valid rows.
        rows.append(ParsedRow(number, values, valid=not cell_problems and first == number))
        if progress is not None and index % PROGRESS_EVERY == 0:
            progress(index * 50 // total, f"已校验 {index}/{total} 行")
    return ParsedFile(spec, header, rows, total, errors, examples)


def _write_parts(
    parts: Iterator[Plan], ctx: Context, *, actor: User | None, now: dt.datetime, write: bool
) -> tuple[int, int, int]:
    """Plan the parts and, while the file is still valid and `write`, write each one as soon as
    it is planned (`PartWriter`: on PostgreSQL while the next is planned). A write that failed
    is raised only if the whole file turned out valid: the rows' errors are the better answer,
    and nothing of the file is kept either way. Returns the counts created, updated, unchanged."""
    created = updated = unchanged = 0
    with PartWriter(actor=actor, reason=CHANGE_REASON, now=now) as writer:
        for part in parts:
            created, updated = created + len(part.creates), updated + len(part.updates)
            unchanged += part.unchanged
            if write and not ctx.errors and writer.failure is None:
                writer.write(part)
    if write and not ctx.errors:
        writer.raise_failure()
    return created, updated, unchanged


def apply_parsed(
    parsed: ParsedFile,
    *,
    actor: User | None,
    dry_run: bool,
    progress: Progress | None = None,
) -> ImportResult:
    """Resolve references, count, and write if everything is valid; in one transaction."""
    kind = parsed.spec.kind
    if parsed.header is None:
        listed, count = capped(parsed.errors)
        return ImportResult(
            kind=kind,
            total_rows=parsed.total_rows,
            errors=listed,
            error_count=count,
            error_rows=rows_with_errors(parsed.errors),
            dry_run=dry_run,
            skipped_examples=parsed.skipped_examples,
        )
    errors = list(parsed.errors)
    now = timezone.now()
    ctx = Context(
        header=parsed.header,
        scope=scope_for(actor),
        actor_id=actor.pk if actor is not None else None,
        now=now,
        errors=errors,
    )
    written = False
    created = updated = unchanged = 0
    notices: list[Notice] = []
    try:
        with transaction.atomic():
            if progress is not None:
                progress(55, "正在核对数据库中的已有数据")
            plan = registry.get(kind).plan(parsed.rows, ctx)
            notices = plan.notices
            if plan.parts is not None:
                if progress is not None and not errors and not dry_run:
                    progress(60, f"正在核对并写入 {len(parsed.rows)} 行")
                created, updated, unchanged = _write_parts(
                    plan.parts, ctx, actor=actor, now=now, write=not errors and not dry_run
                )
                if errors or dry_run:
                    # Parts written before a later part's error was found go with the rest.
                    transaction.set_rollback(True)
            else:
                created, updated, unchanged = len(plan.creates), len(plan.updates), plan.unchanged
            if not errors and not dry_run:
                if plan.parts is None:
                    if progress is not None:
                        progress(70, f"正在写入 {len(plan.creates) + len(plan.updates)} 行")
                    write_plan(plan, actor=actor, reason=CHANGE_REASON, now=now)
                if plan.then is not None:
                    plan.then()
                written = True
                # A city official's import touches only their city; an administrator's (or the
                # command's) may touch any city, including the list of cities.
                city_id = ctx.scope.city_id
                signals.registry_changed.send(
                    sender=ImportJob, city_ids=None if city_id is None else [city_id]
                )
    except IntegrityError:
        # Someone wrote a conflicting row between our check and our write; nothing was written.
        errors.append(RowError(None, "", "导入期间数据被同时修改，本次未写入任何数据，请重新导入"))
        written = False
    if progress is not None:
        progress(100, "导入完成" if written else "校验完成")
    listed, count = capped(errors)
    return ImportResult(
        kind=kind,
        total_rows=parsed.total_rows,
        created=created,
        updated=updated,
        unchanged=unchanged,
        errors=listed,
        error_count=count,
        error_rows=rows_with_errors(errors),
        dry_run=dry_run,
        written=written,
        skipped_examples=parsed.skipped_examples,
        notices=tuple(n.after if written else n.before for n in notices),
    )
