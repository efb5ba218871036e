"""Fill the enterprises' kept current level (cities 0010) from the confirmed assessments.

One statement whatever the number of enterprises: on PostgreSQL an UPDATE … FROM a DISTINCT ON
over the confirmed assessments, elsewhere (SQLite, `make run`) a correlated UPDATE. The order is
LATEST_FIRST of assessments/selectors.py, frozen here: the latest `assessed_on`, then the latest
`confirmed_at` (a missing one earliest), then the highest id. `manage.py verify_aggregates`
checks the result against the same rule.
"""

from django.db import migrations

POSTGRESQL = """
UPDATE cities_enterprise AS e
SET kept_level = latest.level, kept_level_on = latest.assessed_on
FROM (
    SELECT DISTINCT ON (enterprise_id) enterprise_id, level, assessed_on
    FROM assessments_assessment
    WHERE state = 'confirmed'
    ORDER BY enterprise_id, assessed_on DESC, confirmed_at DESC NULLS LAST, id DESC
) AS latest
WHERE e.id = latest.enterprise_id
"""

PORTABLE = """
UPDATE cities_enterprise
SET kept_level = (
        SELECT a.level FROM assessments_assessment AS a
        WHERE a.enterprise_id = cities_enterprise.id AND a.state = 'confirmed'
        ORDER BY a.assessed_on DESC, a.confirmed_at IS NULL, a.confirmed_at DESC, a.id DESC
        LIMIT 1
    ),
    kept_level_on = (
        SELECT a.assessed_on FROM assessments_assessment AS a
        WHERE a.enterprise_id = cities_enterprise.id AND a.state = 'confirmed'
        ORDER BY a.assessed_on DESC, a.confirmed_at IS NULL, a.confirmed_at DESC, a.id DESC
        LIMIT 1
    )
WHERE EXISTS (
    SELECT 1 FROM assessments_assessment AS a
    WHERE a.enterprise_id = cities_enterprise.id AND a.state = 'confirmed'
)
"""


def fill(apps, schema_editor):
    sql = POSTGRESQL if schema_editor.connection.vendor == "postgresql" else PORTABLE
    schema_editor.execute(sql)


def empty(apps, schema_editor):
    schema_editor.execute("UPDATE cities_enterprise SET kept_level = NULL, kept_level_on = NULL")


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0005_evidence_files"),
        ("cities", "0010_enterprise_kept_level"),
    ]

    operations = [migrations.RunPython(fill, empty, elidable=False)]
