"""Bulk import of any registered kind (docs/rules.md §3.2): all or nothing, upserts, an audit trail.

`import_file` is the one entry point for the command, the pages, the API and the import jobs. It
reads the file a row at a time, parses each row, resolves references against the database in
bulk and writes, in one transaction that is undone unless every row was valid: a streaming kind
(`registry.Kind.streams`) a chunk of rows at a time, so memory does not grow with the file;
the others in one go. Importing the same file twice changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Final

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import policy
from accounts.models import User
from cities import signals
from cities.models import ImportJob

from . import columns, readers, registry
from .columns import HeaderMap, KindSpec
from .plans import Context, Notice, Scope
from .results import EXAMPLE_MARK, ErrorLog, ImportResult, ParsedRow, RowError
from .writers import PartWriter

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


def import_file(
    *,
    kind: str,
    content: readers.Source,
    actor: User | None,
    dry_run: bool,
    progress: Progress | None = None,
    max_rows: int | None = None,
) -> ImportResult:
    """Validate `content` (bytes, or a seekable binary file) as a `kind` file and, unless
    `dry_run` or any row is invalid, write it.

    `max_rows` bounds the rows read (uploads pass settings.IMPORT_MAX_ROWS; the management
    command, run by an administrator on the server, reads any size).
    """
    if kind not in registry.kinds():
        raise ValueError(f"unknown import kind {kind!r}")
    if kind not in importable_kinds(actor):
        label = registry.label(kind)
        error = RowError(None, "", f"您无权导入“{label}”数据")
        return ImportResult(kind=kind, errors=[error], error_count=1, dry_run=dry_run)
    try:
        table = readers.open_table(content, max_rows=max_rows)
    except readers.ImportFileError as exc:
        return _file_error(kind, exc, dry_run=dry_run)
    spec = registry.spec(kind)
    header, problems = columns.map_header(spec, table.header)
    if problems:
        errors = ErrorLog(RowError(table.header_row, p.column, p.message) for p in problems)
        try:
            total = sum(1 for _, cells in table.rows if EXAMPLE_MARK not in cells)
        except readers.ImportFileError as exc:
            return _file_error(kind, exc, dry_run=dry_run)
        return _result(kind, errors, total_rows=total, dry_run=dry_run)
    rows = _Rows(table, spec, header, scope_for(actor).city_code, progress)
    try:
        return _apply(rows, actor=actor, dry_run=dry_run, progress=progress)
    except readers.ImportFileError as exc:
        # The file broke off part-way (a malformed record, too many rows): nothing was kept.
        return _file_error(kind, exc, dry_run=dry_run)


def _file_error(kind: str, exc: readers.ImportFileError, *, dry_run: bool) -> ImportResult:
    return _result(kind, ErrorLog([RowError(None, "", str(exc))]), dry_run=dry_run)


def _result(kind: str, errors: ErrorLog, *, dry_run: bool, **counts: object) -> ImportResult:
    return ImportResult(
        kind=kind,
        errors=errors.listed(),
        error_count=len(errors),
        error_rows=errors.rows,
        dry_run=dry_run,
        **counts,  # type: ignore[arg-type]
    )


class _Rows:
    """A file's data rows, parsed (no database) chunk by chunk as they are read.

    Each row's cells are checked and its key against every earlier row's (only the keys are
    kept); a row marked as the template's example (`EXAMPLE_MARK` in one of its cells) is
    skipped and reported. A city official's empty 城市代码 cells are their own city
    (`Column.own_city`).
    """

    def __init__(
        self,
        table: readers.StreamedTable,
        spec: KindSpec,
        header: HeaderMap,
        own_city: str | None,
        progress: Progress | None,
    ) -> None:
        self.table, self.spec, self.header = table, spec, header
        self.own_city, self.progress = own_city, progress
        self.errors = ErrorLog()
        self.total = 0
        self.examples: list[int] = []

    def chunks(self, size: int | None) -> Iterator[list[ParsedRow]]:
        """Lists of at most `size` rows (None: one list of them all), in file order."""
        spec, errors = self.spec, self.errors
        estimate = self.table.estimated_rows
        seen: dict[object, int] = {}
        single = len(spec.key) == 1
        key_title = "、".join(self.header.title(name) for name in spec.key)
        parse_row = columns.row_parser(spec, self.header, own_city=self.own_city)
        chunk: list[ParsedRow] = []
        for number, cells in self.table.rows:
            if EXAMPLE_MARK in cells:
                self.examples.append(number)
                continue
            self.total += 1
            values, cell_problems = parse_row(cells)
            if cell_problems:
                errors.extend(RowError(number, p.column, p.message) for p in cell_problems)
            key = tuple(values.get(name) for name in spec.key)
            first = number
            if None not in key:
                first = seen.setdefault(key[0] if single else key, number)
            if first != number:
                errors.append(RowError(number, key_title, f"与第 {first} 行重复"))
            # Every row goes on to the planner, which checks the references of the cells that
            # did parse (so one pass reports every problem) and writes only valid rows.
            chunk.append(ParsedRow(number, values, valid=not cell_problems and first == number))
            if size is not None and len(chunk) >= size:
                yield chunk
                chunk = []
            if self.progress is not None and self.total % PROGRESS_EVERY == 0:
                self.progress(*_progress(self.total, estimate))
        if chunk:
            yield chunk


def _progress(done: int, estimate: int | None) -> tuple[int, str]:
    if estimate:
        return min(95, done * 95 // estimate), f"已处理 {done}/约 {estimate} 行"
    return 50, f"已处理 {done} 行"


def _apply(
    rows: _Rows, *, actor: User | None, dry_run: bool, progress: Progress | None
) -> ImportResult:
    """Plan and write the rows chunk by chunk, in one transaction undone unless every row
    was valid (and this is not a dry run)."""
    kind = registry.get(rows.spec.kind)
    now = timezone.now()
    errors = rows.errors
    ctx = Context(
        header=rows.header,
        scope=scope_for(actor),
        actor_id=actor.pk if actor is not None else None,
        now=now,
        errors=errors,
    )
    written = False
    created = updated = unchanged = 0
    notices: list[Notice] = []
    size = settings.IMPORT_CHUNK_ROWS if kind.streams else None
    try:
        with transaction.atomic():
            if progress is not None:
                progress(0, "正在读取文件")
            with PartWriter(actor=actor, reason=CHANGE_REASON, now=now) as writer:
                for chunk in rows.chunks(size):
                    writer.wait()  # the planner's look-ups need the connection
                    if writer.failure is not None:
                        # The transaction is lost: nothing more can be looked up, or kept.
                        writer.raise_failure()
                    plan = kind.plan(chunk, ctx)
                    if progress is not None and not dry_run and not errors:
                        percent, _ = _progress(rows.total, rows.table.estimated_rows)
                        progress(percent, f"正在写入：已核对 {rows.total} 行")
                    # A streaming planner's notices describe the file so far (`Context.memo`).
                    notices = plan.notices or notices
                    for part in plan.parts if plan.parts is not None else (plan,):
                        created, updated = created + len(part.creates), updated + len(part.updates)
                        unchanged += part.unchanged
                        if not dry_run and not errors and writer.failure is None:
                            writer.write(part)
            # A failure of the last part's write (the others stopped the loop).
            writer.raise_failure()
            if errors or dry_run:
                transaction.set_rollback(True)
            else:
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
    return _result(
        rows.spec.kind,
        errors,
        dry_run=dry_run,
        total_rows=rows.total,
        created=created,
        updated=updated,
        unchanged=unchanged,
        written=written,
        skipped_examples=tuple(rows.examples),
        notices=tuple(n.after if written else n.before for n in notices),
    )
