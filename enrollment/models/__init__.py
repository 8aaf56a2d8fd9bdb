from enrollment.models.bulk import BulkMoveJob, BulkMoveLine, BulkMoveOutcome
from enrollment.models.permissions import (
    BranchGroupObjectPermission,
    BranchUserObjectPermission,
    KanoonGroupObjectPermission,
    KanoonUserObjectPermission,
    ProvinceGroupObjectPermission,
    ProvinceUserObjectPermission,
)
from enrollment.models.registry import Branch, County, Dependent, Gender, Kanoon, Pensioner, Province
from enrollment.models.requests import (
    OPEN_STATUSES,
    EnrollmentRequest,
    Operation,
    RejectionReason,
    RequestItem,
    RequestStatus,
)
from enrollment.models.staff import StaffProfile

__all__ = [
    "OPEN_STATUSES",
    "Branch",
    "BranchGroupObjectPermission",
    "BranchUserObjectPermission",
    "BulkMoveJob",
    "BulkMoveLine",
    "BulkMoveOutcome",
    "County",
    "Dependent",
    "EnrollmentRequest",
    "Gender",
    "Kanoon",
    "KanoonGroupObjectPermission",
    "KanoonUserObjectPermission",
    "Operation",
    "Pensioner",
    "Province",
    "ProvinceGroupObjectPermission",
    "ProvinceUserObjectPermission",
    "RejectionReason",
    "RequestItem",
    "RequestStatus",
    "StaffProfile",
]
