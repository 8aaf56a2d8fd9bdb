"""Named personas from the demo world, and a helper that files a real request through the wizard's services."""

import pytest
from django.contrib.auth.models import User

from enrollment import drafts
from enrollment.models import EnrollmentRequest, Operation, Pensioner
from policies.selectors import terms_current


def _user(username: str) -> User:
    return User.objects.get(username=username)


@pytest.fixture
def kanoon_tehran(world):
    return _user("kanoon_tehran")


@pytest.fixture
def kanoon_karaj(world):
    return _user("kanoon_karaj")


@pytest.fixture
def branch_tehran(world):
    return _user("branch_tehran")


@pytest.fixture
def branch_karaj(world):
    return _user("branch_karaj")


@pytest.fixture
def manager(world):
    return _user("manager")


@pytest.fixture
def auditor(world):
    return _user("auditor")


def family_enroll_operations(pensioner: Pensioner) -> dict[str, str]:
    """Enroll everyone listed: the pensioner, the spouse and every current child."""
    return {person.key: Operation.ENROLL for person in drafts.people_listed(pensioner) if not person.insured}


def file_request(pensioner: Pensioner, operations: dict[str, str] | None = None) -> EnrollmentRequest:
    """Steps 1-4 through the same services the wizard calls; returns the submitted request."""
    draft = drafts.draft_open(pensioner=pensioner)
    drafts.draft_terms_accept(draft=draft, terms=terms_current(period=draft.period))
    problems = drafts.draft_choices_set(draft=draft, operations=operations or family_enroll_operations(pensioner))
    assert problems == []
    return drafts.draft_submit(draft_id=draft.pk, pensioner=pensioner)


@pytest.fixture
def submitted_a(pensioner_a) -> EnrollmentRequest:
    return file_request(pensioner_a)
