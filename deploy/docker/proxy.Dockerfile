# syntax=docker/dockerfile:1
# The proxy image: Debian's nginx (as `make run-prod` uses it) with the config
# that the compose file's setup service renders into the shared /proxy volume
# (deploy/docker/proxy_config.py, from deploy/nginx.conf). curl is for the
# health check. Build from the repository root:
#   docker build -f deploy/docker/proxy.Dockerfile -t tthc-proxy .

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends nginx-light curl \
    && rm -rf /var/lib/apt/lists/*
USER 10001:10001
EXPOSE 8080 5005 5055
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
    CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8080/"]
CMD ["nginx", "-p", "/proxy", "-c", "/proxy/nginx.conf", "-g", "daemon off;"]
