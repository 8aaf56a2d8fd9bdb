"""«درخواست‌های من»: statuses, the timeline with reasons, and cancelling only before any staff action."""

from django.contrib.auth.models import User
from django.urls import reverse

from core.jalali import format_datetime
from enrollment import workflow
from enrollment.models import Operation, RequestStatus
from enrollment.sms.models import OutboxMessage
from tests.enrollment.conftest import file_request

REQUESTS = reverse("portal:requests")


def _text(response) -> str:
    return response.content.decode()


def _fa(code: str) -> str:
    return code.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))


def _cancel_url(request) -> str:
    return reverse("portal:request_cancel", args=[request.tracking_code])


def test_every_request_shows_its_status_and_a_jalali_timeline(client_a, pensioner_a):
    submitted = file_request(pensioner_a)
    page = _text(client_a.get(REQUESTS))
    assert _fa(submitted.tracking_code) in page
    assert "وضعیت: <strong>در حال بررسی کانون بازنشستگان و مستمری‌بگیران</strong>" in page
    record = submitted.history.filter(status=RequestStatus.KANOON_REVIEW).get()
    assert format_datetime(record.history_date) in page
    assert page.count('class="timeline-status"') == 2  # draft, then with the Kanoon: one step per status


def test_a_rejection_shows_its_reason_in_the_timeline(client_a, pensioner_a):
    submitted = file_request(pensioner_a)
    kanoon = User.objects.get(username="kanoon_tehran")
    workflow.request_kanoon_reject(
        request_id=submitted.pk, by=kanoon, reason_code="dependent_mismatch", note="تاریخ تولد فرزند"
    )
    page = _text(client_a.get(REQUESTS))
    assert "مختومه - عدم تایید کانون" in page
    assert "توضیح: مغایرت اطلاعات افراد تبعی - تاریخ تولد فرزند" in page
    assert "لغو درخواست" not in page


def test_only_the_pensioners_own_requests_are_listed(client_a, pensioner_b):
    other = file_request(pensioner_b, {"self": Operation.WITHDRAW, str(pensioner_b.dependents.get().pk): "withdraw"})
    page = _text(client_a.get(REQUESTS))
    assert _fa(other.tracking_code) not in page and "هنوز درخواستی ثبت نکرده‌اید" in page


def test_a_draft_is_listed_with_a_way_to_go_on(client_a):
    client_a.get(reverse("portal:wizard"))
    page = _text(client_a.get(REQUESTS))
    assert "وضعیت: <strong>پیش‌نویس</strong>" in page and "ادامه ثبت درخواست" in page


def test_cancelling_asks_on_its_own_screen_then_cancels_with_history_and_sms(client_a, pensioner_a):
    submitted = file_request(pensioner_a)
    page = _text(client_a.get(REQUESTS))
    assert f'href="{_cancel_url(submitted)}"' in page
    confirm = client_a.get(_cancel_url(submitted))
    assert "آیا درخواست را لغو می‌کنید؟" in _text(confirm)
    submitted.refresh_from_db()
    assert submitted.status == RequestStatus.KANOON_REVIEW  # opening the screen changes nothing
    response = client_a.post(_cancel_url(submitted), follow=True)
    submitted.refresh_from_db()
    assert submitted.status == RequestStatus.CANCELLED
    assert "لغو شد" in _text(response) and "لغو شده توسط متقاضی" in _text(response)
    assert OutboxMessage.objects.filter(request=submitted, template="request_cancelled").count() == 1


def test_a_request_a_kanoon_user_has_picked_up_cannot_be_cancelled(client_a, pensioner_a):
    submitted = file_request(pensioner_a)
    workflow.request_claim(request_id=submitted.pk, by=User.objects.get(username="kanoon_tehran"))
    assert f'href="{_cancel_url(submitted)}"' not in _text(client_a.get(REQUESTS))
    response = client_a.post(_cancel_url(submitted), follow=True)
    assert "دیگر قابل لغو نیست" in _text(response)
    submitted.refresh_from_db()
    assert submitted.status == RequestStatus.KANOON_REVIEW
    assert not OutboxMessage.objects.filter(template="request_cancelled").exists()


def test_a_request_with_the_branch_cannot_be_cancelled(client_a, pensioner_a):
    submitted = file_request(pensioner_a)
    workflow.request_kanoon_approve(request_id=submitted.pk, by=User.objects.get(username="kanoon_tehran"))
    client_a.post(_cancel_url(submitted))
    submitted.refresh_from_db()
    assert submitted.status == RequestStatus.BRANCH_REVIEW


def test_someone_elses_request_cannot_be_cancelled_and_looks_missing(client_a, pensioner_b):
    other = file_request(pensioner_b, {"self": Operation.WITHDRAW, str(pensioner_b.dependents.get().pk): "withdraw"})
    assert client_a.get(_cancel_url(other)).status_code == 404
    assert client_a.post(_cancel_url(other)).status_code == 404
    other.refresh_from_db()
    assert other.status == RequestStatus.KANOON_REVIEW


def test_my_requests_needs_a_signed_in_pensioner(client, world):
    assert client.get(REQUESTS)["Location"].startswith(reverse("portal:login"))
