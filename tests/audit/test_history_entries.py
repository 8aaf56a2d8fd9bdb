"""Every kind of object writes its changes to the log, in words, with the offices it belongs to."""

import re

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from audit.models import Action, ActorKind, AuditEntry
from enrollment import workflow
from enrollment.deductions.models import DeductionDocument
from enrollment.models import Pensioner
from policies import services
from policies.models import PremiumRate
from portal.models import Announcement
from tests.enrollment.conftest import file_request

pytestmark = pytest.mark.django_db

LATIN_OR_CODE = re.compile(r"[0-9]|kanoon_review|branch_review|accepted|True|False|None")


def _entries(obj) -> list[AuditEntry]:
    kind = f"{obj._meta.app_label}.{obj._meta.model_name}"
    return list(AuditEntry.objects.filter(object_kind=kind, object_id=str(obj.pk)).order_by("at", "id"))


def _words_only(entry: AuditEntry) -> None:
    """No codes, Latin digits, Gregorian dates or «None» in what a person reads."""
    for change in entry.changes:
        for text in (change["field"], change["old"], change["new"]):
            assert not LATIN_OR_CODE.search(text), (entry.object_label, change)


def test_a_requests_moves_are_written_with_who_where_and_the_status_labels(submitted_a, kanoon_tehran, world):
    workflow.request_kanoon_approve(request_id=submitted_a.pk, by=kanoon_tehran, note="مدارک کامل است")

    entries = _entries(submitted_a)
    submit = next(e for e in entries if e.action == Action.REQUEST_SUBMIT)
    assert submit.actor_kind == ActorKind.PENSIONER and submit.actor is None
    approve = entries[-1]
    assert approve.action == Action.KANOON_APPROVE
    assert (approve.actor, approve.actor_kind) == (kanoon_tehran, ActorKind.STAFF)
    assert approve.actor_name == kanoon_tehran.get_full_name()
    assert approve.actor_role == "کارکنان کانون" and "تهران" in approve.actor_office
    assert {
        "field": "وضعیت",
        "old": "در حال بررسی کانون بازنشستگان و مستمری‌بگیران",
        "new": "در حال بررسی - نیاز به رسیدگی شعبه",
    } in approve.changes
    assert "مدارک کامل است" in approve.reason
    assert (approve.kanoon_id, approve.branch_id) == (submitted_a.kanoon_id, submitted_a.branch_id)
    assert approve.province_id == submitted_a.kanoon.county.province_id
    assert (approve.national_code, approve.tracking_code) == ("0010000011", submitted_a.tracking_code)
    assert approve.history_id == submitted_a.history.latest().history_id
    for entry in entries:
        _words_only(entry)


def test_a_set_move_writes_one_entry_per_request_in_the_same_words(pensioner_a, pensioner_b, kanoon_tehran):
    first = file_request(pensioner_a)
    report = workflow.moves_apply("kanoon_reject", [first.pk], user=kanoon_tehran, reason_code="duplicate")
    assert len(report.done) == 1
    entry = _entries(first)[-1]
    assert entry.action == Action.KANOON_REJECT and entry.actor == kanoon_tehran
    assert {
        "field": "وضعیت",
        "old": "در حال بررسی کانون بازنشستگان و مستمری‌بگیران",
        "new": "مختومه - عدم تایید کانون",
    } in entry.changes
    assert {"field": "علت عدم تایید", "old": "—", "new": "درخواست تکراری"} in entry.changes
    assert entry.reason.startswith("عدم تایید کانون") and entry.tracking_code == first.tracking_code
    _words_only(entry)


def test_acceptance_writes_the_payroll_flags_and_the_deduction_documents(submitted_a, kanoon_tehran, branch_tehran):
    workflow.request_kanoon_approve(request_id=submitted_a.pk, by=kanoon_tehran)
    workflow.request_branch_accept(request_id=submitted_a.pk, by=branch_tehran)

    flag = _entries(Pensioner.objects.get(national_code="0010000011"))[-1]
    assert flag.action == Action.PAYROLL_FLAG and flag.actor == branch_tehran
    assert flag.changes == [{"field": "بیمه تکمیلی (نحوه پرداخت)", "old": "خیر", "new": "بله"}]
    assert submitted_a.tracking_code in flag.reason and flag.branch_id == submitted_a.branch_id

    document = DeductionDocument.objects.filter(source_request=submitted_a, dependent=None, kind="health").get()
    (created,) = _entries(document)
    assert created.action == Action.CREATED and created.tracking_code == submitted_a.tracking_code
    amount = {c["field"]: c["new"] for c in created.changes}["مبلغ ماهانه (ریال)"]
    assert re.fullmatch(r"[۰-۹]{1,3}(٬[۰-۹]{3})+", amount)
    first_month = {c["field"]: c["new"] for c in created.changes}["ماه شروع کسر"]
    assert re.fullmatch(r"۱۴[۰-۹]{2}/[۰-۹]{2}/۰۱", first_month)
    _words_only(created)


def test_periods_rates_and_terms_are_written_with_no_office(world, manager):
    new = services.period_next_create(
        current=world,
        by=manager,
        title="قرارداد ۱۴۰۶-۱۴۰۷",
        window_opens_at=world.window_opens_at,
        window_closes_at=world.window_closes_at,
    )
    (period,) = _entries(new)
    assert period.action == Action.CREATED and period.actor == manager and period.province_id is None
    assert period.object_label == "دوره قرارداد «قرارداد ۱۴۰۶-۱۴۰۷»"
    rate = PremiumRate.objects.filter(period=new).first()
    assert _entries(rate)[0].actor == manager  # written in bulk with the period's rates
    more = {"full_premium": rate.full_premium + 1000, "sso_subsidy": rate.sso_subsidy + 1000}
    services.premium_rate_update(rate=rate, by=manager, changes=more, reason="اصلاح نرخ")
    changed = _entries(rate)[-1]
    assert changed.action == Action.CHANGED and changed.reason == "اصلاح نرخ"
    assert {c["field"] for c in changed.changes} == {"حق بیمه کامل (ریال)", "مساعدت سازمان (ریال)"}
    terms = services.terms_version_add(period=new, text="شرایط تازه")
    assert _entries(terms)[-1].object_label.startswith("نسخه ۲ شرایط دوره")
    for entry in AuditEntry.objects.filter(object_kind__startswith="policies."):
        _words_only(entry)


def test_announcements_are_recorded_with_their_changes(db, client):
    pr = User.objects.create_user("pr_1", is_staff=True, is_superuser=True, first_name="سارا", last_name="کاظمی")
    client.force_login(pr)
    announcement = Announcement.objects.create(title="آغاز ثبت‌نام", body="متن")
    response = client.post(
        f"/admin/portal/announcement/{announcement.pk}/change/",
        {"title": "آغاز ثبت‌نام ۱۴۰۶", "body": "متن", "is_published": "on", "publish_from": "1405/09/01 08:00"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    changed = _entries(announcement)[-1]
    assert changed.actor_name == "سارا کاظمی" and changed.actor_kind == ActorKind.STAFF
    changes = {c["field"]: (c["old"], c["new"]) for c in changed.changes}
    assert changes["عنوان"] == ("آغاز ثبت‌نام", "آغاز ثبت‌نام ۱۴۰۶") and changes["منتشر شود"] == ("خیر", "بله")
    assert changes["نمایش از"][1] == "۱۴۰۵/۰۹/۰۱ ۰۸:۰۰"


def test_the_backfill_writes_the_entries_older_history_lacks_once(submitted_a, kanoon_tehran):
    workflow.request_kanoon_approve(request_id=submitted_a.pk, by=kanoon_tehran)
    expected = [(e.action, e.actor_id, e.changes, e.reason) for e in _entries(submitted_a)]
    AuditEntry.objects.all().delete()

    call_command("audit_backfill", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("audit_backfill", stdout=open("/dev/null", "w"))  # noqa: SIM115

    assert [(e.action, e.actor_id, e.changes, e.reason) for e in _entries(submitted_a)] == expected
    assert AuditEntry.objects.filter(object_kind="enrollment.pensioner").exists()


def test_the_history_manager_class_is_built_once_and_still_reads_each_rows_history(submitted_a, world):
    other = Pensioner.objects.exclude(pk=submitted_a.pensioner_id).first()
    # simple-history asks for the manager on every save of a tracked row: one class, not one per access.
    assert type(submitted_a.history) is type(submitted_a.history) is type(other.history)
    assert submitted_a.history.count() >= 1
    assert {h.id for h in submitted_a.history.all()} == {submitted_a.pk}
