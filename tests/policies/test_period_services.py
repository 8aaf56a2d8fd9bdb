"""A period's year: the next period made from the current one, activation, closing, the announcement."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from policies import services
from policies.models import RATE_FIELDS, RULE_FIELDS, ContractPeriod, PremiumRate
from policies.selectors import period_accepting_submissions, period_active, terms_current
from portal import announcements
from portal.models import Announcement

OPENS = dt.datetime(2027, 10, 1, 8, 0, tzinfo=dt.UTC)
CLOSES = dt.datetime(2027, 11, 1, 20, 0, tzinfo=dt.UTC)


def _next(current: ContractPeriod, by, **kwargs) -> ContractPeriod:
    fields = {"title": "قرارداد ۱۴۰۶-۱۴۰۷", "window_opens_at": OPENS, "window_closes_at": CLOSES, **kwargs}
    return services.period_next_create(current=current, by=by, **fields)


def _rates(period: ContractPeriod) -> list[tuple]:
    return sorted(period.rates.values_list(*RATE_FIELDS))


def test_next_period_copies_every_rule_rate_and_the_terms_as_version_one_and_is_not_active(world, manager):
    world.child_max_age, world.parent_max_age, world.withdrawal_policy = 25, 80, "never"
    world.spouse_with_main = False
    world.save()
    new = _next(world, manager)
    assert not new.is_active and period_active() == world
    assert {name: getattr(new, name) for name in RULE_FIELDS} == {name: getattr(world, name) for name in RULE_FIELDS}
    assert new.insurer == world.insurer and new.directive_reference == ""
    assert _rates(new) == _rates(world) and len(_rates(new)) == 8
    assert list(new.terms.values_list("version", "text")) == [(1, terms_current(period=world).text)]
    assert (new.window_opens_at, new.window_closes_at) == (OPENS, CLOSES)


def test_next_period_covers_the_next_contract_year_1_azar_to_30_aban(world, manager):
    new = _next(world, manager)
    assert world.coverage_start == dt.date(2026, 11, 22)  # 1 Azar 1405
    assert new.coverage_start == dt.date(2027, 11, 22)  # 1 Azar 1406
    assert new.coverage_end == dt.date(2028, 11, 20)  # 30 Aban 1407 (1406 is a leap year: Esfand has 30 days)


def test_next_period_rates_are_copies_the_managers_may_edit_without_touching_the_current_ones(world, manager):
    new = _next(world, manager)
    copied = new.rates.get(kind="health", relation="self", min_age=0)
    services.premium_rate_update(
        rate=copied,
        by=manager,
        changes={"full_premium": 14_000_000, "insured_share": 9_000_000},
        reason="نرخ قرارداد ۱۴۰۶",
    )
    assert world.rates.get(kind="health", relation="self", min_age=0).insured_share == 7_500_000
    assert new.rates.get(pk=copied.pk).insured_share == 9_000_000
    record = copied.history.latest()
    assert (record.history_user, record.history_change_reason) == (manager, "نرخ قرارداد ۱۴۰۶")


def test_next_period_writes_history_with_the_user_and_where_it_came_from(world, manager):
    new = _next(world, manager)
    record = new.history.get()
    assert record.history_user == manager and world.title in record.history_change_reason
    rate_records = PremiumRate.history.filter(period_id=new.pk)
    assert rate_records.count() == 8 and {r.history_user for r in rate_records} == {manager}


def test_next_period_twice_is_refused(world, manager):
    new = _next(world, manager)
    with pytest.raises(ValidationError) as error:
        _next(world, manager, title="دوباره")
    assert error.value.messages == [f"دوره بعد از «{world.title}» پیش‌تر ساخته شده است: «{new.title}»."]
    assert ContractPeriod.objects.count() == 2


def test_next_period_with_its_window_in_reverse_is_refused_and_nothing_is_made(world, manager):
    with pytest.raises(ValidationError):
        _next(world, manager, window_opens_at=CLOSES, window_closes_at=OPENS)
    assert ContractPeriod.objects.count() == 1 and PremiumRate.objects.count() == 8


def test_activation_switches_the_active_period_in_one_move_with_history(world, manager):
    new = _next(world, manager)
    services.period_activate(period=new, by=manager)
    world.refresh_from_db()
    new.refresh_from_db()
    assert new.is_active and not world.is_active
    assert list(ContractPeriod.objects.filter(is_active=True)) == [new]
    assert world.history.latest().history_user == manager and new.title in world.history.latest().history_change_reason
    assert new.history.latest().history_change_reason == "فعال شدن به‌عنوان دوره جاری"


def test_activation_of_the_active_period_or_one_without_terms_is_refused(world, manager):
    with pytest.raises(ValidationError):
        services.period_activate(period=world, by=manager)
    new = _next(world, manager)
    new.terms.all().delete()
    with pytest.raises(ValidationError) as error:
        services.period_activate(period=new, by=manager)
    assert "متن شرایط قرارداد" in error.value.messages[0]
    assert period_active() == world


def test_close_stops_submissions_now_and_keeps_the_period(world, manager):
    assert period_accepting_submissions() == world
    before = timezone.now()
    services.period_close(period=world, by=manager)
    world.refresh_from_db()
    assert period_accepting_submissions() is None
    assert before <= world.window_closes_at <= timezone.now()
    assert world.is_active and ContractPeriod.objects.filter(pk=world.pk).exists()
    record = world.history.latest()
    assert record.history_user == manager and record.history_change_reason.startswith("بستن مهلت ثبت درخواست")


def test_close_is_refused_when_already_closed_or_not_yet_open(world, manager):
    services.period_close(period=world, by=manager)
    with pytest.raises(ValidationError) as error:
        services.period_close(period=world, by=manager)
    assert "پیش‌تر بسته شده است" in error.value.messages[0]
    future = _next(world, manager, window_opens_at=timezone.now() + dt.timedelta(days=300))
    with pytest.raises(ValidationError) as error:
        services.period_close(period=future, by=manager)
    assert "هنوز آغاز نشده است" in error.value.messages[0]


def test_announce_makes_an_unpublished_draft_with_the_window_in_jalali(world, manager):
    new = _next(world, manager, window_opens_at=OPENS, window_closes_at=CLOSES)
    note = announcements.period_announce(period=new, by=manager)
    assert not note.is_published and not Announcement.objects.published().exists()
    assert new.title in note.title and note.created_by == manager
    assert "۱۴۰۶/۰۷/۰۹ ۱۱:۳۰" in note.body  # 1 Oct 2027 08:00 UTC in Tehran
    assert "۱۴۰۶/۰۸/۱۰ ۲۳:۳۰" in note.body
    assert "۱ آذر ۱۴۰۶" in note.body and "درخواست جدید" in note.body  # the insured of the period before stay
    assert note.publish_until == CLOSES


def test_announce_after_the_window_is_refused(world, manager):
    services.period_close(period=world, by=manager)
    with pytest.raises(ValidationError):
        announcements.period_announce(period=world, by=manager)
    assert not Announcement.objects.exists()


# --- The admin actions: each calls its service and reports per period ---------------------------


def _action(client, action: str, periods, **data):
    url = reverse("admin:policies_contractperiod_changelist")
    return client.post(url, {"action": action, "_selected_action": [p.pk for p in periods], **data}, follow=True)


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_admin_next_period_asks_for_title_and_jalali_window_then_creates_it(client, world, manager):
    client.force_login(manager)
    page = _action(client, "next_period_create", [world])
    assert page.status_code == 200
    assert "۱۴۰۶/۰۹/۰۱" in page.content.decode() and "۱۴۰۶-۱۴۰۷" in page.content.decode()
    done = _action(
        client,
        "next_period_create",
        [world],
        apply="1",
        title="قرارداد آزمایشی ۱۴۰۶",
        window_opens_at="۱۴۰۶/۰۷/۰۱ ۰۸:۰۰",
        window_closes_at="1406/08/15 20:00",
    )
    new = ContractPeriod.objects.get(title="قرارداد آزمایشی ۱۴۰۶")
    assert not new.is_active and new.rates.count() == 8
    assert timezone.localtime(new.window_opens_at).strftime("%Y-%m-%d %H:%M") == "2027-09-23 08:00"
    assert any("قرارداد آزمایشی ۱۴۰۶" in text for text in _messages(done))


def test_admin_next_period_shows_form_errors_and_makes_nothing(client, world, manager):
    client.force_login(manager)
    page = _action(
        client,
        "next_period_create",
        [world],
        apply="1",
        title="x",
        window_opens_at="۱۴۰۶/۰۸/۱۵",
        window_closes_at="۱۴۰۶/۰۷/۰۱",
    )
    assert "پایان مهلت ثبت درخواست باید بعد از شروع آن باشد." in page.content.decode()
    assert ContractPeriod.objects.count() == 1


def test_admin_activate_announce_and_close_report_per_period(client, world, manager):
    new = _next(world, manager, window_opens_at=timezone.now() - dt.timedelta(days=1))
    client.force_login(manager)
    assert any("دوره جاری شد" in text for text in _messages(_action(client, "activate", [new])))
    assert period_active() == new
    announced = _messages(_action(client, "announce", [new]))
    assert any("پیش‌نویس اطلاعیه" in text for text in announced)
    assert Announcement.objects.get().is_published is False
    closed = _messages(_action(client, "close", [world, new]))
    assert len([text for text in closed if "بسته شد" in text]) == 2
    assert period_accepting_submissions() is None
    again = _messages(_action(client, "close", [new]))
    assert again == [f"«{new.title}»: مهلت ثبت درخواست دوره «{new.title}» پیش‌تر بسته شده است."]


def test_admin_actions_are_not_offered_to_an_auditor(client, world):
    from django.contrib.auth.models import User

    client.force_login(User.objects.get(username="auditor"))
    page = client.get(reverse("admin:policies_contractperiod_changelist"))
    assert page.status_code == 200
    assert "next_period_create" not in page.content.decode()
    response = _action(client, "close", [world])
    world.refresh_from_db()
    assert period_accepting_submissions() == world and response.status_code == 200
    assert not ContractPeriod.objects.filter(~Q(pk=world.pk)).exists()
