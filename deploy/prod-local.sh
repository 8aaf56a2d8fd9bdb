#!/usr/bin/env bash
# The production stack on this one machine, as CI runs it: the production settings on Debian's
# PostgreSQL and Redis, gunicorn (2 workers) and the two qclusters (SMS, and Q_CLUSTER_NAME=long for
# exports and the rollover), with SMS going to a local fake of the provider
# (python -m tests.smoke.fake_sms_provider; what it received is listed at its /calls).
#
#   deploy/prod-local.sh run     start, print where everything is, stop on Ctrl-C   (make prod-local)
#   deploy/prod-local.sh start   start in the background and return                  (make smoke)
#                                (PROD_LOCAL_FRESH=1: on a new, empty database of its own)
#   deploy/prod-local.sh stop    stop what start started
#
# PostgreSQL and Redis are started here unless DATABASE_URL / REDIS_URL point at running ones. The
# state (databases, logs, the secret key, stack.env with every variable the processes got) lives in
# $PROD_LOCAL_DIR (default /tmp/sso-prod-local). STACK_SMS_BACKEND=enrollment.sms.backends.ConsoleBackend
# (bench/wizard_load.py) prints every SMS into qcluster.log instead, as a staging machine may. Needs: make .venv/.installed, and Debian's packages
# postgresql and redis-server (apt-get install postgresql redis-server).
set -euo pipefail
cd "$(dirname "$0")/.."

STATE=${PROD_LOCAL_DIR:-/tmp/sso-prod-local}
WEB_PORT=${WEB_PORT:-8100}
PG_PORT=${PG_PORT:-55441}
REDIS_PORT=${REDIS_PORT:-56379}
SMS_PORT=${SMS_PORT:-8765}
PY=.venv/bin/python

pg_bin() { ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1; }

stop() {
    for name in gunicorn qcluster qcluster-long sms; do
        if [ -f "$STATE/$name.pid" ]; then
            kill "$(cat "$STATE/$name.pid")" 2>/dev/null || true
            rm -f "$STATE/$name.pid"
        fi
    done
    if [ -f "$STATE/redis.pid" ]; then
        kill "$(cat "$STATE/redis.pid")" 2>/dev/null || true
    fi
    if [ -d "$STATE/pg/data" ]; then
        su postgres -c "$(pg_bin)/pg_ctl -D $STATE/pg/data -m fast stop" >/dev/null 2>&1 || true
    fi
}

wait_for() {  # url, seconds
    for _ in $(seq 1 "$2"); do
        if curl -fsS -o /dev/null -H "X-Forwarded-Proto: https" "$1"; then return 0; fi
        sleep 1
    done
    echo "no answer from $1" >&2
    return 1
}

start() {
    mkdir -p "$STATE"
    if [ -z "${DATABASE_URL:-}" ]; then
        if [ ! -d "$STATE/pg/data" ]; then
            mkdir -p "$STATE/pg" && chown postgres "$STATE/pg"
            su postgres -c "$(pg_bin)/initdb -D $STATE/pg/data -U postgres -A trust -E UTF8 --no-locale" >/dev/null
        fi
        su postgres -c "$(pg_bin)/pg_ctl -D $STATE/pg/data -l $STATE/pg/log -w start \
            -o '-p $PG_PORT -k $STATE/pg -c listen_addresses=127.0.0.1 -c max_connections=100'" >/dev/null
        if [ "${PROD_LOCAL_FRESH:-}" = 1 ]; then  # make smoke: a new database every run
            su postgres -c "$(pg_bin)/dropdb -h 127.0.0.1 -p $PG_PORT --if-exists portal"
        fi
        su postgres -c "$(pg_bin)/psql -h 127.0.0.1 -p $PG_PORT -tAc \"SELECT 1 FROM pg_database WHERE datname='portal'\"" \
            | grep -q 1 || su postgres -c "$(pg_bin)/createdb -h 127.0.0.1 -p $PG_PORT portal"
        DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/portal"
    fi
    if [ -z "${REDIS_URL:-}" ]; then
        redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
            --pidfile "$STATE/redis.pid" --logfile "$STATE/redis.log" --dir "$STATE"
        REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
    fi
    [ -f "$STATE/secret" ] || $PY -c "import secrets; print(secrets.token_urlsafe(64))" > "$STATE/secret"

    cat > "$STATE/stack.env" <<EOF
DJANGO_SETTINGS_MODULE=config.settings.production
DJANGO_SECRET_KEY=$(cat "$STATE/secret")
DATABASE_URL=$DATABASE_URL
REDIS_URL=$REDIS_URL
DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost
CLIENT_IP_HEADER=HTTP_X_FORWARDED_FOR
SMS_BACKEND=${STACK_SMS_BACKEND:-enrollment.sms.backends.KavenegarBackend}
SMS_OUTBOX_ONLY_ALLOWED=${STACK_SMS_BACKEND:+true}
SMS_API_URL=http://127.0.0.1:$SMS_PORT/v1
SMS_API_KEY=test-api-key
MEDIA_ROOT=$STATE/media
METRICS_TOKEN=$(cat "$STATE/secret" | cut -c1-32)
SMOKE_URL=http://127.0.0.1:$WEB_PORT
SMOKE_SMS_CALLS=http://127.0.0.1:$SMS_PORT/calls
EOF
    set -a; . "$STATE/stack.env"; set +a

    $PY -m tests.smoke.fake_sms_provider --port "$SMS_PORT" > "$STATE/sms.log" 2>&1 &
    echo $! > "$STATE/sms.pid"
    $PY manage.py migrate --noinput > "$STATE/migrate.log"
    $PY manage.py createcachetable
    $PY manage.py collectstatic --noinput > "$STATE/collectstatic.log"
    $PY manage.py seed_demo --quiet-logins > "$STATE/seed.log"
    rm -rf "$STATE/metrics" && mkdir "$STATE/metrics"
    PROMETHEUS_MULTIPROC_DIR="$STATE/metrics" \
    .venv/bin/gunicorn config.wsgi --workers 2 --bind "127.0.0.1:$WEB_PORT" --pid "$STATE/gunicorn.pid" \
        --error-logfile "$STATE/gunicorn.log" --daemon
    $PY manage.py qcluster > "$STATE/qcluster.log" 2>&1 &
    echo $! > "$STATE/qcluster.pid"
    Q_CLUSTER_NAME=long $PY manage.py qcluster > "$STATE/qcluster-long.log" 2>&1 &
    echo $! > "$STATE/qcluster-long.pid"
    wait_for "http://127.0.0.1:$WEB_PORT/" 30
}

case "${1:-run}" in
    start) start ;;
    stop) stop ;;
    run)
        trap stop EXIT
        start
        echo "production stack on http://127.0.0.1:$WEB_PORT/ (send X-Forwarded-Proto: https, as the proxy does)"
        echo "  logs and stack.env in $STATE; SMS received: http://127.0.0.1:$SMS_PORT/calls"
        echo "  staff accounts need a password first: .venv/bin/python manage.py changepassword manager"
        echo "  (with the variables of $STATE/stack.env); the second factor is enrolled at the first sign-in"
        echo "Ctrl-C stops it."
        while sleep 3600; do :; done
        ;;
    *) echo "usage: $0 [run|start|stop]" >&2; exit 2 ;;
esac
