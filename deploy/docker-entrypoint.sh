#!/bin/sh
# The image's entrypoint (deploy/Dockerfile). Before gunicorn: empties PROMETHEUS_MULTIPROC_DIR (stale
# files of an earlier run would be added to the metrics) and collects the static files into
# /srv/sso/staticfiles, which WhiteNoise reads when gunicorn starts. Any other command (manage.py
# migrate, qcluster, shell) runs as given.
set -eu

if [ "${1:-}" = "gunicorn" ]; then
    if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
        mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
        find "$PROMETHEUS_MULTIPROC_DIR" -mindepth 1 -delete
    fi
    python manage.py collectstatic --noinput --verbosity 0
fi

exec "$@"
