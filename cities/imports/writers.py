"""Write a Plan and its audit trail (django-simple-history rows), on SQLite and PostgreSQL.

On PostgreSQL rows go in through COPY (primary keys taken from the table's sequence first),
updates through a temporary table and one `UPDATE … FROM`; the history rows are then copied by
the database from the rows just written (`INSERT … SELECT`). Elsewhere the ORM's bulk
operations with simple-history's helpers do the same job. Both write the same rows; callers hold
the transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from operator import itemgetter
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from psycopg.types.json import Jsonb
from simple_history.utils import (
    bulk_create_with_history,
    bulk_update_with_history,
    get_history_model_for_model,
)

from accounts.models import User

from .plans import Plan, array_literal

ORM_BATCH_SIZE = 500
HISTORY_CREATED = "+"
HISTORY_CHANGED = "~"


Rows = tuple[list[dict[str, Any]], list[dict[str, Any]]]  # every column of creates, updates


def write_plan(plan: Plan, *, actor: User | None, reason: str, now: dt.datetime) -> None:
    if plan.before_write is not None:
        plan.before_write(plan)
    _write_rows(plan, _complete(plan, now), actor=actor, reason=reason, now=now)


def _complete(plan: Plan, now: dt.datetime) -> Rows:
    """The plan's rows with every column (no query)."""
    complete = _completer(plan.model, now)
    creates = [complete(values) for values in plan.creates]
    return creates, [_touch(plan.model, values, now) for values in plan.updates]


def _write_rows(
    plan: Plan, rows: Rows, *, actor: User | None, reason: str, now: dt.datetime
) -> None:
    creates, updates = rows
    fields = _changed_fields(plan)
    if connection.vendor == "postgresql":
        if creates:
            _pg_insert(plan.model, creates, actor=actor, reason=reason, now=now)
            # `creates` are completed copies of the plan's rows, one each in order: hand the
            # new keys back to the plan's own rows (`Plan.creates`), for its `then`.
            pk = plan.model._meta.pk
            assert pk is not None
            for values, row in zip(plan.creates, creates, strict=True):
                values[pk.attname] = row[pk.attname]
        if updates:
            _pg_update(plan.model, updates, fields, actor=actor, reason=reason, now=now)
        return
    if creates:
        bulk_create_with_history(
            [plan.model(**values) for values in creates],
            plan.model,
            batch_size=ORM_BATCH_SIZE,
            default_user=actor,
            default_change_reason=reason,
            default_date=now,
        )
    if updates:
        by_attname = {f.attname: f.name for f in plan.model._meta.concrete_fields}
        bulk_update_with_history(
            [plan.model(**values) for values in updates],
            plan.model,
            [by_attname[a] for a in fields],
            batch_size=ORM_BATCH_SIZE,
            default_user=actor,
            default_change_reason=reason,
            default_date=now,
        )


class PartWriter:
    """Writes the parts of a plan (`Plan.parts`), in order, while the planner produces the next.

    On PostgreSQL the parts are written by a thread of their own on the import's connection (in
    its transaction): the database works on one part (COPY, history, what `then` writes) while
    Python reads and checks the next rows (waiting on the database releases the GIL). The
    connection is never used by both threads at once: producing a part makes no query
    (`Plan.parts`), and the caller makes none until the writer has finished (`wait`, or leaving
    the `with` block). Elsewhere each part is written when it is handed over. The foreign keys
    stay deferred to the commit, as for any other write.

    A failure stops the writing of later parts and is kept, not raised: the caller decides
    (`raise_failure`) whether it matters, i.e. whether the file turned out valid after all.
    """

    def __init__(self, *, actor: User | None, reason: str, now: dt.datetime) -> None:
        self._actor, self._reason, self._now = actor, reason, now
        self._executor: ThreadPoolExecutor | None = None
        self._shared: Any = None  # the DatabaseWrapper lent to the writing thread
        self._pending: Future[None] | None = None
        self.failure: BaseException | None = None

    def __enter__(self) -> PartWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
            self._shared.dec_thread_sharing()

    def write(self, part: Plan) -> None:
        if connection.vendor != "postgresql":
            self._write(part, None)
            return
        # The rows' columns are completed here, not in the writing thread, which is the busier
        # one (unless `before_write` has to fill some in first).
        rows = _complete(part, self._now) if part.before_write is None else None
        if self._executor is None:
            self._shared = connections[DEFAULT_DB_ALIAS]
            self._shared.inc_thread_sharing()
            self._executor = ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="import-writer", initializer=self._adopt
            )
        self._pending = self._executor.submit(self._write, part, rows)

    def wait(self) -> None:
        """Return once every part handed over is written (or failed): the connection is the
        caller's again, for its next look-ups."""
        if self._pending is not None:
            self._pending.result()
            self._pending = None

    def raise_failure(self) -> None:
        if self.failure is not None:
            raise self.failure

    def _adopt(self) -> None:
        connections[DEFAULT_DB_ALIAS] = self._shared

    def _write(self, part: Plan, rows: Rows | None) -> None:
        if self.failure is not None:
            return  # the transaction is lost already
        try:
            if rows is None:
                write_plan(part, actor=self._actor, reason=self._reason, now=self._now)
            else:
                _write_rows(part, rows, actor=self._actor, reason=self._reason, now=self._now)
            if part.then is not None:
                part.then()
        except BaseException as exc:  # handed to the importing thread
            self.failure = exc


def _changed_fields(plan: Plan) -> list[str]:
    auto_now = [
        f.attname
        for f in plan.model._meta.concrete_fields
        if getattr(f, "auto_now", False) and f.attname not in plan.update_fields
    ]
    return [*plan.update_fields, *auto_now]


def _completer(
    model: type[models.Model], now: dt.datetime
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Every column of a new row: given values, timestamps, then the fields' defaults (worked
    out once per plan; a callable default is still called for each row)."""
    columns: list[tuple[str, Callable[[], Any] | None, Any]] = []
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            columns.append((f.attname, None, now))
        elif f.has_default() and callable(f.default):
            columns.append((f.attname, f.get_default, None))
        else:
            columns.append((f.attname, None, f.get_default()))

    def complete(values: dict[str, Any]) -> dict[str, Any]:
        return {
            name: values[name] if name in values else (default() if default else constant)
            for name, default, constant in columns
        }

    return complete


def _touch(model: type[models.Model], values: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    row = dict(values)
    for f in model._meta.concrete_fields:
        if getattr(f, "auto_now", False):
            row[f.attname] = now
    return row


def _history_enabled() -> bool:
    return bool(getattr(settings, "SIMPLE_HISTORY_ENABLED", True))


def _column(f: models.Field[Any, Any]) -> str:
    assert f.column is not None
    return f.column


def _copy(
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    json_columns: Sequence[int] = (),
) -> None:
    """COPY `rows` into `table`; `json_columns` are the positions of its JSON columns."""
    qn = connection.ops.quote_name
    sql = f"COPY {qn(table)} ({', '.join(qn(c) for c in columns)}) FROM STDIN"
    # The raw psycopg cursor bypasses Django's error translation: restore it, so a unique
    # violation is an IntegrityError here as it is on the ORM path.
    with (
        connection.wrap_database_errors,
        connection.cursor() as cursor,
        cursor.cursor.copy(sql) as copy,  # type: ignore[attr-defined]
    ):
        write = copy.write_row
        if not json_columns:
            for row in rows:
                write(row)
            return
        for row in rows:
            values = list(row)
            for index in json_columns:
                values[index] = _adapt(values[index])
            write(values)


def _json_columns(fields: Sequence[models.Field[Any, Any]]) -> list[int]:
    """Positions of the JSON columns among `fields` (their values need psycopg's Jsonb)."""
    return [i for i, f in enumerate(fields) if isinstance(f, models.JSONField)]


def _adapt(value: Any) -> Any:
    """JSON columns (dict/list values) need psycopg's Jsonb wrapper when written by COPY.

    An empty container (the default of most JSON columns, e.g. the pipeline state a projects
    import leaves alone) goes as its JSON text, which the server parses: dumping each one cost as
    much as the rest of its row."""
    if isinstance(value, dict):
        return Jsonb(value) if value else "{}"
    if isinstance(value, list):
        return Jsonb(value) if value else "[]"
    return value


def _pg_insert(
    model: type[models.Model],
    rows: list[dict[str, Any]],
    *,
    actor: User | None,
    reason: str,
    now: dt.datetime,
) -> None:
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [connection.ops.quote_name(meta.db_table), _column(pk), len(rows)],
        )
        ids = [r[0] for r in cursor.fetchall()]
    for row, pk_value in zip(rows, ids, strict=True):
        row[pk.attname] = pk_value
    fields = meta.concrete_fields
    names = [_column(f) for f in fields]
    attnames = [f.attname for f in fields]
    # itemgetter of several names returns a tuple (of one name, the bare value).
    row_values = itemgetter(*attnames) if len(attnames) > 1 else lambda r: (r[attnames[0]],)
    _copy(meta.db_table, names, [row_values(r) for r in rows], _json_columns(fields))
    _pg_history(model, ids, actor=actor, reason=reason, now=now, kind=HISTORY_CREATED)


def _pg_update(
    model: type[models.Model],
    rows: list[dict[str, Any]],
    fields: list[str],
    *,
    actor: User | None,
    reason: str,
    now: dt.datetime,
) -> None:
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    qn = connection.ops.quote_name
    by_attname = {f.attname: f for f in meta.concrete_fields}
    table, temp = qn(meta.db_table), qn("import_update")
    cols = [_column(pk), *(_column(by_attname[a]) for a in fields)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {temp} AS SELECT {', '.join(qn(c) for c in cols)} "  # noqa: S608
            f"FROM {table} WITH NO DATA"
        )
    copied = [pk, *(by_attname[a] for a in fields)]
    _copy(
        "import_update",
        cols,
        [[r[pk.attname], *(r[a] for a in fields)] for r in rows],
        _json_columns(copied),
    )
    assignments = ", ".join(f"{qn(c)} = t.{qn(c)}" for c in cols[1:])
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {assignments} FROM {temp} AS t "  # noqa: S608
            f"WHERE {table}.{qn(cols[0])} = t.{qn(cols[0])}"
        )
        cursor.execute(f"DROP TABLE {temp}")
    ids = [r[pk.attname] for r in rows]
    _pg_history(model, ids, actor=actor, reason=reason, now=now, kind=HISTORY_CHANGED)


def _pg_history(
    model: type[models.Model],
    ids: list[Any],
    *,
    actor: User | None,
    reason: str,
    now: dt.datetime,
    kind: str,
) -> None:
    """One history row per written row, copied by the database from the rows just written
    (`INSERT … SELECT`): the same values, without sending every row a second time."""
    if not _history_enabled() or not ids:
        return
    qn = connection.ops.quote_name
    history_model = get_history_model_for_model(model)
    tracked = {f.attname for f in history_model.tracked_fields}  # type: ignore[attr-defined]
    columns = {f.attname: _column(f) for f in model._meta.concrete_fields}
    fixed: dict[str, Any] = {
        "history_date": now,
        "history_change_reason": reason,
        "history_type": kind,
        "history_user_id": actor.pk if actor is not None else None,
    }
    names: list[str] = []
    values: list[str] = []
    params: list[Any] = []
    for f in history_model._meta.concrete_fields:
        if f.primary_key:
            continue
        names.append(qn(_column(f)))
        if f.attname in tracked:
            values.append(f"t.{qn(columns[f.attname])}")
        else:
            value = fixed[f.attname] if f.attname in fixed else f.get_default()
            values.append(f"%s::{f.cast_db_type(connection)}")
            params.append(_adapt(value))
    pk = model._meta.pk
    assert pk is not None
    key = f"t.{qn(_column(pk))}"
    cast, array = array_literal(ids)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {qn(history_model._meta.db_table)} ({', '.join(names)}) "  # noqa: S608
            f"SELECT {', '.join(values)} FROM {qn(model._meta.db_table)} AS t "
            f"WHERE {key} = ANY(%s{cast}) ORDER BY {key}",
            [*params, array],
        )
