"""Object permissions on Kanoons, branches and provinces with direct foreign keys (django-guardian).

A few thousand offices (and 31 provinces, for province managers) carry the permissions; requests are
filtered through them and never get permission rows of their own. Direct-FK tables keep the lookups
indexed joins instead of the generic object_pk text match.
"""

from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from enrollment.models.registry import Branch, Kanoon, Province


class KanoonUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Kanoon, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = "دسترسی کاربر به کانون"
        verbose_name_plural = "دسترسی‌های کاربران به کانون‌ها"


class KanoonGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Kanoon, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = "دسترسی گروه به کانون"
        verbose_name_plural = "دسترسی‌های گروه‌ها به کانون‌ها"


class BranchUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Branch, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = "دسترسی کاربر به شعبه"
        verbose_name_plural = "دسترسی‌های کاربران به شعب"


class BranchGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Branch, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = "دسترسی گروه به شعبه"
        verbose_name_plural = "دسترسی‌های گروه‌ها به شعب"


class ProvinceUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Province, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = "دسترسی کاربر به استان"
        verbose_name_plural = "دسترسی‌های کاربران به استان‌ها"


class ProvinceGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Province, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = "دسترسی گروه به استان"
        verbose_name_plural = "دسترسی‌های گروه‌ها به استان‌ها"
