"""The outbox in the admin: read-only, only for staff who see every scope; «ارسال مجدد» re-queues failures."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from enrollment.sms.models import OutboxMessage, OutboxStatus
from enrollment.sms.services import sms_queue

LIST = "/admin/sms/outboxmessage/"


def _login(client, username: str):
    client.force_login(User.objects.get(username=username))
    return client


@pytest.fixture
def superuser_client(client, world):
    client.force_login(User.objects.create_superuser("root", "root@example.ir", "x"))
    return client


@pytest.fixture
def failed(world) -> OutboxMessage:
    message = sms_queue(mobile="09120000002", template="request_submitted", tracking_code="222222222222")
    OutboxMessage.objects.filter(pk=message.pk).update(status=OutboxStatus.FAILED, attempts=8, last_error="HTTP 500")
    return message


@pytest.mark.parametrize("username", ["manager", "auditor"])
def test_staff_who_see_every_scope_see_the_outbox(client, submitted_a, username):
    response = _login(client, username).get(LIST)
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == list(OutboxMessage.objects.filter(request=submitted_a))


@pytest.mark.parametrize("username", ["kanoon_tehran", "branch_tehran"])
def test_scoped_staff_are_refused(client, submitted_a, username):
    _login(client, username)
    assert client.get(LIST).status_code == 403
    message = OutboxMessage.objects.get(request=submitted_a)
    assert client.get(f"{LIST}{message.pk}/change/").status_code == 403


def test_the_list_costs_the_same_queries_for_2_or_30_messages(client, submitted_a):
    _login(client, "manager")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(LIST).status_code == 200
        return len(captured)

    sms_queue(mobile="09120000001", template="login_code", code="111111")
    queries()  # the first page of a session also writes the session's activity stamp
    few = queries()
    for _ in range(28):
        sms_queue(mobile="09120000001", template="request_submitted", request=submitted_a, tracking_code="1")
    assert queries() == few


@pytest.mark.parametrize("debug", [False, True])
def test_the_detail_page_masks_a_login_code_and_never_shows_its_seal(client, world, settings, debug):
    settings.DEBUG = debug
    message = sms_queue(mobile="09120000001", template="login_code", code="654321")
    response = _login(client, "auditor").get(f"{LIST}{message.pk}/change/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "654321" not in page and "******" in page
    assert message.secret and message.secret not in page


@pytest.mark.parametrize("term", ["۰۹۱۲۰۰۰۰۰۰۲", "+989120000002"])
def test_search_by_mobile_in_any_digits(client, failed, submitted_a, term):
    response = _login(client, "manager").get(LIST, {"q": term})
    assert list(response.context["cl"].result_list) == [failed]


def test_search_by_tracking_code(client, failed, submitted_a):
    code = submitted_a.tracking_code.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    response = _login(client, "manager").get(LIST, {"q": code})
    assert list(response.context["cl"].result_list) == list(OutboxMessage.objects.filter(request=submitted_a))


def test_filters_by_status_and_kind(client, failed, submitted_a):
    _login(client, "manager")
    assert list(client.get(LIST, {"status__exact": "failed"}).context["cl"].result_list) == [failed]
    response = client.get(LIST, {"template": "request_submitted", "status__exact": "queued"})
    assert list(response.context["cl"].result_list) == list(OutboxMessage.objects.filter(request=submitted_a))


def test_resend_requeues_a_failed_message_and_it_goes(
    superuser_client, failed, recorded, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = superuser_client.post(LIST, {"action": "resend", "_selected_action": [failed.pk]}, follow=True)
    assert "۱ پیامک دوباره در صف ارسال قرار گرفت" in response.content.decode()
    failed.refresh_from_db()
    assert failed.status == OutboxStatus.SENT and failed.attempts == 1
    assert [sent["local_id"] for sent in recorded] == [str(failed.pk)]
    assert LogEntry.objects.filter(object_id=str(failed.pk), change_message="ارسال مجدد").exists()


def test_resend_leaves_a_message_that_is_not_failed(superuser_client, submitted_a, recorded):
    message = OutboxMessage.objects.get(request=submitted_a)
    response = superuser_client.post(LIST, {"action": "resend", "_selected_action": [message.pk]}, follow=True)
    assert "۱ پیامک تغییری نکرد؛ فقط پیامک‌های ناموفق دوباره فرستاده می‌شوند" in response.content.decode()
    message.refresh_from_db()
    assert message.status == OutboxStatus.QUEUED and recorded == []


def test_resend_leaves_a_failed_login_code_which_has_lost_its_code(superuser_client, world, recorded):
    message = sms_queue(mobile="09120000001", template="login_code", code="654321")
    OutboxMessage.objects.filter(pk=message.pk).update(status=OutboxStatus.FAILED, secret="")
    response = superuser_client.post(LIST, {"action": "resend", "_selected_action": [message.pk]}, follow=True)
    assert "جز کد ورود که فرد باید تازه درخواست کند" in response.content.decode()
    message.refresh_from_db()
    assert message.status == OutboxStatus.FAILED and recorded == []


def test_the_read_only_auditor_is_not_offered_resend(client, failed):
    response = _login(client, "auditor").get(LIST)
    assert "resend" not in response.context["cl"].model_admin.get_actions(response.wsgi_request)
    client.post(LIST, {"action": "resend", "_selected_action": [failed.pk]})
    failed.refresh_from_db()
    assert failed.status == OutboxStatus.FAILED


def test_nobody_adds_edits_or_deletes_messages(superuser_client, failed):
    assert superuser_client.get(f"{LIST}add/").status_code == 403
    assert superuser_client.get(f"{LIST}{failed.pk}/delete/").status_code == 403
    response = superuser_client.post(f"{LIST}{failed.pk}/change/", {"status": "sent"})
    assert response.status_code == 403
    failed.refresh_from_db()
    assert failed.status == OutboxStatus.FAILED
