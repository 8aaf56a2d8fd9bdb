"""The cartables in the admin, used as staff use them: lists, filters, the request page, actions."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.text import to_persian_digits
from enrollment.models import Branch, EnrollmentRequest, RequestStatus
from enrollment.sms.models import OutboxMessage
from tests.enrollment.conftest import file_request

S = RequestStatus
LIST = "/admin/enrollment/enrollmentrequest/"


def _change(request) -> str:
    return f"{LIST}{request.pk}/change/"


def _listed(client, url=LIST + "?status__exact=kanoon_review"):
    response = client.get(url)
    assert response.status_code == 200
    return [r.tracking_code for r in response.context["cl"].result_list]


def test_the_kanoon_cartable_opens_on_its_pending_queue(client, kanoon_tehran, submitted_a):
    client.force_login(kanoon_tehran)
    response = client.get(LIST)
    assert response.status_code == 302 and response.url.endswith("?status__exact=kanoon_review")
    assert _listed(client) == [submitted_a.tracking_code]


def test_another_countys_kanoon_sees_nothing_of_it(client, kanoon_karaj, submitted_a):
    client.force_login(kanoon_karaj)
    assert _listed(client) == []
    assert _listed(client, LIST + "?status__exact=branch_review") == []


def test_the_branch_does_not_see_a_request_before_the_kanoon_approved(client, branch_tehran, submitted_a):
    client.force_login(branch_tehran)
    assert client.get(LIST).url.endswith("?status__exact=branch_review")
    assert _listed(client, LIST + "?status__exact=kanoon_review") == []
    assert client.get(_change(submitted_a)).status_code == 302  # admin answers "does not exist" by redirecting


def test_search_by_tracking_code_national_code_and_name(client, kanoon_tehran, submitted_a):
    client.force_login(kanoon_tehran)
    persian_code = submitted_a.tracking_code.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    for term in [persian_code, "۰۰۱۰۰۰۰۰۱۱", "احمدی"]:
        assert _listed(client, f"{LIST}?status__exact=kanoon_review&q={term}") == [submitted_a.tracking_code]
    assert _listed(client, f"{LIST}?status__exact=kanoon_review&q=0010000021") == []


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("operation=enroll", True),
        ("operation=withdraw", False),
        ("persons=3", True),
        ("persons=1", False),
        ("submitted_from=1300/01/01&submitted_to=1500/01/01", True),
        ("submitted_from=۱۴۹۰/۰۱/۰۱", False),
        ("type=supplementary", True),
    ],
)
def test_filters(client, kanoon_tehran, submitted_a, query, found):
    client.force_login(kanoon_tehran)
    assert bool(_listed(client, f"{LIST}?status__exact=kanoon_review&{query}")) is found


def test_a_mistyped_date_filter_warns_in_persian_and_filters_nothing(client, kanoon_tehran, submitted_a):
    client.force_login(kanoon_tehran)
    response = client.get(f"{LIST}?status__exact=kanoon_review&submitted_from=1405/13/40")
    assert [r.tracking_code for r in response.context["cl"].result_list] == [submitted_a.tracking_code]
    assert any("تاریخ" in str(m) for m in response.context["messages"])


def test_request_page_shows_every_person_with_before_after_and_guardianship(client, kanoon_tehran, submitted_a):
    client.force_login(kanoon_tehran)
    page = client.get(_change(submitted_a)).content.decode()
    for text in ["محمد احمدی", "فاطمه احمدی", "علی احمدی", "وضعیت جدید بیمه تکمیلی", "تاریخ خاتمه کفالت", "عدم تایید"]:
        assert text in page
    assert "مریم احمدی" not in page  # guardianship ended: never part of a request


def test_approve_from_the_request_page(client, kanoon_tehran, submitted_a):
    client.force_login(kanoon_tehran)
    response = client.post(f"{_change(submitted_a).replace('change/', 'move/kanoon_approve/')}", {"note": "کامل"})
    assert response.status_code == 302
    submitted_a.refresh_from_db()
    assert submitted_a.status == S.BRANCH_REVIEW
    assert OutboxMessage.objects.filter(request=submitted_a, template="kanoon_approved").count() == 1


def test_reject_from_the_request_page_without_a_reason_is_refused_in_persian(client, kanoon_tehran, submitted_a):
    client.force_login(kanoon_tehran)
    url = _change(submitted_a).replace("change/", "move/kanoon_reject/")
    response = client.post(url, {"reason_code": "", "note": ""}, follow=True)
    assert "علت عدم تایید را از فهرست انتخاب کنید." in response.content.decode()
    submitted_a.refresh_from_db()
    assert submitted_a.status == S.KANOON_REVIEW


def test_bulk_approve_reports_each_request(client, kanoon_tehran, submitted_a, pensioner_a, world):
    from tests.factories import PensionerFactory

    other = file_request(PensionerFactory(county=pensioner_a.county, paying_branch=pensioner_a.paying_branch))
    client.force_login(kanoon_tehran)
    # one of them moves on before the bulk action runs: bulk re-checks and reports it
    from enrollment import workflow

    workflow.request_kanoon_approve(request_id=other.pk, by=kanoon_tehran)
    response = client.post(
        LIST + "?status__exact=kanoon_review",
        {"action": "kanoon_approve", "_selected_action": [submitted_a.pk, other.pk]},
        follow=True,
    )
    texts = [str(m) for m in response.context["messages"]]
    assert any(submitted_a.tracking_code.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")) in t for t in texts)
    submitted_a.refresh_from_db()
    assert submitted_a.status == S.BRANCH_REVIEW


def test_bulk_reject_asks_for_the_reason_then_rejects(client, kanoon_tehran, submitted_a):
    client.force_login(kanoon_tehran)
    form = client.post(LIST, {"action": "kanoon_reject", "_selected_action": [submitted_a.pk]})
    assert form.status_code == 200 and "علت عدم تایید" in form.content.decode()
    submitted_a.refresh_from_db()
    assert submitted_a.status == S.KANOON_REVIEW
    client.post(
        LIST,
        {"action": "kanoon_reject", "_selected_action": [submitted_a.pk], "reason_code": "duplicate", "note": "تکراری"},
    )
    submitted_a.refresh_from_db()
    assert (submitted_a.status, submitted_a.rejection_reason) == (S.KANOON_REJECTED, "duplicate")


def test_hand_made_ids_of_another_county_change_nothing(client, kanoon_karaj, submitted_a):
    client.force_login(kanoon_karaj)
    client.post(LIST, {"action": "kanoon_approve", "_selected_action": [submitted_a.pk]})
    client.post(_change(submitted_a).replace("change/", "move/kanoon_approve/"))
    submitted_a.refresh_from_db()
    assert submitted_a.status == S.KANOON_REVIEW
    assert not OutboxMessage.objects.filter(request=submitted_a, template="kanoon_approved").exists()


def test_branch_flags_a_changed_paying_branch_and_transfers(client, kanoon_tehran, branch_tehran, submitted_a):
    from enrollment import workflow

    workflow.request_kanoon_approve(request_id=submitted_a.pk, by=kanoon_tehran)
    pensioner = submitted_a.pensioner
    pensioner.paying_branch = Branch.objects.get(code="1020")
    pensioner.save()
    client.force_login(branch_tehran)
    listing = client.get(LIST + "?status__exact=branch_review").content.decode()
    assert "تغییر شعبه" in listing
    page = client.get(_change(submitted_a)).content.decode()
    assert "move/branch_transfer/" in page and "move/branch_accept/" not in page
    client.post(_change(submitted_a).replace("change/", "move/branch_accept/"))
    submitted_a.refresh_from_db()
    assert submitted_a.status == S.BRANCH_REVIEW  # refused: must be transferred first
    response = client.post(_change(submitted_a).replace("change/", "move/branch_transfer/"))
    assert response.url.endswith(LIST)  # out of this branch's scope now
    submitted_a.refresh_from_db()
    assert submitted_a.branch.code == "1020"
    assert client.get(_change(submitted_a)).status_code == 302


def test_claim_shows_who_handles_it(client, kanoon_tehran, submitted_a):
    client.force_login(kanoon_tehran)
    client.post(LIST + "?status__exact=kanoon_review", {"action": "claim", "_selected_action": [submitted_a.pk]})
    listing = client.get(LIST + "?status__exact=kanoon_review").content.decode()
    assert kanoon_tehran.get_full_name() in listing and "kanoon_tehran" not in listing


def test_auditor_reads_every_request_and_its_history_but_has_no_actions(client, auditor, submitted_a, kanoon_tehran):
    from enrollment import workflow

    workflow.request_kanoon_reject(request_id=submitted_a.pk, by=kanoon_tehran, reason_code="other", note="نمونه")
    client.force_login(auditor)
    response = client.get(LIST + "?status__exact=kanoon_rejected")
    assert [r.pk for r in response.context["cl"].result_list] == [submitted_a.pk]
    # no workflow action is offered to an auditor; reading roles may export (enrollment.reports)
    assert list(response.context["cl"].model_admin.get_actions(response.wsgi_request)) == ["export_list"]
    history = client.get(_change(submitted_a).replace("change/", "history/")).content.decode()
    assert kanoon_tehran.get_full_name() in history and "سایر موارد - نمونه" in history
    client.post(_change(submitted_a).replace("change/", "move/kanoon_approve/"))
    submitted_a.refresh_from_db()
    assert submitted_a.status == S.KANOON_REJECTED


def _queries(client, url) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in captured.captured_queries]


def test_cartable_page_has_a_fixed_small_number_of_queries(client, kanoon_tehran, pensioner_a, submitted_a):
    from tests.factories import PensionerFactory

    client.force_login(kanoon_tehran)
    url = LIST + "?status__exact=kanoon_review"
    _queries(client, url)  # warm: the user's office ids are cached after the first page
    few = _queries(client, url)
    for _ in range(5):
        file_request(PensionerFactory(county=pensioner_a.county, paying_branch=pensioner_a.paying_branch))
    assert EnrollmentRequest.objects.filter(status=S.KANOON_REVIEW).count() == 6
    many = _queries(client, url)
    assert len(many) == len(few), "\n".join(many)
    assert len(few) <= 6, "\n".join(few)


def test_a_new_kanoon_assignment_shows_at_once_and_a_removal_hides_at_once(client, kanoon_karaj, submitted_a):
    from guardian.shortcuts import remove_perm

    from enrollment.roles import REVIEW_KANOON, kanoon_assign

    client.force_login(kanoon_karaj)
    assert _listed(client) == []
    kanoon_assign(user=kanoon_karaj, kanoon=submitted_a.kanoon)
    assert _listed(client) == [submitted_a.tracking_code]
    remove_perm(REVIEW_KANOON, kanoon_karaj, submitted_a.kanoon)
    assert _listed(client) == []


def test_leaving_the_group_that_carries_a_kanoon_hides_it_at_once(client, submitted_a, django_user_model):
    from django.contrib.auth.models import Group
    from guardian.shortcuts import assign_perm

    from enrollment.roles import KANOON_STAFF, REVIEW_KANOON

    team = Group.objects.create(name="کانون تهران - کارشناسان")
    assign_perm(REVIEW_KANOON, team, submitted_a.kanoon)
    member = django_user_model.objects.create_user("team_member", is_staff=True)
    member.groups.add(Group.objects.get(name=KANOON_STAFF), team)
    client.force_login(member)
    assert _listed(client) == [submitted_a.tracking_code]
    team.user_set.remove(member)
    assert _listed(client) == []


@pytest.mark.parametrize(
    ("days_ago", "level", "note"),
    [(0, "success", "در مهلت"), (5, "warning", "دیرکرد"), (14, "danger", "دیرکرد زیاد")],
)
def test_waiting_is_counted_in_working_days_and_coloured_against_the_kanoon_target(submitted_a, days_ago, level, note):
    import datetime as dt

    from django.contrib.admin.sites import site
    from django.utils import timezone

    EnrollmentRequest.objects.filter(pk=submitted_a.pk).update(
        waiting_since=timezone.now() - dt.timedelta(days=days_ago)
    )
    submitted_a.refresh_from_db()
    cell = site._registry[EnrollmentRequest].waiting(submitted_a)  # target: 3 working days
    assert f"text-bg-{level}" in cell and note in cell and "مهلت: ۳ روز کاری" in cell


def test_a_thousand_ticked_requests_post_without_a_400_and_move_in_sets(client, kanoon_tehran, submitted_a):
    client.force_login(kanoon_tehran)
    ticked = [submitted_a.pk, *range(10_000_000, 10_001_200)]  # a full page of «نمایش همه», and more
    response = client.post(
        LIST + "?status__exact=kanoon_review", {"action": "kanoon_approve", "_selected_action": ticked}, follow=True
    )
    assert response.status_code == 200
    submitted_a.refresh_from_db()
    assert submitted_a.status == S.BRANCH_REVIEW
    texts = [str(m) for m in response.context["messages"]]
    assert texts == [f"انجام شد برای ۱ درخواست: {to_persian_digits(submitted_a.tracking_code)}"]  # ids of no row: none


def test_a_cartable_page_may_show_a_thousand_requests(kanoon_tehran):
    from django.contrib.admin.sites import site

    assert site._registry[EnrollmentRequest].list_max_show_all >= 1000


def test_select_all_matching_moves_the_whole_filtered_list(client, kanoon_tehran, submitted_a, pensioner_a):
    from tests.factories import PensionerFactory

    others = [
        file_request(PensionerFactory(county=pensioner_a.county, paying_branch=pensioner_a.paying_branch))
        for _ in range(2)
    ]
    client.force_login(kanoon_tehran)
    url = LIST + "?status__exact=kanoon_review&persons=3"  # only pensioner A's request has three persons
    # as the page posts it: «Go» (index), the ticks of the page and the «select all» flag
    across = {"action": "kanoon_approve", "index": 0, "select_across": "1", "_selected_action": [submitted_a.pk]}
    response = client.post(url, across)
    assert response.status_code == 302
    submitted_a.refresh_from_db()
    assert submitted_a.status == S.BRANCH_REVIEW
    for other in others:
        other.refresh_from_db()
        assert other.status == S.KANOON_REVIEW
    client.post(LIST + "?status__exact=kanoon_review", {**across, "_selected_action": [others[0].pk]})
    assert set(EnrollmentRequest.objects.values_list("status", flat=True)) == {S.BRANCH_REVIEW}


def test_select_all_matching_reject_names_the_filter_and_rejects_every_match(
    client, kanoon_tehran, submitted_a, pensioner_a
):
    from tests.factories import PensionerFactory

    other = file_request(PensionerFactory(county=pensioner_a.county, paying_branch=pensioner_a.paying_branch))
    client.force_login(kanoon_tehran)
    url = LIST + "?status__exact=kanoon_review"
    form = client.post(
        url, {"action": "kanoon_reject", "index": 0, "select_across": "1", "_selected_action": [submitted_a.pk]}
    )
    page = form.content.decode()
    assert form.status_code == 200 and 'name="select_across" value="1"' in page and "همه ۲ درخواست" in page
    hidden = {"action": "kanoon_reject", "select_across": "1", "_selected_action": [submitted_a.pk]}  # the form's
    response = client.post(url, {**hidden, "reason_code": "duplicate", "note": "تکراری"})
    assert response.status_code == 302
    for request in (submitted_a, other):
        request.refresh_from_db()
        assert (request.status, request.rejection_reason) == (S.KANOON_REJECTED, "duplicate")


def test_accept_in_the_branch_cartable_carries_the_payroll(client, kanoon_tehran, branch_tehran, submitted_a):
    from enrollment import workflow
    from enrollment.deductions.models import DeductionDocument

    workflow.request_kanoon_approve(request_id=submitted_a.pk, by=kanoon_tehran)
    client.force_login(branch_tehran)
    client.post(
        LIST + "?status__exact=branch_review", {"action": "branch_accept", "_selected_action": [submitted_a.pk]}
    )
    submitted_a.refresh_from_db()
    assert submitted_a.status == S.ACCEPTED
    assert DeductionDocument.objects.filter(source_request=submitted_a).count() == 5
