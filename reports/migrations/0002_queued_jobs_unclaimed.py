from django.db import migrations

# The job engine (sme_pilot.jobs) clears `claimed_at` whenever a job goes back to waiting: a
# queued job with one set (put back before the engine) would be neither waiting nor claimed.
QUEUED_JOBS_UNCLAIMED = "UPDATE reports_reportjob SET claimed_at = NULL WHERE state = 'queued'"


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_report_jobs"),
    ]

    operations = [
        migrations.RunSQL(QUEUED_JOBS_UNCLAIMED, migrations.RunSQL.noop),
    ]
