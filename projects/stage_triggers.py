"""The SQL that keeps `ProjectCount` (docs/rules.md "Kept project counters"): the triggers on
`projects_project` and on `cities_enterprise`, and the recount from the projects that the
migration's back-fill, `verify_aggregates` and its `--fix` share.

A project counts under its enterprise's key (city × sub-industry × district, no district 0) in
every stage and outcome whose date it has. The key lives on the enterprise row, the dates on the
project row, so both tables carry triggers:

- a write to `projects_project` subtracts the old rows' dates and adds the new rows', each under
  the key its enterprise has now;
- a write to `cities_enterprise` that moves an enterprise to another key (city, sub-industry or
  district) moves its project's dates with it; inserting or deleting an enterprise adds or
  subtracts its project's (only possible with the project's foreign key deferred to the commit,
  as Django creates it: whichever of the two rows is written second finds the other missing and
  does nothing, the first one counts). An update that changes no key (a confirmation rewriting
  `kept_level`, say) moves nothing.

As for the roster counters (`cities/roster_triggers.py`), the database keeps them, not Python, so
no write path (the pipeline, the import's COPY and UPDATE, the admin, SQL by hand) can forget
them. PostgreSQL: statement-level triggers with transition tables, one folded `INSERT … ON
CONFLICT DO UPDATE` per statement, keys in order; TRUNCATE empties the counters. SQLite:
row-level triggers; `reinstall_if_missing` puts them back after a migration rebuilt a table.

"Reached by today" is "has the date": no write path accepts a stage or outcome date after the
day it is written (`projects.rules.future_date_errors`), so a date once written is on or before
every later today. `as_of` in the past is computed from the dates as before.
"""

from __future__ import annotations

from typing import Any, Final

from assessments.choices import Method, Purpose, State
from sme_pilot.db_triggers import missing_triggers, month_sql

from . import rules

TABLE: Final = "projects_projectcount"
PROJECTS: Final = "projects_project"
ROSTER: Final = "cities_enterprise"
KEY_COLUMNS: Final = ("city_id", "sub_industry_id", "district_id")
KEY: Final = ", ".join(KEY_COLUMNS)

# (counter column, the project's date it counts): the ten stages, then the three outcomes.
COUNTED: Final[tuple[tuple[str, str], ...]] = (
    *((stage.value, rules.date_field(stage)) for stage in rules.STAGES),
    ("rejected", "rejected_on"),
    ("acceptance_failed", "acceptance_failed_on"),
    ("withdrawn", "withdrawn_on"),
)
# (counter column, the date that counts the project in, the amount it adds): the subsidies in
# integer fen (cents), so that sums are exact on every database (SQLite has no exact decimal).
SUMMED: Final[tuple[tuple[str, str, tuple[str, ...]], ...]] = (
    ("subsidy_approved_fen", "subsidy_approved_on", ("subsidy_central", "subsidy_local")),
    ("subsidy_paid_central_fen", "subsidy_paid_on", ("subsidy_central",)),
    ("subsidy_paid_local_fen", "subsidy_paid_on", ("subsidy_local",)),
)
# (counter column, the work queue it counts, its condition on project row `{p}`): the queues of
# the city-scoped roles (`projects.selectors.queues`, the same conditions written in SQL; a test
# holds the two equal), so the navigation's 待办 badge is a read of a few counter rows.
_LIVE: Final = "{p}.withdrawn_on IS NULL AND {p}.rejected_on IS NULL"
_APPLICATION_WAITING: Final = (
    f"{_LIVE} AND {{p}}.applied_on IS NOT NULL AND {{p}}.admitted_on IS NULL"
)
_ACCEPTANCE_OPEN: Final = (
    f"{_LIVE} AND {{p}}.acceptance_applied_on IS NOT NULL AND {{p}}.accepted_on IS NULL "
    "AND ({p}.acceptance_failed_on IS NULL OR {p}.acceptance_attempts > {p}.failed_attempts)"
)
WAITING: Final[tuple[tuple[str, str, str], ...]] = (
    (
        "waiting_review_applications",
        "review_applications",
        f"{_APPLICATION_WAITING} AND {{p}}.application_reviewed_at IS NULL",
    ),
    (
        "waiting_review_acceptances",
        "review_acceptances",
        f"{_ACCEPTANCE_OPEN} AND {{p}}.acceptance_reviewed_at IS NULL",
    ),
    (
        "waiting_admit",
        "admit",
        f"{_APPLICATION_WAITING} AND {{p}}.application_reviewed_at IS NOT NULL",
    ),
    (
        "waiting_diagnose",
        "diagnose",
        f"{_LIVE} AND {{p}}.admitted_on IS NOT NULL AND {{p}}.diagnosed_on IS NULL "
        "AND {p}.diagnosis_provider_id IS NULL",
    ),
    (
        "waiting_filings",
        "filings",
        f"{_LIVE} AND {{p}}.filing_state = 'submitted' AND {{p}}.contract_filed_on IS NULL",
    ),
    (
        "waiting_schedule",
        "schedule",
        f"{_ACCEPTANCE_OPEN} AND {{p}}.acceptance_reviewed_at IS NOT NULL "
        "AND {p}.acceptance_scheduled_on IS NULL",
    ),
    (
        "waiting_record_acceptance",
        "record_acceptance",
        f"{_ACCEPTANCE_OPEN} AND {{p}}.acceptance_scheduled_on IS NOT NULL",
    ),
    (
        "waiting_approve_subsidy",
        "approve_subsidy",
        "{p}.accepted_on IS NOT NULL AND {p}.subsidy_approved_on IS NULL",
    ),
    (
        "waiting_pay_subsidy",
        "pay_subsidy",
        "{p}.subsidy_approved_on IS NOT NULL AND {p}.subsidy_paid_on IS NULL",
    ),
)
# The columns besides the dates that a queue's condition reads (SQLite's update trigger lists
# the columns it fires on).
_WAITING_FIELDS: Final = (
    "application_reviewed_at",
    "acceptance_reviewed_at",
    "acceptance_scheduled_on",
    "acceptance_attempts",
    "failed_attempts",
    "diagnosis_provider_id",
    "filing_state",
)
# (counter column, condition on project row `{p}`, what the row adds when it holds): the
# accepted projects' level uplift from their kept levels ("Kept project levels" below) and their
# satisfaction, summed and counted (the national scorecard's two means).
_UPLIFT_KNOWN: Final = (
    "{p}.accepted_on IS NOT NULL AND {p}.kept_baseline_level IS NOT NULL "
    "AND {p}.kept_after_level IS NOT NULL"
)
_RATED: Final = "{p}.accepted_on IS NOT NULL AND {p}.satisfaction IS NOT NULL"
ACCEPTED_MEANS: Final[tuple[tuple[str, str, str], ...]] = (
    ("uplift_sum", _UPLIFT_KNOWN, "{p}.kept_after_level - {p}.kept_baseline_level"),
    ("uplifts", _UPLIFT_KNOWN, "1"),
    ("satisfaction_sum", _RATED, "{p}.satisfaction"),
    ("satisfactions", _RATED, "1"),
)
COLUMNS: Final[tuple[str, ...]] = (
    *(column for column, _ in COUNTED),
    *(column for column, _, _ in SUMMED),
    *(column for column, _, _ in WAITING),
    *(column for column, _, _ in ACCEPTED_MEANS),
)
_COLS: Final = ", ".join(COLUMNS)


def _fen(p: str, amounts: tuple[str, ...], vendor: str) -> str:
    """The sum of project row `p`'s `amounts` in yuan (NULL: 0), as integer fen."""
    total = " + ".join(f"COALESCE({p}.{a}, 0)" for a in amounts)
    if vendor == "postgresql":
        return f"(({total}) * 100)::bigint"
    return f"CAST(ROUND(({total}) * 100) AS INTEGER)"


def _values(p: str, vendor: str) -> list[str]:
    """Per counter column, the SQL of what one project row `p` adds to it (before its sign)."""
    out = [f"CASE WHEN {p}.{field} IS NULL THEN 0 ELSE 1 END" for _, field in COUNTED]
    for _, field, amounts in SUMMED:
        out.append(f"CASE WHEN {p}.{field} IS NULL THEN 0 ELSE {_fen(p, amounts, vendor)} END")
    out += [f"CASE WHEN {condition.format(p=p)} THEN 1 ELSE 0 END" for _, _, condition in WAITING]
    out += [
        f"CASE WHEN {condition.format(p=p)} THEN {value.format(p=p)} ELSE 0 END"
        for _, condition, value in ACCEPTED_MEANS
    ]
    return out


def _key_of(alias: str) -> str:
    return f"{alias}.city_id, {alias}.sub_industry_id, COALESCE({alias}.district_id, 0)"


def _flags(project: str, sign: str) -> str:
    """Per counter column (PostgreSQL): what the project row adds, times `sign`."""
    return ", ".join(f"{sign} * ({value})" for value in _values(project, "postgresql"))


def recomputed(vendor: str) -> str:
    """The counters recounted from the projects: one GROUP BY (the back-fill, verify, --fix)."""
    return (
        f"SELECT {_key_of('e')}, "  # noqa: S608 (constants)
        + ", ".join(f"SUM({value})" for value in _values("p", vendor))
        + f" FROM {PROJECTS} p JOIN {ROSTER} e ON e.id = p.enterprise_id GROUP BY 1, 2, 3"
    )


def rebuild_sql(vendor: str) -> str:
    return f"INSERT INTO {TABLE} ({KEY}, {_COLS}) {recomputed(vendor)} ORDER BY 1, 2, 3"


# --- the kept project levels (docs/rules.md "Kept project levels") ----------------------------

ASSESSMENTS: Final = "assessments_assessment"
KEPT_LEVELS: Final = ("kept_baseline_level", "kept_after_level")
# Written to `kept_after_level` by the assessments' triggers on PostgreSQL: a value no level has,
# so the projects' BEFORE trigger always fires and puts both levels right.
STALE: Final = -1
_ONSITE: Final = f"a.state = '{State.CONFIRMED}' AND a.method = '{Method.ONSITE}'"
# An assessment row that can be a project's baseline or after level.
_LEVEL_ROW: Final = (
    f"{{a}}.state = '{State.CONFIRMED}' AND {{a}}.method = '{Method.ONSITE}' "
    f"AND {{a}}.purpose IN ('{Purpose.BASELINE}', '{Purpose.POST}')"
)
# The assessment columns a project's kept levels read.
_LEVEL_COLUMNS: Final = (
    "enterprise_id",
    "state",
    "method",
    "purpose",
    "level",
    "assessed_on",
    "confirmed_at",
)
# The project columns they read (and the kept levels themselves: a write of either, a stale
# `save()` say, is recomputed).
_PROJECT_LEVEL_COLUMNS: Final = ("enterprise_id", "completed_on", "accepted_on", *KEPT_LEVELS)


def baseline_sql(enterprise: str) -> str:
    """SQL: the level of the earliest confirmed on-site baseline assessment of the enterprise
    whose id is `enterprise` (`provider_scores.baseline_level`, not bounded by a date: no
    assessment is dated after the day it is written)."""
    return (
        f"(SELECT a.level FROM {ASSESSMENTS} a WHERE a.enterprise_id = {enterprise} "  # noqa: S608
        f"AND {_ONSITE} AND a.purpose = '{Purpose.BASELINE}' "
        "ORDER BY a.assessed_on, a.confirmed_at, a.id LIMIT 1)"
    )


def after_sql(p: str) -> str:
    """SQL: the after-level of project row `p` once it is accepted
    (`provider_scores.after_level_of`): its enterprise's latest confirmed on-site post
    assessment dated from completion to acceptance."""
    latest = (
        f"SELECT a.level FROM {ASSESSMENTS} a WHERE a.enterprise_id = {p}.enterprise_id "  # noqa: S608
        f"AND {_ONSITE} AND a.purpose = '{Purpose.POST}' "
        f"AND a.assessed_on >= {p}.completed_on AND a.assessed_on <= {p}.accepted_on "
        "ORDER BY a.assessed_on DESC, a.confirmed_at DESC NULLS LAST, a.id DESC LIMIT 1"
    )
    return (
        f"CASE WHEN {p}.accepted_on IS NOT NULL AND {p}.completed_on IS NOT NULL "
        f"THEN ({latest}) END"
    )


def refill_levels(cursor: Any) -> None:
    """Recompute every project's kept levels (the install, before the triggers exist)."""
    cursor.execute(
        f"UPDATE {PROJECTS} SET kept_baseline_level = "  # noqa: S608 (constants)
        f"{baseline_sql(f'{PROJECTS}.enterprise_id')}, kept_after_level = {after_sql(PROJECTS)}"
    )


# --- the day counters (`ProjectDayCount`) ---------------------------------------------------------

DAYS: Final = "projects_projectdaycount"
DAY_KEY: Final = "city_id, sub_industry_id, district_id, kind, value"
EPOCH: Final = "2000-01-01"  # kinds 0 and 1 keep a date as its days since this one
AWAITING_COMPLETION: Final = 0  # not completed, not withdrawn: value = planned completion date
AWAITING_ACCEPTANCE: Final = 1  # completed, acceptance not applied for, not withdrawn: value =
#                                 the completion date
# Kinds 2…10: stage `kind - 1` (admitted … subsidy_paid) reached; value = its days since the
# previous stage's date. Kept per city only (sub-industry and district 0): the medians are.
FIRST_DURATION: Final = 2
DURATION_KINDS: Final[tuple[int, ...]] = tuple(range(FIRST_DURATION, FIRST_DURATION + 9))
# Kinds 11…13, per city only: the subsidies paid, by the month of `subsidy_paid_on` (value:
# year × 12 + month − 1): `n` is the number of projects paid that month (11), or the sum of
# their central (12) or local (13) subsidy in fen. The funds chart's monthly payments.
PAID_PROJECTS: Final = 11
PAID_CENTRAL_FEN: Final = 12
PAID_LOCAL_FEN: Final = 13
PAID_KINDS: Final[tuple[int, ...]] = (PAID_PROJECTS, PAID_CENTRAL_FEN, PAID_LOCAL_FEN)


def _day_values(p: str, vendor: str) -> list[tuple[int, str, str]]:
    """(kind, the value's SQL for project row `p`, NULL when the row has none of that kind, and
    what the row adds to `n`: 1, or for kinds 12 and 13 an amount in fen)."""

    def days(later: str, earlier: str) -> str:
        if vendor == "postgresql":
            return f"({later} - {earlier})"
        return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"

    epoch = f"DATE '{EPOCH}'" if vendor == "postgresql" else f"'{EPOCH}'"
    out = [
        (
            AWAITING_COMPLETION,
            f"CASE WHEN {p}.completed_on IS NULL AND {p}.withdrawn_on IS NULL "
            f"THEN {days(f'{p}.planned_completion_on', epoch)} END",
        ),
        (
            AWAITING_ACCEPTANCE,
            f"CASE WHEN {p}.acceptance_applied_on IS NULL AND {p}.withdrawn_on IS NULL "
            f"THEN {days(f'{p}.completed_on', epoch)} END",
        ),
    ]
    fields = rules.STAGE_FIELDS
    for i in range(1, len(fields)):
        out.append((FIRST_DURATION + i - 1, days(f"{p}.{fields[i]}", f"{p}.{fields[i - 1]}")))
    month = month_sql(f"{p}.subsidy_paid_on", vendor)
    return [
        *((kind, value, "1") for kind, value in out),
        (PAID_PROJECTS, month, "1"),
        (PAID_CENTRAL_FEN, month, _fen(p, ("subsidy_central",), vendor)),
        (PAID_LOCAL_FEN, month, _fen(p, ("subsidy_local",), vendor)),
    ]


def _day_key(e: str, kind: str) -> str:
    """The day counter's key columns for enterprise row `e`: durations per city only."""
    return (
        f"{e}.city_id, CASE WHEN {kind} < {FIRST_DURATION} THEN {e}.sub_industry_id ELSE 0 END, "
        f"CASE WHEN {kind} < {FIRST_DURATION} THEN COALESCE({e}.district_id, 0) ELSE 0 END"
    )


def day_recomputed(vendor: str) -> str:
    """The day counters recounted from the projects: one GROUP BY over a UNION ALL per kind
    (portable SQL: SQLite has neither LATERAL nor column lists on a derived table)."""

    def key(kind: int) -> str:
        if kind < FIRST_DURATION:
            return "e.city_id AS k1, e.sub_industry_id AS k2, COALESCE(e.district_id, 0) AS k3"
        return "e.city_id AS k1, 0 AS k2, 0 AS k3"

    parts = " UNION ALL ".join(
        f"SELECT {key(kind)}, {kind} AS k4, {value} AS k5, {weight} AS k6 "  # noqa: S608
        f"FROM {PROJECTS} p JOIN {ROSTER} e ON e.id = p.enterprise_id WHERE {value} IS NOT NULL"
        for kind, value, weight in _day_values("p", vendor)
    )
    return (
        f"SELECT k1, k2, k3, k4, k5, SUM(k6) FROM ({parts}) AS d "  # noqa: S608 (constants)
        "GROUP BY k1, k2, k3, k4, k5"
    )


def day_rebuild(vendor: str) -> str:
    return f"INSERT INTO {DAYS} ({DAY_KEY}, n) {day_recomputed(vendor)} ORDER BY 1, 2, 3, 4, 5"


# --- PostgreSQL --------------------------------------------------------------------------------

_D: Final = [f"d{i}" for i in range(len(COLUMNS))]


def _pg_apply(parts: list[str]) -> str:
    """One statement folding the rows of `parts` (each: key, then one delta per column) into
    per-key deltas and applying them, keys in order."""
    sums = ", ".join(f"SUM({d})" for d in _D)
    return (
        f"INSERT INTO {TABLE} AS c ({KEY}, {_COLS}) "  # noqa: S608 (constants)
        f"SELECT k1, k2, k3, {sums} FROM ({' UNION ALL '.join(parts)}) "
        f"AS delta(k1, k2, k3, {', '.join(_D)}) "
        f"GROUP BY k1, k2, k3 HAVING {' OR '.join(f'SUM({d}) <> 0' for d in _D)} "
        "ORDER BY k1, k2, k3 "
        f"ON CONFLICT ({KEY}) DO UPDATE SET "
        + ", ".join(f"{c} = c.{c} + EXCLUDED.{c}" for c in COLUMNS)
    )


# A source of a statement's delta: (transition table, sign, "projects" or "roster", extra join).
Source = tuple[str, str, str, str]


def _from(source: Source) -> tuple[str, str, str]:
    """(FROM clause, the enterprise's alias, the project's alias) of `source`: transition rows of
    the projects under their enterprise's current key, or transition rows of the roster with the
    project each one has."""
    rows, _, side, where = source
    if side == "projects":
        return f"{rows} r JOIN {ROSTER} e ON e.id = r.enterprise_id{where}", "e", "r"
    return f"{rows} r JOIN {PROJECTS} p ON p.enterprise_id = r.id{where}", "r", "p"


def _counts_part(source: Source) -> str:
    joined, e, p = _from(source)
    return f"SELECT {_key_of(e)}, {_flags(p, source[1])} FROM {joined}"  # noqa: S608


def _days_part(source: Source) -> str:
    joined, e, p = _from(source)
    values = ", ".join(
        f"({kind}, {value}, {weight}::bigint)"
        for kind, value, weight in _day_values(p, "postgresql")
    )
    return (
        f"SELECT {_day_key(e, 'v.kind')}, v.kind, v.value, {source[1]} * v.weight "  # noqa: S608
        f"FROM {joined} CROSS JOIN LATERAL (VALUES {values}) AS v(kind, value, weight) "
        "WHERE v.value IS NOT NULL"
    )


def _pg_apply_days(parts: list[str]) -> str:
    return (
        f"INSERT INTO {DAYS} AS c ({DAY_KEY}, n) "  # noqa: S608 (constants)
        f"SELECT k1, k2, k3, k4, k5, SUM(d) FROM ({' UNION ALL '.join(parts)}) "
        "AS delta(k1, k2, k3, k4, k5, d) GROUP BY k1, k2, k3, k4, k5 HAVING SUM(d) <> 0 "
        "ORDER BY k1, k2, k3, k4, k5 "
        f"ON CONFLICT ({DAY_KEY}) DO UPDATE SET n = c.n + EXCLUDED.n"
    )


def _pg_body(sources: list[Source]) -> str:
    return (
        f"{_pg_apply([_counts_part(s) for s in sources])}; "
        f"{_pg_apply_days([_days_part(s) for s in sources])};"
    )


# An enterprise row whose key changed: the old and the new row of the same id.
_MOVED: Final = (
    " JOIN (SELECT o.id FROM old_rows o JOIN new_rows n ON n.id = o.id "
    "WHERE o.city_id <> n.city_id OR o.sub_industry_id <> n.sub_industry_id "
    "OR o.district_id IS DISTINCT FROM n.district_id) m ON m.id = r.id"
)

_PG_TRIGGERS: Final = {
    # name: (table, event, REFERENCING clause, the sources of the delta)
    f"{PROJECTS}_count_ins": (
        PROJECTS,
        "INSERT",
        "REFERENCING NEW TABLE AS new_rows",
        [("new_rows", "1", "projects", "")],
    ),
    f"{PROJECTS}_count_upd": (
        PROJECTS,
        "UPDATE",
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
        [("old_rows", "-1", "projects", ""), ("new_rows", "1", "projects", "")],
    ),
    f"{PROJECTS}_count_del": (
        PROJECTS,
        "DELETE",
        "REFERENCING OLD TABLE AS old_rows",
        [("old_rows", "-1", "projects", "")],
    ),
    f"{ROSTER}_project_count_ins": (
        ROSTER,
        "INSERT",
        "REFERENCING NEW TABLE AS new_rows",
        [("new_rows", "1", "roster", "")],
    ),
    f"{ROSTER}_project_count_upd": (
        ROSTER,
        "UPDATE",
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
        [("old_rows", "-1", "roster", _MOVED), ("new_rows", "1", "roster", _MOVED)],
    ),
    f"{ROSTER}_project_count_del": (
        ROSTER,
        "DELETE",
        "REFERENCING OLD TABLE AS old_rows",
        [("old_rows", "-1", "roster", "")],
    ),
}
_PG_TRUNCATE: Final = f"{PROJECTS}_count_truncate"

# The kept levels: a BEFORE row trigger on the projects computes them into the row being written
# (on insert, and on an update that changes what they read), so the counters' transition tables
# already hold them; the assessments' statement triggers mark the projects of the enterprises
# whose level rows changed (STALE), which fires it.
_PG_KEPT: Final = f"{PROJECTS}_kept_levels"


def _row(alias: str, columns: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"{alias}.{c}" for c in columns) + ")"


def _touch(enterprises: str) -> str:
    """Mark the projects of the enterprise ids `enterprises` (a SELECT) STALE, in id order."""
    return (
        f"UPDATE {PROJECTS} p SET kept_after_level = {STALE} "  # noqa: S608 (constants)
        f"FROM (SELECT id FROM {PROJECTS} WHERE enterprise_id IN ({enterprises}) "
        "ORDER BY id FOR NO KEY UPDATE) t WHERE p.id = t.id"
    )


def _level_rows(rows: str) -> str:
    return f"SELECT r.enterprise_id FROM {rows} r WHERE {_LEVEL_ROW.format(a='r')}"  # noqa: S608


_CHANGED_LEVEL_ROWS: Final = (
    "SELECT x.e FROM old_rows o"  # noqa: S608 (constants)
    " JOIN new_rows n ON n.id = o.id "
    "CROSS JOIN LATERAL (VALUES (o.enterprise_id), (n.enterprise_id)) AS x(e) "
    f"WHERE {_row('o', _LEVEL_COLUMNS)} IS DISTINCT FROM {_row('n', _LEVEL_COLUMNS)} "
    f"AND ({_LEVEL_ROW.format(a='o')} OR {_LEVEL_ROW.format(a='n')})"
)
_PG_LEVEL_TRIGGERS: Final = {
    # name: (event, REFERENCING clause, the enterprises whose projects to mark)
    f"{ASSESSMENTS}_kept_ins": ("INSERT", "NEW TABLE AS new_rows", _level_rows("new_rows")),
    f"{ASSESSMENTS}_kept_upd": (
        "UPDATE",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        _CHANGED_LEVEL_ROWS,
    ),
    f"{ASSESSMENTS}_kept_del": ("DELETE", "OLD TABLE AS old_rows", _level_rows("old_rows")),
}


def _pg_level_guard(referencing: str) -> str:
    """A cheap test that the statement touched a level row at all: the marking statement is
    planned on every call (its tables are the call's own), which a self-assessment's autosave
    need not pay."""
    tables = [t for t in ("old_rows", "new_rows") if f"AS {t}" in referencing]
    return " OR ".join(f"EXISTS ({_level_rows(t)})" for t in tables)


_PG_LEVEL_TRUNCATE: Final = f"{ASSESSMENTS}_kept_truncate"


def _pg_kept_install() -> list[str]:
    out = [
        f"CREATE OR REPLACE FUNCTION {_PG_KEPT}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"NEW.kept_baseline_level := {baseline_sql('NEW.enterprise_id')}; "
        f"NEW.kept_after_level := {after_sql('NEW')}; RETURN NEW; END $$",
        f"CREATE TRIGGER {_PG_KEPT}_ins BEFORE INSERT ON {PROJECTS} "
        f"FOR EACH ROW EXECUTE FUNCTION {_PG_KEPT}()",
        f"CREATE TRIGGER {_PG_KEPT}_upd BEFORE UPDATE ON {PROJECTS} FOR EACH ROW "
        f"WHEN ({_row('OLD', _PROJECT_LEVEL_COLUMNS)} IS DISTINCT FROM "
        f"{_row('NEW', _PROJECT_LEVEL_COLUMNS)}) EXECUTE FUNCTION {_PG_KEPT}()",
    ]
    for name, (event, referencing, enterprises) in _PG_LEVEL_TRIGGERS.items():
        out.append(
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN IF {_pg_level_guard(referencing)} THEN {_touch(enterprises)}; END IF; "
            "RETURN NULL; END $$"
        )
        out.append(
            f"CREATE TRIGGER {name} AFTER {event} ON {ASSESSMENTS} REFERENCING {referencing} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )
    out.append(
        f"CREATE OR REPLACE FUNCTION {_PG_LEVEL_TRUNCATE}() RETURNS trigger "  # noqa: S608
        f"LANGUAGE plpgsql AS $$ BEGIN UPDATE {PROJECTS} SET kept_after_level = {STALE} "
        "WHERE kept_baseline_level IS NOT NULL OR kept_after_level IS NOT NULL; "
        "RETURN NULL; END $$"
    )
    out.append(
        f"CREATE TRIGGER {_PG_LEVEL_TRUNCATE} AFTER TRUNCATE ON {ASSESSMENTS} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {_PG_LEVEL_TRUNCATE}()"
    )
    return out


def _pg_kept_remove() -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {_PG_KEPT}_ins ON {PROJECTS}",
        f"DROP TRIGGER IF EXISTS {_PG_KEPT}_upd ON {PROJECTS}",
        *(f"DROP TRIGGER IF EXISTS {name} ON {ASSESSMENTS}" for name in _PG_LEVEL_TRIGGERS),
        f"DROP TRIGGER IF EXISTS {_PG_LEVEL_TRUNCATE} ON {ASSESSMENTS}",
        *(
            f"DROP FUNCTION IF EXISTS {name}()"
            for name in (_PG_KEPT, *_PG_LEVEL_TRIGGERS, _PG_LEVEL_TRUNCATE)
        ),
    ]


def _pg_install() -> list[str]:
    out = []
    for name, (table, event, referencing, sources) in _PG_TRIGGERS.items():
        out.append(
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {_pg_body(sources)} RETURN NULL; END $$"
        )
        out.append(
            f"CREATE TRIGGER {name} AFTER {event} ON {table} {referencing} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )
    out.append(
        f"CREATE OR REPLACE FUNCTION {_PG_TRUNCATE}() RETURNS trigger "  # noqa: S608
        f"LANGUAGE plpgsql AS $$ BEGIN DELETE FROM {TABLE}; DELETE FROM {DAYS}; RETURN NULL; END $$"
    )
    out.append(
        f"CREATE TRIGGER {_PG_TRUNCATE} AFTER TRUNCATE ON {PROJECTS} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {_PG_TRUNCATE}()"
    )
    return out + _pg_kept_install()


def _pg_remove() -> list[str]:
    out = [
        f"DROP TRIGGER IF EXISTS {name} ON {table}" for name, (table, *_) in _PG_TRIGGERS.items()
    ]
    out.append(f"DROP TRIGGER IF EXISTS {_PG_TRUNCATE} ON {PROJECTS}")
    out += [f"DROP FUNCTION IF EXISTS {name}()" for name in (*_PG_TRIGGERS, _PG_TRUNCATE)]
    return out + _pg_kept_remove()


# --- SQLite ------------------------------------------------------------------------------------


def _sqlite_apply(key: tuple[str, str, str], project: str, sign: str) -> str:
    """Make sure the key's row exists, then add `sign` per date the project row has. `key` is
    three SQL expressions; nothing happens when they are NULL (no such enterprise)."""
    k1, k2, k3 = key
    match = f"city_id = {k1} AND sub_industry_id = {k2} AND district_id = {k3}"
    zeros = ", ".join("0" for _ in COLUMNS)
    sets = ", ".join(
        f"{c} = {c} {sign} ({value})"
        for c, value in zip(COLUMNS, _values(project, "sqlite"), strict=True)
    )
    return (
        f"INSERT OR IGNORE INTO {TABLE} ({KEY}, {_COLS}) "  # noqa: S608 (constants)
        f"SELECT {k1}, {k2}, {k3}, {zeros} WHERE {k1} IS NOT NULL; "
        f"UPDATE {TABLE} SET {sets} WHERE {match};"
    )


def _sqlite_days(key: tuple[str, str, str], values: list[tuple[int, str, str]], sign: str) -> str:
    """Per day-counter kind: make sure the row of (key, kind, value) exists and add `sign`
    times the row's weight. Nothing happens for a NULL key (no such enterprise) or value (not of
    that kind)."""
    out = []
    for kind, value, weight in values:
        k1, k2, k3 = key if kind < FIRST_DURATION else (key[0], "0", "0")
        out.append(
            f"INSERT OR IGNORE INTO {DAYS} ({DAY_KEY}, n) "  # noqa: S608 (constants)
            f"SELECT {k1}, {k2}, {k3}, {kind}, {value}, 0 "
            f"WHERE {k1} IS NOT NULL AND {value} IS NOT NULL; "
            f"UPDATE {DAYS} SET n = n {sign} ({weight}) "
            f"WHERE city_id = {k1} AND sub_industry_id = {k2} "
            f"AND district_id = {k3} AND kind = {kind} AND value = {value};"
        )
    return " ".join(out)


def _sqlite_project_days(project: str, sign: str) -> str:
    """The day counters of the project row `project` (NEW or OLD) under its enterprise's key."""
    return _sqlite_days(_enterprise_of(project), _day_values(project, "sqlite"), sign)


def _sqlite_enterprise_days(row: str, sign: str) -> str:
    """The day counters of the project of the enterprise row `row` (NEW or OLD), under that
    row's key (nothing without a project: every value is NULL)."""
    key = (f"{row}.city_id", f"{row}.sub_industry_id", f"COALESCE({row}.district_id, 0)")
    values = [
        (
            kind,
            f"(SELECT {value} FROM {PROJECTS} p WHERE p.enterprise_id = {row}.id)",  # noqa: S608
            f"(SELECT {weight} FROM {PROJECTS} p WHERE p.enterprise_id = {row}.id)",  # noqa: S608
        )
        for kind, value, weight in _day_values("p", "sqlite")
    ]
    return _sqlite_days(key, values, sign)


def _enterprise_of(project: str) -> tuple[str, str, str]:
    """The key of the enterprise of `project` (NEW or OLD), as three scalar subqueries."""
    return tuple(  # type: ignore[return-value]
        f"(SELECT {expr} FROM {ROSTER} WHERE id = {project}.enterprise_id)"  # noqa: S608
        for expr in ("city_id", "sub_industry_id", "COALESCE(district_id, 0)")
    )


def _project_of(row: str, sign: str) -> str:
    """Apply the project of the enterprise `row` (NEW or OLD) under that row's key."""
    k1, k2, k3 = f"{row}.city_id", f"{row}.sub_industry_id", f"COALESCE({row}.district_id, 0)"
    match = f"city_id = {k1} AND sub_industry_id = {k2} AND district_id = {k3}"
    zeros = ", ".join("0" for _ in COLUMNS)
    sets = ", ".join(
        f"{c} = {c} {sign} (SELECT COALESCE(SUM({value}), 0) FROM {PROJECTS} p "  # noqa: S608
        f"WHERE p.enterprise_id = {row}.id)"
        for c, value in zip(COLUMNS, _values("p", "sqlite"), strict=True)
    )
    return (
        f"INSERT OR IGNORE INTO {TABLE} ({KEY}, {_COLS}) "  # noqa: S608 (constants)
        f"SELECT {k1}, {k2}, {k3}, {zeros} "
        f"WHERE EXISTS (SELECT 1 FROM {PROJECTS} WHERE enterprise_id = {row}.id); "
        f"UPDATE {TABLE} SET {sets} WHERE {match} "
        f"AND EXISTS (SELECT 1 FROM {PROJECTS} WHERE enterprise_id = {row}.id);"
    )


_DATE_FIELDS: Final = ", ".join(
    [field for _, field in COUNTED]
    + ["subsidy_central", "subsidy_local", *_WAITING_FIELDS, "satisfaction", *KEPT_LEVELS]
)
_SQLITE_MOVED: Final = (
    "OLD.city_id IS NOT NEW.city_id OR OLD.sub_industry_id IS NOT NEW.sub_industry_id "
    "OR OLD.district_id IS NOT NEW.district_id"
)
_SQLITE_TRIGGERS: Final = {
    f"{PROJECTS}_count_ins": (
        f"AFTER INSERT ON {PROJECTS}",
        _sqlite_apply(_enterprise_of("NEW"), "NEW", "+") + " " + _sqlite_project_days("NEW", "+"),
    ),
    f"{PROJECTS}_count_upd": (
        f"AFTER UPDATE OF enterprise_id, planned_completion_on, {_DATE_FIELDS} ON {PROJECTS}",
        " ".join(
            (
                _sqlite_apply(_enterprise_of("OLD"), "OLD", "-"),
                _sqlite_project_days("OLD", "-"),
                _sqlite_apply(_enterprise_of("NEW"), "NEW", "+"),
                _sqlite_project_days("NEW", "+"),
            )
        ),
    ),
    f"{PROJECTS}_count_del": (
        f"AFTER DELETE ON {PROJECTS}",
        _sqlite_apply(_enterprise_of("OLD"), "OLD", "-") + " " + _sqlite_project_days("OLD", "-"),
    ),
    f"{ROSTER}_project_count_ins": (
        f"AFTER INSERT ON {ROSTER}",
        _project_of("NEW", "+") + " " + _sqlite_enterprise_days("NEW", "+"),
    ),
    f"{ROSTER}_project_count_upd": (
        f"AFTER UPDATE OF city_id, sub_industry_id, district_id ON {ROSTER} WHEN {_SQLITE_MOVED}",
        " ".join(
            (
                _project_of("OLD", "-"),
                _sqlite_enterprise_days("OLD", "-"),
                _project_of("NEW", "+"),
                _sqlite_enterprise_days("NEW", "+"),
            )
        ),
    ),
    f"{ROSTER}_project_count_del": (
        f"AFTER DELETE ON {ROSTER}",
        _project_of("OLD", "-") + " " + _sqlite_enterprise_days("OLD", "-"),
    ),
}


def _sqlite_refresh(where: str) -> str:
    """Recompute the kept levels of the projects matching `where` (a nested UPDATE: with
    SQLite's recursive triggers off, it fires the counter trigger but not the one issuing it)."""
    return (
        f"UPDATE {PROJECTS} SET kept_baseline_level = "  # noqa: S608 (constants)
        f"{baseline_sql(f'{PROJECTS}.enterprise_id')}, kept_after_level = {after_sql(PROJECTS)} "
        f"WHERE {where};"
    )


_SQLITE_KEPT_TRIGGERS: Final = {
    f"{PROJECTS}_kept_ins": (f"AFTER INSERT ON {PROJECTS}", _sqlite_refresh("id = NEW.id")),
    f"{PROJECTS}_kept_upd": (
        f"AFTER UPDATE OF {', '.join(_PROJECT_LEVEL_COLUMNS)} ON {PROJECTS}",
        _sqlite_refresh("id = NEW.id"),
    ),
    f"{ASSESSMENTS}_kept_ins": (
        f"AFTER INSERT ON {ASSESSMENTS} WHEN {_LEVEL_ROW.format(a='NEW')}",
        _sqlite_refresh("enterprise_id = NEW.enterprise_id"),
    ),
    f"{ASSESSMENTS}_kept_upd": (
        f"AFTER UPDATE OF {', '.join(_LEVEL_COLUMNS)} ON {ASSESSMENTS} "
        f"WHEN {_LEVEL_ROW.format(a='OLD')} OR {_LEVEL_ROW.format(a='NEW')}",
        _sqlite_refresh("enterprise_id IN (OLD.enterprise_id, NEW.enterprise_id)"),
    ),
    f"{ASSESSMENTS}_kept_del": (
        f"AFTER DELETE ON {ASSESSMENTS} WHEN {_LEVEL_ROW.format(a='OLD')}",
        _sqlite_refresh("enterprise_id = OLD.enterprise_id"),
    ),
}
_SQLITE_ALL: Final = {**_SQLITE_TRIGGERS, **_SQLITE_KEPT_TRIGGERS}


def _sqlite_install() -> list[str]:
    return [
        f"CREATE TRIGGER {name} {when} BEGIN {body} END"
        for name, (when, body) in _SQLITE_ALL.items()
    ]


def _sqlite_remove() -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {name}" for name in _SQLITE_ALL]


# --- installing --------------------------------------------------------------------------------

TRIGGERS: Final = {
    "postgresql": {
        PROJECTS: [
            *(n for n, (t, *_) in _PG_TRIGGERS.items() if t == PROJECTS),
            _PG_TRUNCATE,
            f"{_PG_KEPT}_ins",
            f"{_PG_KEPT}_upd",
        ],
        ROSTER: [n for n, (t, *_) in _PG_TRIGGERS.items() if t == ROSTER],
        ASSESSMENTS: [*_PG_LEVEL_TRIGGERS, _PG_LEVEL_TRUNCATE],
    },
    "sqlite": {
        table: [n for n in _SQLITE_ALL if n.startswith(f"{table}_")]
        for table in (PROJECTS, ROSTER, ASSESSMENTS)
    },
}


def install(connection: Any) -> None:
    """Recompute the projects' kept levels, create the triggers, then fill the counters from the
    projects. On PostgreSQL the tables the triggers read are locked against writes first, until
    the transaction ends, so no write falls between the three: the back-fill sees every row no
    trigger counted. The levels are recomputed before the triggers exist, so that rewriting
    every project fires none of them."""
    statements = _pg_install() if connection.vendor == "postgresql" else _sqlite_install()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"LOCK TABLE {PROJECTS}, {ROSTER}, {ASSESSMENTS} IN SHARE ROW EXCLUSIVE MODE"
            )
        refill_levels(cursor)
        for sql in statements:
            cursor.execute(sql)
        rebuild(connection, cursor)


def rebuild(connection: Any, cursor: Any) -> None:
    """Replace both counter tables with a recount of the projects."""
    cursor.execute(f"DELETE FROM {TABLE}")  # noqa: S608 (constant)
    cursor.execute(rebuild_sql(connection.vendor))
    cursor.execute(f"DELETE FROM {DAYS}")  # noqa: S608 (constant)
    cursor.execute(day_rebuild(connection.vendor))


def remove(connection: Any) -> None:
    statements = _pg_remove() if connection.vendor == "postgresql" else _sqlite_remove()
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def missing(connection: Any) -> list[str]:
    """The counter triggers not (or no longer) on their tables."""
    return missing_triggers(connection, TRIGGERS)


def installable(connection: Any) -> bool:
    """Whether the counter table has every column these triggers fill: a migration before the
    last one that added some (they run this release's code) must leave the install to it."""
    with connection.cursor() as cursor:
        describe = connection.introspection.get_table_description
        counters = {c.name for c in describe(cursor, TABLE)}
        projects = {c.name for c in describe(cursor, PROJECTS)}
    return set(COLUMNS) <= counters and set(KEPT_LEVELS) <= projects


def reinstall_if_missing(connection: Any) -> bool:
    """After migrating: a migration that rebuilt either table on SQLite (Django copies it to a
    new table) dropped its triggers; put them back and recount. True if anything was done."""
    if connection.vendor not in TRIGGERS:
        return False
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    if not {PROJECTS, ROSTER, ASSESSMENTS, TABLE, DAYS} <= set(tables) or not missing(connection):
        return False  # migrated backwards past the counters, or nothing to do
    if not installable(connection):
        return False  # migrated backwards past a column these triggers fill
    remove(connection)
    install(connection)
    return True
