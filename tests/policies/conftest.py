"""The demo staff personas for the period tests: the same fixtures as the enrollment tests."""

from tests.enrollment.conftest import (  # noqa: F401 (fixtures)
    branch_karaj,
    branch_tehran,
    kanoon_karaj,
    kanoon_tehran,
    manager,
)
