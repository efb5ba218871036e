"""Booking, reversing and the plan (funds.services): every bad input of issue 14 is refused with
a Chinese reason and writes nothing; booked entries cannot be changed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from funds import services
from funds.models import FundsPlan, LedgerEntry
from funds.selectors import city_funds
from sme_pilot.errors import Conflict, Forbidden, Invalid

pytestmark = pytest.mark.django_db

D = Decimal
DAY = dt.date(2025, 3, 1)
CAP = D("100000000.00")  # a prefecture of the 2024 batch: 10,000 万元


def receipt(actor, city, amount, reference, *, source="central", day=DAY):
    return services.book_receipt(
        actor=actor, city=city, entry_on=day, source=source, amount=D(amount), reference=reference
    )


def expense(actor, city, amount, reference, *, category="platform", source="central", day=DAY):
    return services.book_expense(
        actor=actor,
        city=city,
        entry_on=day,
        source=source,
        category=category,
        amount=D(amount),
        reference=reference,
    )


def test_booking_records_who_and_when(city, city_official):
    entry = receipt(city_official, city, "1000.00", "Z-1")
    assert entry.created_by == city_official and entry.created_at is not None
    assert LedgerEntry.objects.get().reference == "Z-1"


def test_central_receipts_never_exceed_the_award_cap(city, city_official):
    receipt(city_official, city, "90000000.00", "Z-1")
    with pytest.raises(Invalid) as refused:
        receipt(city_official, city, "10000000.01", "Z-2")
    assert "奖补上限" in refused.value.message
    assert "10,000.00 万元（100,000,000.00 元）" in refused.value.message
    assert "10,000.00 万元（100,000,000.01 元）" in refused.value.message
    receipt(city_official, city, "10000000.00", "Z-3")  # exactly the cap
    receipt(city_official, city, "99999999.00", "L-1", source="local")  # local: no cap
    assert LedgerEntry.objects.count() == 3


def test_an_expense_breaking_the_other_uses_limit_is_refused_with_the_figures(city, city_official):
    receipt(city_official, city, "1000000.00", "Z-1")
    expense(city_official, city, "150000.00", "Z-2", category="platform")
    with pytest.raises(Invalid) as refused:
        expense(city_official, city, "50000.01", "Z-3", category="chain")
    text = refused.value.message
    assert "上限" in text and "20%" in text
    assert "100.00 万元（1,000,000.00 元）" in text  # received
    assert "20.00 万元（200,000.01 元）" in text  # other after the expense
    assert "20.00 万元（200,000.00 元）" in text  # the limit
    assert not LedgerEntry.objects.filter(reference="Z-3").exists()
    expense(city_official, city, "50000.00", "Z-4", category="procured_services")  # exactly 20%
    # Transformation and local money are not limited.
    expense(city_official, city, "800000.00", "Z-5", category="transformation")
    expense(city_official, city, "5000.00", "L-1", source="local", category="platform")


def test_an_expense_before_the_money_arrived_is_refused(city, city_official):
    receipt(city_official, city, "1000000.00", "Z-1", day=DAY)
    with pytest.raises(Invalid, match="2025-02-28"):
        expense(city_official, city, "1.00", "Z-2", day=DAY - dt.timedelta(days=1))


@pytest.mark.parametrize(
    ("kind", "category", "field_text"),
    [("expense", "", "支出必须填写支出类别"), ("receipt", "platform", "收入不填支出类别")],
)
def test_category_rules(city, city_official, kind, category, field_text):
    data = services.EntryData(DAY, kind, "central", category, D("1.00"), "R-1")
    with pytest.raises(Invalid, match=field_text):
        services.book_entry(actor=city_official, city=city, data=data)
    assert not LedgerEntry.objects.exists()


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        ("-5.00", "大于 0"),
        ("0", "大于 0"),
        ("1.001", "两位小数"),
        ("1000000000.01", "过大"),
        ("NaN", "无效"),
    ],
)
def test_bad_amounts(city, city_official, amount, text):
    with pytest.raises(Invalid, match=text):
        receipt(city_official, city, amount, "Z-1", source="local")
    assert not LedgerEntry.objects.exists()


def test_bad_dates_and_fields(city, city_official):
    with pytest.raises(Invalid, match="晚于今天"):
        receipt(city_official, city, "1.00", "Z-1", day=dt.date(2999, 1, 1))
    with pytest.raises(Invalid, match="早于"):
        receipt(city_official, city, "1.00", "Z-1", day=dt.date(2020, 1, 1))
    with pytest.raises(Invalid, match="凭证号"):
        receipt(city_official, city, "1.00", "   ")
    with pytest.raises(Invalid, match="资金来源"):
        receipt(city_official, city, "1.00", "Z-1", source="elsewhere")
    assert not LedgerEntry.objects.exists()


def test_a_duplicate_reference_is_refused(city, other_city, city_official, other_city_official):
    receipt(city_official, city, "1.00", "Z-1")
    with pytest.raises(Invalid, match="已入账"):
        expense(city_official, city, "1.00", "Z-1", category="transformation")
    receipt(other_city_official, other_city, "1.00", "Z-1")  # another city's numbering
    assert LedgerEntry.objects.count() == 2


def test_only_the_citys_own_official_books(city, other_city_official, ministry_user):
    for actor in (other_city_official, ministry_user):
        with pytest.raises(Forbidden):
            receipt(actor, city, "1.00", "Z-1")


def test_a_booked_entry_cannot_be_changed_or_deleted(city, city_official):
    entry = receipt(city_official, city, "1.00", "Z-1")
    entry.amount = D("2.00")
    with pytest.raises(ValidationError, match="冲正"):
        entry.save()
    with pytest.raises(ValidationError):
        entry.delete()
    with pytest.raises(ValidationError):
        LedgerEntry.objects.filter(pk=entry.pk).delete()
    assert LedgerEntry.objects.get().amount == D("1.00")


def test_the_database_guards_the_invariants(city):
    def insert(**values):
        base = {
            "city": city,
            "entry_on": DAY,
            "kind": "expense",
            "source": "central",
            "category": "platform",
            "amount": D("1.00"),
            "reference": "X",
        }
        with pytest.raises(IntegrityError), transaction.atomic():
            LedgerEntry.objects.bulk_create([LedgerEntry(**{**base, **values})])

    insert(amount=D("0.00"))
    insert(category="")
    insert(kind="receipt")
    insert(source="nowhere")
    LedgerEntry.objects.create(
        city=city, entry_on=DAY, kind="receipt", source="local", amount=D("1"), reference="A"
    )
    insert(reference="A", category="transformation")


def test_reversing_negates_once(city, city_official):
    entry = expense(city_official, city, "100.00", "L-1", source="local", category="chain")
    reversal = services.reverse_entry(
        actor=city_official, entry=entry, entry_on=DAY, reference="L-1-R", reason="录错金额"
    )
    assert reversal.reverses == entry and reversal.amount == entry.amount
    assert reversal.note == "录错金额"
    assert city_funds(city=city, as_of=DAY)["local"]["spent"] == "0.00"
    with pytest.raises(Conflict, match="已冲正"):
        services.reverse_entry(
            actor=city_official, entry=entry, entry_on=DAY, reference="L-1-R2", reason="再冲"
        )
    with pytest.raises(Conflict, match="冲正分录"):
        services.reverse_entry(
            actor=city_official, entry=reversal, entry_on=DAY, reference="L-1-R3", reason="再冲"
        )
    assert LedgerEntry.objects.count() == 2


def test_a_reversal_needs_a_reason_and_a_date_not_before_the_entry(city, city_official):
    entry = receipt(city_official, city, "100.00", "L-1", source="local")
    with pytest.raises(Invalid, match="冲正原因"):
        services.reverse_entry(
            actor=city_official, entry=entry, entry_on=DAY, reference="R", reason=" "
        )
    with pytest.raises(Invalid, match="不能早于原分录日期"):
        services.reverse_entry(
            actor=city_official,
            entry=entry,
            entry_on=DAY - dt.timedelta(days=1),
            reference="R",
            reason="错",
        )


def test_reversing_a_central_receipt_that_the_other_uses_need_is_refused(city, city_official):
    first = receipt(city_official, city, "1000000.00", "Z-1")
    receipt(city_official, city, "500000.00", "Z-2")
    expense(city_official, city, "200000.00", "Z-3")  # needs 1,000,000 received
    with pytest.raises(Invalid, match="请先冲正"):
        services.reverse_entry(
            actor=city_official, entry=first, entry_on=DAY, reference="Z-1-R", reason="退回"
        )
    second = LedgerEntry.objects.get(reference="Z-2")
    services.reverse_entry(
        actor=city_official, entry=second, entry_on=DAY, reference="Z-2-R", reason="退回"
    )
    assert city_funds(city=city, as_of=DAY)["central"]["received"] == "1000000.00"


def test_a_reversed_receipt_frees_room_under_the_cap(city, city_official):
    entry = receipt(city_official, city, str(CAP), "Z-1")
    services.reverse_entry(
        actor=city_official, entry=entry, entry_on=DAY, reference="Z-1-R", reason="重复到账"
    )
    receipt(city_official, city, str(CAP), "Z-2")


def test_the_plan_is_set_with_who_and_when(city, city_official):
    services.plan_set(
        actor=city_official,
        city=city,
        amounts={("central", "receipt"): D("90000000.00"), ("central", "platform"): D("100")},
    )
    services.plan_set(
        actor=city_official,
        city=city,
        amounts={("central", "platform"): None, ("local", "transformation"): D("5")},
    )
    plan = {(p.source, p.line): p.amount for p in FundsPlan.objects.all()}
    assert plan == {("central", "receipt"): D("90000000.00"), ("local", "transformation"): D("5")}
    assert FundsPlan.objects.filter(updated_by=city_official).count() == 2
    with pytest.raises(Invalid):
        services.plan_set(actor=city_official, city=city, amounts={("x", "receipt"): D("1")})
