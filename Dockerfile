# One image for every role: `iamlog serve --role api|processor|projector|scheduler`,
# `iamlog db migrate`, and the rest of the CLI. Built from the repository root:
#   docker build -t iamlog:0.1.0 .
# The base is pinned to an exact release; pin its digest too where your registry policy asks.

FROM python:3.11.13-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/iamlog
WORKDIR /src
COPY pyproject.toml README.md ./
COPY domain ./domain
COPY events ./events
COPY services ./services
# Every dependency ships a manylinux wheel: no compiler in either stage.
RUN /opt/iamlog/bin/pip install .

FROM python:3.11.13-slim-bookworm AS runtime
RUN groupadd --system --gid 10001 iamlog \
    && useradd --system --uid 10001 --gid 10001 --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin iamlog
COPY --from=build /opt/iamlog /opt/iamlog
ENV PATH=/opt/iamlog/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    IAMLOG_HTTP_HOST=0.0.0.0 \
    IAMLOG_STATE_DIR=/tmp/iamlog
# Numeric, so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["iamlog"]
CMD ["serve"]
