# syntax=docker/dockerfile:1
# The engine image: the Rasa server (Rasa Open Source 3.6 supports Python
# 3.8-3.10 only) with the project's NLU components, platform connectors and
# engine extensions, and the trained model. Build from the repository root
# after `make train`:
#   docker build -f deploy/docker/engine.Dockerfile -t tthc-engine .

# The requirements come from pyproject.toml, read with Python 3.11's tomllib.
FROM python:3.11-slim AS requirements
WORKDIR /src
COPY pyproject.toml ./
COPY scripts/requirements.py scripts/
RUN python scripts/requirements.py engine > requirements.txt

FROM python:3.10-slim
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONPATH=/app \
    HF_HUB_OFFLINE=1 \
    TF_CPP_MIN_LOG_LEVEL=2 \
    RASA_TELEMETRY_ENABLED=false \
    TTHC_ENV=production
WORKDIR /app
COPY --from=requirements /src/requirements.txt /tmp/requirements.txt
COPY requirements/constraints.txt /tmp/constraints.txt
RUN pip install --no-cache-dir -r /tmp/requirements.txt -c /tmp/constraints.txt \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin tthc
COPY --chown=tthc:tthc . /app
RUN mkdir -p /app/var /app/.rasa && chown tthc:tthc /app/var /app/.rasa
USER 10001:10001
EXPOSE 5005
# Rasa's `GET /` answers once the model is loaded (a minute or two).
HEALTHCHECK --interval=15s --timeout=5s --start-period=180s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:5005/', timeout=4)"]
# The credentials file names the connectors whose TTHC_* variables are set;
# engine.serve keeps Rasa's token off the command line.
CMD ["sh", "-c", "python -m channels.credentials var/credentials.yml && exec python -m engine.serve --model models/current.tar.gz --endpoints bot/endpoints.production.yml --credentials var/credentials.yml --interface 0.0.0.0 --port 5005 --enable-api"]
