"""Registry pages of the admin: fixed query counts, no unbounded COUNT(*), scope, Jalali dates."""

import datetime as dt
import re

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from enrollment.models import Pensioner
from fixtures.demo import demo_world_ensure
from tests.factories import DependentFactory, PensionerFactory

pytestmark = pytest.mark.django_db

REGISTRY_LISTS = [
    "/admin/enrollment/pensioner/",
    "/admin/enrollment/dependent/",
    "/admin/enrollment/branch/",
    "/admin/enrollment/county/",
    "/admin/enrollment/kanoon/",
    "/admin/enrollment/province/",
    "/admin/loans/deductiondocument/",
    "/admin/enrollment/enrollmentrequest/",
]


@pytest.fixture
def manager_client(client):
    demo_world_ensure()
    client.force_login(User.objects.get(username="manager"))
    return client


def _queries_for(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return [q["sql"] for q in captured.captured_queries]


def _add_people(count: int) -> None:
    for _ in range(count):
        DependentFactory(pensioner=PensionerFactory())


@pytest.mark.parametrize("url", REGISTRY_LISTS)
def test_list_pages_cost_the_same_number_of_queries_for_5_or_35_rows(manager_client, url):
    _add_people(2)
    _queries_for(manager_client, url)  # warm: per-user filter choices are cached after the first page
    few = _queries_for(manager_client, url)
    _add_people(30)
    many = _queries_for(manager_client, url)
    assert len(many) == len(few), "\n".join(many)


@pytest.mark.parametrize("url", REGISTRY_LISTS)
def test_list_pages_never_count_a_whole_table(manager_client, url):
    _add_people(3)
    for sql in _queries_for(manager_client, url):
        if re.search(r"COUNT\(\*\)", sql, re.IGNORECASE):
            assert "LIMIT" in sql.upper(), f"unbounded count: {sql}"


def test_pensioner_list_needs_few_queries(manager_client, django_assert_max_num_queries):
    _add_people(10)
    with django_assert_max_num_queries(8):
        manager_client.get("/admin/enrollment/pensioner/")


def test_count_is_capped_and_the_list_says_so(manager_client, settings):
    settings.ADMIN_COUNT_CAP = 5
    _add_people(10)
    response = manager_client.get("/admin/enrollment/pensioner/?is_colleague__exact=0")
    assert response.status_code == 200
    assert response.context["cl"].result_count == 6  # capped: cap + 1 means "more than the cap"


def test_search_by_national_code_in_persian_digits(manager_client):
    response = manager_client.get("/admin/enrollment/pensioner/", {"q": "۰۰۱۰۰۰۰۰۱۱"})
    results = list(response.context["cl"].result_list)
    assert [p.national_code for p in results] == ["0010000011"]


def test_search_by_last_name_typed_with_arabic_letters(manager_client):
    PensionerFactory(last_name="کریمیان")
    response = manager_client.get("/admin/enrollment/pensioner/", {"q": "كريميان"})
    assert [p.last_name for p in response.context["cl"].result_list] == ["کریمیان"]


def test_kanoon_staff_get_404_for_another_countys_pensioner(client):
    demo_world_ensure()
    client.force_login(User.objects.get(username="kanoon_karaj"))
    a = Pensioner.objects.get(national_code="0010000011")
    assert client.get(f"/admin/enrollment/pensioner/{a.pk}/change/").status_code in (302, 404)
    assert client.get(f"/admin/enrollment/pensioner/{a.pk}/history/").status_code in (302, 404)
    listed = client.get("/admin/enrollment/pensioner/").context["cl"].result_list
    assert [p.national_code for p in listed] == ["0010000021"]


def test_change_page_shows_and_accepts_jalali_dates(manager_client):
    a = Pensioner.objects.get(national_code="0010000011")
    page = manager_client.get(f"/admin/enrollment/pensioner/{a.pk}/change/").content.decode()
    assert 'value="۱۳۳۷/۰۱/۲۳"' in page  # 1958-04-12
    dependent = a.dependents.get(relation="spouse")
    form = manager_client.get(f"/admin/enrollment/dependent/{dependent.pk}/change/").context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(birth_date="۱۳۴۱/۰۶/۱۲", guardianship_end="", national_code=dependent.national_code)
    data["covered_elsewhere"] = ""
    data["has_supplementary"] = ""
    data["pensioner"] = a.pk
    response = manager_client.post(f"/admin/enrollment/dependent/{dependent.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    dependent.refresh_from_db()
    assert dependent.birth_date == dt.date(1962, 9, 3)


def test_a_bad_jalali_date_is_refused_in_persian_and_changes_nothing(manager_client):
    a = Pensioner.objects.get(national_code="0010000011")
    dependent = a.dependents.get(relation="spouse")
    form = manager_client.get(f"/admin/enrollment/dependent/{dependent.pk}/change/").context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(birth_date="1404/12/30", pensioner=a.pk, covered_elsewhere="", has_supplementary="")
    response = manager_client.post(f"/admin/enrollment/dependent/{dependent.pk}/change/", data)
    assert response.status_code == 200
    assert "این تاریخ در تقویم وجود ندارد." in response.content.decode()
    dependent.refresh_from_db()
    assert dependent.birth_date == dt.date(1962, 9, 3)
