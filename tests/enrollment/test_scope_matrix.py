"""Every admin path of a request, for every staff user outside its scope: nothing seen, nothing changed."""

import pytest

from enrollment import workflow
from enrollment.models import RequestStatus
from enrollment.sms.models import OutboxMessage

LIST = "/admin/enrollment/enrollmentrequest/"
MOVES = ["claim", "kanoon_approve", "kanoon_reject", "branch_transfer", "branch_accept", "branch_reject"]

# Who is out of scope of pensioner A's request (Tehran county, Tehran branch) at each stage.
OUTSIDERS = {
    RequestStatus.KANOON_REVIEW: ["kanoon_karaj", "branch_karaj", "branch_tehran"],
    RequestStatus.BRANCH_REVIEW: ["kanoon_karaj", "branch_karaj"],
}


@pytest.fixture(params=[RequestStatus.KANOON_REVIEW, RequestStatus.BRANCH_REVIEW])
def staged(request, submitted_a, kanoon_tehran):
    if request.param == RequestStatus.BRANCH_REVIEW:
        workflow.request_kanoon_approve(request_id=submitted_a.pk, by=kanoon_tehran)
    submitted_a.refresh_from_db()
    return submitted_a


def _fingerprint(request) -> tuple:
    request.refresh_from_db()
    return (
        request.status,
        request.branch_id,
        request.claimed_by_id,
        request.history.count(),
        OutboxMessage.objects.filter(request=request).count(),
    )


@pytest.mark.parametrize("outsider_index", [0, 1, 2])
def test_outsiders_get_nothing_and_change_nothing(client, staged, outsider_index, django_user_model):
    names = OUTSIDERS[staged.status]
    if outsider_index >= len(names):
        pytest.skip("no further outsider at this stage")
    client.force_login(django_user_model.objects.get(username=names[outsider_index]))
    before = _fingerprint(staged)
    base = f"{LIST}{staged.pk}/"

    for status in RequestStatus.values:
        listed = client.get(f"{LIST}?status__exact={status}").context["cl"].result_list
        assert staged.pk not in [r.pk for r in listed]
    searched = client.get(f"{LIST}?q={staged.tracking_code}&status__exact={staged.status}").context["cl"].result_list
    assert list(searched) == []
    assert client.get(f"{base}change/").status_code == 302  # the admin's "does not exist" answer
    assert client.get(f"{base}history/").status_code == 404
    for move in MOVES:
        assert client.post(f"{base}move/{move}/", {"reason_code": "other", "note": "x"}).status_code == 404
        client.post(
            f"{LIST}?status__exact={staged.status}",
            {"action": move, "_selected_action": [staged.pk], "reason_code": "other", "note": "x"},
        )
    assert _fingerprint(staged) == before


def test_staff_without_any_role_get_nothing(client, submitted_a, django_user_model):
    nobody = django_user_model.objects.create_user("pr_only", password="x-12345678", is_staff=True)
    client.force_login(nobody)
    assert client.get(LIST).status_code == 403
    assert client.get(f"{LIST}{submitted_a.pk}/change/").status_code in (302, 403)
    before = _fingerprint(submitted_a)
    client.post(f"{LIST}{submitted_a.pk}/move/kanoon_approve/")
    assert _fingerprint(submitted_a) == before


def test_a_user_in_scope_sees_it_everywhere(client, submitted_a, kanoon_tehran):
    client.force_login(kanoon_tehran)
    base = f"{LIST}{submitted_a.pk}/"
    assert client.get(f"{base}change/").status_code == 200
    assert client.get(f"{base}history/").status_code == 200
    listed = client.get(f"{LIST}?status__exact=kanoon_review").context["cl"].result_list
    assert [r.pk for r in listed] == [submitted_a.pk]
