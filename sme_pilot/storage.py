"""Private files: uploads only a permission-checked view hands out (evidence files, 佐证材料;
project documents, 一企一档).

`PrivateStorage` keeps them under `settings.PRIVATE_MEDIA_ROOT`, a folder outside the web root:
not under STATIC_ROOT (WhiteNoise) nor MEDIA_ROOT, and no nginx location points at it
(docs/deploy.md). A private file has no URL: `url()` refuses, so no template can link to one by
mistake. Files are readable by the service user only (0640, folders 0750).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.deconstruct import deconstructible
from django.utils.functional import cached_property


@deconstructible(path="sme_pilot.storage.PrivateStorage")
class PrivateStorage(FileSystemStorage):
    def __init__(self) -> None:
        super().__init__(file_permissions_mode=0o640, directory_permissions_mode=0o750)

    @cached_property
    def base_location(self) -> Any:
        return settings.PRIVATE_MEDIA_ROOT

    def url(self, name: str | None) -> str:
        raise ValueError("私有文件没有公开网址，只能经权限检查的下载视图取得。")

    def _clear_cached_properties(self, setting: str, **kwargs: Any) -> None:
        # Only its own folder matters (MEDIA_ROOT and MEDIA_URL do not, the modes are fixed).
        if setting == "PRIVATE_MEDIA_ROOT":  # tests point it at a folder of their own
            self.__dict__.pop("base_location", None)
            self.__dict__.pop("location", None)


private_storage = PrivateStorage()


def get_private_storage() -> PrivateStorage:
    """The storage of private FileFields (a callable, so migrations name it, not a path)."""
    return private_storage
