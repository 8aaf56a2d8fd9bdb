"""What a staff account carries beyond Django's user: who the person is, and whether their password is temporary.

Role and offices are not here: the role is one of the groups of enrollment/roles.py, the offices are the
object permissions on Kanoons, branches and provinces (enrollment/models/permissions.py).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.fields import MobileField, NationalCodeField


class StaffProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile", verbose_name="کاربر"
    )
    national_code = NationalCodeField(blank=True)
    mobile = MobileField(blank=True)
    # A password given by an administrator (staff/accounts.py, staff_password_reset): the first sign-in with
    # it leads to the password change page before any other admin page opens.
    password_temporary = models.BooleanField("رمز موقت", default=False)

    class Meta:
        verbose_name = "مشخصات کارمند"
        verbose_name_plural = "مشخصات کارمندان"
        constraints = [
            models.UniqueConstraint(
                fields=["national_code"], condition=~Q(national_code=""), name="staff_profile_national_code_unique"
            )
        ]

    def __str__(self) -> str:
        return str(self.user)
