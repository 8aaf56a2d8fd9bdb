"""The audit log as a file (CSV/XLSX, through enrollment.reports.exports): the page's columns, in words.

Like the other exports, times are Jalali in Tehran time with Latin digits (spreadsheets sort them as they are).
"""

from types import SimpleNamespace

from import_export import resources
from import_export.fields import Field

from audit.log import kind_label, who_of
from audit.models import Action, AuditEntry
from core import jalali

ACTION_LABELS = dict(Action.choices)


class AuditEntryExportResource(resources.Resource):
    at = Field(column_name="زمان")
    actor = Field(column_name="انجام‌دهنده")
    actor_role = Field(attribute="actor_role", column_name="نقش")
    actor_office = Field(attribute="actor_office", column_name="واحد")
    kind = Field(column_name="نوع موضوع")
    object_label = Field(attribute="object_label", column_name="موضوع")
    action = Field(column_name="نوع تغییر")
    changes = Field(column_name="تغییرات")
    reason = Field(attribute="reason", column_name="علت")
    national_code = Field(attribute="national_code", column_name="کد ملی")
    tracking_code = Field(attribute="tracking_code", column_name="کد رهگیری")

    # The export reads these columns as plain tuples (enrollment.reports.exports) and `plain_row` writes the
    # same cells as the dehydrate_ methods below, which import-export's own rendering uses.
    rows_columns = (
        "at",
        "actor_kind",
        "actor_name",
        "actor_role",
        "actor_office",
        "object_kind",
        "object_label",
        "action",
        "changes",
        "reason",
        "national_code",
        "tracking_code",
    )

    @classmethod
    def plain_row(cls, values: tuple) -> list[str]:
        entry = SimpleNamespace(**dict(zip(cls.rows_columns, values, strict=True)))
        resource = cls()
        return [
            resource.dehydrate_at(entry),
            resource.dehydrate_actor(entry),
            entry.actor_role,
            entry.actor_office,
            resource.dehydrate_kind(entry),
            entry.object_label,
            resource.dehydrate_action(entry),
            resource.dehydrate_changes(entry),
            entry.reason,
            entry.national_code,
            entry.tracking_code,
        ]

    class Meta:
        name = "گزارش تغییرات"

    def dehydrate_at(self, entry: AuditEntry) -> str:
        return jalali.format_datetime(entry.at, persian=False)

    def dehydrate_actor(self, entry: AuditEntry) -> str:
        return who_of(entry)

    def dehydrate_kind(self, entry: AuditEntry) -> str:
        return kind_label(entry.object_kind)

    def dehydrate_action(self, entry: AuditEntry) -> str:
        return str(ACTION_LABELS.get(entry.action, entry.action))

    def dehydrate_changes(self, entry: AuditEntry) -> str:
        return "؛ ".join(
            f"{c['field']}: {c['old']} ← {c['new']}" if c["old"] else f"{c['field']}: {c['new']}" for c in entry.changes
        )
