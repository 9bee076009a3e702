# Funcpad image: the browser bundle is built in a Node stage, the app runs on Debian's Python.
FROM node:20-bookworm-slim AS frontend
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend ./frontend
RUN npm run build

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    FUNCPAD_DATA_DIR=/data \
    FUNCPAD_BIND=0.0.0.0:8088
RUN apt-get update \
    && apt-get install -y --no-install-recommends bubblewrap passt iproute2 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /app --shell /usr/sbin/nologin funcpad
WORKDIR /app
COPY pyproject.toml README.md ./
COPY webapp ./webapp
RUN pip install --no-cache-dir -e ".[postgres]"
COPY . .
COPY --from=frontend /src/static/dist ./static/dist
RUN pybabel -q compile -d translations \
    && mkdir -p /data && chown funcpad /data
USER funcpad
VOLUME /data
EXPOSE 8088
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8088/healthz')"
CMD ["gunicorn", "-c", "gunicorn.conf.py"]
