"""Events the assessments app sends when enterprises' levels change (no logic here).

Sent inside the writer's transaction; receivers that keep state outside the database (e.g.
oversight's dashboard cache) act after the transaction commits.
"""

from __future__ import annotations

from django.dispatch import Signal

levels_changed = Signal()
"""The confirmed level of enterprises of some cities changed (an on-site assessment confirmed).

Keyword arguments: `city_ids`, a list of city ids (None entries are ignored)."""
