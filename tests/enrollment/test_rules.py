"""The period's enrollment rules, each failure naming the person and the rule."""

import pytest

from enrollment.rules import PersonChoice, rules_violations
from policies.models import ContractPeriod, WithdrawalPolicy


def _person(key, relation, *, new, current=False, age=40, covered_elsewhere=False):
    names = {"self": "محمد", "spouse": "فاطمه", "child": "علی", "parent": "حسین"}
    return PersonChoice(key, f"{names[relation]} {key}", relation, age, covered_elsewhere, current, new)


def _period(**rules) -> ContractPeriod:
    return ContractPeriod(**rules)


def test_a_valid_family_enrollment_passes():
    people = [_person("self", "self", new=True), _person("s", "spouse", new=True), _person("c", "child", new=True)]
    assert rules_violations(period=_period(), people=people) == []


def test_dependents_need_the_main_pensioner():
    people = [_person("self", "self", new=False), _person("c", "child", new=True)]
    assert rules_violations(period=_period(), people=people) == [
        "علی c: ثبت‌نام افراد تبعی فقط همراه با عضویت مستمری‌بگیر اصلی ممکن است."
    ]
    assert rules_violations(period=_period(main_required_for_dependents=False), people=people) == []


def test_a_main_pensioner_who_withdraws_while_the_spouse_stays_is_told_about_withdrawing():
    people = [_person("self", "self", new=False, current=True), _person("s", "spouse", new=True, current=True)]
    [problem] = rules_violations(period=_period(), people=people)
    assert problem.startswith("فاطمه s: با انصراف مستمری‌بگیر اصلی") and "«انصراف»" in problem
    assert "ثبت‌نام افراد تبعی" not in problem


def test_the_spouse_goes_with_the_main_pensioner_unless_covered_elsewhere():
    people = [_person("self", "self", new=True), _person("s", "spouse", new=False)]
    assert rules_violations(period=_period(), people=people) == [
        "فاطمه s: همسر همراه مستمری‌بگیر اصلی ثبت‌نام می‌شود، مگر آنکه در جای دیگری تحت پوشش باشد."
    ]
    covered = [_person("self", "self", new=True), _person("s", "spouse", new=False, covered_elsewhere=True)]
    assert rules_violations(period=_period(), people=covered) == []


@pytest.mark.parametrize(("relation", "label"), [("child", "فرزندان"), ("parent", "پدر و مادر")])
def test_children_and_parents_are_all_or_nothing(relation, label):
    people = [
        _person("self", "self", new=True),
        _person("a", relation, new=True),
        _person("b", relation, new=False),
    ]
    problems = rules_violations(period=_period(spouse_with_main=False), people=people)
    assert len(problems) == 1 and label in problems[0] and " b:" in problems[0]


def test_a_child_over_the_age_limit_cannot_enroll_and_does_not_count_for_all_or_nothing():
    people = [
        _person("self", "self", new=True),
        _person("young", "child", new=True, age=20),
        _person("old", "child", new=True, age=30),
    ]
    assert rules_violations(period=_period(child_max_age=25), people=people) == [
        "علی old: سن بیش از ۲۵ سال است و طبق قرارداد این دوره قابل ثبت‌نام نیست."
    ]
    people[2] = _person("old", "child", new=False, age=30)
    assert rules_violations(period=_period(child_max_age=25), people=people) == []


def test_withdrawal_can_be_forbidden_by_the_period():
    people = [_person("self", "self", new=False, current=True)]
    assert rules_violations(period=_period(), people=people) == []
    problems = rules_violations(period=_period(withdrawal_policy=WithdrawalPolicy.NEVER), people=people)
    assert problems == ["محمد self: انصراف در این دوره قرارداد مجاز نیست."]
