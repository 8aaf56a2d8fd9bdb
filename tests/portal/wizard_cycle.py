"""The pensioner's whole cycle as its 14 requests: sign-in code, code, the four steps, submission and the
confirmation. One driver serves the statement count (tests/portal/test_wizard_queries.py, Django's test
client), the load benchmark (bench/wizard_load.py, HTTP) and the instruction count
(bench/_wizard_cycles.py, test client on the bench's stack): each passes its own get and post.
"""

import re
from collections.abc import Callable
from typing import NamedTuple


class Answer(NamedTuple):
    status: int
    text: str
    location: str  # the Location header of a redirect, "" otherwise


def answer_of(response) -> Answer:
    """The Answer of a response of Django's test client."""
    return Answer(response.status_code, response.content.decode(), response.get("Location", ""))


Get = Callable[[str], Answer]
Post = Callable[[str, dict], Answer]


class CycleRefused(RuntimeError):
    """A step did not answer as a pensioner going straight through is answered."""


def wizard_cycle(
    get: Get, post: Post, *, national_code: str, code: Callable[[], str], choices: Callable[[str], dict]
) -> Answer:
    """Runs the cycle; `code()` is the sign-in code the pensioner received (asked after the code page),
    `choices(page)` the step-3 form filled in from that page. Returns the confirmation page."""

    def expect(answer: Answer, label: str, status: int = 0) -> Answer:
        if answer.status not in ((status,) if status else (200, 302)):
            raise CycleRefused(f"{label} answered {answer.status}")
        return answer

    expect(get("/login/"), "the sign-in page", 200)
    expect(post("/login/", {"national_code": national_code}), "the sign-in code's request", 302)
    expect(get("/login/code/"), "the code page", 200)
    expect(post("/login/code/", {"code": code()}), "the code", 302)
    expect(get("/enrollment/"), "the service's entry", 302)
    page = expect(get("/enrollment/terms/"), "step 1", 200).text
    terms = _field(page, r'name="terms_version" value="(\d+)"', "step 1")
    expect(post("/enrollment/terms/", {"terms_version": terms}), "step 1's acceptance", 302)
    expect(get("/enrollment/my-data/"), "step 2", 200)
    expect(post("/enrollment/my-data/", {}), "step 2's confirmation", 302)
    page = expect(get("/enrollment/people/"), "step 3", 200).text
    expect(post("/enrollment/people/", choices(page)), "step 3's choices", 302)
    page = expect(get("/enrollment/review/"), "step 4", 200).text
    draft = _field(page, r'name="draft" value="(\d+)"', "step 4")
    done = expect(post("/enrollment/review/", {"draft": draft}), "the submission", 302)
    if "/enrollment/done/" not in done.location:
        raise CycleRefused(f"the submission went to {done.location!r}")
    return expect(get(done.location), "the confirmation", 200)


def choices_offered(page: str) -> dict[str, str]:
    """Step 3 as the page suggests it: every operation the form offers for a person, the last one kept."""
    return dict(re.findall(r'name="(op-[\w-]+)" value="(enroll|withdraw)"', page))


def _field(page: str, pattern: str, label: str) -> str:
    match = re.search(pattern, page)
    if match is None:
        raise CycleRefused(f"{label} has no {pattern!r}")
    return match.group(1)
