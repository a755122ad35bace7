# syntax=docker/dockerfile:1
# The gcu-review application image: one image for the worker, the web app and the CLI (migrations,
# roster import, audit verify, retention purge). Built by docker-compose.yml; see docs/production.md.

# ---- build: a wheel of the project, so the runtime stage gets no sources it does not need
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# The dependencies exactly as locked, each checked against its hash (requirements.lock, `make lock`).
COPY requirements.lock ./
RUN pip wheel --require-hashes --wheel-dir /wheels -r requirements.lock
COPY pyproject.toml settings.py worker.py ./
COPY models models
COPY rules rules
COPY workflows workflows
COPY activities activities
COPY store store
COPY service service
COPY cli cli
COPY web web
COPY notify notify
COPY summaries summaries
RUN pip wheel --no-deps --wheel-dir /wheels .

# ---- runtime
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ENVIRONMENT=production \
    VAR_DIR=/var/lib/gcu-review
# A fixed numeric uid/gid so volume ownership is predictable across rebuilds and hosts.
RUN groupadd --system --gid 10001 gcu \
 && useradd --system --uid 10001 --gid gcu --home-dir /nonexistent --shell /usr/sbin/nologin gcu \
 && install -d -o gcu -g gcu -m 0750 /var/lib/gcu-review
COPY --from=build /wheels /wheels
RUN pip install --no-index --no-deps /wheels/*.whl && rm -rf /wheels
# Container health checks (worker: polling its task queue; web: /healthz). Not part of the package.
COPY deploy/healthcheck.py /opt/gcu-review/healthcheck.py
WORKDIR /var/lib/gcu-review
USER gcu:gcu
EXPOSE 8000
# The compose file chooses the command per service (worker, web, db upgrade).
CMD ["gcu-review", "worker"]
