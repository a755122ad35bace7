# The gcu-review application image: the worker and the CLI (the web app joins it in a later issue).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY models models
COPY rules rules
COPY workflows workflows
COPY activities activities
COPY store store
COPY service service
COPY cli cli
COPY worker.py settings.py ./
RUN pip install --no-cache-dir . && useradd --system --uid 10001 gcu
USER gcu
CMD ["gcu-review", "worker"]
