"""What a request accepted stays as it was: a period's coverage, rules and rates, and the terms version
itself. A change is a new terms version or a new period."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from core import jalali
from enrollment import workflow
from enrollment.models import RequestStatus
from policies import services
from policies.models import LOCKED_BY_DEDUCTIONS, LOCKED_BY_REQUESTS, TERMS_LOCKED, PremiumRate, TermsVersion
from policies.selectors import terms_current
from tests.enrollment.conftest import file_request


@pytest.fixture
def accepted(world, pensioner_a, kanoon_tehran, branch_tehran):
    """Pensioner A's request, filed through the wizard's services and accepted by Kanoon and branch."""
    request = file_request(pensioner_a)
    workflow.request_kanoon_approve(request_id=request.pk, by=kanoon_tehran)
    return workflow.request_branch_accept(request_id=request.pk, by=branch_tehran)


def _rate(period) -> PremiumRate:
    return period.rates.get(kind="health", relation="self", min_age=0)


def test_rules_cannot_change_after_acceptance_and_nothing_changes(accepted, world, manager):
    assert accepted.status == RequestStatus.ACCEPTED
    with pytest.raises(ValidationError) as error:
        services.period_update(period=world, by=manager, changes={"child_max_age": 30}, reason="سقف تازه")
    assert error.value.messages == [LOCKED_BY_REQUESTS]
    world.refresh_from_db()
    assert world.child_max_age == 25
    history_rows = world.history.count()
    world.children_all_or_nothing = False
    with pytest.raises(ValidationError) as error:
        world.full_clean()
    assert error.value.message_dict == {"children_all_or_nothing": [LOCKED_BY_REQUESTS]}
    assert world.history.count() == history_rows


def test_coverage_cannot_move_after_acceptance(accepted, world, manager):
    with pytest.raises(ValidationError):
        services.period_update(
            period=world, by=manager, changes={"coverage_start": world.coverage_start.replace(day=1)}, reason="x"
        )


def test_the_window_and_title_can_still_change_after_acceptance(accepted, world, manager):
    later = world.window_closes_at.replace(year=world.window_closes_at.year + 1)
    services.period_update(period=world, by=manager, changes={"window_closes_at": later}, reason="تمدید مهلت")
    world.refresh_from_db()
    assert world.window_closes_at == later
    assert world.history.latest().history_change_reason == "تمدید مهلت"


def test_rates_cannot_change_be_added_after_acceptance(accepted, world, manager):
    rate = _rate(world)
    with pytest.raises(ValidationError) as error:
        services.premium_rate_update(
            rate=rate, by=manager, changes={"full_premium": 13_000_000, "insured_share": 8_000_000}, reason="x"
        )
    assert error.value.messages == [LOCKED_BY_REQUESTS]
    assert PremiumRate.objects.get(pk=rate.pk).insured_share == 7_500_000
    rate.insured_share, rate.full_premium = 8_000_000, 13_000_000
    with pytest.raises(ValidationError):
        rate.full_clean()
    new_band = PremiumRate(
        period=world, kind="life", relation="child", full_premium=1_000, sso_subsidy=0, insured_share=1_000
    )
    with pytest.raises(ValidationError) as error:
        new_band.full_clean()
    assert error.value.messages == [LOCKED_BY_REQUESTS]


def test_an_accepted_terms_version_cannot_change_but_a_new_version_can_be_added(accepted, world):
    terms = accepted.terms_version
    terms.text = "متن دیگر"
    with pytest.raises(ValidationError) as error:
        terms.full_clean()
    assert error.value.messages == [TERMS_LOCKED]
    newer = services.terms_version_add(period=world, text="متن شرایط، نسخه اصلاح‌شده")
    assert newer.version == 2 and terms_current(period=world) == newer
    assert TermsVersion.objects.get(pk=terms.pk).text != "متن دیگر"


def test_a_submitted_request_alone_freezes_the_rules(world, pensioner_a, manager):
    file_request(pensioner_a)  # with the Kanoon: the pensioner accepted the terms and the rules held
    with pytest.raises(ValidationError):
        services.period_update(period=world, by=manager, changes={"child_max_age": 30}, reason="x")


def test_a_draft_freezes_the_terms_it_accepted_but_not_the_rules(world, pensioner_a, manager):
    from enrollment import drafts

    draft = drafts.draft_open(pensioner=pensioner_a)
    drafts.draft_terms_accept(draft=draft, terms=terms_current(period=world))
    services.period_update(period=world, by=manager, changes={"child_max_age": 24}, reason="پیش از ثبت")
    world.refresh_from_db()
    assert world.child_max_age == 24
    terms = terms_current(period=world)
    terms.text = "متن دیگر"
    with pytest.raises(ValidationError):
        terms.full_clean()


def test_before_any_submission_rules_rates_and_terms_can_change(world, manager):
    new = services.period_next_create(
        current=world,
        by=manager,
        title="قرارداد ۱۴۰۶-۱۴۰۷",
        window_opens_at=world.window_opens_at,
        window_closes_at=world.window_closes_at,
    )
    services.period_update(period=new, by=manager, changes={"parent_max_age": 85}, reason="بخشنامه")
    services.premium_rate_update(
        rate=_rate(new), by=manager, changes={"full_premium": 13_000_000, "insured_share": 8_000_000}, reason="x"
    )
    terms = terms_current(period=new)
    terms.text = "متن اصلاح‌شده"
    terms.full_clean()
    new.refresh_from_db()
    assert new.parent_max_age == 85 and _rate(new).insured_share == 8_000_000


def test_deduction_documents_alone_freeze_rates_and_coverage_but_not_rules(world, manager):
    assert world.deductiondocument_set.exists() and not world.requests.exists()  # pensioner B's carried documents
    with pytest.raises(ValidationError) as error:
        services.premium_rate_update(rate=_rate(world), by=manager, changes={"max_age": 65}, reason="x")
    assert error.value.messages == [LOCKED_BY_DEDUCTIONS]
    with pytest.raises(ValidationError):
        services.period_update(
            period=world, by=manager, changes={"coverage_end": world.coverage_end.replace(day=1)}, reason="x"
        )
    services.period_update(period=world, by=manager, changes={"child_max_age": 24}, reason="بخشنامه")


# --- The admin: frozen fields read-only, rates neither added nor changed nor deleted -------------


def test_admin_page_of_a_frozen_period_shows_rules_and_rates_read_only(client, accepted, world, manager):
    client.force_login(manager)
    page = client.get(reverse("admin:policies_contractperiod_change", args=[world.pk])).content.decode()
    assert LOCKED_BY_REQUESTS in page
    assert 'name="child_max_age"' not in page and 'name="coverage_start"' not in page
    assert 'name="window_closes_at"' in page  # the window stays editable
    assert 'name="rates-0-insured_share"' not in page
    assert 'name="terms-__prefix__-text"' in page  # a new terms version can be added


def _tag(page: str, name: str) -> str:
    start = page.index(f'name="{name}"')
    return page[page.rindex("<", 0, start) : page.index(">", start)]


def test_admin_shows_an_accepted_terms_version_disabled_and_a_newer_one_editable(client, accepted, world):
    from django.contrib.auth.models import User

    services.terms_version_add(period=world, text="نسخه دوم، هنوز پذیرفته نشده")
    client.force_login(User.objects.create_superuser("root", password="x"))
    page = client.get(reverse("admin:policies_contractperiod_change", args=[world.pk])).content.decode()
    assert "disabled" not in _tag(page, "terms-0-text")  # version 2 (newest first)
    assert "disabled" in _tag(page, "terms-1-text")  # version 1, which pensioner A accepted


def test_admin_post_cannot_change_a_frozen_rule(client, accepted, world, manager):
    client.force_login(manager)
    url = reverse("admin:policies_contractperiod_change", args=[world.pk])
    data = {
        "title": world.title,
        "insurer": world.insurer,
        "directive_reference": world.directive_reference,
        "window_opens_at": "۱۴۰۵/۰۸/۰۱ ۰۸:۰۰",
        "window_closes_at": "۱۴۰۵/۱۰/۰۱ ۰۸:۰۰",
        "child_max_age": "40",
        "kanoon_target_days": "3",
        "branch_target_days": "5",
        "terms-TOTAL_FORMS": "0",
        "terms-INITIAL_FORMS": "0",
        "rates-TOTAL_FORMS": "0",
        "rates-INITIAL_FORMS": "0",
    }
    response = client.post(url, data)
    assert response.status_code == 302  # saved: the window changed, the frozen rule did not
    world.refresh_from_db()
    assert world.child_max_age == 25
    assert jalali.format_date(world.window_closes_at) == "۱۴۰۵/۱۰/۰۱"


def test_admin_rate_page_of_a_frozen_period_is_read_only_and_cannot_delete(client, accepted, world, manager):
    client.force_login(manager)
    rate = _rate(world)
    url = reverse("admin:policies_premiumrate_change", args=[rate.pk])
    assert 'name="insured_share"' not in client.get(url).content.decode()
    client.post(url, {"insured_share": "1", "full_premium": "5000001", "sso_subsidy": "5000000"})
    assert PremiumRate.objects.get(pk=rate.pk).insured_share == 7_500_000
    assert client.get(reverse("admin:policies_premiumrate_delete", args=[rate.pk])).status_code == 403


# --- The stamps that freeze a period: written by the services that lock it, never undone by a form ----


def test_the_first_submission_stamps_the_period_and_a_stale_copy_saved_later_keeps_the_stamp(
    world, pensioner_a, manager
):
    from policies.models import ContractPeriod

    stale = ContractPeriod.objects.get(pk=world.pk)
    assert stale.contract_locked_at is None
    file_request(pensioner_a)
    stale.title = "قرارداد با عنوان دیگر"
    stale.save()  # as a form loaded before the submission would save it
    world.refresh_from_db()
    assert world.title == "قرارداد با عنوان دیگر" and world.contract_locked_at is not None
    with pytest.raises(ValidationError) as error:
        services.period_update(period=world, by=manager, changes={"child_max_age": 30}, reason="x")
    assert LOCKED_BY_REQUESTS in error.value.messages


def test_accepting_terms_in_step_one_stamps_the_version(world, pensioner_a):
    from enrollment import drafts

    terms = terms_current(period=world)
    assert terms.accepted_at is None and not terms.is_accepted()
    drafts.draft_terms_accept(draft=drafts.draft_open(pensioner=pensioner_a), terms=terms)
    terms.refresh_from_db()
    assert terms.accepted_at is not None and terms.is_accepted()


RULE_FLAGS = ("main_required_for_dependents", "spouse_with_main", "children_all_or_nothing", "parents_all_or_nothing")


def test_an_edit_in_the_admin_goes_through_the_service_with_a_persian_reason(client, world, manager):
    client.force_login(manager)
    url = reverse("admin:policies_contractperiod_change", args=[world.pk])
    data = {
        "title": world.title,
        "insurer": world.insurer,
        "directive_reference": world.directive_reference,
        "window_opens_at": "۱۴۰۵/۰۸/۰۱ ۰۸:۰۰",
        "window_closes_at": "۱۴۰۵/۱۰/۰۱ ۰۸:۰۰",
        "child_max_age": "24",
        "parent_max_age": world.parent_max_age or "",
        "withdrawal_policy": world.withdrawal_policy,
        **{name: "on" for name in RULE_FLAGS if getattr(world, name)},
        "kanoon_target_days": "3",
        "branch_target_days": "5",
        "terms-TOTAL_FORMS": "0",
        "terms-INITIAL_FORMS": "0",
        "rates-TOTAL_FORMS": "0",
        "rates-INITIAL_FORMS": "0",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    world.refresh_from_db()
    assert world.child_max_age == 24
    record = world.history.order_by("-history_date", "-history_id").first()
    assert record.history_user == manager
    assert record.history_change_reason.startswith("ویرایش در کارتابل: ")
    assert "حداکثر سن فرزند" in record.history_change_reason
