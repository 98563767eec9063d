#!/usr/bin/env bash
# Build the analyzer image: `make image` runs this.
#
#   scripts/build-image.sh                 # tags clarify-analyzer:latest
#   IMAGE=my/analyzer:dev scripts/build-image.sh
#
# The base comes from BASE_IMAGE when set, else from scripts/bootstrap-docker.sh (which also starts
# the engine and builds a local stand-in for python:3.11-slim when no registry can be reached).
# The image tag is the last line on stdout; build logs go to stderr.
set -euo pipefail
exec 3>&1 1>&2

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
IMAGE="${IMAGE:-clarify-analyzer:latest}"
BASE_IMAGE="${BASE_IMAGE:-$("$here/bootstrap-docker.sh" | tail -1)}"

# The docker CLI found first may lack buildx (then BuildKit cannot run): use the legacy builder,
# which this Dockerfile is written for (no `# syntax=` line, no RUN --mount).
if ! docker buildx version >/dev/null 2>&1; then
    export DOCKER_BUILDKIT=0
fi

started=$SECONDS
docker build --build-arg BASE_IMAGE="$BASE_IMAGE" -t "$IMAGE" "$root"
printf '[build-image] built %s from %s in %ss (%s bytes)\n' "$IMAGE" "$BASE_IMAGE" "$((SECONDS - started))" \
    "$(docker image inspect --format '{{.Size}}' "$IMAGE")"
echo "$IMAGE" >&3
