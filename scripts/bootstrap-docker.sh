#!/usr/bin/env bash
# Make a Docker engine available on this machine and print the base image tag for the Dockerfile.
#
#   BASE=$(scripts/bootstrap-docker.sh | tail -1)
#   docker build --build-arg BASE_IMAGE="$BASE" -t clarify-analyzer:latest .
#
# Idempotent: installs docker.io + docker-compose only when missing, starts dockerd only when
# `docker info` fails, and builds the stand-in base image only when no usable base exists.
# Registries cannot be reached here, so when python:3.11-slim is not present locally the script
# bootstraps Debian bookworm (python3 is 3.11 there) with mmdebstrap and `docker import`s it.
# Everything goes to stderr except the base tag, which is the last line on stdout.
#
# Environment:
#   ANALYZER_BASE_IMAGE   use this base tag when it exists locally (default python:3.11-slim)
#   ANALYZER_STANDIN_TAG  tag of the stand-in base (default clarify-analyzer-base:bookworm)
#   DOCKERD_LOG           where dockerd logs (default /var/log/dockerd.log)
set -euo pipefail

exec 3>&1 1>&2   # fd 3 = the real stdout, used once at the end

WANTED_BASE="${ANALYZER_BASE_IMAGE:-python:3.11-slim}"
STANDIN_TAG="${ANALYZER_STANDIN_TAG:-clarify-analyzer-base:bookworm}"
DOCKERD_LOG="${DOCKERD_LOG:-/var/log/dockerd.log}"
DOCKER_WAIT_SECONDS=60

say() { printf '[bootstrap-docker] %s\n' "$*" >&2; }
# shellcheck source=as_root.sh
. "$(dirname "${BASH_SOURCE[0]}")/as_root.sh"      # as_root: root or sudo, or a clear error

# Several engineers and CI may run this at once: one at a time, so only one dockerd starts and
# only one stand-in base is built.
exec 9>"${TMPDIR:-/tmp}/clarify-bootstrap-docker.lock"
if ! flock -w 900 9; then
    say "another bootstrap-docker.sh has held the lock for 15 minutes; giving up"
    exit 1
fi

apt_updated=0
apt_install() {
    if [ "$apt_updated" -eq 0 ]; then
        as_root apt-get update -qq
        apt_updated=1
    fi
    if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null; then
        say "apt-get could not install $* (needs root and a package mirror)"
        exit 1
    fi
}

# 1. The engine (Debian's, matching its client) and compose v1 for the SageMaker SDK's local mode.
missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
if [ "${#missing[@]}" -gt 0 ]; then
    say "installing ${missing[*]}"
    apt_install "${missing[@]}"
fi

# 2. A running daemon. Never start a second one: `docker info` answering means one runs.
if ! docker info >/dev/null 2>&1; then
    say "starting dockerd (log: $DOCKERD_LOG)"
    as_root mkdir -p "$(dirname "$DOCKERD_LOG")"
    # setsid: the daemon outlives this script in a session of its own. It must inherit no open file
    # but its log: not the caller's stdout pipe (`BASE=$(bootstrap | tail -1)`, or a CI runner
    # reading our output, would wait for ever), nor the lock on fd 9 (every later bootstrap would
    # block on it), nor anything else the caller had open.
    start_dockerd() {
        local fd
        for fd in $(ls /proc/$BASHPID/fd); do
            [ "$fd" -gt 2 ] && eval "exec $fd>&-"
        done
        exec $([ "$(id -u)" -eq 0 ] || echo sudo) setsid dockerd
    }
    ( start_dockerd ) </dev/null >"$DOCKERD_LOG" 2>&1 &
    deadline=$((SECONDS + DOCKER_WAIT_SECONDS))
    until docker info >/dev/null 2>&1; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            say "dockerd did not answer within ${DOCKER_WAIT_SECONDS}s; last log lines:"
            tail -20 "$DOCKERD_LOG" >&2 || true
            exit 1
        fi
        sleep 0.5
    done
fi
say "docker engine ready: $(docker version --format '{{.Server.Version}}' 2>/dev/null || echo unknown)"

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

# 3. The base image: the real one when present, else the cached stand-in, else build the stand-in.
if image_exists "$WANTED_BASE"; then
    say "base image $WANTED_BASE is present"
    echo "$WANTED_BASE" >&3
    exit 0
fi
if image_exists "$STANDIN_TAG"; then
    say "using the cached stand-in base $STANDIN_TAG ($WANTED_BASE is not present)"
    echo "$STANDIN_TAG" >&3
    exit 0
fi

# Where a registry is reachable (a developer's laptop), the real base is the better choice.
if timeout 300 docker pull --quiet "$WANTED_BASE" >/dev/null 2>&1; then
    say "pulled $WANTED_BASE"
    echo "$WANTED_BASE" >&3
    exit 0
fi

say "$WANTED_BASE is not present and cannot be pulled: building the stand-in $STANDIN_TAG"
command -v mmdebstrap >/dev/null 2>&1 || apt_install mmdebstrap

# The Debian mirrors come from this host's apt sources (one-line or deb822 format), so no host
# name is written into the repository. Only Debian archive URIs are kept (not third-party repos).
debian_uris() {
    {
        grep -hsE '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
            | sed -E 's/\[[^]]*\]//' | awk '{print $2}'
        grep -hsiE '^[[:space:]]*URIs:' /etc/apt/sources.list.d/*.sources | sed -E 's/^[^:]*:[[:space:]]*//' \
            | tr ' ' '\n'
    } | grep -E '/debian(-security)?/?$' | awk '!seen[$0]++'
}
main_uri=$(debian_uris | grep -v -- '-security' | head -1 || true)
security_uri=$(debian_uris | grep -- '-security' | head -1 || true)
if [ -z "$main_uri" ]; then
    say "no Debian mirror found in /etc/apt/sources.list*; cannot build the stand-in base"
    exit 1
fi
mirrors=("deb $main_uri bookworm main" "deb $main_uri bookworm-updates main")
[ -n "$security_uri" ] && mirrors+=("deb $security_uri bookworm-security main")
say "mirrors: ${mirrors[*]}"

workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT
rootfs="$workdir/rootfs.tar"

# Package downloads pass through a TLS proxy whose CA only the host trusts: give the image the
# host's extra CAs so pip inside `docker build` works. They are files in the base image, never
# build args (those show in `docker history`).
hooks=()
if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
    hooks+=(--customize-hook='mkdir -p "$1/usr/local/share/ca-certificates"')
    for crt in /usr/local/share/ca-certificates/*.crt; do
        hooks+=(--customize-hook="copy-in $crt /usr/local/share/ca-certificates")
    done
    hooks+=(--customize-hook='chroot "$1" update-ca-certificates >/dev/null')
fi
# Behave like python:3.11-slim: pip may install (no EXTERNALLY-MANAGED), python/pip on PATH,
# and no apt lists or caches in the image.
hooks+=(--customize-hook='rm -f "$1"/usr/lib/python3*/EXTERNALLY-MANAGED')
hooks+=(--customize-hook='ln -sf /usr/bin/python3 "$1/usr/local/bin/python"')
hooks+=(--customize-hook='ln -sf /usr/bin/pip3 "$1/usr/local/bin/pip"')
hooks+=(--customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin')

as_root mmdebstrap --variant=minbase --quiet \
    --include=python3,python3-venv,python3-pip,ca-certificates \
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    "${hooks[@]}" \
    bookworm "$rootfs" "${mirrors[@]}"

bundle=/etc/ssl/certs/ca-certificates.crt
docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change "ENV SSL_CERT_FILE=$bundle" \
    --change "ENV PIP_CERT=$bundle" \
    --change 'CMD ["python3"]' \
    --message "stand-in for $WANTED_BASE (Debian bookworm minbase + python3); local use only, never push" \
    "$rootfs" "$STANDIN_TAG" >/dev/null
say "built $STANDIN_TAG ($(docker image inspect --format '{{.Size}}' "$STANDIN_TAG") bytes)"
echo "$STANDIN_TAG" >&3
