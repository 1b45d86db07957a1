#!/usr/bin/env bash
# Install or update "Theo dõi công văn" on a Debian 12 server, behind nginx with TLS.
# Idempotent: run it again after every update of the code; what is already in place is kept
# (the environment file, the TLS certificate, the database and its data are never overwritten).
#
#   sudo deploy/install.sh                      # everything on this machine (web, worker, timers, nginx)
#   sudo ROLES=web,worker deploy/install.sh     # an extra application server (nginx elsewhere)
#   sudo ROLES=nginx UPSTREAMS="10.0.0.11:8000 10.0.0.12:8000" deploy/install.sh   # the proxy only
#   deploy/install.sh --render-only DIR         # write the rendered nginx site, units and environment
#                                               # example to DIR; change nothing on the system
#
# Settings (environment variables; defaults in brackets):
#   APP_DIR [/srv/workflow]  APP_USER [workflow]  ENV_FILE [/etc/workflow/workflow.env]
#   SERVER_NAME [hostname -f]  TLS_CERT, TLS_KEY [/etc/workflow/tls/{cert,key}.pem: a self-signed
#   pair is made when missing; replace it with a real one, e.g. certbot --webroot -w /var/www/html]
#   HTTP_LISTEN [80]  HTTPS_LISTEN [443]  LOG_DIR [/var/log/nginx]  BACKUP_DIR [/var/backups/workflow]
#   UPSTREAMS [WEB_BIND of the environment file]  LOCAL_DB [1: PostgreSQL on this machine]
#   ROLES [web,worker,timers,nginx]
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
APP_DIR=${APP_DIR:-/srv/workflow}
APP_USER=${APP_USER:-workflow}
ENV_FILE=${ENV_FILE:-/etc/workflow/workflow.env}
BACKUP_DIR=${BACKUP_DIR:-/var/backups/workflow}
SERVER_NAME=${SERVER_NAME:-$(hostname -f 2>/dev/null || hostname)}
TLS_CERT=${TLS_CERT:-/etc/workflow/tls/cert.pem}
TLS_KEY=${TLS_KEY:-/etc/workflow/tls/key.pem}
HTTP_LISTEN=${HTTP_LISTEN:-80}
HTTPS_LISTEN=${HTTPS_LISTEN:-443}
LOG_DIR=${LOG_DIR:-/var/log/nginx}
LOCAL_DB=${LOCAL_DB:-1}
ROLES=${ROLES:-web,worker,timers,nginx}
UNITS=(workflow-web.service workflow-worker.service workflow-sweep.service workflow-sweep.timer
       workflow-reminders.service workflow-reminders.timer workflow-backup.service workflow-backup.timer)

say() { printf '== %s\n' "$*"; }
has_role() { [[ ",$ROLES," == *",$1,"* ]]; }

# The value of KEY in the environment file (or in $2 when given), or empty.
env_value() {
  local file=${2:-$ENV_FILE}
  [ -r "$file" ] || return 0
  sed -n "s/^$1=//p" "$file" | tail -1
}

# render TEMPLATE DEST: replace every @NAME@ with the variable R_NAME; refuse a placeholder left over.
render() {
  python3 - "$1" "$2" <<'PY'
import os, re, sys
src, dst = sys.argv[1], sys.argv[2]
text = open(src, encoding="utf-8").read()
def value(match):
    name = "R_" + match.group(1)
    if name not in os.environ:
        sys.exit(f"{src}: no value for @{match.group(1)}@")
    return os.environ[name]
text = re.sub(r"@([A-Z][A-Z0-9_]*)@", value, text)
with open(dst, "w", encoding="utf-8") as out:
    out.write(text)
PY
}

render_all() {  # render_all DIR [ENV_SOURCE]: the nginx site and the units into DIR
  local dir=$1 envsrc=${2:-$ENV_FILE} bind max https_port
  bind=$(env_value WEB_BIND "$envsrc"); bind=${bind:-127.0.0.1:8000}
  max=$(env_value MAX_CONTENT_LENGTH "$envsrc"); max=${max:-10485760}
  https_port=${HTTPS_LISTEN##*:}
  export R_APP_DIR=$APP_DIR R_APP_USER=$APP_USER R_ENV_FILE=$ENV_FILE R_BACKUP_DIR=$BACKUP_DIR
  export R_SERVER_NAME=$SERVER_NAME R_TLS_CERT=$TLS_CERT R_TLS_KEY=$TLS_KEY R_LOG_DIR=$LOG_DIR
  export R_HTTP_LISTEN=$HTTP_LISTEN R_HTTPS_LISTEN=$HTTPS_LISTEN R_MAX_BODY=$max
  if [ "$https_port" = 443 ]; then R_HTTPS_PORT_SUFFIX=""; else R_HTTPS_PORT_SUFFIX=":$https_port"; fi
  R_UPSTREAM_SERVERS=""
  for server in ${UPSTREAMS:-$bind}; do
    R_UPSTREAM_SERVERS+="    server $server max_fails=1 fail_timeout=10s;"$'\n'
  done
  export R_HTTPS_PORT_SUFFIX R_UPSTREAM_SERVERS="${R_UPSTREAM_SERVERS%$'\n'}"
  mkdir -p "$dir/systemd" "$dir/nginx"
  render "$SRC/deploy/nginx/workflow.conf" "$dir/nginx/workflow.conf"
  for unit in "${UNITS[@]}"; do render "$SRC/deploy/systemd/$unit" "$dir/systemd/$unit"; done
}

if [ "${1:-}" = "--render-only" ]; then
  [ -n "${2:-}" ] || { echo "usage: $0 --render-only DIR" >&2; exit 2; }
  envsrc=$ENV_FILE; [ -r "$envsrc" ] || envsrc="$SRC/deploy/workflow.env.example"
  render_all "$2" "$envsrc"
  echo "rendered into $2"
  exit 0
fi

[ "$(id -u)" -eq 0 ] || { echo "run as root (sudo $0)" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive

say "Debian packages"
PKGS=(python3 python3-venv openssl rsync ca-certificates postgresql-client)
if has_role web || has_role worker || has_role timers; then
  PKGS+=(libreoffice-writer-nogui poppler-utils fonts-liberation2 fonts-croscore wkhtmltopdf locales)
fi
has_role nginx && PKGS+=(nginx)
[ "$LOCAL_DB" = 1 ] && PKGS+=(postgresql)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

say "user $APP_USER"
id "$APP_USER" >/dev/null 2>&1 ||
  useradd --system --home-dir /var/lib/workflow --create-home --shell /usr/sbin/nologin "$APP_USER"

say "code in $APP_DIR"
mkdir -p "$APP_DIR"
if [ "$(cd "$APP_DIR" && pwd -P)" != "$(cd "$SRC" && pwd -P)" ]; then
  rsync -a --delete --exclude .git --exclude .venv --exclude instance --exclude 'tests/output' \
        --exclude '__pycache__' "$SRC/" "$APP_DIR/"
fi
# The code is root's and read-only for the application; instance/ (its own files) is left as it is.
find "$APP_DIR" -path "$APP_DIR/instance" -prune -o ! -type l \( ! -user root -o -perm /022 \) \
     -exec chown root:root {} + -exec chmod go-w {} +
install -d -o "$APP_USER" -g "$APP_USER" -m 0750 "$APP_DIR/instance"
install -d -o "$APP_USER" -g "$APP_USER" -m 0750 "$BACKUP_DIR"

say "Python environment $APP_DIR/.venv"
# Debian's own Python (readable by the application user), not one from a user's home.
[ -x "$APP_DIR/.venv/bin/python" ] || /usr/bin/python3 -m venv "$APP_DIR/.venv"
stamp="$APP_DIR/.venv/.installed-$(sha256sum "$APP_DIR/requirements.txt" | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  "$APP_DIR/.venv/bin/python" -m pip install -q --disable-pip-version-check -r "$APP_DIR/requirements.txt"
  touch "$stamp"
fi

say "environment file $ENV_FILE"
if [ ! -f "$ENV_FILE" ]; then
  install -d -m 0750 -g "$APP_USER" "$(dirname "$ENV_FILE")"
  R_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
  R_DB_PASSWORD=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
  export R_SECRET_KEY R_DB_PASSWORD
  render "$SRC/deploy/workflow.env.example" "$ENV_FILE"
  echo "   created with a new SECRET_KEY and database password: review it (mail settings)"
fi
chown root:"$APP_USER" "$ENV_FILE"
chmod 0640 "$ENV_FILE"

if [ "$LOCAL_DB" = 1 ]; then
  say "PostgreSQL role and database"
  [ -d /run/systemd/system ] && systemctl enable --now postgresql >/dev/null
  url=$(env_value DATABASE_URL)
  db_user=$(python3 -c 'import sys, urllib.parse as u; print(u.urlsplit(sys.argv[1]).username or "")' "$url")
  db_password=$(python3 -c 'import sys, urllib.parse as u; print(u.unquote(u.urlsplit(sys.argv[1]).password or ""))' "$url")
  db_name=$(python3 -c 'import sys, urllib.parse as u; print(u.urlsplit(sys.argv[1]).path.lstrip("/"))' "$url")
  psql_() { runuser -u postgres -- psql -v ON_ERROR_STOP=1 -qtA "$@"; }
  if [ -z "$(psql_ -c "SELECT 1 FROM pg_roles WHERE rolname = '$db_user'")" ]; then
    psql_ -c "CREATE ROLE \"$db_user\" LOGIN PASSWORD '$db_password'"
  fi
  if [ -z "$(psql_ -c "SELECT 1 FROM pg_database WHERE datname = '$db_name'")" ]; then
    runuser -u postgres -- createdb -O "$db_user" -E UTF8 -T template0 "$db_name"
  fi
fi

if has_role web || has_role worker || has_role timers; then
  say "database schema (migrations) and reference data (seed)"
  as_app() {  # run a command as the application user, with the environment file as systemd reads it
    local line vars=()
    while IFS= read -r line || [ -n "$line" ]; do
      [[ "$line" =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] && vars+=("$line")
    done < "$ENV_FILE"
    (cd "$APP_DIR" && runuser -u "$APP_USER" -- env "${vars[@]}" "$@")
  }
  as_app "$APP_DIR/.venv/bin/flask" --app wsgi init-db
  as_app "$APP_DIR/.venv/bin/flask" --app wsgi seed
fi

rendered=$(mktemp -d)
trap 'rm -rf "$rendered"' EXIT
render_all "$rendered"

if has_role nginx; then
  say "nginx site for $SERVER_NAME"
  if [ ! -f "$TLS_CERT" ] || [ ! -f "$TLS_KEY" ]; then
    install -d -m 0755 "$(dirname "$TLS_CERT")"
    install -d -m 0750 "$(dirname "$TLS_KEY")"
    openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=$SERVER_NAME" \
      -addext "subjectAltName=DNS:$SERVER_NAME" -keyout "$TLS_KEY" -out "$TLS_CERT" 2>/dev/null
    chmod 0600 "$TLS_KEY"
    echo "   self-signed certificate in $TLS_CERT: replace it with a real one (certbot)"
  fi
  install -m 0644 "$rendered/nginx/workflow.conf" /etc/nginx/sites-available/workflow
  ln -sfn /etc/nginx/sites-available/workflow /etc/nginx/sites-enabled/workflow
  nginx -t -q
fi

say "systemd units"
for unit in "${UNITS[@]}"; do install -m 0644 "$rendered/systemd/$unit" "/etc/systemd/system/$unit"; done
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  has_role web && systemctl enable workflow-web.service >/dev/null && systemctl restart workflow-web.service
  # The worker finishes the job in hand before it restarts (TimeoutStopSec).
  has_role worker && systemctl enable workflow-worker.service >/dev/null && systemctl restart workflow-worker.service
  has_role timers && systemctl enable --now workflow-sweep.timer workflow-reminders.timer workflow-backup.timer >/dev/null
  has_role nginx && systemctl enable nginx >/dev/null && systemctl reload-or-restart nginx
  systemctl --no-pager --lines=0 status 'workflow-*' nginx 2>/dev/null | grep -E '^[●○×] |Active:' || true
else
  echo "   systemd is not running here: the units are in /etc/systemd/system; start them at boot"
fi
say "done: https://$SERVER_NAME/"
