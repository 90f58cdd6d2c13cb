#!/usr/bin/env bash
# Test servers for the oxilua-vmq provider tests (bindings/tests/providers_*.rs).
#
# Installs (Debian packages + PyPI, only what is missing) and starts, without
# systemd and on 127.0.0.1 only:
#   postgres   PostgreSQL (Debian cluster <ver>/main)    127.0.0.1:5432
#   mysql      MariaDB (datadir /var/lib/mysql)          127.0.0.1:3306
#   redis      redis-server with a password + ACL user   127.0.0.1:6379
#   memcached  memcached                                 127.0.0.1:11211
#   mongodb    SecantusDB (MongoDB wire protocol, PyPI)  127.0.0.1:27017, SCRAM auth
# Every server gets user vmq_test_user / password vmq_test_password and the
# database vmq_test_database (redis: the ACL user and requirepass; memcached
# has no auth).
#
# Usage (as root):
#   .ci/services.sh [start] [SERVICE...]   install what is missing, start what is not
#                                          running (idempotent; fast when all is up)
#   .ci/services.sh --check|check [SERVICE...]
#                                          verify each server answers with the test
#                                          credentials; exit 1 naming each one that does not
#   .ci/services.sh stop [SERVICE...]      stop the servers (by the pid each one recorded)
#   .ci/services.sh restart [SERVICE...]   stop then start
#   .ci/services.sh env                    print the connection variables
# SERVICE is one of: postgres mysql redis memcached mongodb (default: all).
#
# Connection parameters (the "env scheme"): one variable per server, each a
# libpq-style list of space-separated key=value pairs:
#   OXILUA_TEST_PG        host=127.0.0.1 port=5432 user=vmq_test_user password=vmq_test_password dbname=vmq_test_database
#   OXILUA_TEST_MYSQL     host=127.0.0.1 port=3306 user=... password=... dbname=vmq_test_database
#   OXILUA_TEST_REDIS     host=127.0.0.1 port=6379 user=vmq_test_user password=... db=0
#   OXILUA_TEST_MEMCACHED host=127.0.0.1 port=11211
#   OXILUA_TEST_MONGODB   host=127.0.0.1 port=27017 user=... password=... dbname=vmq_test_database auth_source=admin
#   OXILUA_SERVICES_SH    absolute path of this script (tests use it to stop/start a server)
# `start` writes them to <repo>/target/services.env (sourceable; git-ignored as
# part of /target) and prints them. The tests read a variable from the
# environment first, then from that file, and fail loudly when neither exists.
#
# State (redis/memcached/mongodb data, pid files, logs, the python venv) lives
# in $OXILUA_SERVICES_DIR (default /var/lib/oxilua-services), outside the
# repository, so fresh clones reuse it.
set -euo pipefail

SCRIPT_PATH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
REPO_ROOT="$(cd "$(dirname "$SCRIPT_PATH")/.." && pwd)"
STATE_DIR="${OXILUA_SERVICES_DIR:-/var/lib/oxilua-services}"
LOG_DIR="$STATE_DIR/logs"
VENV="$STATE_DIR/venv"
WAIT_SECONDS="${OXILUA_SERVICES_WAIT:-60}"

HOST=127.0.0.1
PG_PORT=5432
MYSQL_PORT=3306
REDIS_PORT=6379
MEMCACHED_PORT=11211
MONGO_PORT=27017
TEST_USER=vmq_test_user
TEST_PASSWORD=vmq_test_password
TEST_DB=vmq_test_database
# Python packages for the MongoDB-protocol server and for seeding its users.
PY_PACKAGES=(SecantusDB pymongo)

ALL_SERVICES=(postgres mysql redis memcached mongodb)

log() { printf '[services] %s\n' "$*" >&2; }
die() { printf '[services] ERROR: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- installing

APT_UPDATED=0
apt_install() {
    if [ "$APT_UPDATED" = 0 ]; then
        log "apt-get update"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        APT_UPDATED=1
    fi
    log "apt-get install $*"
    # policy-rc.d-less machines may try to start the services through
    # invoke-rc.d; that fails harmlessly without systemd, so do not let the
    # packages start anything: we start the daemons ourselves below.
    DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -qq \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@" >/dev/null
}

pg_version() {
    local v
    v="$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -n 1)"
    [ -n "$v" ] || return 1
    printf '%s' "$v"
}

ensure_packages() {
    local missing=()
    command -v pg_ctlcluster >/dev/null && pg_version >/dev/null && command -v psql >/dev/null \
        || missing+=(postgresql postgresql-client)
    command -v mariadbd >/dev/null && command -v mariadb >/dev/null && command -v mariadb-admin >/dev/null \
        || missing+=(mariadb-server mariadb-client)
    command -v redis-server >/dev/null && command -v redis-cli >/dev/null || missing+=(redis-server redis-tools)
    command -v memcached >/dev/null || missing+=(memcached)
    command -v python3 >/dev/null || missing+=(python3)
    if [ "${#missing[@]}" -gt 0 ]; then
        apt_install "${missing[@]}"
    fi
}

ensure_venv() {
    if [ -x "$VENV/bin/secantusd-py" ] && "$VENV/bin/python" -c 'import pymongo, secantus' 2>/dev/null; then
        return 0
    fi
    mkdir -p "$STATE_DIR"
    if [ ! -x "$VENV/bin/python" ]; then
        log "creating python venv $VENV"
        rm -rf "$VENV"
        if ! python3 -m venv "$VENV" >/dev/null 2>&1; then
            # Debian's python3 needs python3-venv for ensurepip.
            rm -rf "$VENV"
            apt_install python3-venv
            /usr/bin/python3 -m venv "$VENV"
        fi
    fi
    log "pip install ${PY_PACKAGES[*]}"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check "${PY_PACKAGES[@]}" \
        || die "pip install ${PY_PACKAGES[*]} failed"
    [ -x "$VENV/bin/secantusd-py" ] || die "SecantusDB did not install $VENV/bin/secantusd-py"
}

# ---------------------------------------------------------------- helpers

# wait_until NAME CHECK_FUNCTION [LOGFILE]
wait_until() {
    local name="$1" fn="$2" logfile="${3:-}" i
    for ((i = 0; i < WAIT_SECONDS * 5; i++)); do
        if "$fn" >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.2
    done
    if [ -n "$logfile" ] && [ -f "$logfile" ]; then
        log "last lines of $logfile:"
        tail -n 20 "$logfile" >&2 || true
    fi
    die "$name did not come up within ${WAIT_SECONDS}s"
}

# pid_is PID PATTERN: is PID alive and its command line matching PATTERN?
# (A pid file left by a killed session may name an unrelated process now.)
pid_is() {
    [ -n "$1" ] && kill -0 "$1" 2>/dev/null && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q -- "$2"
}

# kill_pidfile NAME PIDFILE PATTERN: stop the process recorded in PIDFILE
# (TERM, then KILL) if its command line matches PATTERN.
kill_pidfile() {
    local name="$1" pidfile="$2" pattern="$3" pid i
    [ -f "$pidfile" ] || return 0
    pid="$(tr -dc '0-9' <"$pidfile")"
    if pid_is "$pid" "$pattern"; then
        kill "$pid" 2>/dev/null || true
        for ((i = 0; i < 100; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            log "$name (pid $pid) did not stop on TERM; sending KILL"
            kill -9 "$pid" 2>/dev/null || true
            sleep 0.2
        fi
    fi
    rm -f "$pidfile"
}

tcp_open() { # host port
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# ---------------------------------------------------------------- postgres

pg_check() {
    PGPASSWORD="$TEST_PASSWORD" PGCONNECT_TIMEOUT=2 psql -X -q -h "$HOST" -p "$PG_PORT" -U "$TEST_USER" \
        -d "$TEST_DB" -Atc 'select 1' 2>/dev/null | grep -qx 1
}
pg_up() { pg_isready -q -h "$HOST" -p "$PG_PORT" -t 1; }

pg_start() {
    if pg_check; then return 0; fi
    local v
    v="$(pg_version)" || die "postgres: no server version under /usr/lib/postgresql"
    if [ ! -f "/etc/postgresql/$v/main/postgresql.conf" ]; then
        log "postgres: creating cluster $v/main"
        pg_createcluster "$v" main --port "$PG_PORT" >/dev/null
    fi
    # Debian's postgresql.conf includes conf.d/; our settings win there.
    mkdir -p "/etc/postgresql/$v/main/conf.d"
    printf "listen_addresses = '%s'\nport = %s\n" "$HOST" "$PG_PORT" \
        >"/etc/postgresql/$v/main/conf.d/oxilua-services.conf"
    if ! pg_up; then
        log "postgres: starting cluster $v/main"
        pg_ctlcluster --skip-systemctl-redirect "$v" main start \
            || die "postgres did not start (see /var/log/postgresql/postgresql-$v-main.log)"
    fi
    wait_until postgres pg_up "/var/log/postgresql/postgresql-$v-main.log"
    runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$PG_PORT" -d postgres >/dev/null <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$TEST_USER') THEN
    CREATE ROLE $TEST_USER LOGIN PASSWORD '$TEST_PASSWORD';
  ELSE
    ALTER ROLE $TEST_USER LOGIN PASSWORD '$TEST_PASSWORD';
  END IF;
END \$\$;
SELECT 'CREATE DATABASE $TEST_DB OWNER $TEST_USER'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$TEST_DB') \gexec
SQL
    # pgcrypto provides crypt()/gen_salt() used by VerneMQ's postgres auth script.
    PGOPTIONS="-c client_min_messages=warning" runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$PG_PORT" -d "$TEST_DB" \
        -c 'CREATE EXTENSION IF NOT EXISTS pgcrypto' >/dev/null
    wait_until postgres pg_check
}

pg_stop() {
    local v
    v="$(pg_version)" || return 0
    if pg_ctlcluster --skip-systemctl-redirect "$v" main status >/dev/null 2>&1; then
        pg_ctlcluster --skip-systemctl-redirect "$v" main stop -m fast
    fi
}

# ---------------------------------------------------------------- mysql (MariaDB)

MYSQL_DATADIR=/var/lib/mysql
MYSQL_RUN=/run/mysqld
MYSQL_SOCKET="$MYSQL_RUN/mysqld.sock"
MYSQL_PIDFILE="$MYSQL_RUN/mysqld.pid"

mysql_check() {
    mariadb --connect-timeout=2 -h "$HOST" -P "$MYSQL_PORT" -u "$TEST_USER" -p"$TEST_PASSWORD" \
        "$TEST_DB" -Nse 'select 1' 2>/dev/null | grep -qx 1
}
mysql_up() { mariadb-admin --connect-timeout=1 --protocol=socket -S "$MYSQL_SOCKET" -u root ping; }

mysql_start() {
    if mysql_check; then return 0; fi
    mkdir -p "$MYSQL_RUN" "$LOG_DIR"
    chown mysql:mysql "$MYSQL_RUN"
    if [ ! -d "$MYSQL_DATADIR/mysql" ]; then
        log "mysql: initialising $MYSQL_DATADIR"
        mkdir -p "$MYSQL_DATADIR"
        chown mysql:mysql "$MYSQL_DATADIR"
        mariadb-install-db --user=mysql --datadir="$MYSQL_DATADIR" >"$LOG_DIR/mariadb-install.log" 2>&1 \
            || die "mysql: mariadb-install-db failed (see $LOG_DIR/mariadb-install.log)"
    fi
    if ! mysql_up >/dev/null 2>&1; then
        log "mysql: starting mariadbd"
        touch "$LOG_DIR/mariadb.log"
        chown mysql:mysql "$LOG_DIR/mariadb.log"
        setsid -f mariadbd --user=mysql --datadir="$MYSQL_DATADIR" --bind-address="$HOST" \
            --port="$MYSQL_PORT" --socket="$MYSQL_SOCKET" --pid-file="$MYSQL_PIDFILE" \
            --log-error="$LOG_DIR/mariadb.log" </dev/null >/dev/null 2>&1
    fi
    wait_until mysql mysql_up "$LOG_DIR/mariadb.log"
    mariadb --protocol=socket -S "$MYSQL_SOCKET" -u root <<SQL
CREATE DATABASE IF NOT EXISTS $TEST_DB;
CREATE USER IF NOT EXISTS '$TEST_USER'@'localhost' IDENTIFIED BY '$TEST_PASSWORD';
CREATE USER IF NOT EXISTS '$TEST_USER'@'127.0.0.1' IDENTIFIED BY '$TEST_PASSWORD';
ALTER USER '$TEST_USER'@'localhost' IDENTIFIED BY '$TEST_PASSWORD';
ALTER USER '$TEST_USER'@'127.0.0.1' IDENTIFIED BY '$TEST_PASSWORD';
GRANT ALL PRIVILEGES ON $TEST_DB.* TO '$TEST_USER'@'localhost';
GRANT ALL PRIVILEGES ON $TEST_DB.* TO '$TEST_USER'@'127.0.0.1';
FLUSH PRIVILEGES;
SQL
    wait_until mysql mysql_check "$LOG_DIR/mariadb.log"
}

mysql_stop() {
    if mysql_up >/dev/null 2>&1; then
        mariadb-admin --protocol=socket -S "$MYSQL_SOCKET" -u root shutdown || true
    fi
    kill_pidfile mysql "$MYSQL_PIDFILE" mariadbd
}

# ---------------------------------------------------------------- redis

REDIS_PIDFILE="$STATE_DIR/redis.pid"
redis_cli() {
    redis-cli -h "$HOST" -p "$REDIS_PORT" --no-auth-warning "$@"
}
redis_check() {
    [ "$(redis_cli --user "$TEST_USER" --pass "$TEST_PASSWORD" ping 2>/dev/null)" = PONG ] \
        && [ "$(redis_cli -a "$TEST_PASSWORD" ping 2>/dev/null)" = PONG ]
}

redis_start() {
    if redis_check; then return 0; fi
    if tcp_open "$HOST" "$REDIS_PORT"; then
        die "redis: something listens on $HOST:$REDIS_PORT but does not accept the test credentials"
    fi
    mkdir -p "$STATE_DIR/redis" "$LOG_DIR"
    log "redis: starting redis-server"
    # requirepass protects the default user; the ACL user exercises the
    # provider's `user` key (Redis 6+ AUTH user pass).
    redis-server --bind "$HOST" --port "$REDIS_PORT" --protected-mode yes \
        --daemonize yes --pidfile "$REDIS_PIDFILE" --dir "$STATE_DIR/redis" \
        --logfile "$LOG_DIR/redis.log" --save '' --appendonly no \
        --requirepass "$TEST_PASSWORD" \
        --user "$TEST_USER" on ">$TEST_PASSWORD" '~*' '&*' '+@all' \
        </dev/null >/dev/null
    wait_until redis redis_check "$LOG_DIR/redis.log"
}

redis_stop() {
    kill_pidfile redis "$REDIS_PIDFILE" redis-server
}

# ---------------------------------------------------------------- memcached

MEMCACHED_PIDFILE="$STATE_DIR/memcached.pid"
memcached_check() {
    local line
    exec 3<>"/dev/tcp/$HOST/$MEMCACHED_PORT" || return 1
    printf 'version\r\n' >&3
    IFS= read -r -t 2 line <&3 || { exec 3<&-; return 1; }
    exec 3<&-
    [[ "$line" == VERSION* ]]
}

memcached_start() {
    if memcached_check 2>/dev/null; then return 0; fi
    mkdir -p "$STATE_DIR" "$LOG_DIR"
    log "memcached: starting"
    memcached -d -l "$HOST" -p "$MEMCACHED_PORT" -U 0 -u root -m 64 -P "$MEMCACHED_PIDFILE" \
        </dev/null >>"$LOG_DIR/memcached.log" 2>&1
    wait_until memcached memcached_check "$LOG_DIR/memcached.log"
}

memcached_stop() {
    kill_pidfile memcached "$MEMCACHED_PIDFILE" memcached
}

# ---------------------------------------------------------------- mongodb (SecantusDB)

MONGO_DIR="$STATE_DIR/mongodb"
MONGO_PIDFILE="$STATE_DIR/mongodb.pid"
MONGO_LOG="$LOG_DIR/mongodb.log"

# mongo_py MODE: MODE is "ping" (no auth), "auth" (test user must authenticate
# against admin and vmq_test_database) or "seed" (create the users).
mongo_py() {
    "$VENV/bin/python" - "$1" "$HOST" "$MONGO_PORT" "$TEST_USER" "$TEST_PASSWORD" "$TEST_DB" <<'PY'
import sys
from pymongo import MongoClient
from pymongo.errors import OperationFailure

mode, host, port, user, pwd, db = sys.argv[1], sys.argv[2], int(sys.argv[3]), *sys.argv[4:7]
opts = dict(directConnection=True, serverSelectionTimeoutMS=2000, connectTimeoutMS=2000)
if mode == "ping":
    MongoClient(host, port, **opts).admin.command("ping")
elif mode == "auth":
    for source in ("admin", db):
        c = MongoClient(host, port, username=user, password=pwd, authSource=source, **opts)
        c[db].command("ping")
        c[db]["_services_check"].find_one({})
elif mode == "seed":
    c = MongoClient(host, port, **opts)
    roles = [{"role": "readWrite", "db": db}, {"role": "dbAdmin", "db": db}]
    # The same user in `admin` (VerneMQ's default auth_source) and in the test
    # database (the auth_source test).
    for source in ("admin", db):
        try:
            c[source].command("createUser", user, pwd=pwd, roles=roles)
        except OperationFailure as e:
            if "already exists" not in str(e):
                raise
            c[source].command("updateUser", user, pwd=pwd, roles=roles)
PY
}
mongo_check() { [ -x "$VENV/bin/python" ] && mongo_py auth; }
mongo_up() { mongo_py ping; }

mongo_launch() { # [--auth]
    mkdir -p "$MONGO_DIR/data" "$LOG_DIR"
    # --standalone: plain single-server topology (no replica-set advertisement),
    # like a lone mongod. Config auto-discovery is disabled by --config with an
    # empty file of ours, so a stray ./secantusd.toml cannot change anything.
    : >"$MONGO_DIR/secantusd.toml"
    (
        cd "$MONGO_DIR"
        setsid "$VENV/bin/secantusd-py" --config "$MONGO_DIR/secantusd.toml" --host "$HOST" \
            --port "$MONGO_PORT" --storage-path "$MONGO_DIR/data" --standalone \
            --cache-size 256M --log-level WARNING "$@" </dev/null >>"$MONGO_LOG" 2>&1 &
        echo $! >"$MONGO_PIDFILE"
    )
}

mongo_start() {
    ensure_venv
    if mongo_check >/dev/null 2>&1; then return 0; fi
    if [ -f "$MONGO_PIDFILE" ] && pid_is "$(tr -dc '0-9' <"$MONGO_PIDFILE")" secantusd; then
        # Running but the user does not authenticate (e.g. data dir wiped): reseed.
        kill_pidfile mongodb "$MONGO_PIDFILE" secantusd
    elif tcp_open "$HOST" "$MONGO_PORT"; then
        die "mongodb: something else listens on $HOST:$MONGO_PORT"
    fi
    if [ ! -f "$MONGO_DIR/seeded" ]; then
        log "mongodb: first start without --auth to create $TEST_USER"
        mongo_launch
        wait_until mongodb mongo_up "$MONGO_LOG"
        mongo_py seed || die "mongodb: creating $TEST_USER failed"
        kill_pidfile mongodb "$MONGO_PIDFILE" secantusd
        touch "$MONGO_DIR/seeded"
    fi
    log "mongodb: starting with --auth"
    mongo_launch --auth
    wait_until mongodb mongo_up "$MONGO_LOG"
    if ! mongo_check >/dev/null 2>&1; then
        # Seed marker present but users missing: seed again once.
        log "mongodb: $TEST_USER does not authenticate; seeding again"
        kill_pidfile mongodb "$MONGO_PIDFILE" secantusd
        rm -f "$MONGO_DIR/seeded"
        mongo_launch
        wait_until mongodb mongo_up "$MONGO_LOG"
        mongo_py seed || die "mongodb: creating $TEST_USER failed"
        kill_pidfile mongodb "$MONGO_PIDFILE" secantusd
        touch "$MONGO_DIR/seeded"
        mongo_launch --auth
    fi
    wait_until mongodb mongo_check "$MONGO_LOG"
}

mongo_stop() {
    kill_pidfile mongodb "$MONGO_PIDFILE" secantusd
}

# ---------------------------------------------------------------- env file

env_lines() {
    cat <<EOF
OXILUA_TEST_PG='host=$HOST port=$PG_PORT user=$TEST_USER password=$TEST_PASSWORD dbname=$TEST_DB'
OXILUA_TEST_MYSQL='host=$HOST port=$MYSQL_PORT user=$TEST_USER password=$TEST_PASSWORD dbname=$TEST_DB'
OXILUA_TEST_REDIS='host=$HOST port=$REDIS_PORT user=$TEST_USER password=$TEST_PASSWORD db=0'
OXILUA_TEST_MEMCACHED='host=$HOST port=$MEMCACHED_PORT'
OXILUA_TEST_MONGODB='host=$HOST port=$MONGO_PORT user=$TEST_USER password=$TEST_PASSWORD dbname=$TEST_DB auth_source=admin'
OXILUA_SERVICES_SH='$SCRIPT_PATH'
EOF
}

write_env() {
    mkdir -p "$REPO_ROOT/target"
    {
        echo "# Written by .ci/services.sh; source it or let the tests read it."
        env_lines | sed 's/^/export /'
    } >"$REPO_ROOT/target/services.env"
}

# ---------------------------------------------------------------- dispatch

service_fn() { # NAME ACTION
    case "$1" in
        postgres) echo "pg_$2" ;;
        mysql) echo "mysql_$2" ;;
        redis) echo "redis_$2" ;;
        memcached) echo "memcached_$2" ;;
        mongodb) echo "mongo_$2" ;;
        *) die "unknown service '$1' (expected one of: ${ALL_SERVICES[*]})" ;;
    esac
}

require_root() {
    [ "$(id -u)" = 0 ] || die "run as root (it installs packages and starts daemons as their users)"
}

main() {
    local action=start
    case "${1:-}" in
        start | stop | restart | env | check) action="$1"; shift ;;
        --check) action=check; shift ;;
        -h | --help) sed -n '2,40p' "$SCRIPT_PATH" | sed 's/^# \{0,1\}//'; exit 0 ;;
    esac
    local services=("$@")
    [ "${#services[@]}" -gt 0 ] || services=("${ALL_SERVICES[@]}")
    local s
    for s in "${services[@]}"; do service_fn "$s" check >/dev/null; done

    case "$action" in
        env)
            env_lines | sed 's/^/export /'
            ;;
        check)
            local failed=()
            for s in "${services[@]}"; do
                if "$(service_fn "$s" check)" >/dev/null 2>&1; then
                    log "$s: ok"
                else
                    log "$s: NOT answering"
                    failed+=("$s")
                fi
            done
            if [ "${#failed[@]}" -gt 0 ]; then
                die "not running: ${failed[*]} (start with .ci/services.sh)"
            fi
            ;;
        stop)
            require_root
            for s in "${services[@]}"; do
                log "stopping $s"
                "$(service_fn "$s" stop)"
            done
            ;;
        start | restart)
            require_root
            if [ "$action" = restart ]; then
                for s in "${services[@]}"; do "$(service_fn "$s" stop)"; done
            fi
            ensure_packages
            for s in "${services[@]}"; do
                "$(service_fn "$s" start)"
                log "$s: up"
            done
            write_env
            log "connection variables (also in $REPO_ROOT/target/services.env):"
            env_lines | sed 's/^/export /'
            ;;
    esac
}

main "$@"
