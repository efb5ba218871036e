"""Issue 12: on the city official's pages every form label and definition-list term ends with
the Chinese colon "：" (templates of `cities` and `oversight`, and the rendered account form)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

ROOT = Path(settings.BASE_DIR)
TEMPLATE_DIRS = [ROOT / "cities" / "templates", ROOT / "oversight" / "templates"]
LABELS = re.compile(r"<(label|dt)\b[^>]*>(.*?)</\1>", re.S)


def _labels(text: str) -> list[str]:
    """Label and term texts; a radio button's own label (it wraps the input) is its choice's
    name, not a field label, and takes no colon."""
    return [
        re.sub(r"<[^>]+>", "", body).strip()
        for _, body in LABELS.findall(text)
        if "<input" not in body
    ]


def test_every_label_and_term_in_the_templates_ends_with_the_chinese_colon():
    found: list[str] = []
    missing: list[str] = []
    for folder in TEMPLATE_DIRS:
        for path in sorted(folder.rglob("*.html")):
            for label in _labels(path.read_text(encoding="utf-8")):
                found.append(label)
                if not label.endswith("："):
                    missing.append(f"{path.relative_to(ROOT)}: {label}")
    assert len(found) > 40
    assert missing == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "route", ["cities:account_create", "cities:account_list", "cities:import_list"]
)
def test_rendered_form_labels_end_with_the_chinese_colon(client, city_official, route):
    client.force_login(city_official)
    page = client.get(reverse(route)).content.decode()
    labels = _labels(page)
    assert labels and [lab for lab in labels if not lab.endswith("：")] == []
