"""The staff roles, as groups, and the object permissions that give a user a Kanoon, a branch or a province."""

from django.contrib.auth.models import Group, Permission, User
from guardian.shortcuts import assign_perm, remove_perm

from enrollment.models import Branch, Kanoon, Province

KANOON_STAFF = "کارکنان کانون"
BRANCH_STAFF = "کارکنان شعبه"
MANAGER = "مدیران"
PROVINCE_MANAGER = "مدیران استان"
AUDITOR = "حسابرسان"
PR_STAFF = "روابط عمومی"

REVIEW_KANOON = "enrollment.review_kanoon_requests"
PROCESS_BRANCH = "enrollment.process_branch_requests"
VIEW_ALL_SCOPES = "enrollment.view_all_scopes"
MANAGE_PROVINCE = "enrollment.manage_province"
VIEW_AUDIT_LOG = "audit.view_auditentry"  # the audit log: auditors and managers (DESIGN.md), not Kanoon or branch staff
# The staff page (enrollment/staff/admin.py): national managers for everyone, province managers for their province.
MANAGE_STAFF = "auth.change_user"
_STAFF_PAGE = ["auth.view_user", "auth.add_user", MANAGE_STAFF]

_VIEW_REGISTRY = [
    "enrollment.view_pensioner",
    "enrollment.view_dependent",
    "enrollment.view_enrollmentrequest",
    "enrollment.view_requestitem",
    "enrollment.view_branch",
    "enrollment.view_kanoon",
    "enrollment.view_county",
    "enrollment.view_province",
    "loans.view_deductiondocument",
    "policies.view_contractperiod",
    "policies.view_termsversion",
    "policies.view_premiumrate",
]

# Which cartable actions a role is offered; where it may use them comes from the object permissions.
KANOON_ACTIONS = "enrollment.kanoon_review"
BRANCH_ACTIONS = "enrollment.branch_review"

# The one role a staff account holds, in the order the staff page offers them.
ROLES = [KANOON_STAFF, BRANCH_STAFF, PROVINCE_MANAGER, MANAGER, AUDITOR, PR_STAFF]


class OfficeKind:
    """What a role works on: Kanoons, branches, a province, or no office (national roles)."""

    KANOON = "kanoon"
    BRANCH = "branch"
    PROVINCE = "province"


OFFICE_KIND_OF_ROLE: dict[str, str | None] = {
    KANOON_STAFF: OfficeKind.KANOON,
    BRANCH_STAFF: OfficeKind.BRANCH,
    PROVINCE_MANAGER: OfficeKind.PROVINCE,
    MANAGER: None,
    AUDITOR: None,
    PR_STAFF: None,
}

ROLE_PERMISSIONS: dict[str, list[str]] = {
    KANOON_STAFF: [*_VIEW_REGISTRY, KANOON_ACTIONS],
    BRANCH_STAFF: [*_VIEW_REGISTRY, BRANCH_ACTIONS],
    AUDITOR: [*_VIEW_REGISTRY, VIEW_ALL_SCOPES, "sms.view_outboxmessage", VIEW_AUDIT_LOG],
    # A province manager works like a national one inside the provinces given to them (MANAGE_PROVINCE
    # on each); the contract periods and rates are national and stay read-only to them.
    PROVINCE_MANAGER: [
        *_VIEW_REGISTRY,
        VIEW_AUDIT_LOG,
        "enrollment.add_pensioner",
        "enrollment.change_pensioner",
        "enrollment.add_dependent",
        "enrollment.change_dependent",
        *_STAFF_PAGE,
    ],
    MANAGER: [
        *_VIEW_REGISTRY,
        VIEW_ALL_SCOPES,
        VIEW_AUDIT_LOG,
        "enrollment.add_pensioner",
        "enrollment.change_pensioner",
        "enrollment.add_dependent",
        "enrollment.change_dependent",
        "policies.add_contractperiod",
        "policies.change_contractperiod",
        "policies.add_termsversion",
        "policies.add_premiumrate",
        "policies.change_premiumrate",
        "sms.view_outboxmessage",
        "sms.change_outboxmessage",
        *_STAFF_PAGE,
    ],
    PR_STAFF: [
        "portal.add_announcement",
        "portal.change_announcement",
        "portal.view_announcement",
        "portal.delete_announcement",
    ],
}


def _permission(dotted: str) -> Permission:
    app_label, codename = dotted.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def roles_ensure() -> dict[str, Group]:
    """Create the role groups with their model permissions; running it again changes nothing."""
    groups = {}
    for name, permissions in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set([_permission(p) for p in permissions])
        groups[name] = group
    return groups


# Who gives an office to whom, with a record of it, is enrollment/staff/accounts.py (staff_role_set): these
# write the object permission alone.


def kanoon_assign(*, user: User, kanoon: Kanoon) -> None:
    assign_perm(REVIEW_KANOON, user, kanoon)


def kanoon_unassign(*, user: User, kanoon: Kanoon) -> None:
    remove_perm(REVIEW_KANOON, user, kanoon)


def branch_assign(*, user: User, branch: Branch) -> None:
    assign_perm(PROCESS_BRANCH, user, branch)


def branch_unassign(*, user: User, branch: Branch) -> None:
    remove_perm(PROCESS_BRANCH, user, branch)


def province_assign(*, user: User, province: Province) -> None:
    assign_perm(MANAGE_PROVINCE, user, province)


def province_unassign(*, user: User, province: Province) -> None:
    remove_perm(MANAGE_PROVINCE, user, province)
