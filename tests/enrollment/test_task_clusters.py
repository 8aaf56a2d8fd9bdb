"""Login codes first: SMS go to the SMS cluster's queue, exports and the rollover to the "long" cluster's, so
that a long job never holds a worker a login code is waiting for (config/settings/base.py, Q_CLUSTER)."""

import pytest
from django_q.conf import Conf
from django_q.models import OrmQ

from enrollment.deductions.tasks import period_rollover_queue
from enrollment.reports import exports
from enrollment.reports.models import ExportKind
from enrollment.sms.services import sms_queue
from policies import services


@pytest.fixture
def queued(monkeypatch, settings) -> None:
    """Tasks stay in the ORM broker's queues instead of running inline as the test settings make them."""
    monkeypatch.setattr(Conf, "SYNC", False)
    settings.REPORTS_INLINE_EXPORT_MAX = 2  # anything over two rows is a background export


def _queues() -> dict[str, int]:
    return {key: OrmQ.objects.filter(key=key).count() for key in OrmQ.objects.values_list("key", flat=True)}


def test_an_export_and_the_rollover_go_to_the_long_cluster_and_sms_to_the_sms_cluster(
    queued, world, manager, django_capture_on_commit_callbacks
):
    assert _queues() == {}
    with django_capture_on_commit_callbacks(execute=True):
        exports.export_start(user=manager, kind=ExportKind.PENSIONERS, file_format="csv")
        new = services.period_next_create(
            current=world,
            by=manager,
            title="قرارداد بعد",
            window_opens_at=world.window_opens_at,
            window_closes_at=world.window_closes_at,
        )
        period_rollover_queue(old=world, new=new, by=manager)
        sms_queue(mobile="09120000001", template="login_code", code="123456")
    assert _queues() == {"long": 2, Conf.PREFIX: 1}
    assert Conf.PREFIX == "portal"


def test_with_the_long_cluster_emptied_everything_shares_the_sms_cluster(
    queued, settings, world, manager, django_capture_on_commit_callbacks
):
    settings.LONG_TASKS_CLUSTER = None  # bench/sms_during_export.py's comparison, never production
    with django_capture_on_commit_callbacks(execute=True):
        exports.export_start(user=manager, kind=ExportKind.PENSIONERS, file_format="csv")
    assert _queues() == {"portal": 1}
