# Palata proxy: a slim image running `palata-proxy serve`.
# Build:  docker build -t palata-proxy .
# Run:    docker run -p 8080:8080 -v "$PWD/policies:/app/policies:ro" \
#             -v palata-audit:/var/lib/palata -v "$PWD/audit.key:/run/secrets/audit.key:ro" \
#             -e PALATA_AUDIT_KEY_FILE=/run/secrets/audit.key \
#             -e PALATA_UPSTREAM_DSN=postgresql://... palata-proxy
# Nothing is downloaded at run time. The embedded PostgreSQL and the demo principals (public
# tokens) stay out of the image.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY proxy ./proxy
RUN pip install . \
    && useradd --system --no-create-home --shell /usr/sbin/nologin palata \
    && mkdir -p /var/lib/palata/audit-spool \
    && chown -R palata /var/lib/palata && chmod -R 700 /var/lib/palata

COPY models.conf ./
COPY policies ./policies
RUN rm -r ./policies/demo
COPY config/container.toml ./config/container.toml

USER palata
# the audit spool (records written while the audit store was unreachable): keep it on a volume
VOLUME ["/var/lib/palata"]
EXPOSE 8080 6432
HEALTHCHECK --interval=10s --timeout=3s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2)"
ENTRYPOINT ["palata-proxy"]
CMD ["serve", "--config", "/app/config/container.toml"]
