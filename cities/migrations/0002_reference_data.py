"""Provinces (with their NBS region) and the three pilot batches exist from the start."""

from decimal import Decimal

from django.db import migrations

PROVINCES = [
    ("11", "北京市", "北京", "east"),
    ("12", "天津市", "天津", "east"),
    ("13", "河北省", "河北", "east"),
    ("14", "山西省", "山西", "central"),
    ("15", "内蒙古自治区", "内蒙古", "west"),
    ("21", "辽宁省", "辽宁", "northeast"),
    ("22", "吉林省", "吉林", "northeast"),
    ("23", "黑龙江省", "黑龙江", "northeast"),
    ("31", "上海市", "上海", "east"),
    ("32", "江苏省", "江苏", "east"),
    ("33", "浙江省", "浙江", "east"),
    ("34", "安徽省", "安徽", "central"),
    ("35", "福建省", "福建", "east"),
    ("36", "江西省", "江西", "central"),
    ("37", "山东省", "山东", "east"),
    ("41", "河南省", "河南", "central"),
    ("42", "湖北省", "湖北", "central"),
    ("43", "湖南省", "湖南", "central"),
    ("44", "广东省", "广东", "east"),
    ("45", "广西壮族自治区", "广西", "west"),
    ("46", "海南省", "海南", "east"),
    ("50", "重庆市", "重庆", "west"),
    ("51", "四川省", "四川", "west"),
    ("52", "贵州省", "贵州", "west"),
    ("53", "云南省", "云南", "west"),
    ("54", "西藏自治区", "西藏", "west"),
    ("61", "陕西省", "陕西", "west"),
    ("62", "甘肃省", "甘肃", "west"),
    ("63", "青海省", "青海", "west"),
    ("64", "宁夏回族自治区", "宁夏", "west"),
    ("65", "新疆维吾尔自治区", "新疆", "west"),
    ("66", "新疆生产建设兵团", "兵团", "west"),
]

BATCHES = [
    (2023, "财建〔2023〕117号"),
    (2024, "财办建〔2024〕23号"),
    (2025, "财办建〔2025〕20号"),
]


def load(apps, schema_editor):
    Province = apps.get_model("cities", "Province")
    PilotBatch = apps.get_model("cities", "PilotBatch")
    for code, name, short, region in PROVINCES:
        Province.objects.update_or_create(
            code=code, defaults={"name": name, "short_name": short, "region": region}
        )
    for year, doc in BATCHES:
        PilotBatch.objects.get_or_create(
            year=year,
            defaults={
                "document_number": doc,
                "threshold": Decimal("0.90"),
                "min_level": 2,
                "counted_tiers": ["provincial_srdi", "little_giant"],
            },
        )


def unload(apps, schema_editor):
    apps.get_model("cities", "PilotBatch").objects.filter(
        year__in=[y for y, _ in BATCHES], cities__isnull=True
    ).delete()
    apps.get_model("cities", "Province").objects.filter(cities__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("cities", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
