# One image for the whole mesh: every service, the gateway, meshd, meshctl,
# meshprobe (healthchecks) and redis-server. docker-compose.yml runs one of
# them per container. docs/docker.md explains it.
#
# BASE is any Debian 12 image; tests/compose/base-image builds a local
# debian:bookworm-slim with debootstrap where no registry can be reached.
ARG BASE=debian:bookworm-slim

# ---- build: the compiler and -dev packages stay in this stage --------------
FROM ${BASE} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential pkg-config libevent-dev libjansson-dev libhiredis-dev \
      libcurl4-openssl-dev libssl-dev uuid-dev libhttp-parser-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Sources only: the -dev layer above stays cached while code changes.
COPY Makefile ./
COPY libmesh libmesh
COPY services services
COPY tools tools
RUN make -j2 all

# ---- runtime: shared libraries, redis-server, the binaries -----------------
FROM ${BASE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libevent-2.1-7 libjansson4 libhiredis0.14 libcurl4 libssl3 libuuid1 \
      libhttp-parser2.9 \
      ca-certificates redis-server \
 && rm -rf /var/lib/apt/lists/*
# One unprivileged user runs everything. The directories that compose mounts
# named volumes on are created here with that owner: a fresh named volume
# takes the ownership of the image directory it is mounted over, so the
# sockets (run/leadmesh/sock), Redis's socket (run/leadmesh/redis) and its
# append-only file (/data) are writable without root.
RUN groupadd --system --gid 10001 leadmesh \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/leadmesh \
      --shell /usr/sbin/nologin leadmesh \
 && install -d -o 10001 -g 10001 -m 0750 /run/leadmesh /run/leadmesh/sock \
      /run/leadmesh/redis /data /var/lib/leadmesh
COPY --from=build /src/bin/ /usr/local/bin/
# libmesh reads /usr/share/leadmesh/mesh.json when ./proto/mesh.json is absent.
COPY proto/mesh.json /usr/share/leadmesh/mesh.json
COPY examples /usr/share/leadmesh/examples
ENV MESH_RUN_DIR=/run/leadmesh
# Last, so that a new revision alone costs one layer: which build a
# container runs (docker inspect), and what makes `up --build` replace it.
ARG REVISION=dev
LABEL org.opencontainers.image.title=leadmesh \
      org.opencontainers.image.revision=${REVISION}
WORKDIR /var/lib/leadmesh
USER 10001:10001
# compose names the program; alone, the image runs the whole mesh under meshd.
CMD ["meshd"]
