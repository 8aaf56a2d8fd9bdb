"""The hourly sweep that deletes the files of exports older than EXPORT_FILES_KEEP_DAYS, created by `migrate`."""

from django.db import migrations
from django.utils import timezone

NAME = "export_files_expire"


def schedule_create(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.get_or_create(
        name=NAME,
        defaults={
            "func": "enrollment.reports.tasks.export_files_expire_task",
            "schedule_type": "H",  # Schedule.HOURLY
            "repeats": -1,
            "next_run": timezone.now(),
        },
    )


def schedule_delete(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0002_export_files_expire"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(schedule_create, schedule_delete)]
