# The one `civitas` binary, for every mode: `civitas up` (embedded) and
# `civitas serve <service>` (distributed; docker-compose.yml runs one container per
# service from this same image, tagged civitas:local).
#
#   docker build -t civitas:local .
#
# protoc is vendored by the build (protoc-bin-vendored) and SQLite is bundled, so the
# build stage needs nothing beyond the Rust image. RUN --mount needs BuildKit (the
# default builder of Docker Engine 23+ and of `docker compose build`).

ARG RUST_VERSION=1

FROM rust:${RUST_VERSION}-bookworm AS build
WORKDIR /src
COPY . .
# The cargo registry and the target directory live in build caches, so a rebuild
# after a source change compiles only what changed. The binary is copied out of the
# cached target directory in the same step.
RUN --mount=type=cache,id=civitas-cargo-registry,target=/usr/local/cargo/registry \
    --mount=type=cache,id=civitas-cargo-git,target=/usr/local/cargo/git \
    --mount=type=cache,id=civitas-target,target=/src/target \
    cargo build --release --locked -p civitas \
    && install -D -m 0755 target/release/civitas /out/civitas

# Same Debian release as the build image, so the binary finds the glibc it was
# linked against.
FROM debian:bookworm-slim
# ca-certificates: TLS to PostgreSQL, NATS or an OTLP endpoint outside the compose
# network. bash (already in the image) runs the compose health checks.
# Not version-pinned on purpose: the newest certificates of the release.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 civitas \
    && useradd --system --uid 10001 --gid civitas --home-dir /data --no-create-home \
       --shell /usr/sbin/nologin civitas \
    && install -d -o civitas -g civitas -m 0750 /data
COPY --from=build /out/civitas /usr/local/bin/civitas
# The demo org tree (docker-compose.yml mounts deploy/org over it, so edits need no rebuild).
COPY deploy/org /etc/civitas/org
USER 10001:10001
WORKDIR /data
VOLUME /data
# 50051 gRPC, 9090 metrics (civitas serve --metrics-listen).
EXPOSE 50051 9090
ENTRYPOINT ["civitas"]
# Embedded mode by default; compose overrides the command per service.
CMD ["up", "--data-dir", "/data", "--listen", "0.0.0.0:50051"]
