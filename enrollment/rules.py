"""The enrollment rules of a contract period, checked in wizard step 3 and again on submission.

Each rule is a switch or a number on the ContractPeriod (managers edit them per directive); every
violation names the person and the rule in Persian.
"""

from dataclasses import dataclass

from core.text import to_persian_digits
from policies.models import ContractPeriod, Relation, WithdrawalPolicy


@dataclass(frozen=True)
class PersonChoice:
    """One listed person with their current status and the status the chosen operation leads to."""

    key: str  # "self" for the main pensioner, else the dependent's id
    name: str
    relation: str
    age: int
    covered_elsewhere: bool
    current: bool
    new: bool

    @property
    def enrolls(self) -> bool:
        return self.new and not self.current

    @property
    def withdraws(self) -> bool:
        return self.current and not self.new


def rules_violations(*, period: ContractPeriod, people: list[PersonChoice]) -> list[str]:
    """Every broken rule, as Persian sentences ready to show; empty means the choices are valid."""
    main = next(person for person in people if person.relation == Relation.SELF)
    dependents = [person for person in people if person.relation != Relation.SELF]
    problems: list[str] = []
    problems += _age_limits(period, dependents)
    if period.main_required_for_dependents and not main.new:
        problems += [_without_main(p, main_withdraws=main.withdraws) for p in dependents if p.new]
    if period.spouse_with_main and main.new:
        problems += [
            f"{p.name}: همسر همراه مستمری‌بگیر اصلی ثبت‌نام می‌شود، مگر آنکه در جای دیگری تحت پوشش باشد."
            for p in dependents
            if p.relation == Relation.SPOUSE and not p.new and not p.covered_elsewhere
        ]
    if period.children_all_or_nothing:
        problems += _all_or_nothing(_eligible(period, dependents, Relation.CHILD), "فرزندان")
    if period.parents_all_or_nothing:
        problems += _all_or_nothing(_eligible(period, dependents, Relation.PARENT), "پدر و مادر")
    if period.withdrawal_policy == WithdrawalPolicy.NEVER:
        problems += [f"{p.name}: انصراف در این دوره قرارداد مجاز نیست." for p in people if p.withdraws]
    return problems


def _without_main(person: PersonChoice, *, main_withdraws: bool) -> str:
    """A dependent left insured without the main pensioner: a withdrawal speaks of withdrawing."""
    if person.current and main_withdraws:
        return (
            f"{person.name}: با انصراف مستمری‌بگیر اصلی، بیمه تکمیلی افراد تبعی هم ادامه نمی‌یابد؛ "
            "برای او هم «انصراف» را انتخاب کنید."
        )
    return f"{person.name}: ثبت‌نام افراد تبعی فقط همراه با عضویت مستمری‌بگیر اصلی ممکن است."


def _max_age(period: ContractPeriod, relation: str) -> int | None:
    return {Relation.CHILD: period.child_max_age, Relation.PARENT: period.parent_max_age}.get(relation)


def _eligible(period: ContractPeriod, dependents: list[PersonChoice], relation: str) -> list[PersonChoice]:
    limit = _max_age(period, relation)
    return [p for p in dependents if p.relation == relation and (limit is None or p.age <= limit)]


def _age_limits(period: ContractPeriod, dependents: list[PersonChoice]) -> list[str]:
    problems = []
    for person in dependents:
        limit = _max_age(period, person.relation)
        if limit is not None and person.enrolls and person.age > limit:
            problems.append(
                f"{person.name}: سن بیش از {to_persian_digits(limit)} سال است و طبق قرارداد این دوره قابل ثبت‌نام نیست."
            )
    return problems


def _all_or_nothing(group: list[PersonChoice], label: str) -> list[str]:
    if len({person.new for person in group}) <= 1:
        return []
    left_out = "، ".join(person.name for person in group if not person.new)
    return [f"{left_out}: {label} یا همگی ثبت‌نام می‌شوند یا هیچ‌کدام."]
