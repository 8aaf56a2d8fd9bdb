import pytest
from django.contrib.auth.models import AnonymousUser, User

from audit.models import Action, ActorKind, AuditEntry
from audit.record import Change, Offices, entry_record

pytestmark = pytest.mark.django_db


def test_a_staff_change_is_kept_in_words_with_the_actors_name_of_that_moment():
    clerk = User.objects.create_user("clerk_1", first_name="مریم", last_name="احمدی")
    entry_record(
        actor=clerk,
        object_kind="enrollment.enrollmentrequest",
        object_id=7,
        object_label="درخواست ۱۲۳",
        action=Action.MOVED,
        changes=[Change("وضعیت", "در حال بررسی کانون", "در حال بررسی - نیاز به رسیدگی شعبه")],
        reason="تایید کانون",
        offices=Offices(kanoon_id=3),
        tracking_code="123",
    )
    clerk.first_name = "زهرا"
    clerk.save()

    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.actor_kind, entry.actor_name) == (clerk, ActorKind.STAFF, "مریم احمدی")
    assert entry.changes == [
        {"field": "وضعیت", "old": "در حال بررسی کانون", "new": "در حال بررسی - نیاز به رسیدگی شعبه"}
    ]
    assert (entry.object_id, entry.kanoon_id, entry.branch_id) == ("7", 3, None)


def test_a_change_without_a_signed_in_staff_user_has_no_actor():
    entry = entry_record(
        actor=AnonymousUser(),
        actor_kind=ActorKind.PENSIONER,
        object_kind="enrollment.enrollmentrequest",
        object_id=1,
        object_label="درخواست",
        action=Action.CREATED,
    )
    assert (entry.actor, entry.actor_kind, entry.actor_name) == (None, ActorKind.PENSIONER, "")
