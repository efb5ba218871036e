"""Events the registry sends when data that other apps follow has changed (no logic here).

Writers send them inside their transaction; a receiver that keeps state outside the database
(e.g. oversight's dashboard cache) acts after the transaction commits. Writers never call a
reader directly: the reader connects a receiver in its own AppConfig.ready().

Changes to reference data (batches, cities, sub-industries, targets) are not sent here: readers
listen to those models' own post_save/post_delete signals.
"""

from __future__ import annotations

from django.dispatch import Signal

registry_changed = Signal()
"""Registry data of some cities changed: an enterprise edit, or an import of any kind.

Keyword arguments: `city_ids`, a list of city ids (None entries are ignored), or `city_ids=None`
when any city may have changed (an administrator's or the command's import)."""
