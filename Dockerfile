# The bot as a container: `docker compose up -d` runs it beside PostgreSQL (docker-compose.yml).
# Two stages: the build stage has pip's caches and the source tree, the runtime stage only the
# installed virtualenv, so the image carries no build leftovers.

FROM python:3.11-slim-bookworm AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH
RUN python -m venv /opt/venv
WORKDIR /src

# Dependencies first, read from pyproject.toml alone: editing the code then reuses this layer.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > requirements.txt \
    && pip install -r requirements.txt

COPY README.md ./
COPY bot ./bot
COPY criteria ./criteria
COPY storage ./storage
RUN pip install --no-deps .


FROM python:3.11-slim-bookworm

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HEALTH_PORT=8080

# A fixed, unprivileged uid: a volume's files keep one owner across rebuilds.
RUN groupadd --system --gid 10001 bot \
    && useradd --system --uid 10001 --gid bot --home-dir /app --shell /usr/sbin/nologin bot \
    && mkdir -p /app/data \
    && chown -R bot:bot /app

COPY --from=build /opt/venv /opt/venv

WORKDIR /app
# Numeric, so a runtime that checks runAsNonRoot can tell without reading /etc/passwd.
USER 10001:10001

# 8443: the webhook server (webhook mode only); 8080: /healthz.
EXPOSE 8443 8080

# slim has no curl: ask the health endpoint with the interpreter that is there anyway.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('HEALTH_PORT', '8080')}/healthz\", timeout=4)"]

# Exec form: the bot is PID 1 and gets SIGTERM from `docker stop` itself, so it can finish
# in-flight updates before exiting.
CMD ["python", "-m", "bot"]
