"""/metrics for Prometheus: django-prometheus's request latencies and responses by status, plus the
product's own gauges, read from the database at scrape time (at most once per METRICS_CACHE_SECONDS in
a process, so frequent scrapes do not add load):

- enrollment_requests{status}: requests by status in the active period;
- sms_outbox_pending{status} and sms_outbox_oldest_pending_seconds: what waits to reach a phone;
- sms_outbox_last_hour{status}: messages of the last hour by status (sent, failed, ...);
- background_jobs{kind,status}: exports, rollovers, monthly lists and bulk moves queued, running and
  stalled (a dead worker the minute sweep has not taken up: if it stays above 0, the sweep is not
  running), and failed in the last day;
- task_queue_depth: tasks waiting in the django-q2 broker.

The endpoint answers only to the addresses of METRICS_ALLOWED_ADDRESSES (as core.ratelimit.client_ip
reads them) or to `Authorization: Bearer <METRICS_TOKEN>`; to anyone else it does not exist (404).
With gunicorn's several workers set PROMETHEUS_MULTIPROC_DIR (an empty directory) so that the request
metrics of every worker are added up.
"""

import datetime as dt
import ipaddress
import os
import time

from django.conf import settings
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from core.jobs import JobStatus, job_stalled
from core.ratelimit import client_ip
from enrollment.models import EnrollmentRequest
from enrollment.reports.sweep import swept_jobs
from enrollment.sms.health import outbox_backlog
from enrollment.sms.models import OutboxMessage, OutboxStatus
from policies.selectors import period_active


class ProductCollector:
    """The gauges above; the figures of one scrape are kept for METRICS_CACHE_SECONDS."""

    def __init__(self) -> None:
        self._figures: list[GaugeMetricFamily] = []
        self._read_at = float("-inf")

    def collect(self):
        if time.monotonic() - self._read_at > settings.METRICS_CACHE_SECONDS:
            self._figures = list(_figures())
            self._read_at = time.monotonic()
        yield from self._figures


def _figures():
    now = timezone.now()
    period = period_active()
    requests = GaugeMetricFamily("enrollment_requests", "Requests of the active period by status", labels=["status"])
    if period is not None:
        rows = EnrollmentRequest.objects.filter(period=period).values("status").annotate(n=Count("pk"))
        for row in rows.order_by():
            requests.add_metric([row["status"]], row["n"])
    yield requests

    pending = GaugeMetricFamily("sms_outbox_pending", "SMS waiting to reach a phone", labels=["status"])
    backlog = outbox_backlog()  # the numbers /readyz judges
    pending.add_metric([OutboxStatus.QUEUED], backlog.queued)
    pending.add_metric([OutboxStatus.SENDING], backlog.sending)
    yield pending
    yield GaugeMetricFamily(
        "sms_outbox_oldest_pending_seconds",
        "Age of the oldest SMS not yet handed to the provider (0: none waits)",
        value=backlog.oldest_age_seconds,
    )
    last_hour = GaugeMetricFamily("sms_outbox_last_hour", "SMS created in the last hour by status", labels=["status"])
    rows = OutboxMessage.objects.filter(created_at__gte=now - dt.timedelta(hours=1)).values("status")
    for row in rows.annotate(n=Count("pk")).order_by():
        last_hour.add_metric([row["status"]], row["n"])
    yield last_hour

    yield _background_jobs(now)

    from django_q.brokers import get_broker

    yield GaugeMetricFamily(
        "task_queue_depth", "Tasks waiting in the django-q2 broker", value=get_broker().queue_size()
    )
    if settings.LONG_TASKS_CLUSTER:
        yield GaugeMetricFamily(
            "long_task_queue_depth",
            "Tasks waiting for the long jobs' cluster (exports, rollover)",
            value=get_broker(settings.LONG_TASKS_CLUSTER).queue_size(),
        )


def _background_jobs(now: dt.datetime) -> GaugeMetricFamily:
    jobs = GaugeMetricFamily(
        "background_jobs",
        "Background jobs by kind: queued, running, stalled (no progress for longer than the kind allows), "
        "and failed in the last day",
        labels=["kind", "status"],
    )
    for kind, swept in swept_jobs().items():
        counts = swept.model.objects.aggregate(
            queued=Count("pk", filter=Q(status=JobStatus.QUEUED)),
            running=Count("pk", filter=Q(status=JobStatus.RUNNING)),
            stalled=Count("pk", filter=job_stalled(swept.rules(), now)),
            failed=Count("pk", filter=Q(status=JobStatus.FAILED, created_at__gte=now - dt.timedelta(days=1))),
        )
        for status, n in counts.items():
            jobs.add_metric([kind, status], n)
    return jobs


PRODUCT = CollectorRegistry()  # no auto_describe: registering must not query the database
PRODUCT.register(ProductCollector())


def _allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    offered = request.headers.get("Authorization", "")
    if token and constant_time_compare(offered, f"Bearer {token}"):
        return True
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(allowed) for allowed in settings.METRICS_ALLOWED_ADDRESSES)


def _process_registry() -> CollectorRegistry:
    """The request metrics: this process's, or every worker's when gunicorn runs several."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        raise Http404
    body = generate_latest(_process_registry()) + generate_latest(PRODUCT)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
