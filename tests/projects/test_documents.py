"""Project documents (一企一档): recognised by content, bounded, stored under random names in the
private storage, uploaded by the project's enterprise and its city's officials, deleted by the
uploader before acceptance, scoped (out of scope is 404).

Every refusal is checked for its message and for leaving nothing behind: no row, no file.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile

from accounts.models import Role
from projects.models import Project, ProjectDocument
from projects.selectors import projects as selectors
from projects.services import documents as services
from sme_pilot.errors import Forbidden, NotFound
from tests.assessments.evidence_files import PDF, image
from tests.cities.factories import UserFactory
from tests.projects.document_files import docx, plain_zip, xlsx

pytestmark = pytest.mark.django_db

STORED_NAME = re.compile(r"^projects/[0-9a-f]{2}/[0-9a-f]{32}\.(jpg|png|pdf|xlsx|docx)$")
DAY = dt.date(2025, 3, 1)


@pytest.fixture
def private_root(settings, tmp_path):
    root = tmp_path / "private"
    settings.PRIVATE_MEDIA_ROOT = root
    return root


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def assert_nothing_stored(root: Path) -> None:
    assert ProjectDocument.objects.count() == 0
    assert stored_files(root) == []


@pytest.fixture
def project(enterprise):
    return Project.objects.create(enterprise=enterprise, applied_on=DAY, admitted_on=DAY)


@pytest.fixture
def other_project(other_enterprise):
    return Project.objects.create(enterprise=other_enterprise, applied_on=DAY)


def add(user, project, name, content, *, stage="applied", doc_type="other"):
    return services.document_add(
        actor=user,
        project_id=project.pk,
        stage=stage,
        doc_type=doc_type,
        upload=ContentFile(content, name=name),  # keeps a path in the name, unlike uploads
    )


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("诊断报告.pdf", PDF, "application/pdf"),
        ("现场.jpg", image("JPEG"), "image/jpeg"),
        ("现场.png", image("PNG"), "image/png"),
        (
            "投资明细.xlsx",
            xlsx(),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        (
            "合同.docx",
            docx(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
    ],
)
def test_each_content_type_is_accepted(
    private_root, project, enterprise_user, name, content, content_type
):
    row = add(enterprise_user, project, name, content)
    assert (row.original_name, row.content_type, row.size) == (name, content_type, len(content))
    assert STORED_NAME.match(row.file.name)
    [path] = stored_files(private_root)
    assert path.read_bytes() == content
    assert row.uploaded_by == enterprise_user


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("说明.pdf", b"just some text, renamed", "只能上传 PDF、JPG、PNG、XLSX 或 DOCX 文件"),
        ("页面.pdf", b"<!doctype html><html><script>x</script></html>", "只能上传 PDF"),
        ("合同.docx", plain_zip(), "只能上传 PDF"),
        ("报告.pdf", PDF[: PDF.index(b"%%EOF")], "PDF 文件不完整"),
        ("../../etc/合同.pdf", PDF, "文件名不能包含路径"),
        ("a\\b.pdf", PDF, "文件名不能包含路径"),
        ("空.pdf", b"", "文件是空的"),
    ],
    ids=["text", "html", "zip-as-docx", "truncated-pdf", "path", "backslash", "empty"],
)
def test_bad_files_are_refused_with_nothing_stored(
    private_root, project, enterprise_user, name, content, message
):
    with pytest.raises(ValidationError, match=re.escape(message)):
        add(enterprise_user, project, name, content)
    assert_nothing_stored(private_root)


def test_over_the_size_limit_is_refused(private_root, project, enterprise_user, settings):
    settings.PROJECT_DOCUMENT_MAX_FILE_BYTES = len(PDF) - 1
    with pytest.raises(ValidationError, match="文件不能超过"):
        add(enterprise_user, project, "大.pdf", PDF)
    assert_nothing_stored(private_root)


def test_the_default_limit_is_20_mb(settings):
    from sme_pilot.settings import base

    assert base.PROJECT_DOCUMENT_MAX_FILE_BYTES == 20 * 1024 * 1024


def test_too_many_files_are_refused(private_root, project, enterprise_user, settings):
    settings.PROJECT_DOCUMENT_MAX_FILES = 2
    add(enterprise_user, project, "a.png", image("PNG", colour="red"))
    add(enterprise_user, project, "b.png", image("PNG", colour="blue"))
    with pytest.raises(ValidationError, match="最多上传 2 份材料"):
        add(enterprise_user, project, "c.png", image("PNG", colour="green"))
    assert ProjectDocument.objects.count() == 2
    assert len(stored_files(private_root)) == 2


def test_the_same_file_twice_as_the_same_type_is_refused(private_root, project, enterprise_user):
    add(enterprise_user, project, "a.pdf", PDF)
    with pytest.raises(ValidationError, match="无需重复上传"):
        add(enterprise_user, project, "b.pdf", PDF)
    assert len(stored_files(private_root)) == 1


def test_a_failed_insert_leaves_no_file(private_root, project, enterprise_user, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(ProjectDocument.objects, "create", broken)
    with pytest.raises(RuntimeError):
        add(enterprise_user, project, "a.pdf", PDF)
    assert stored_files(private_root) == []


def test_a_stage_not_reached_is_refused(private_root, project, enterprise_user):
    add(enterprise_user, project, "诊断.pdf", PDF, stage="diagnosed", doc_type="diagnosis_report")
    with pytest.raises(ValidationError, match="尚未到达“已选定服务商”阶段"):
        add(enterprise_user, project, "x.png", image("PNG"), stage="provider_selected")
    with pytest.raises(ValidationError, match="请选择材料类型"):
        add(enterprise_user, project, "x.png", image("PNG"), doc_type="secret")
    assert ProjectDocument.objects.count() == 1


def test_city_official_uploads_others_may_not(
    private_root, project, city_official, other_city_official, ministry_user, other_enterprise_user
):
    assert add(city_official, project, "a.pdf", PDF).uploaded_by == city_official
    with pytest.raises(Forbidden):
        add(ministry_user, project, "b.png", image("PNG"))
    for outsider in (other_city_official, other_enterprise_user):
        with pytest.raises(NotFound):
            add(outsider, project, "b.png", image("PNG"))
    assert ProjectDocument.objects.count() == 1


def test_another_enterprise_does_not_see_the_document(
    private_root, project, enterprise_user, other_enterprise_user, city_official
):
    row = add(enterprise_user, project, "a.pdf", PDF)
    with pytest.raises(NotFound):
        selectors.document_get_visible(user=other_enterprise_user, project_id=project.pk, pk=row.pk)
    assert selectors.document_get_visible(user=city_official, project_id=project.pk, pk=row.pk)


def test_scope_of_the_project_list(
    project, other_project, enterprise_user, city_official, ministry_user, other_city_official
):
    assessor = UserFactory(role=Role.ASSESSOR, city=project.enterprise.city)
    lone = AnonymousUser()
    seen = {
        u: set(selectors.project_list_visible_to(user=u))
        for u in (
            enterprise_user,
            city_official,
            ministry_user,
            other_city_official,
            assessor,
            lone,
        )
    }
    assert seen[enterprise_user] == {project}
    assert seen[city_official] == {project} == seen[assessor]
    assert seen[other_city_official] == {other_project}
    assert seen[ministry_user] == {project, other_project}
    assert seen[lone] == set()


def test_the_uploader_deletes_before_acceptance(
    private_root, project, enterprise_user, city_official, django_capture_on_commit_callbacks
):
    row = add(enterprise_user, project, "a.pdf", PDF)
    with pytest.raises(Forbidden, match="只有上传人"):
        services.document_delete(actor=city_official, project_id=project.pk, document_id=row.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.document_delete(actor=enterprise_user, project_id=project.pk, document_id=row.pk)
    assert_nothing_stored(private_root)


def test_nothing_is_deleted_after_acceptance(private_root, project, enterprise_user):
    row = add(enterprise_user, project, "a.pdf", PDF)
    Project.objects.filter(pk=project.pk).update(
        **{f: DAY for f in ("diagnosed_on", "provider_selected_on", "contract_filed_on")},
        completed_on=DAY,
        acceptance_applied_on=DAY,
        accepted_on=DAY,
    )
    with pytest.raises(Forbidden, match="已通过验收"):
        services.document_delete(actor=enterprise_user, project_id=project.pk, document_id=row.pk)
    assert len(stored_files(private_root)) == 1
