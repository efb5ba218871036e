"""The first version of the provider evaluation's parameters (domain §4.5), as data."""

import datetime
from decimal import Decimal

from django.db import migrations

V1 = {
    "version": 1,
    "label": "试点评价办法（第一版）",
    "valid_from": datetime.date(2024, 1, 1),
    "w_acceptance": Decimal("0.30"),
    "w_uplift": Decimal("0.30"),
    "w_satisfaction": Decimal("0.25"),
    "w_on_time": Decimal("0.15"),
    "uplift_cap": Decimal("2"),
    "band_5": Decimal("90"),
    "band_4": Decimal("80"),
    "band_3": Decimal("70"),
    "band_2": Decimal("60"),
    "min_outcomes": 3,
}


def add_v1(apps, schema_editor):
    ProviderScoring = apps.get_model("projects", "ProviderScoring")
    ProviderScoring.objects.get_or_create(version=V1["version"], defaults=V1)


def remove_v1(apps, schema_editor):
    ProviderScoring = apps.get_model("projects", "ProviderScoring")
    ProviderScoring.objects.filter(version=V1["version"], evaluations__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0005_provider_scoring_evaluation"),
    ]

    operations = [
        migrations.RunPython(add_v1, remove_v1),
    ]
