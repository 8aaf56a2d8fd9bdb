"""Requests in every status, spread over offices and days, for the dashboard's tests."""

import datetime as dt
import itertools

from django.utils import timezone

from enrollment.models import EnrollmentRequest, RequestStatus
from policies.models import ContractPeriod
from tests.factories import BranchFactory, CountyFactory, EnrollmentRequestFactory, KanoonFactory, PensionerFactory

STATUSES = [
    RequestStatus.KANOON_REVIEW,
    RequestStatus.KANOON_REVIEW,
    RequestStatus.BRANCH_REVIEW,
    RequestStatus.ACCEPTED,
    RequestStatus.KANOON_REJECTED,
    RequestStatus.BRANCH_REJECTED,
    RequestStatus.CANCELLED,
    RequestStatus.DRAFT,
]


def requests_spread(period: ContractPeriod, *, offices: int, per_office: int) -> list[EnrollmentRequest]:
    """`offices` new counties (with their Kanoon) and branches, `per_office` requests in each, cycling
    through the statuses and the last few days."""
    now = timezone.now()
    statuses = itertools.cycle(STATUSES)
    made = []
    for office in range(offices):
        county = CountyFactory()
        kanoon = KanoonFactory(county=county)
        branch = BranchFactory(province=county.province)
        for number in range(per_office):
            status = next(statuses)
            submitted = (
                None if status == RequestStatus.DRAFT else now - dt.timedelta(days=(office + number) % 5, hours=1)
            )
            made.append(
                EnrollmentRequestFactory(
                    pensioner=PensionerFactory(county=county, paying_branch=branch),
                    period=period,
                    kanoon=kanoon,
                    branch=branch,
                    status=status,
                    submitted_at=submitted,
                    waiting_since=submitted,
                    enroll_count=1 + number % 3,
                    withdraw_count=number % 2,
                )
            )
    return made
