#!/usr/bin/env bash
# Installs what Funcpad needs, idempotently: a virtualenv with the Python packages, the npm
# packages, the browser bundle (esbuild) and the compiled translations.
#   scripts/setup.sh          what running the app needs
#   scripts/setup.sh --test   also the test tools, Debian's chromium and PostgreSQL (apt-get, as root)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
want_test=0
[[ "${1:-}" == "--test" ]] && want_test=1

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }

"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || { echo "Funcpad needs Python 3.11 or newer ($PYTHON is $("$PYTHON" --version))" >&2; exit 1; }

if [[ ! -x .venv/bin/python ]]; then
  log "creating .venv"
  "$PYTHON" -m venv .venv
fi

extras=""
[[ $want_test == 1 ]] && extras="[dev]"
stamp=".venv/.installed${extras}"
if [[ ! -f "$stamp" || pyproject.toml -nt "$stamp" ]]; then
  log "installing Python packages${extras:+ (with test tools)}"
  .venv/bin/pip install --quiet --disable-pip-version-check -e ".${extras}"
  touch "$stamp"
fi

# DataFlux Func's package set for scripts (sandbox-requirements.txt), in a directory the job uids
# can read and the sandbox binds read-only: /opt/funcpad/sandbox-packages as root (a checkout under
# /root cannot be read by them), else .sandbox-packages here. FUNCPAD_SANDBOX_PACKAGES overrides.
if [[ -n "${FUNCPAD_SANDBOX_PACKAGES:-}" ]]; then
  packages="$FUNCPAD_SANDBOX_PACKAGES"
elif [[ $(id -u) == 0 ]]; then
  packages=/opt/funcpad/sandbox-packages
else
  packages="$PWD/.sandbox-packages"
fi
wanted=$(cat sandbox-requirements.txt scripts/setup.sh | sha256sum | cut -d' ' -f1)
if [[ "$(cat "$packages/.requirements-sha256" 2>/dev/null)" != "$wanted" ]]; then
  log "installing the sandbox's packages into $packages"
  rm -rf "$packages.new"
  mkdir -p "$packages.new"
  # Compiled here: in the sandbox the directory is read-only, so no run could write a .pyc.
  .venv/bin/pip install --quiet --disable-pip-version-check --target "$packages.new" \
    -r sandbox-requirements.txt
  echo "$wanted" > "$packages.new/.requirements-sha256"
  rm -rf "$packages"
  mv "$packages.new" "$packages"
  chmod -R a+rX "$(dirname "$packages")"
fi

if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  log "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
fi
log "building the browser bundle"
npm run --silent build

log "compiling translations"
.venv/bin/pybabel -q compile -d translations

# Debian packages. The sandbox: bubblewrap, passt and iproute2 (its network), and (when the app runs as root, so scripts run as
# unprivileged uids that cannot read an interpreter under /root) Debian's python3 with requests
# and seccomp. The tests: chromium (browser suite), PostgreSQL (tests/postgres) and
# victoria-metrics (line-protocol interop), a CJK font (readable zh screenshots), redis-server
# (DFF.CACHE's Redis back-end).
missing=()
command -v bwrap >/dev/null || missing+=(bubblewrap)
command -v pasta >/dev/null || missing+=(passt)  # the "internet" network policy
command -v ip >/dev/null || [[ -x /usr/sbin/ip ]] || missing+=(iproute2)
if [[ $(id -u) == 0 ]]; then
  [[ -x /usr/bin/python3 ]] || missing+=(python3)
  /usr/bin/python3 -c 'import requests' 2>/dev/null || missing+=(python3-requests)
  /usr/bin/python3 -c 'import seccomp' 2>/dev/null || missing+=(python3-seccomp)
  /usr/bin/python3 -c 'import cryptography' 2>/dev/null || missing+=(python3-cryptography)  # DFF.TOOLKIT AES
fi
if [[ $want_test == 1 ]]; then
  [[ -x /usr/bin/chromium ]] || missing+=(chromium)
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
  command -v victoria-metrics >/dev/null || missing+=(victoria-metrics)
  # A CJK font, so that the Chinese screenshots of the browser suite can be read.
  [[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ]] || missing+=(fonts-wqy-microhei)
  command -v unshare >/dev/null || missing+=(util-linux)  # the API contract test's netns
  command -v redis-server >/dev/null || missing+=(redis-server)  # DFF.CACHE on Redis
  command -v mariadbd >/dev/null || [[ -x /usr/sbin/mariadbd ]] || missing+=(mariadb-server)  # mysql connectors
  command -v memcached >/dev/null || missing+=(memcached)  # memcached connectors
  command -v influxd >/dev/null || missing+=(influxdb)  # influxdb connectors (1.x)
  command -v mosquitto >/dev/null || [[ -x /usr/sbin/mosquitto ]] || missing+=(mosquitto)  # mqtt connectors
  command -v mosquitto_sub >/dev/null || missing+=(mosquitto-clients)  # ...and what the test reads with
  command -v clickhouse-server >/dev/null || missing+=(clickhouse-server)  # clickhouse connectors
  command -v prometheus >/dev/null || missing+=(prometheus)  # prometheus connectors
fi
if (( ${#missing[@]} )); then
  if [[ $(id -u) == 0 ]]; then
    log "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
  elif [[ $want_test == 1 ]]; then
    echo "The tests need Debian packages: sudo apt-get install ${missing[*]}" >&2
    exit 1
  else
    echo "Recommended for the sandbox: sudo apt-get install ${missing[*]}" >&2
  fi
fi
log "ready"
