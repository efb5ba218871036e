"""The admin speaks Chinese (issue 12): every page an administrator opens, third-party apps
(auth, django-axes, django-simple-history) included, shows no English interface word; data
values (the rows of a list, read-only values, the objects in a select) are not checked."""

from __future__ import annotations

import gettext
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib import admin
from django.test import Client
from django.urls import NoReverseMatch, reverse

from tests.test_permission_matrix import _seed

pytestmark = pytest.mark.django_db

# English interface words (whole words, any case) that must not be left untranslated.
DENY = frozenset(
    re.findall(
        r"[a-z]+",
        """
    access attempt attempts attempted history historical add change changed changes delete
    deleted filter filters search save action actions go select selected show hide view home
    welcome log logs logout login password user users group groups permission permissions
    session sessions content type date time username today now yes no unknown all by none object
    reason field expire expires failure failures failed path agent address record records revert
    comparison authentication authorization name email first last active staff superuser status
    data locked lock out meta form entry entries relationship remaining clean expired set not
    instance choose remove clear model link list or and the of to for with you created can
    accounts auth axes cities assessments oversight reports providers product products library
    """,
    )
)

LOCALE = Path(django_settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"


class _InterfaceText(HTMLParser):
    """What a reader sees as the interface: text outside script and style, button values, titles,
    placeholders and alt texts; not the data (the change list's rows, read-only values, text
    areas, and the options of a select that are rows, with a primary key for value)."""

    VOID = frozenset({"area", "br", "col", "hr", "img", "input", "link", "meta", "source", "wbr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._open: list[tuple[str, bool]] = []  # (tag, is data)

    def _in_data(self) -> bool:
        return any(data for _, data in self._open)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        in_result_list = any(t == "table#result_list" for t, _ in self._open)
        data = (
            tag in ("script", "style", "textarea")
            or (tag == "tbody" and in_result_list)
            or "readonly" in a.get("class", "").split()
            or (tag == "option" and a.get("value", "").isdigit())
        )
        if tag not in self.VOID:
            name = "table#result_list" if a.get("id") == "result_list" else tag
            self._open.append((name, data))
        if self._in_data() or data:
            return
        self.parts += [a[k] for k in ("title", "placeholder", "aria-label", "alt") if a.get(k)]
        if tag == "input" and a.get("type") in ("submit", "button", "reset"):
            self.parts.append(a.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i][0].split("#")[0] == tag:
                del self._open[i:]
                return

    def handle_data(self, data: str) -> None:
        if not self._in_data() and data.strip():
            self.parts.append(data.strip())


# Data in a filter's choices or an object's name: a path ("/login/") or django-axes' "<unknown>".
DATA_TOKEN = re.compile(r"(?<!\S)(?:/\S*|<[a-z]+>)")


def english_words(html: str) -> list[str]:
    """The interface's English words from DENY, each with a little of its text."""
    parser = _InterfaceText()
    parser.feed(html)
    found = []
    for part in parser.parts:
        for word in re.findall(r"[A-Za-z]+", DATA_TOKEN.sub(" ", part)):
            if word.lower() in DENY:
                found.append(f"{word} ({part[:60]!r})")
    return sorted(set(found))


def _model_pages(model: Any) -> list[str]:
    """The list, add, change, history and delete pages of one model, and for a model with
    django-simple-history one historical record's page."""
    info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    obj = model._default_manager.order_by("pk").first()
    assert obj is not None, f"seed one {model._meta.label} (tests/test_permission_matrix.py)"
    urls = [reverse(f"{info}_changelist"), reverse(f"{info}_changelist") + "?q=1"]
    urls.append(reverse(f"{info}_add"))
    urls += [reverse(f"{info}_{view}", args=[obj.pk]) for view in ("change", "history", "delete")]
    records = getattr(obj, "history", None)
    if records is not None:
        record = records.order_by("history_id").first()
        try:
            if record is not None:  # reference data from migrations has none
                urls.append(reverse(f"{info}_simple_history", args=[obj.pk, record.history_id]))
        except NoReverseMatch:  # history kept, but its admin is not a SimpleHistoryAdmin
            pass
    return urls


def test_every_admin_page_is_in_chinese(client, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    world = _seed()  # one object of every registered model
    login = Client().get(reverse("admin:login"))
    assert english_words(login.content.decode()) == []

    client.force_login(world.users.adm)
    urls = [reverse("admin:index"), reverse("admin:password_change")]
    urls += [
        reverse("admin:app_list", args=[label])
        for label in sorted({m._meta.app_label for m in admin.site._registry})
    ]
    urls.append(reverse("admin:auth_user_password_change", args=[world.users.ent.pk]))
    for model in sorted(admin.site._registry, key=lambda m: m._meta.label):
        urls += _model_pages(model)
    offenders = {}
    visited = 0
    for url in urls:
        response = client.get(url)
        if response.status_code == 403:  # a page this admin does not offer (no adding jobs)
            continue
        assert response.status_code == 200, url
        visited += 1
        words = english_words(response.content.decode())
        if words:
            offenders[url] = words
    assert not offenders, "\n".join(f"{url}: {words}" for url, words in offenders.items())
    assert visited > 80 and any(
        "/history/" in url for url in urls
    )  # every model's pages were read, not refused


def test_every_permission_is_named_in_chinese(db):
    """The group and user pages list permissions by str(): Django stores "Can add …" names."""
    from django.contrib.auth.models import Permission

    english = {
        str(p): words
        for p in Permission.objects.select_related("content_type")
        if (words := [w for w in re.findall(r"[A-Za-z]+", str(p)) if w.lower() in DENY])
    }
    assert english == {}


def test_the_admin_scripts_speak_chinese_too(client, admin_user_):
    """The two-list selector (groups, permissions) is built by script from the JS catalogue."""
    client.force_login(admin_user_)
    catalog = client.get(reverse("admin:jsi18n")).content.decode()
    for text in ("选择全部%s", "移除全部%s", "今天", "现在"):
        assert json.dumps(text) in catalog, text  # the catalogue is JSON, \u-escaped


def _po_entries(po: Path) -> dict[str, str]:
    """msgid → msgstr (first form) of a .po file: enough of the format for our catalogues."""
    entries, key, current = {}, None, None
    msgid = msgstr = ""

    def unquote(line: str) -> str:
        return line[line.index('"') + 1 : line.rindex('"')].replace('\\"', '"').replace("\\n", "\n")

    for line in [*po.read_text(encoding="utf-8").splitlines(), ""]:
        if line.startswith("msgid "):
            if key is not None and msgid:
                entries[msgid] = msgstr
            key, msgid, msgstr, current = "id", unquote(line), "", "id"
        elif line.startswith("msgid_plural"):
            current = "plural"
        elif line.startswith(("msgstr ", "msgstr[0]")):
            msgstr, current = unquote(line), "str"
        elif line.startswith("msgstr["):
            current = "other"
        elif line.startswith('"'):
            if current == "id":
                msgid += unquote(line)
            elif current == "str":
                msgstr += unquote(line)
    if key is not None and msgid:
        entries[msgid] = msgstr
    return entries


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_the_committed_catalogues_are_compiled_from_their_po(domain):
    """A clean checkout has no gettext: the .mo is committed and must say what the .po says."""
    entries = _po_entries(LOCALE / f"{domain}.po")
    assert entries
    with (LOCALE / f"{domain}.mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    for msgid, msgstr in entries.items():
        assert msgstr and compiled.gettext(msgid) == msgstr, msgid
