from tests.enrollment.conftest import (  # noqa: F401 (fixtures)
    auditor,
    branch_karaj,
    branch_tehran,
    kanoon_karaj,
    kanoon_tehran,
    manager,
    submitted_a,
)
