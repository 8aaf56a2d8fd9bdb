"""The two django-q2 clusters: `manage.py qcluster` is the SMS cluster with short timeouts,
`Q_CLUSTER_NAME=long manage.py qcluster` the long jobs' with its own timeout, retry and workers, on the
same broker."""

from tests.config.test_settings import PRODUCTION_ENV, _manage

WITH_REDIS = {**PRODUCTION_ENV, "REDIS_URL": "redis://127.0.0.1:6379/0", "Q_WORKERS": "3", "Q_LONG_WORKERS": "1"}
SHOW = (
    "from django_q.conf import Conf; "
    "print(Conf.PREFIX, Conf.CLUSTER_NAME, Conf.TIMEOUT, Conf.RETRY, Conf.WORKERS, Conf.REDIS['port'])"
)


def _conf(**env: str) -> list[str]:
    result = _manage("shell", "--no-imports", "-c", SHOW, env={**WITH_REDIS, **env})
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_qcluster_runs_the_sms_cluster_with_short_tasks():
    assert _conf() == ["portal", "portal", "120", "180", "3", "6379"]


def test_the_long_cluster_has_its_own_timeout_retry_and_workers_on_the_same_broker():
    assert _conf(Q_CLUSTER_NAME="long") == ["portal", "long", "3600", "3700", "1", "6379"]
