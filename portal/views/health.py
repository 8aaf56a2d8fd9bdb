"""/healthz and /readyz, for the load balancer and the orchestrator: JSON, never cached, no session.

Hand-written rather than django-health-check: four short checks, one of them (the SMS outbox) our own,
where the package would bring an installed app, its models and migration, and a plugin for the outbox.
"""

import logging
from collections.abc import Callable

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from core.health import broker_check, cache_check, database_check
from enrollment.sms.health import outbox_backlog

logger = logging.getLogger(__name__)


def _sms_outbox() -> dict:
    backlog = outbox_backlog()
    return {"ok": backlog.within_limits, "queued": backlog.queued, "oldest_age_seconds": backlog.oldest_age_seconds}


CHECKS: dict[str, Callable[[], dict | None]] = {
    "database": database_check,
    "cache": cache_check,
    "broker": broker_check,
    "sms_outbox": _sms_outbox,
}


def _run(name: str, check: Callable[[], dict | None]) -> dict:
    """The check's result; an exception is a failure, logged here and not shown to whoever probes."""
    try:
        details = check() or {}
    except Exception:
        logger.warning("readiness check %s failed", name, exc_info=True)
        return {"ok": False}
    return {"ok": True, **details}


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Touches neither the database nor the cache."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: 200 when every check passes, 503 naming the ones that fail."""
    checks = {name: _run(name, check) for name, check in CHECKS.items()}
    failing = [name for name, result in checks.items() if not result["ok"]]
    body = {"status": "fail" if failing else "ok", "failing": failing, "checks": checks}
    return JsonResponse(body, status=503 if failing else 200)
