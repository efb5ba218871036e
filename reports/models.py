"""Report jobs and snapshots arrive with the reports capability (PDF rendering by Celery)."""
