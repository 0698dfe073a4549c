FROM python:3.11-slim-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
      libharfbuzz-subset0 fonts-dejavu-core fonts-liberation2 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY cmoselect cmoselect
COPY vendors vendors
COPY audits audits
COPY contracts contracts
COPY scoring scoring
RUN pip install --no-cache-dir .
COPY . .
ENV DEBUG=false PYTHONUNBUFFERED=1
RUN SECRET_KEY=collectstatic python manage.py collectstatic --noinput
EXPOSE 8000
CMD ["gunicorn", "cmoselect.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3"]
