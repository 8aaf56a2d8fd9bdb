"""Statistics for the managers' dashboard (enrollment/reports/dashboard.py) on PostgreSQL: how many groups
of status, Kanoon and branch the period's requests make, and how many (Tehran) days they were submitted
on. With them the dashboard's two scans of the requests hash in memory and run on every core."""

from django.db import migrations

from core.migration_ops import CreateStatistics


class Migration(migrations.Migration):
    dependencies = [("enrollment", "0010_request_items_ordered_by_column")]

    operations = [
        CreateStatistics(
            name="enrollmentrequest_offices",
            table="enrollment_enrollmentrequest",
            on="status, kanoon_id, branch_id",
            kinds="ndistinct",
        ),
        CreateStatistics(
            name="enrollmentrequest_submitted_day",
            table="enrollment_enrollmentrequest",
            # The expression of the dashboard's TruncDate("submitted_at") in TIME_ZONE, as Django writes it.
            on="((submitted_at AT TIME ZONE 'Asia/Tehran')::date)",
        ),
    ]
