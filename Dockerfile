# Open drop-in replacement for the SageMaker Clarify processing container.
#
#   docker build -t clarify-analyzer:latest .                     # anywhere python:3.11-slim can be pulled
#   make image                                                      # here: builds a local stand-in base first
#
# The default command is the processing job: config from /opt/ml/processing/input/config,
# data from /opt/ml/processing/input/data, results to /opt/ml/processing/output.
# The analysis runs as the unprivileged user "analyzer" (uid 10001, group 0), never as root. The
# container starts as root only so that the entrypoint (scripts/docker-entrypoint.sh) can give the
# root-owned output folders that SageMaker and the SDK's local mode mount to uid 10001; it then drops
# to uid 10001 before any analysis code runs. The same image runs on SageMaker unchanged. Options:
#   - host output folders: run with --user "$(id -u):$(id -g)" so the files are yours (then the
#     entrypoint changes nothing and needs no capability: --cap-drop ALL works);
#   - as root the entrypoint needs the capabilities SETUID, SETGID and (for root-owned output
#     folders) CHOWN, all in Docker's default set;
#   - the local-container predictor (starts model containers through the Docker socket):
#       -v /var/run/docker.sock:/var/run/docker.sock --group-add "$(stat -c %g /var/run/docker.sock)"
ARG BASE_IMAGE=python:3.11-slim

# ---- requirements: only the dependency list of pyproject.toml, so editing anything else in
# pyproject (tests, markers) keeps the dependency layer below cached.
FROM ${BASE_IMAGE} AS requirements
COPY pyproject.toml /src/pyproject.toml
RUN python -c "import tomllib; p = tomllib.load(open('/src/pyproject.toml', 'rb')); \
print('\n'.join(p['build-system']['requires'] + p['project']['dependencies']))" > /requirements.txt

# ---- deps: a virtual env in /opt/venv with the dependencies only (the big, rarely changing layer).
FROM ${BASE_IMAGE} AS deps
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY --from=requirements /requirements.txt /tmp/requirements.txt
RUN pip install --upgrade pip && pip install -r /tmp/requirements.txt
# Tree-model libraries for predictor.in_process (pyproject's `models` extra; xgboost-cpu is XGBoost
# without its CUDA libraries: a few MB instead of hundreds). --build-arg MODEL_PACKAGES= leaves them out.
ARG MODEL_PACKAGES="xgboost-cpu lightgbm"
RUN if [ -n "${MODEL_PACKAGES}" ]; then pip install ${MODEL_PACKAGES}; fi
# Text explanations (pyproject's `text` extra: spaCy, blank pipelines only, no model downloads).
ARG TEXT_PACKAGES="spacy>=3.7"
RUN if [ -n "${TEXT_PACKAGES}" ]; then pip install "${TEXT_PACKAGES}"; fi
# Image explanations (pyproject's `image` extra: scikit-image for SLIC superpixels).
ARG IMAGE_PACKAGES="scikit-image>=0.22"
RUN if [ -n "${IMAGE_PACKAGES}" ]; then pip install "${IMAGE_PACKAGES}"; fi

# ---- wheel: the analyzer itself, as a small wheel (a code change rebuilds only from here).
FROM deps AS wheel
COPY pyproject.toml README.md* /src/
COPY config_schema /src/config_schema
COPY analyzer /src/analyzer
RUN pip wheel --no-deps --no-build-isolation --wheel-dir /wheels /src

# ---- the image
FROM ${BASE_IMAGE}
# System packages needed at run time. EXTEND HERE (e.g. the PDF report tools): add them to the
# default of RUNTIME_APT_PACKAGES, space-separated.
# libgomp1: the OpenMP runtime LightGBM (MODEL_PACKAGES) loads.
ARG RUNTIME_APT_PACKAGES="libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core libgomp1"
RUN if [ -n "${RUNTIME_APT_PACKAGES}" ]; then \
        apt-get update \
        && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${RUNTIME_APT_PACKAGES} \
        && rm -rf /var/lib/apt/lists/*; \
    fi
# The unprivileged user the analysis runs as (the entrypoint drops to it; see the header).
ARG ANALYZER_UID=10001
# Group 0 owns the /opt/ml tree so that an arbitrary --user with group 0 can write there too.
RUN useradd --uid ${ANALYZER_UID} --gid 0 --home-dir /home/analyzer --create-home \
        --shell /usr/sbin/nologin analyzer \
    && mkdir -p /opt/ml/processing/input/config /opt/ml/processing/input/data \
        /opt/ml/processing/output /opt/ml/output /opt/ml/config \
    && chown -R ${ANALYZER_UID}:0 /opt/ml && chmod -R g+rwX /opt/ml
COPY --from=deps /opt/venv /opt/venv
# MPLCONFIGDIR: matplotlib needs a writable cache; /tmp is the one place that stays writable
# under `docker run --read-only --tmpfs /tmp`.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    MPLCONFIGDIR=/tmp/matplotlib
COPY scripts/docker-entrypoint.sh /usr/local/bin/analyzer-entrypoint
COPY --from=wheel /wheels /tmp/wheels
RUN pip install --no-deps --no-cache-dir --disable-pip-version-check /tmp/wheels/*.whl && rm -rf /tmp/wheels
# No USER line: the entrypoint starts as root (or as docker run's --user) and drops to ANALYZER_UID.
ENV ANALYZER_UID=${ANALYZER_UID} \
    ANALYZER_HOME=/home/analyzer
WORKDIR /home/analyzer
# After the entrypoint's exec, python is PID 1: the analyzer installs its own SIGTERM/SIGINT
# handlers, so `docker stop` stops the work, cleans up and exits non-zero without an init process.
ENTRYPOINT ["analyzer-entrypoint"]
