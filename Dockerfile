# esafety-bot container image (see docs/deploy.md, "A container image").
# Reviewed, not built, in this repository's CI: CI runs `make test` and cannot pull a base image.
#
#   docker build -t esafety-bot .
#   docker run -d --name esafety-bot --env-file /etc/esafety-bot/env \
#       -v esafety-data:/data -p 127.0.0.1:3978:3978 esafety-bot
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# A dedicated user without a login shell; the server never runs as root.
RUN useradd --system --user-group --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin esafety

# Only what the package needs (pyproject.toml names README.md as its readme): no tests, no venv, no .git.
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bots ./bots
COPY handlers ./handlers
COPY policy_text ./policy_text
COPY state ./state
RUN pip install --no-cache-dir . \
    && cd / && rm -rf /src

# The SQLite Store (unused when REDIS_URL is set). Its folder is a volume so the database,
# with its -wal and -shm files, outlives the container.
RUN mkdir /data && chown esafety:esafety /data && chmod 0750 /data
ENV ESAFETY_DB=/data/esafety.db \
    PORT=3978
VOLUME ["/data"]
WORKDIR /data

USER esafety
EXPOSE 3978

# /healthz answers 200 while the process is up (the image has no curl; Python does the request).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3978'), timeout=4)"

CMD ["esafety-bot", "serve"]
