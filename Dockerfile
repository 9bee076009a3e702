# syntax=docker/dockerfile:1
# Funcpad image. Stages: the browser bundle (Node), the Python environment and the sandbox's
# package set (build), and a slim runtime with bubblewrap and passt (the sandbox's layers).
# One image serves every role: gunicorn (web, the default), `funcpad worker`, `funcpad scheduler`.
FROM node:20-bookworm-slim AS frontend
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend ./frontend
RUN npm run build

# Debian's Python 3.11 runs both the app and the scripts (the sandbox binds /usr read-only), so
# the sandbox's packages are built for the interpreter that imports them.
FROM debian:bookworm-slim AS runtime-base
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        python3 python3-venv python3-seccomp python3-requests python3-cryptography \
        bubblewrap passt iproute2 ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/*

FROM runtime-base AS build
WORKDIR /app
COPY pyproject.toml README.md ./
COPY webapp ./webapp
RUN python3 -m venv /venv \
    && /venv/bin/pip install --no-cache-dir --disable-pip-version-check -e ".[postgres]"
COPY sandbox-requirements.txt ./
RUN /venv/bin/pip install --no-cache-dir --disable-pip-version-check \
        --target /opt/funcpad/sandbox-packages -r sandbox-requirements.txt \
    && chmod -R a+rX /opt/funcpad
COPY translations ./translations
RUN /venv/bin/pybabel -q compile -d translations

FROM runtime-base
ENV PATH=/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    FUNCPAD_DATA_DIR=/data \
    FUNCPAD_BIND=0.0.0.0:8088 \
    FUNCPAD_SANDBOX_PACKAGES=/opt/funcpad/sandbox-packages
WORKDIR /app
COPY --from=build /venv /venv
COPY --from=build /opt/funcpad /opt/funcpad
COPY --from=build /app /app
COPY migrations ./migrations
COPY templates ./templates
COPY static ./static
COPY gunicorn.conf.py babel.cfg ./
COPY --from=frontend /src/static/dist ./static/dist
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin funcpad \
    && mkdir -p /data \
    && chown 10001 /data
USER 10001
VOLUME ["/data"]
EXPOSE 8088 9529
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s \
    CMD ["python3", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8088/healthz', timeout=2)"]
CMD ["gunicorn", "-c", "gunicorn.conf.py"]
