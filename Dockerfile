# The portal's one image: web (gunicorn), worker and beat differ only in their command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=portal.settings

WORKDIR /app

# The CJK fonts the written instruments embed (docs/instruments.md): Debian's Noto CJK.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*

# Dependencies before the code, so that a code change does not reinstall them.
# Only the runtime requirements: the embedded servers and test tools stay out of the image.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# collectstatic only needs the settings to import; these throwaway values are never used to
# connect anywhere and do not reach the running containers.
RUN SECRET_KEY=build-only-not-secret \
    CERTIFICATE_SIGNING_KEYS=build-only-unused \
    AUDIT_ANCHOR_SIGNING_KEYS=build-only-unused \
    INSTRUMENT_SIGNING_KEYS=build-only-unused \
    INSTRUMENT_ROOT_KEY=build-only-unused \
    FIELD_ENCRYPTION_KEYS=build-only-unused \
    BLIND_INDEX_KEY=build-only-unused \
    DATABASE_URL=postgresql://build@localhost/build \
    REDIS_URL=redis://localhost:6379/0 \
    python manage.py collectstatic --noinput

# Run as an unprivileged user; the only place it writes to is the media volume.
RUN useradd --system --no-create-home --home-dir /app portal \
    && mkdir -p /app/var/media \
    && chown portal:portal /app/var/media
USER portal

EXPOSE 8000
CMD ["gunicorn", "portal.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
