"""The SQL that keeps `RosterCount` (docs/rules.md "Kept current level", roster counters): the
triggers on `cities_enterprise`, and the recomputation from the roster that the migration's
back-fill, `verify_aggregates` and its `--fix` share.

The counters are maintained by the database, not by Python: a trigger fires in the transaction of
every write to the roster whatever issued it (the ORM, the import's COPY, the benchmark loaders,
the admin, a migration, SQL by hand), so no write path can forget them.

- PostgreSQL: one AFTER … FOR EACH STATEMENT trigger per event, with transition tables. A
  statement's rows are folded into one delta per key (+1 per new row, -1 per old row) and applied
  in one `INSERT … ON CONFLICT DO UPDATE`, keys in order, so that concurrent writers lock
  counter rows in the same order. TRUNCATE empties the counters.
- SQLite: row-level triggers (+1 for the new row, -1 for the old one). SQLite has no TRUNCATE;
  a DELETE without WHERE fires the delete trigger for every row, because a table with triggers
  never gets SQLite's truncate shortcut. A migration that rebuilds `cities_enterprise` on SQLite
  (Django copies it to a new table) drops its triggers: after every `migrate`,
  `reinstall_if_missing` (the app's post_migrate handler) puts them back and recounts.
"""

from __future__ import annotations

from typing import Any, Final

from sme_pilot.db_triggers import triggers_on

TABLE: Final = "cities_rostercount"
ROSTER: Final = "cities_enterprise"
KEY: Final = "city_id, sub_industry_id, district_id, above_scale, quality_tier, kept_level"


def key_of(alias: str) -> str:
    """The counter key of an enterprise row (`alias`): no district is 0, no kept level -1."""
    return (
        f"{alias}.city_id, {alias}.sub_industry_id, COALESCE({alias}.district_id, 0), "
        f"{alias}.above_scale, {alias}.quality_tier, COALESCE({alias}.kept_level, -1)"
    )


# The counters recomputed from the roster: one GROUP BY (the back-fill, verify, --fix).
RECOMPUTED: Final = (
    f"SELECT {key_of('e')}, COUNT(*) FROM {ROSTER} e "  # noqa: S608 (constants)
    "GROUP BY 1, 2, 3, 4, 5, 6"
)
REBUILD: Final = f"INSERT INTO {TABLE} ({KEY}, n) {RECOMPUTED} ORDER BY 1, 2, 3, 4, 5, 6"

# --- PostgreSQL --------------------------------------------------------------------------------


def _pg_apply(sources: list[tuple[str, int]]) -> str:
    """One statement folding the transition tables into per-key deltas and applying them."""
    parts = " UNION ALL ".join(
        f"SELECT {key_of('r')}, {sign} AS d FROM {table} r"  # noqa: S608 (constants)
        for table, sign in sources
    )
    return (
        f"INSERT INTO {TABLE} AS c ({KEY}, n) "  # noqa: S608 (constants)
        f"SELECT k1, k2, k3, k4, k5, k6, SUM(d) FROM ({parts}) AS delta(k1, k2, k3, k4, k5, k6, d) "
        "GROUP BY k1, k2, k3, k4, k5, k6 HAVING SUM(d) <> 0 "
        "ORDER BY k1, k2, k3, k4, k5, k6 "
        f"ON CONFLICT ({KEY}) DO UPDATE SET n = c.n + EXCLUDED.n"
    )


_PG_EVENTS: Final = {
    # trigger suffix: (event, REFERENCING clause, transition tables with their sign)
    "ins": ("INSERT", "REFERENCING NEW TABLE AS new_rows", [("new_rows", 1)]),
    "upd": (
        "UPDATE",
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
        [("old_rows", -1), ("new_rows", 1)],
    ),
    "del": ("DELETE", "REFERENCING OLD TABLE AS old_rows", [("old_rows", -1)]),
}


def _pg_install() -> list[str]:
    out = []
    for suffix, (event, referencing, sources) in _PG_EVENTS.items():
        function = f"{TABLE}_on_{suffix}"
        out.append(
            f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {_pg_apply(sources)}; RETURN NULL; END $$"
        )
        out.append(
            f"CREATE TRIGGER {ROSTER}_count_{suffix} AFTER {event} ON {ROSTER} {referencing} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        )
    out.append(
        f"CREATE OR REPLACE FUNCTION {TABLE}_on_truncate() RETURNS trigger "  # noqa: S608
        f"LANGUAGE plpgsql AS $$ BEGIN DELETE FROM {TABLE}; RETURN NULL; END $$"
    )
    out.append(
        f"CREATE TRIGGER {ROSTER}_count_truncate AFTER TRUNCATE ON {ROSTER} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_on_truncate()"
    )
    return out


def _pg_remove() -> list[str]:
    out = [
        f"DROP TRIGGER IF EXISTS {ROSTER}_count_{s} ON {ROSTER}" for s in (*_PG_EVENTS, "truncate")
    ]
    out += [f"DROP FUNCTION IF EXISTS {TABLE}_on_{s}()" for s in (*_PG_EVENTS, "truncate")]
    return out


# --- SQLite ------------------------------------------------------------------------------------


def _sqlite_match(row: str) -> str:
    return (
        f"city_id = {row}.city_id AND sub_industry_id = {row}.sub_industry_id "
        f"AND district_id = COALESCE({row}.district_id, 0) AND above_scale = {row}.above_scale "
        f"AND quality_tier = {row}.quality_tier AND kept_level = COALESCE({row}.kept_level, -1)"
    )


def _sqlite_add() -> str:
    return (
        f"INSERT OR IGNORE INTO {TABLE} ({KEY}, n) VALUES ("  # noqa: S608 (constants)
        "NEW.city_id, NEW.sub_industry_id, COALESCE(NEW.district_id, 0), NEW.above_scale, "
        "NEW.quality_tier, COALESCE(NEW.kept_level, -1), 0); "
        f"UPDATE {TABLE} SET n = n + 1 WHERE {_sqlite_match('NEW')};"
    )


def _sqlite_remove_one() -> str:
    return f"UPDATE {TABLE} SET n = n - 1 WHERE {_sqlite_match('OLD')};"  # noqa: S608


_KEY_COLUMNS: Final = (
    "city_id",
    "sub_industry_id",
    "district_id",
    "above_scale",
    "quality_tier",
    "kept_level",
)


def _sqlite_install() -> list[str]:
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in _KEY_COLUMNS)
    return [
        f"CREATE TRIGGER {ROSTER}_count_ins AFTER INSERT ON {ROSTER} BEGIN {_sqlite_add()} END",
        f"CREATE TRIGGER {ROSTER}_count_upd AFTER UPDATE OF {', '.join(_KEY_COLUMNS)} "
        f"ON {ROSTER} WHEN {changed} BEGIN {_sqlite_remove_one()} {_sqlite_add()} END",
        f"CREATE TRIGGER {ROSTER}_count_del AFTER DELETE ON {ROSTER} "
        f"BEGIN {_sqlite_remove_one()} END",
    ]


def _sqlite_remove() -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {ROSTER}_count_{s}" for s in ("ins", "upd", "del")]


# --- installing --------------------------------------------------------------------------------

TRIGGERS: Final = {
    "postgresql": [f"{ROSTER}_count_{s}" for s in ("ins", "upd", "del", "truncate")],
    "sqlite": [f"{ROSTER}_count_{s}" for s in ("ins", "upd", "del")],
}


def install(connection: Any) -> None:
    """Create the triggers, then fill the counters from the roster. On PostgreSQL, creating a
    trigger locks the roster against writes until the transaction ends, so no write falls
    between the two: the back-fill sees every row no trigger counted."""
    statements = _pg_install() if connection.vendor == "postgresql" else _sqlite_install()
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
        cursor.execute(f"DELETE FROM {TABLE}")  # noqa: S608 (constant)
        cursor.execute(REBUILD)


def missing(connection: Any) -> list[str]:
    """The counter triggers not (or no longer) on the roster table."""
    present = triggers_on(connection, ROSTER)
    return [name for name in TRIGGERS.get(connection.vendor, []) if name not in present]


def reinstall_if_missing(connection: Any) -> bool:
    """After migrating: a migration that rebuilt the roster table on SQLite (Django copies it to
    a new table) dropped its triggers; put them back and recount. True if anything was done."""
    if connection.vendor not in TRIGGERS or not missing(connection):
        return False
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    if ROSTER not in tables or TABLE not in tables:
        return False  # migrated backwards past the counters
    remove(connection)
    install(connection)
    return True


def remove(connection: Any) -> None:
    statements = _pg_remove() if connection.vendor == "postgresql" else _sqlite_remove()
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
