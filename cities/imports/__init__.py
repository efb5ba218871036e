"""Bulk import of the registry: readers (CSV/XLSX), columns per kind, the service, and jobs.

Entry points: `service.import_file` (command, pages, API) and `jobs` (the upload workflow).
"""

from .results import ImportResult, RowError
from .service import import_file, importable_kinds

__all__ = ["ImportResult", "RowError", "import_file", "importable_kinds"]
