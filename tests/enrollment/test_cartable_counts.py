"""The cartable list says one count, in Persian: the footer, the «select all» link and the note once all are
selected name the same number, exact or «بیش از …» at the cap, never Django's Latin "x of y selected"."""

import re

import pytest
from django.contrib import admin
from django.utils import timezone

from core.text import format_number
from enrollment.models import EnrollmentRequest, RequestStatus
from tests.factories import EnrollmentRequestFactory, PensionerFactory

LIST = "/admin/enrollment/enrollmentrequest/?status__exact=kanoon_review"


@pytest.fixture
def waiting(world, pensioner_a):
    """Seven requests waiting for the Tehran Kanoon, a page of three."""
    for _ in range(7):
        pensioner = PensionerFactory(county=pensioner_a.county, paying_branch=pensioner_a.paying_branch)
        EnrollmentRequestFactory(
            pensioner=pensioner, period=world, status=RequestStatus.KANOON_REVIEW, submitted_at=timezone.now()
        )
    return EnrollmentRequest.objects.filter(status=RequestStatus.KANOON_REVIEW).count()


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(admin.site.get_model_admin(EnrollmentRequest), "list_per_page", 3)


def _texts(page: str) -> dict[str, str]:
    def text(pattern: str) -> str:
        found = re.search(pattern, page, re.S)
        assert found, pattern
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", found.group(1))).strip()

    return {
        "footer": text(r"data-list-count>(.*?)</div>"),
        "counter": text(r'<span class="action-counter"[^>]*>(.*?)</span>'),
        "question": text(r'data-selection="question">(.*?)</a>'),
        "all": text(r'data-selection="all">(.*?)</span>'),
    }


def test_an_exact_count_is_the_same_number_everywhere(client, manager, waiting, small_pages):
    client.force_login(manager)
    page = client.get(LIST).content.decode()
    texts = _texts(page)
    total = f"{format_number(waiting)} درخواست"
    assert texts["footer"].startswith(total)
    assert texts["question"] == f"انتخاب همه درخواست‌های منطبق با فیلترها ({total})"
    assert texts["all"] == f"همه درخواست‌های منطبق با فیلترها انتخاب شده‌اند ({total})"
    assert texts["counter"] == "۰ از ۳ درخواست این صفحه انتخاب شده"
    assert not re.search(r"[0-9]", " ".join(texts.values()))  # Persian digits only
    assert "Select all" not in page and "0 از 3" not in page  # Django's own note, in Latin digits


def test_a_count_stopped_at_the_cap_says_more_than_the_cap_everywhere(client, manager, waiting, small_pages, settings):
    settings.ADMIN_COUNT_CAP = 5
    assert waiting > 5
    client.force_login(manager)
    texts = _texts(client.get(LIST).content.decode())
    more = "بیش از ۵ درخواست"
    assert texts["footer"].startswith(more)
    assert more in texts["question"] and more in texts["all"]
    assert format_number(settings.ADMIN_COUNT_CAP + 1) not in " ".join(texts.values())


def test_a_scoped_user_counts_only_their_scope(client, kanoon_karaj, waiting, small_pages):
    client.force_login(kanoon_karaj)
    page = client.get(LIST).content.decode()
    assert re.search(r"data-list-count>\s*۰ درخواست", page)
