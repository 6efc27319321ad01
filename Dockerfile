# mockidp in a container: `docker build -t mockidp . && docker run -p 8000:8000 mockidp`
# Fixtures live in /fixtures (the shipped defaults unless you mount your own there, read-only is fine:
# a missing signing key is then kept in memory, with a warning). Other commands: `docker run mockidp check /fixtures`.
ARG BASE_IMAGE=python:3.12-slim

FROM ${BASE_IMAGE} AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY mockidp mockidp
COPY fixtures/default fixtures/default
# A venv of its own, copied whole into the final image: no compiler, build backend or pip cache there.
RUN python -m venv /opt/mockidp \
 && /opt/mockidp/bin/pip install --no-cache-dir --disable-pip-version-check '.[redis]' \
 && /opt/mockidp/bin/python -m pip uninstall --yes --quiet pip setuptools

FROM ${BASE_IMAGE}
RUN groupadd --gid 10001 mockidp \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin mockidp
COPY --from=build /opt/mockidp /opt/mockidp
COPY fixtures/default /fixtures
# MOCKIDP_PORT / MOCKIDP_HOST are the defaults of --port / --host; change the port with -e MOCKIDP_PORT=…
# so that the HEALTHCHECK follows it.
ENV PATH=/opt/mockidp/bin:$PATH \
    MOCKIDP_HOST=0.0.0.0 \
    MOCKIDP_PORT=8000 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
USER 10001:10001
EXPOSE 8000
# No curl in the image: the venv's Python asks /mockidp/health (served even with --no-control), which is 503 while
# a shared store (--store redis://…) is down; urlopen raises on anything but 2xx.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ['MOCKIDP_PORT']}/mockidp/health\", timeout=2)"]
ENTRYPOINT ["mockidp"]
CMD ["serve", "--fixtures", "/fixtures"]
