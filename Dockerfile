FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 VAR_DIR=/var/lib/council-social
WORKDIR /app
# Pango and a font for WeasyPrint's tagged (PDF/UA) committee paper.
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-liberation \
 && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml constraints.txt README.md ./
COPY . .
RUN pip install --no-cache-dir -c constraints.txt . \
 && useradd --system --home /app council \
 && mkdir -p "$VAR_DIR" && chown council "$VAR_DIR"
USER council
RUN DJANGO_SETTINGS_MODULE=council_social.settings python manage.py collectstatic --noinput -v0
EXPOSE 8000
CMD ["gunicorn", "council_social.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
