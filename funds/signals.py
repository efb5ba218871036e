"""Events the funds app sends when a city's funds have changed (no logic here).

Writers send them inside their transaction; a receiver that keeps state outside the database
(oversight's dashboard cache) acts after the transaction commits. The `funds` import needs none
of its own: the import framework already sends `cities.signals.registry_changed`. A paid subsidy
is a project change (`projects.signals.projects_changed`).
"""

from __future__ import annotations

from django.dispatch import Signal

funds_changed = Signal()
"""The ledger or the plan of some cities changed (an entry booked or reversed, the plan set).

Keyword arguments: `city_ids`, a list of city ids (None entries are ignored)."""
