"""The four steps through the pages: what each shows, what each records, and every refusal."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import Action, AuditEntry
from core import jalali
from core.jalali import format_date
from enrollment import drafts
from enrollment.models import Dependent, EnrollmentRequest, Operation, Pensioner, RequestStatus
from enrollment.sms.models import OutboxMessage
from policies.current import period_current_forget
from policies.models import ContractPeriod, TermsVersion
from tests.enrollment.conftest import file_request
from tests.portal.conftest import sign_in

WIZARD = reverse("portal:wizard")
STEP = {
    1: reverse("portal:step_terms"),
    2: reverse("portal:step_data"),
    3: reverse("portal:step_people"),
    4: reverse("portal:step_review"),
}


def _text(response) -> str:
    return response.content.decode()


def _draft(pensioner: Pensioner) -> EnrollmentRequest | None:
    return EnrollmentRequest.objects.filter(pensioner=pensioner, status=RequestStatus.DRAFT).first()


def _family(pensioner: Pensioner, child=Operation.ENROLL) -> dict[str, str]:
    dependents = {d.first_name: d for d in pensioner.dependents.all()}
    return {
        "op-self": Operation.ENROLL,
        f"op-{dependents['فاطمه'].pk}": Operation.ENROLL,
        f"op-{dependents['علی'].pk}": child,
    }


def _through_step(client, number: int, pensioner: Pensioner, operations: dict | None = None):
    """Takes the signed-in pensioner through steps 1..number (each one's own POST)."""
    client.get(WIZARD)
    if number >= 1:
        terms = TermsVersion.objects.filter(period__is_active=True).order_by("-version").first()
        assert client.post(STEP[1], {"terms_version": terms.pk})["Location"] == STEP[2]
    if number >= 2:
        assert client.post(STEP[2])["Location"] == STEP[3]
    if number >= 3:
        response = client.post(STEP[3], operations or _family(pensioner))
        assert response.status_code == 302, _text(response)
    return _draft(pensioner)


def _items(request: EnrollmentRequest) -> list[tuple]:
    return list(request.items.order_by("id").values_list("dependent_id", "operation", "status_after"))


def test_the_entry_opens_step_one_for_a_new_pensioner(client_a):
    assert client_a.get(WIZARD)["Location"] == STEP[1]


def test_step_one_shows_the_terms_and_records_which_version_was_accepted_and_when(client_a, pensioner_a):
    page = _text(client_a.get(STEP[1]))
    terms = TermsVersion.objects.get(period__is_active=True)
    assert "مرحله ۱ از ۴" in page and "تایید و ادامه" in page and "همسر همراه مستمری‌بگیر اصلی" in page
    client_a.post(STEP[1], {"terms_version": terms.pk})
    draft = _draft(pensioner_a)
    assert draft.terms_version == terms
    assert timezone.now() - draft.terms_accepted_at < dt.timedelta(seconds=10)


def test_step_one_refuses_terms_the_pensioner_has_not_seen(client_a, pensioner_a):
    client_a.get(STEP[1])
    terms = TermsVersion.objects.get(period__is_active=True)
    newer = TermsVersion.objects.create(period=terms.period, version=2, text="متن تازه")
    response = client_a.post(STEP[1], {"terms_version": terms.pk}, follow=True)
    assert "متن شرایط به‌روز شده است" in _text(response)
    assert _draft(pensioner_a).terms_version is None
    assert "متن تازه" in _text(response) and newer.pk


def test_step_two_shows_the_pensioners_data_in_persian_digits(client_a):
    _through_step(client_a, 1, None)
    page = _text(client_a.get(STEP[2]))
    for shown in ["محمد احمدی", "۰۰۱۰۰۰۰۰۱۱", "۱۰۰۰۰۰۰۱۱", "شعبه ۱۲ تهران", "۰۹۱۲۰۰۰۰۰۰۱"]:
        assert shown in page
    assert "اطلاعات من مغایرت دارد" in page


def test_a_data_mismatch_shows_the_branch_to_visit_and_ends_there(client_a):
    _through_step(client_a, 1, None)
    page = _text(client_a.get(reverse("portal:data_mismatch")))
    assert "شعبه ۱۲ تهران" in page and "خیابان انقلاب" in page and "۰۲۱۶۶۴۰۰۰۱۲" in page
    assert 'action="/enrollment/people/"' not in page


def test_step_three_lists_current_people_with_jalali_dates_and_the_ended_guardianship_note(client_a, pensioner_a):
    _through_step(client_a, 2, pensioner_a)
    page = _text(client_a.get(STEP[3]))
    ali = pensioner_a.dependents.get(first_name="علی")
    maryam = pensioner_a.dependents.get(first_name="مریم")
    assert "محمد احمدی" in page and "فاطمه احمدی" in page and "علی احمدی" in page
    assert "مریم احمدی" not in page and f"op-{maryam.pk}" not in page
    assert format_date(ali.guardianship_end) in page
    assert "تاریخ خاتمه کفالت آنها گذشته است" in page
    assert "وضعیت جدید بیمه تکمیلی" in page and page.count("ثبت‌نام</label>") == 3


def test_step_three_lists_the_pensioner_the_spouse_then_children_and_confirms_with_the_directives_words(
    client_a, pensioner_a
):
    _through_step(client_a, 2, pensioner_a)
    page = _text(client_a.get(STEP[3]))
    order = [page.index(name) for name in ("محمد احمدی", "فاطمه احمدی", "علی احمدی")]
    assert order == sorted(order)
    assert ">تایید و ادامه</button>" in page


def test_the_review_of_a_withdrawal_says_from_which_month_deductions_stop(client, pensioner_b):
    sign_in(client, pensioner_b)
    spouse = pensioner_b.dependents.get(relation="spouse")
    _through_step(client, 3, pensioner_b, {"op-self": "withdraw", f"op-{spouse.pk}": "withdraw"})
    page = _text(client.get(STEP[4]))
    stop = jalali.format_month(jalali.add_months(jalali.today(), 1))
    assert "متوقف می‌شود" in page and stop in page
    assert "کسر حق بیمه ثبت‌نام‌شدگان" not in page  # nobody enrolls: no start month


def test_step_three_names_the_person_and_the_rule_and_saves_nothing(client_a, pensioner_a):
    _through_step(client_a, 2, pensioner_a)
    spouse = pensioner_a.dependents.get(first_name="فاطمه")
    response = client_a.post(STEP[3], {"op-self": "none", f"op-{spouse.pk}": "enroll"})
    assert response.status_code == 200
    assert "فاطمه احمدی: ثبت‌نام افراد تبعی فقط همراه با عضویت مستمری‌بگیر اصلی ممکن است." in _text(response)
    assert _items(_draft(pensioner_a)) == []


def test_step_three_needs_at_least_one_change(client_a, pensioner_a):
    _through_step(client_a, 2, pensioner_a)
    response = client_a.post(STEP[3], {"op-self": "none"})
    assert "دست‌کم برای یک نفر" in _text(response)
    assert _items(_draft(pensioner_a)) == []


@pytest.mark.parametrize("who", ["expired", "foreign", "unknown"])
def test_a_crafted_dependent_is_refused_and_changes_nothing(client_a, pensioner_a, pensioner_b, who):
    draft = _through_step(client_a, 3, pensioner_a)
    before = _items(draft)
    crafted = {
        "expired": lambda: pensioner_a.dependents.get(first_name="مریم").pk,
        "foreign": lambda: pensioner_b.dependents.get().pk,
        "unknown": lambda: Dependent.objects.order_by("-pk").first().pk + 1000,
    }[who]()
    response = client_a.post(STEP[3], {**_family(pensioner_a, child="none"), f"op-{crafted}": "enroll"})
    assert response.status_code == 200
    assert "فردی که انتخاب شده در فهرست افراد شما نیست" in _text(response)
    assert _items(draft) == before
    assert not pensioner_b.dependents.get().request_items.exists()


def test_step_four_shows_before_after_and_the_monthly_premiums(client_a, pensioner_a):
    _through_step(client_a, 3, pensioner_a)
    page = _text(client_a.get(STEP[4]))
    # health 7.5M + life 1.5M for the pensioner and the spouse; health 6M for the child (rials a month)
    assert page.count("۹٬۰۰۰٬۰۰۰ ریال افزایش") == 2 and "۶٬۰۰۰٬۰۰۰ ریال افزایش" in page
    assert "۲۴٬۰۰۰٬۰۰۰ ریال افزایش" in page
    assert "ثبت نهایی" in page and f'href="{STEP[3]}"' in page


def test_back_to_step_three_keeps_the_choices_and_an_edit_reaches_step_four(client_a, pensioner_a):
    _through_step(client_a, 3, pensioner_a)
    ali = pensioner_a.dependents.get(first_name="علی")
    page = _text(client_a.get(STEP[3]))
    assert f'name="op-{ali.pk}" value="enroll" checked' in page
    assert client_a.post(STEP[3], _family(pensioner_a, child="none"))["Location"] == STEP[4]
    page = _text(client_a.get(STEP[4]))
    assert "۱۸٬۰۰۰٬۰۰۰ ریال افزایش" in page
    assert f'name="op-{ali.pk}" value="none" checked' in _text(client_a.get(STEP[3]))


def test_submitting_sends_the_request_to_the_kanoon_and_shows_the_tracking_code(client_a, pensioner_a):
    draft = _through_step(client_a, 3, pensioner_a)
    response = client_a.post(STEP[4], {"draft": draft.pk})
    draft.refresh_from_db()
    assert draft.status == RequestStatus.KANOON_REVIEW
    assert response["Location"] == reverse("portal:done", args=[draft.tracking_code])
    page = _text(client_a.get(response["Location"]))
    persian_code = draft.tracking_code.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert "کد رهگیری" in page and persian_code in page and draft.tracking_code not in page
    assert "کانون بازنشستگان و مستمری‌بگیران تأمین اجتماعی شهرستان تهران" in page
    assert "@media print" not in page  # the print style lives in the stylesheet
    sms = OutboxMessage.objects.get(request=draft, template="request_submitted")
    assert draft.tracking_code in sms.text


def test_a_drafts_history_is_its_creation_and_its_submission_whose_log_entry_tells_what_was_accepted(
    client_a, pensioner_a
):
    draft = _through_step(client_a, 3, pensioner_a)  # terms accepted and choices saved: no version each
    assert list(draft.history.values_list("status", flat=True)) == [RequestStatus.DRAFT]
    client_a.post(STEP[4], {"draft": draft.pk})
    assert list(draft.history.order_by("history_id").values_list("status", flat=True)) == [
        RequestStatus.DRAFT,
        RequestStatus.KANOON_REVIEW,
    ]
    entry = AuditEntry.objects.get(object_id=draft.pk, action=Action.REQUEST_SUBMIT)
    told = {change["field"]: change["new"] for change in entry.changes}
    assert told["نسخه شرایط پذیرفته‌شده"].endswith("نسخه ۱") and told["تعداد ثبت‌نام"] != "۰"


def test_a_double_submit_files_one_request_and_one_sms_and_shows_the_same_confirmation(client_a, pensioner_a):
    draft = _through_step(client_a, 3, pensioner_a)
    first = client_a.post(STEP[4], {"draft": draft.pk})
    second = client_a.post(STEP[4], {"draft": draft.pk})
    assert first["Location"] == second["Location"] == reverse("portal:done", args=[draft.tracking_code])
    assert EnrollmentRequest.objects.filter(pensioner=pensioner_a).count() == 1
    assert OutboxMessage.objects.filter(template="request_submitted").count() == 1
    assert draft.history.filter(status=RequestStatus.KANOON_REVIEW).count() == 1


def test_posting_step_four_without_steps_one_to_three_is_refused(client_a, pensioner_a):
    client_a.get(WIZARD)
    draft = _draft(pensioner_a)
    response = client_a.post(STEP[4], {"draft": draft.pk}, follow=True)
    assert "ابتدا مرحله ۱ را کامل کنید" in _text(response)
    draft.refresh_from_db()
    assert draft.status == RequestStatus.DRAFT
    assert not OutboxMessage.objects.filter(template="request_submitted").exists()


def test_posting_step_four_after_only_the_terms_is_refused(client_a, pensioner_a):
    draft = _through_step(client_a, 2, pensioner_a)
    response = client_a.post(STEP[4], {"draft": draft.pk}, follow=True)
    assert "ابتدا مرحله ۳ را کامل کنید" in _text(response)
    draft.refresh_from_db()
    assert draft.status == RequestStatus.DRAFT


@pytest.mark.parametrize("step", [2, 3, 4])
def test_a_later_step_cannot_be_opened_or_posted_early(client_a, pensioner_a, step):
    client_a.get(WIZARD)
    assert client_a.get(STEP[step])["Location"] == STEP[1]
    data = {2: {}, 3: _family(pensioner_a), 4: {"draft": _draft(pensioner_a).pk}}[step]
    assert client_a.post(STEP[step], data)["Location"] == STEP[1]
    assert _items(_draft(pensioner_a)) == []


def test_another_pensioners_draft_cannot_be_submitted(client_a, pensioner_b):
    foreign = drafts.draft_open(pensioner=pensioner_b)
    response = client_a.post(STEP[4], {"draft": foreign.pk}, follow=True)
    assert "این درخواست یافت نشد" in _text(response)
    foreign.refresh_from_db()
    assert foreign.status == RequestStatus.DRAFT


@pytest.mark.parametrize("draft", ["", "12a", "-1", "9" * 19, "9" * 40])
def test_a_draft_number_no_row_can_have_is_not_found(client_a, draft):
    response = client_a.post(STEP[4], {"draft": draft}, follow=True)
    assert response.status_code == 200 and "این درخواست یافت نشد" in _text(response)


def test_the_draft_survives_sign_out_and_the_pensioner_resumes_at_the_right_step(client, pensioner_a):
    sign_in(client, pensioner_a)
    _through_step(client, 1, pensioner_a)
    client.post(reverse("portal:logout"))
    sign_in(client, pensioner_a)
    assert client.get(WIZARD)["Location"] == STEP[2]
    _through_step(client, 3, pensioner_a)
    client.post(reverse("portal:logout"))
    sign_in(client, pensioner_a)
    assert client.get(WIZARD)["Location"] == STEP[4]
    ali = pensioner_a.dependents.get(first_name="علی")
    assert f'name="op-{ali.pk}" value="enroll" checked' in _text(client.get(STEP[3]))
    assert EnrollmentRequest.objects.filter(pensioner=pensioner_a).count() == 1


def _all_steps_refused(client, pensioner, message: str) -> None:
    for url in [WIZARD, *STEP.values()]:
        response = client.get(url)
        assert response.status_code == 403 and message in _text(response), url
    for url in STEP.values():
        response = client.post(url, {"terms_version": "1", "draft": "1", "op-self": "enroll"})
        assert response.status_code == 403 and message in _text(response), url
    assert not EnrollmentRequest.objects.filter(pensioner=pensioner).exclude(status=RequestStatus.DRAFT).exists()


def test_a_colleague_is_told_why_and_no_step_is_reachable(client, pensioner_c):
    sign_in(client, pensioner_c)
    _all_steps_refused(client, pensioner_c, "ویژه مستمری‌بگیران غیرهمکار")
    assert not EnrollmentRequest.objects.filter(pensioner=pensioner_c).exists()


def test_an_inactive_file_is_told_to_visit_the_branch(client, pensioner_a):
    Pensioner.objects.filter(pk=pensioner_a.pk).update(file_active=False)
    sign_in(client, pensioner_a)
    _all_steps_refused(client, pensioner_a, "پرونده مستمری شما در حال حاضر فعال نیست")


def test_outside_the_window_nothing_can_be_filed_not_even_a_ready_draft(client_a, pensioner_a):
    draft = _through_step(client_a, 3, pensioner_a)
    now = timezone.now()
    ContractPeriod.objects.filter(is_active=True).update(
        window_opens_at=now - dt.timedelta(days=40), window_closes_at=now - dt.timedelta(days=1)
    )
    period_current_forget()  # what a save of the period does (policies/signals.py); update() sends no signal
    _all_steps_refused(client_a, pensioner_a, "مهلت ثبت درخواست بیمه تکمیلی باز نیست")
    response = client_a.post(STEP[4], {"draft": draft.pk})
    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.status == RequestStatus.DRAFT
    assert not OutboxMessage.objects.filter(template="request_submitted").exists()


def test_a_second_request_in_the_period_waits_for_the_first(client_a, pensioner_a):
    submitted = file_request(pensioner_a)
    response = client_a.get(WIZARD)
    persian_code = submitted.tracking_code.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert response.status_code == 403 and persian_code in _text(response) and "در حال بررسی است" in _text(response)
    terms = TermsVersion.objects.get(period__is_active=True)
    assert client_a.post(STEP[1], {"terms_version": terms.pk}).status_code == 403
    assert EnrollmentRequest.objects.filter(pensioner=pensioner_a).count() == 1


def test_the_confirmation_of_someone_elses_request_does_not_exist(client_a, pensioner_b):
    other = file_request(pensioner_b, {"self": Operation.WITHDRAW, str(pensioner_b.dependents.get().pk): "withdraw"})
    assert client_a.get(reverse("portal:done", args=[other.tracking_code])).status_code == 404
