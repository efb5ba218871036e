"""Events the projects app sends when project data that other apps follow has changed (no logic
here).

Writers send them inside their transaction; a receiver that keeps state outside the database
(oversight's dashboard cache) acts after the transaction commits. The `projects` import needs
none of its own: the import framework already sends `cities.signals.registry_changed`.
"""

from __future__ import annotations

from django.dispatch import Signal

projects_changed = Signal()
"""Projects of some cities changed (a stage move, a correction, a subsidy recorded…).

Keyword arguments: `city_ids`, a list of city ids (None entries are ignored), or `city_ids=None`
when any city may have changed."""
