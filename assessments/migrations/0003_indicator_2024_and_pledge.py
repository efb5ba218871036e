"""The 2024 indicator edition (revision 1, from assessments/data/indicator_2024.json) and the
first truthfulness pledge text exist from the start. Later corrections are new revisions."""

import json
from pathlib import Path

from django.db import migrations

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "indicator_2024.json"

PLEDGE_VERSION = "2024-1"
PLEDGE_TEXT = (
    "本企业郑重承诺：本次数字化水平评测所填报的信息和提供的佐证材料真实、准确、完整，"
    "不存在虚报、瞒报、漏报等情况；如有不实，本企业愿承担由此产生的一切后果，"
    "并接受主管部门依据有关规定作出的处理。"
)


def load(apps, schema_editor):
    IndicatorVersion = apps.get_model("assessments", "IndicatorVersion")
    IndicatorRevision = apps.get_model("assessments", "IndicatorRevision")
    PledgeText = apps.get_model("assessments", "PledgeText")
    definition = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    version, _ = IndicatorVersion.objects.get_or_create(
        code=definition["version"],
        defaults={"name": definition["name"], "document_number": definition.get("document", "")},
    )
    if not IndicatorRevision.objects.filter(version=version).exists():
        IndicatorRevision.objects.create(
            version=version, number=1, definition=definition, note="初始版本（随系统发布）"
        )
    PledgeText.objects.get_or_create(version=PLEDGE_VERSION, defaults={"text": PLEDGE_TEXT})


def unload(apps, schema_editor):
    IndicatorRevision = apps.get_model("assessments", "IndicatorRevision")
    IndicatorRevision.objects.filter(
        version__code="2024", number=1, assessments__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("assessments", "0002_indicator_revisions_questionnaire_pledge")]
    operations = [migrations.RunPython(load, unload)]
