"""The SQL that keeps `LevelMonthCount` (docs/rules.md "Kept level history"): the triggers on
`assessments_assessment` and on `cities_enterprise`, and the recount that the migration's
back-fill, `verify_aggregates` and its `--fix` share.

Each confirmed assessment is, in its enterprise's history, a span of months at its level: from
the month it is dated to the month of the enterprise's next confirmed assessment (in
`EARLIEST_FIRST` order; open when there is none). `refresh_current_level`, which every write of
confirmed assessments calls, keeps that span's end and whether the assessment is the
enterprise's first on the assessment row (`kept_to_month`, `kept_first`; both NULL on a row
that is not confirmed). A row whose `kept_first` is set adds, under its enterprise's key (city,
sub-industry, scope, quality tier):
- kind 0 (SPANS), at (level, month it is dated): +1; at (level, `kept_to_month`): -1;
- kind 1 (BASELINES), if first: at (level, month it is dated): +1.
So the enterprises at a level at a month's end are the running sum of kind 0 up to that month,
and the baselines are kind 1. Every contribution is one row's own, so the counters are a sum
over rows, kept like the other counters: per statement on PostgreSQL (transition tables, one
folded, ordered `INSERT … ON CONFLICT DO UPDATE`), per row on SQLite.

- A write to the assessments subtracts the old rows and adds the new ones, each under its
  enterprise's current key.
- A write to the roster that changes an enterprise's key moves its assessments' contributions
  (a row trigger with a WHEN on the four key columns: the frequent updates that move nothing,
  such as the kept level, fire nothing). Deleting an enterprise subtracts what its assessments
  still add (only possible with their foreign key deferred; in the ORM's order they are gone
  first). Inserting one adds nothing: an assessment adds only once `refresh_current_level`
  has set its `kept_first`, which it does with the enterprise row locked, so after it exists.
"""

from __future__ import annotations

from typing import Any, Final

from sme_pilot.db_triggers import missing_triggers, month_sql

TABLE: Final = "assessments_levelmonthcount"
ASSESSMENTS: Final = "assessments_assessment"
ROSTER: Final = "cities_enterprise"
KEY_COLUMNS: Final = (
    "city_id",
    "sub_industry_id",
    "above_scale",
    "quality_tier",
    "kind",
    "level",
    "month",
)
KEY: Final = ", ".join(KEY_COLUMNS)
_K: Final = ", ".join(f"k{i}" for i in range(1, len(KEY_COLUMNS) + 1))
SPANS: Final = 0
BASELINES: Final = 1
ENTERPRISE_KEY: Final = ("city_id", "sub_industry_id", "above_scale", "quality_tier")
# The assessment columns a contribution reads.
CONTRIBUTING: Final = ("enterprise_id", "level", "assessed_on", "kept_first", "kept_to_month")


def _source(key: str, row: str, tables: str, match: str) -> str:
    """A SELECT of the contributing rows of `tables` joined on `match`: the enterprise key
    columns from alias or row `key`, the assessment columns from `row`."""
    keys = ", ".join(f"{key}.{c} AS e{i}" for i, c in enumerate(ENTERPRISE_KEY))
    return (
        f"SELECT {keys}, {row}.level AS a_level, {row}.assessed_on AS a_on, "  # noqa: S608
        f"{row}.kept_first AS a_first, {row}.kept_to_month AS a_to FROM {tables} "
        f"WHERE {match} AND {row}.kept_first IS NOT NULL AND {row}.level IS NOT NULL"
    )


def _contributions(source: str, sign: str, vendor: str) -> str:
    """The rows (k1 … k7, d) that the assessments of `source` add to the counters, times
    `sign`: three SELECTs (SQLite has neither LATERAL nor a WITH inside a trigger)."""
    month = month_sql("s.a_on", vendor)
    keys = "s.e0, s.e1, s.e2, s.e3"
    named = "s.e0 AS k1, s.e1 AS k2, s.e2 AS k3, s.e3 AS k4"
    return (
        f"SELECT {named}, {SPANS} AS k5, s.a_level AS k6, {month} AS k7, {sign} AS d "  # noqa: S608
        f"FROM ({source}) s "
        f"UNION ALL SELECT {keys}, {SPANS}, s.a_level, s.a_to, -({sign}) FROM ({source}) s "
        "WHERE s.a_to IS NOT NULL "
        f"UNION ALL SELECT {keys}, {BASELINES}, s.a_level, {month}, {sign} FROM ({source}) s "
        "WHERE s.a_first"
    )


def _apply(parts: list[str]) -> str:
    """One statement folding `parts` into per-key deltas, applied in key order (PostgreSQL and
    SQLite alike: both have this UPSERT; `WHERE true` keeps SQLite's parser off the ON)."""
    return (
        f"INSERT INTO {TABLE} ({KEY}, n) SELECT {_K}, SUM(d) "  # noqa: S608 (constants)
        f"FROM ({' UNION ALL '.join(parts)}) AS delta WHERE true GROUP BY {_K} "
        f"HAVING SUM(d) <> 0 ORDER BY {_K} "
        f"ON CONFLICT ({KEY}) DO UPDATE SET n = {TABLE}.n + excluded.n"
    )


def _of_rows(rows: str, sign: str, vendor: str) -> str:
    """Assessment rows `rows` (a table: the assessments or a transition table)."""
    return _contributions(
        _source("e", "r", f"{rows} r, {ROSTER} e", "e.id = r.enterprise_id"),
        sign,
        vendor,
    )


def _of_enterprise(row: str, sign: str, vendor: str) -> str:
    """The assessments of enterprise `row` (OLD or NEW, or a transition table's alias `r`),
    under that row's key."""
    return _contributions(
        _source(row, "a", f"{ASSESSMENTS} a", f"a.enterprise_id = {row}.id"),
        sign,
        vendor,
    )


RECOMPUTED: Final = {
    vendor: (
        f"SELECT {_K}, SUM(d) FROM ({_of_rows(ASSESSMENTS, '1', vendor)}) AS c "  # noqa: S608
        f"WHERE true GROUP BY {_K} HAVING SUM(d) <> 0"
    )
    for vendor in ("postgresql", "sqlite")
}


def rebuild(connection: Any, cursor: Any) -> None:
    """Replace the counters with a recount of the assessments' kept spans."""
    cursor.execute(f"DELETE FROM {TABLE}")  # noqa: S608 (constant)
    cursor.execute(f"INSERT INTO {TABLE} ({KEY}, n) {RECOMPUTED[connection.vendor]} ORDER BY {_K}")


# --- PostgreSQL --------------------------------------------------------------------------------

_MOVED: Final = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in ENTERPRISE_KEY)
_PG: Final = "postgresql"
_PG_TRIGGERS: Final = {
    # name: (table, timing and event, REFERENCING clause or "", FOR EACH …, the delta's parts)
    f"{ASSESSMENTS}_levels_ins": (
        ASSESSMENTS,
        "AFTER INSERT",
        "REFERENCING NEW TABLE AS new_rows",
        "STATEMENT",
        [_of_rows("new_rows", "1", _PG)],
    ),
    f"{ASSESSMENTS}_levels_upd": (
        ASSESSMENTS,
        "AFTER UPDATE",
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "STATEMENT",
        [_of_rows("old_rows", "-1", _PG), _of_rows("new_rows", "1", _PG)],
    ),
    f"{ASSESSMENTS}_levels_del": (
        ASSESSMENTS,
        "AFTER DELETE",
        "REFERENCING OLD TABLE AS old_rows",
        "STATEMENT",
        [_of_rows("old_rows", "-1", _PG)],
    ),
    f"{ROSTER}_levels_upd": (
        ROSTER,
        f"AFTER UPDATE OF {', '.join(ENTERPRISE_KEY)}",
        "",
        f"ROW WHEN ({_MOVED})",
        [_of_enterprise("OLD", "-1", _PG), _of_enterprise("NEW", "1", _PG)],
    ),
    f"{ROSTER}_levels_del": (
        ROSTER,
        "AFTER DELETE",
        "REFERENCING OLD TABLE AS old_rows",
        "STATEMENT",
        [
            _contributions(
                _source("r", "a", f"old_rows r, {ASSESSMENTS} a", "a.enterprise_id = r.id"),
                "-1",
                _PG,
            )
        ],
    ),
}
_PG_TRUNCATE: Final = f"{ASSESSMENTS}_levels_truncate"


def _pg_guard(referencing: str) -> str:
    """A cheap test that the statement's transition rows hold a row with a span: the statement
    that folds them is planned on every call (its tables are the call's own), ~3 ms, which a
    self-assessment's autosave need not pay."""
    tables = [t for t in ("old_rows", "new_rows") if f"AS {t}" in referencing]
    exists = "EXISTS (SELECT 1 FROM {} WHERE kept_first IS NOT NULL)"
    return " OR ".join(exists.format(t) for t in tables)


def _pg_install() -> list[str]:
    out = []
    for name, (table, event, referencing, each, parts) in _PG_TRIGGERS.items():
        body = f"{_apply(parts)};"
        if table == ASSESSMENTS:
            body = f"IF {_pg_guard(referencing)} THEN {body} END IF;"
        out.append(
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {body} RETURN NULL; END $$"
        )
        out.append(
            f"CREATE TRIGGER {name} {event} ON {table} {referencing} "
            f"FOR EACH {each} EXECUTE FUNCTION {name}()"
        )
    out.append(
        f"CREATE OR REPLACE FUNCTION {_PG_TRUNCATE}() RETURNS trigger "  # noqa: S608
        f"LANGUAGE plpgsql AS $$ BEGIN DELETE FROM {TABLE}; RETURN NULL; END $$"
    )
    out.append(
        f"CREATE TRIGGER {_PG_TRUNCATE} AFTER TRUNCATE ON {ASSESSMENTS} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {_PG_TRUNCATE}()"
    )
    return out


def _pg_remove() -> list[str]:
    out = [
        f"DROP TRIGGER IF EXISTS {name} ON {table}" for name, (table, *_) in _PG_TRIGGERS.items()
    ]
    out.append(f"DROP TRIGGER IF EXISTS {_PG_TRUNCATE} ON {ASSESSMENTS}")
    out += [f"DROP FUNCTION IF EXISTS {name}()" for name in (*_PG_TRIGGERS, _PG_TRUNCATE)]
    return out


# --- SQLite ------------------------------------------------------------------------------------

_LITE: Final = "sqlite"


def _sqlite_row(row: str, sign: str) -> str:
    """The assessment row `row` (NEW or OLD) under its enterprise's key (none: nothing)."""
    return _contributions(
        _source("e", row, f"{ROSTER} e", f"e.id = {row}.enterprise_id"), sign, _LITE
    )


_SQLITE_MOVED: Final = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in ENTERPRISE_KEY)
_SQLITE_TRIGGERS: Final = {
    # name: (when, the delta's parts)
    f"{ASSESSMENTS}_levels_ins": (
        f"AFTER INSERT ON {ASSESSMENTS} WHEN NEW.kept_first IS NOT NULL",
        [_sqlite_row("NEW", "1")],
    ),
    f"{ASSESSMENTS}_levels_upd": (
        f"AFTER UPDATE OF {', '.join(CONTRIBUTING)} ON {ASSESSMENTS} "
        "WHEN OLD.kept_first IS NOT NULL OR NEW.kept_first IS NOT NULL",
        [_sqlite_row("OLD", "-1"), _sqlite_row("NEW", "1")],
    ),
    f"{ASSESSMENTS}_levels_del": (
        f"AFTER DELETE ON {ASSESSMENTS} WHEN OLD.kept_first IS NOT NULL",
        [_sqlite_row("OLD", "-1")],
    ),
    f"{ROSTER}_levels_upd": (
        f"AFTER UPDATE OF {', '.join(ENTERPRISE_KEY)} ON {ROSTER} WHEN {_SQLITE_MOVED}",
        [_of_enterprise("OLD", "-1", _LITE), _of_enterprise("NEW", "1", _LITE)],
    ),
    f"{ROSTER}_levels_del": (
        f"AFTER DELETE ON {ROSTER}",
        [_of_enterprise("OLD", "-1", _LITE)],
    ),
}


def _sqlite_install() -> list[str]:
    return [
        f"CREATE TRIGGER {name} {when} BEGIN {_apply(parts)}; END"
        for name, (when, parts) in _SQLITE_TRIGGERS.items()
    ]


def _sqlite_remove() -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {name}" for name in _SQLITE_TRIGGERS]


# --- installing --------------------------------------------------------------------------------

TRIGGERS: Final = {
    "postgresql": {
        ASSESSMENTS: [
            *(n for n, (t, *_) in _PG_TRIGGERS.items() if t == ASSESSMENTS),
            _PG_TRUNCATE,
        ],
        ROSTER: [n for n, (t, *_) in _PG_TRIGGERS.items() if t == ROSTER],
    },
    "sqlite": {
        table: [n for n in _SQLITE_TRIGGERS if n.startswith(f"{table}_")]
        for table in (ASSESSMENTS, ROSTER)
    },
}


def install(connection: Any) -> None:
    """Recompute every assessment's kept span, create the triggers, then fill the counters. On
    PostgreSQL the two tables are locked against writes first, until the transaction ends: no
    write falls between the three. The spans are written before the triggers exist, so that
    rewriting every assessment fires none of them."""
    from .services import refresh_spans  # the writers' own SQL

    statements = _pg_install() if connection.vendor == "postgresql" else _sqlite_install()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {ASSESSMENTS}, {ROSTER} IN SHARE ROW EXCLUSIVE MODE")
        refresh_spans(None)
        for sql in statements:
            cursor.execute(sql)
        rebuild(connection, cursor)


def remove(connection: Any) -> None:
    statements = _pg_remove() if connection.vendor == "postgresql" else _sqlite_remove()
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def missing(connection: Any) -> list[str]:
    """The counter triggers not (or no longer) on their tables."""
    return missing_triggers(connection, TRIGGERS)


def reinstall_if_missing(connection: Any) -> bool:
    """After migrating: a migration that rebuilt either table on SQLite (Django copies it to a
    new table) dropped its triggers; put them back and recount. True if anything was done."""
    if connection.vendor not in TRIGGERS:
        return False
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        if not {ASSESSMENTS, ROSTER, TABLE} <= set(tables) or not missing(connection):
            return False  # migrated backwards past the counters, or nothing to do
        columns = {
            c.name for c in connection.introspection.get_table_description(cursor, ASSESSMENTS)
        }
    if not {"kept_first", "kept_to_month"} <= columns:
        return False
    remove(connection)
    install(connection)
    return True
