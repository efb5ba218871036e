"""Project documents (一企一档, domain §4.2): upload and delete.

Who may upload: the project's own enterprise and the officials of its city (providers, for their
own projects, once accounts.policy knows them). A document is filed under a stage the project
has reached (or the next one it waits for) and a type (`choices.DocType`).

Who may delete: the uploader, while the project is not yet accepted (验收通过): from acceptance
on, the 一企一档 is the record the acceptance and the subsidy were decided on, and stays whole.

Every file is checked before the project's row lock is taken (size while reading, content,
name), the count under it. The file is written to the private storage under a random name and
removed again if its row does not commit; a deleted document's file goes after the commit.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from functools import partial
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction

from accounts import policy
from accounts.models import User
from sme_pilot import files
from sme_pilot.errors import Forbidden, NotFound
from sme_pilot.storage import private_storage

from .. import rules
from ..choices import DocType
from ..models import DOCUMENT_KINDS, Project, ProjectDocument
from ..selectors import projects as selectors

NOT_RECOGNISED = "只能上传 PDF、JPG、PNG、XLSX 或 DOCX 文件"
STORED_FOLDER = "projects"
_SPOOL_BYTES = 1024 * 1024  # uploads up to this size are checked in memory, larger on disk


@dataclass(frozen=True)
class _Received:
    size: int
    sha256: str
    kind: files.Kind


def may_upload(user: object, project: Project) -> bool:
    """The project's own enterprise, its chosen provider (diagnosis reports, deliverables), or
    an official of its city."""
    if policy.is_own_enterprise(user, project.enterprise_id):
        return True
    scope = policy.scope_of(user)
    if scope.reach is policy.Reach.PROVIDER:
        # the chosen provider, or the one the city named to diagnose (its diagnosis report)
        return scope.provider_id is not None and scope.provider_id in (
            project.provider_id,
            project.diagnosis_provider_id,
        )
    city_id = policy.managed_city_id(user)
    return city_id is not None and city_id == project.enterprise.city_id


def may_delete(user: object, document: ProjectDocument) -> bool:
    """The uploader, while the project is not yet accepted."""
    return (
        document.uploaded_by_id is not None
        and document.uploaded_by_id == getattr(user, "pk", None)
        and document.project.accepted_on is None
    )


def upload_stages(project: Project) -> list[rules.Stage]:
    """The stages a document may be filed under: those reached, and the next one (its
    documents are gathered before the move, e.g. the acceptance application's invoices)."""
    reached = selectors.reached_stages(project)
    stages = list(reached)
    following = len(reached)
    if following < len(rules.STAGES):
        stages.append(rules.STAGES[following])
    return stages


def _receive(upload: File, copy: IO[bytes]) -> _Received:
    limit = settings.PROJECT_DOCUMENT_MAX_FILE_BYTES
    digest = hashlib.sha256()
    size = 0
    for chunk in upload.chunks():
        size += len(chunk)
        if size > limit:
            raise ValidationError({"file": f"文件不能超过 {files.size_label(limit)}"})
        digest.update(chunk)
        copy.write(chunk)
    if size == 0:
        raise ValidationError({"file": "文件是空的，请重新选择"})
    try:
        kind = files.recognise(copy, DOCUMENT_KINDS, NOT_RECOGNISED)
    except files.NotRecognised as exc:
        raise ValidationError({"file": str(exc)}) from None
    return _Received(size, digest.hexdigest(), kind)


def _check_choice(project: Project, stage: str, doc_type: str) -> tuple[rules.Stage, str]:
    if doc_type not in DocType.values:
        raise ValidationError({"doc_type": "请选择材料类型"})
    try:
        chosen = rules.Stage(stage)
    except ValueError:
        raise ValidationError({"stage": "请选择所属阶段"}) from None
    if chosen not in upload_stages(project):
        label = rules.STAGE_LABELS[chosen]
        raise ValidationError({"stage": f"项目尚未到达“{label}”阶段，不能上传该阶段的材料"})
    return chosen, doc_type


def _locked(project_id: int) -> Project:
    project = (
        Project.objects.select_for_update(of=("self",))
        .select_related("enterprise")
        .filter(pk=project_id)
        .first()
    )
    if project is None:
        raise NotFound("没有找到该改造项目")
    return project


def _limits(project: Project, doc_type: str, sha256: str) -> None:
    """Counted under the project's row lock: simultaneous uploads cannot pass the limit."""
    documents = ProjectDocument.objects.filter(project=project)
    limit = settings.PROJECT_DOCUMENT_MAX_FILES
    if documents.filter(doc_type=doc_type, sha256=sha256).exists():
        raise ValidationError({"file": "这个文件已作为同类材料上传，无需重复上传"})
    if documents.count() >= limit:
        raise ValidationError({"file": f"每个项目最多上传 {limit} 份材料，请先删除不需要的文件"})


def document_add(
    *, actor: User, project_id: int, stage: str, doc_type: str, upload: File
) -> ProjectDocument:
    """Store one document of a project under a stage and a type."""
    project = selectors.project_get_visible(user=actor, pk=project_id)
    if not may_upload(actor, project):
        raise Forbidden("您不能为该项目上传材料")
    chosen, doc_type = _check_choice(project, stage, doc_type)
    name = upload.name or ""
    if files.has_path(name):
        raise ValidationError({"file": "文件名不能包含路径（/ 或 \\），请改名后再上传"})
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as copy:
        received = _receive(upload, copy)  # type: ignore[arg-type]
        return _store(actor, project.pk, chosen, doc_type, name, copy, received)


def _store(
    actor: User,
    project_id: int,
    stage: rules.Stage,
    doc_type: str,
    name: str,
    content: IO[bytes],
    received: _Received,
) -> ProjectDocument:
    stored: str | None = None
    try:
        with transaction.atomic():
            project = _locked(project_id)
            if not may_upload(actor, project):
                raise Forbidden("您不能为该项目上传材料")
            _limits(project, doc_type, received.sha256)
            stored = private_storage.save(
                files.stored_name(STORED_FOLDER, received.kind), File(content)
            )
            return ProjectDocument.objects.create(
                project=project,
                stage=stage.value,
                doc_type=doc_type,
                file=stored,
                original_name=files.original_name(name, received.kind, default="项目材料"),
                content_type=received.kind.content_type,
                size=received.size,
                sha256=received.sha256,
                uploaded_by=actor,
            )
    except BaseException:
        if stored is not None:  # written, but its row is not: nothing stays half-written
            private_storage.delete(stored)
        raise


@transaction.atomic
def document_delete(*, actor: User, project_id: int, document_id: int) -> None:
    """Remove one document (its uploader, before acceptance); the file goes after the commit."""
    selectors.project_get_visible(user=actor, pk=project_id)
    project = _locked(project_id)
    row = (
        ProjectDocument.objects.select_related("project")
        .filter(project=project, pk=document_id)
        .first()
    )
    if row is None:
        raise NotFound("没有找到该项目材料")
    if not may_delete(actor, row):
        if project.accepted_on is not None:
            raise Forbidden("项目已通过验收，一企一档不能再删除材料")
        raise Forbidden("只有上传人可以删除这份材料")
    name = row.file.name
    row.delete()
    if name:
        transaction.on_commit(partial(private_storage.delete, name))
