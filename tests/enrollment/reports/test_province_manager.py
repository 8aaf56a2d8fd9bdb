"""A province manager (manager_alborz) has the national managers' pages for Alborz only: the dashboard, the
reconciliation (page and home figures), exports, monthly lists, the SMS outbox and the registry. Tehran
(pensioner A) is as absent as a row that does not exist, and no national figure reaches them."""

import re

import pytest
from django.contrib.auth.models import User

from core.text import format_number, to_persian_digits
from enrollment import selectors, workflow
from enrollment.models import County, EnrollmentRequest, Pensioner, RequestStatus
from enrollment.reports import dashboard
from enrollment.reports.reconciliation import reconcile, reconciliation_counts
from enrollment.sms.models import OutboxMessage
from tests.enrollment.conftest import file_request
from tests.enrollment.reports.export_helpers import CARTABLE, REGISTRY, csv_rows, export, karaj_withdrawal

HOME = "/admin/"
RECONCILIATION = "/admin/reports/reconciliation/"
MONTHLY = "/admin/reports/monthly-deductions/"
OUTBOX = "/admin/sms/outboxmessage/"


@pytest.fixture
def alborz(world) -> User:
    return User.objects.get(username="manager_alborz")


@pytest.fixture
def both(world, pensioner_a, pensioner_b, kanoon_tehran, branch_tehran):
    """A's family accepted in Tehran, then A's flag turned back by hand (a Tehran finding); B's withdrawal
    waiting for the Karaj Kanoon, and B's flag turned off while the documents run (a Karaj finding)."""
    tehran = file_request(pensioner_a)
    workflow.request_kanoon_approve(request_id=tehran.pk, by=kanoon_tehran)
    workflow.request_branch_accept(request_id=tehran.pk, by=branch_tehran)
    Pensioner.objects.filter(pk=pensioner_a.pk).update(has_supplementary=False)
    karaj = karaj_withdrawal(pensioner_b)
    Pensioner.objects.filter(pk=pensioner_b.pk).update(has_supplementary=False)
    return tehran, karaj


def test_the_alborz_manager_is_a_province_manager_of_alborz_only(alborz, pensioner_b):
    assert selectors.is_province_manager(alborz) and selectors.sees_reports(alborz)
    assert not selectors.user_sees_all(alborz)
    assert set(selectors.provinces_visible_to(alborz)) == {pensioner_b.county.province}


def test_the_dashboard_counts_alborz_and_never_the_country(client, alborz, manager, both, world):
    _, karaj = both
    client.force_login(alborz)
    response = client.get(HOME)
    figures = response.context["dashboard"]
    own = EnrollmentRequest.objects.filter(period=world, kanoon__county__province__code="30").exclude(
        status=RequestStatus.DRAFT
    )
    assert figures.total == own.count() == 1
    assert figures.count_of(RequestStatus.ACCEPTED) == 0  # Tehran's acceptance is not theirs
    assert [row.name for row in figures.counties] == [karaj.kanoon.county.name]
    page = response.content.decode()
    assert "استان البرز" in page
    assert re.search(rf'data-figure="total">\s*{format_number(1)}<', page)
    client.force_login(manager)
    assert client.get(HOME).context["dashboard"].total == 2  # the national figure is another one


def test_reconciliation_of_the_province_has_only_its_findings(client, alborz, manager, both, world, pensioner_b):
    national = reconcile(world)
    assert {f.national_code for f in national} >= {"0010000011", pensioner_b.national_code}
    mine = reconcile(world, user=alborz)
    assert mine and {f.national_code for f in mine} == {pensioner_b.national_code}
    counts = reconciliation_counts(world, user=alborz)
    assert sum(counts.values()) == len(mine) < len(national)

    client.force_login(alborz)
    page = client.get(RECONCILIATION).content.decode()
    assert "دامنه: استان البرز" in page
    assert "0010000011" not in page and "۰۰۱۰۰۰۰۰۱۱" not in page
    assert to_persian_digits(pensioner_b.national_code) in page or pensioner_b.national_code in page


def test_the_home_shows_the_provinces_reconciliation_figures_not_the_national_ones(
    client, alborz, manager, both, world
):
    """The worker's refresh (run in the test process) counts each scope apart and keeps them apart."""
    client.force_login(manager)
    national = re.search(r'data-figure="reconciliation">\s*<a [^>]*>([^<]+)<', client.get(HOME).content.decode())
    client.force_login(alborz)
    page = client.get(HOME).content.decode()
    mine = re.search(r'data-figure="reconciliation">\s*<a [^>]*>([^<]+)<', page)
    expected = sum(reconciliation_counts(world, user=alborz).values())
    assert mine and mine.group(1).strip() == format_number(expected)
    assert national and national.group(1).strip() == format_number(sum(reconciliation_counts(world).values()))
    assert national.group(1) != mine.group(1)
    assert dashboard.cache.get(dashboard.reconciliation_key(world.pk, dashboard.ALL)).total != expected


def test_other_staff_have_no_reconciliation(client, world, kanoon_karaj, branch_karaj):
    for user in (kanoon_karaj, branch_karaj):
        client.force_login(user)
        assert client.get(RECONCILIATION).status_code == 404


def test_the_outbox_shows_the_provinces_request_messages_only(client, alborz, both, pensioner_a, pensioner_b):
    tehran, karaj = both
    assert OutboxMessage.objects.filter(request=tehran).exists()
    assert OutboxMessage.objects.filter(request=karaj).exists()
    client.force_login(alborz)
    response = client.get(OUTBOX)
    listed = list(response.context["cl"].result_list)
    assert listed and {message.request_id for message in listed} == {karaj.pk}
    mobiles = {message.mobile for message in listed}
    assert pensioner_a.mobile not in mobiles
    tehran_message = OutboxMessage.objects.filter(request=tehran).first()
    assert client.get(f"{OUTBOX}{tehran_message.pk}/change/").status_code == 302  # "does not exist"
    assert response.context["action_form"] is None  # «ارسال مجدد» stays with the national managers


def test_an_export_of_the_cartable_has_alborz_rows_only(client, alborz, both, pensioner_a, pensioner_b):
    client.force_login(alborz)
    response = export(client, CARTABLE)
    rows = csv_rows(response.content)
    codes = {row[rows[0].index("کد ملی مستمری‌بگیر")] for row in rows[1:]}
    assert codes == {pensioner_b.national_code}
    registry = export(client, REGISTRY)
    listed = {row[0] for row in csv_rows(registry.content)[1:]}
    assert pensioner_b.national_code in listed and pensioner_a.national_code not in listed


def test_the_monthly_list_of_a_tehran_branch_does_not_exist_for_them(client, alborz, both, pensioner_a, pensioner_b):
    client.force_login(alborz)
    for export_format in ("", "csv", "xlsx"):
        response = client.get(
            MONTHLY, {"branch": pensioner_a.paying_branch_id, "month": "1405/10", "export": export_format}
        )
        assert response.status_code == 404
    page = client.get(MONTHLY, {"branch": pensioner_b.paying_branch_id, "month": "1405/10"})
    assert page.status_code == 200 and page.context["totals"].documents > 0


def test_the_registry_lists_alborz_counties_and_branches(client, alborz, world):
    client.force_login(alborz)
    counties = {c.code for c in client.get("/admin/enrollment/county/").context["cl"].result_list}
    assert counties == set(County.objects.filter(province__code="30").values_list("code", flat=True))
    branches = client.get("/admin/enrollment/branch/").context["cl"].result_list
    assert {b.province.code for b in branches} == {"30"}
