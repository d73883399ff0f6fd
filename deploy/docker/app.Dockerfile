# syntax=docker/dockerfile:1
# The app image (Python 3.11): the action server, the web chat relay and the
# console, one process per container (the command chooses which). Debian's
# Chromium prints the console's QR posters to PDF. Build from the repository root:
#   docker build -f deploy/docker/app.Dockerfile -t tthc-app .

FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONPATH=/app \
    TTHC_ENV=production \
    TTHC_LISTEN_HOST=0.0.0.0
WORKDIR /app
RUN apt-get update \
    && apt-get install -y --no-install-recommends chromium \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml /tmp/pyproject.toml
COPY scripts/requirements.py /tmp/scripts/requirements.py
RUN python /tmp/scripts/requirements.py app > /tmp/requirements.txt \
    && pip install --no-cache-dir -r /tmp/requirements.txt \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin tthc
COPY --chown=tthc:tthc . /app
RUN mkdir -p /app/var && chown tthc:tthc /app/var
USER 10001:10001
EXPOSE 5055 8000 8010
# The web chat by default; the compose file runs `python -m actions` and
# `python -m console` from the same image, each with its own health check.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"]
CMD ["python", "-m", "webchat"]
