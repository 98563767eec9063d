#!/bin/sh
# The image's entrypoint: start the analyzer as the unprivileged user, whoever starts the container.
#
# - Started as a non-root user (`docker run --user X`): exec the analyzer as X, nothing else.
# - Started as root (SageMaker, the SDK's local mode, a plain `docker run`): the platform mounts
#   root-owned output folders that uid $ANALYZER_UID cannot write. Give the root-owned folders (not
#   files) under the job's output roots to $ANALYZER_UID, then drop to $ANALYZER_UID:0 and exec the
#   analyzer. No analysis code runs as root: this script imports nothing and runs only chown/find.
#   Root needs the capabilities CHOWN (only when a folder must change owner), SETUID and SETGID;
#   with `--cap-drop ALL` run the image with `--user 10001:0` instead.
#
# Output roots: <base>/processing/output, <base>/output (the message file), Model Monitor's
# `output_path` and a local `--output DIR` flag. Folders owned by another non-root user are left
# alone (a host folder you mounted: run with --user "$(id -u):$(id -g)").
set -eu

export ANALYZER_UID="${ANALYZER_UID:-10001}"
ANALYZER_HOME="${ANALYZER_HOME:-/home/analyzer}"
base="${ANALYZER_BASE_DIR:-/opt/ml}"

if [ "$(id -u)" != 0 ]; then
    exec python -m analyzer "$@"
fi

# Exit codes as the analyzer documents them: 2 the flags (here: docker's), 5 storage.
fail() {
    code=$1
    shift
    echo "ClientError: $*" >&2
    { mkdir -p "$base/output" && printf 'ClientError: %s\n' "$*" >"$base/output/message"; } 2>/dev/null || true
    exit "$code"
}

# A capability of this process (bit number, see capabilities(7)) from /proc/self/status.
has_cap() {
    eff=$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status)
    [ $(( (0x$eff >> $1) & 1 )) = 1 ]
}

has_cap 6 && has_cap 7 || fail 2 "the container runs as root without the capabilities SETUID and SETGID" \
    "needed to drop to uid $ANALYZER_UID before the analysis: keep them (--cap-add SETUID --cap-add" \
    "SETGID) or start the container as the unprivileged user (docker run --user $ANALYZER_UID:0)"

# The output roots of this job: the defaults plus Model Monitor's output_path and --output DIR.
roots="$base/processing/output
$base/output"
[ -n "${output_path:-}" ] && roots="$roots
$output_path"
previous=""
for arg in "$@"; do
    case "$previous" in --output) roots="$roots
$arg" ;; esac
    case "$arg" in --output=*) roots="$roots
${arg#--output=}" ;; esac
    previous="$arg"
done

old_ifs=$IFS
IFS='
'
for root in $roots; do
    case "$root" in s3://*|"") continue ;; esac
    [ -d "$root" ] || continue
    # -xdev: never follow a mount or a planted link out of the output root.
    if find "$root" -xdev -type d -uid 0 -print -quit | grep -q .; then
        has_cap 0 || fail 5 "the output folder $root belongs to root and this container lacks the" \
            "capability CHOWN to give it to uid $ANALYZER_UID (--cap-add CHOWN, or docker run --user $ANALYZER_UID:0" \
            "with a folder that uid can write)"
        find "$root" -xdev -type d -uid 0 -exec chown -h "$ANALYZER_UID" {} + \
            || fail 5 "cannot give the output folder $root to uid $ANALYZER_UID"
    fi
done
IFS=$old_ifs

export HOME="$ANALYZER_HOME" USER=analyzer LOGNAME=analyzer
# Supplementary groups are kept: `--group-add` (the Docker socket's group) must reach the analyzer.
if command -v setpriv >/dev/null 2>&1; then
    exec setpriv --reuid="$ANALYZER_UID" --regid=0 --keep-groups python -m analyzer "$@"
fi
# No setpriv (a base image without util-linux's): the same drop with Python's os module alone.
exec python -I -c 'import os, sys
os.setgid(0); os.setuid(int(os.environ["ANALYZER_UID"]))
os.execvp(sys.argv[1], sys.argv[1:])' python -m analyzer "$@"
