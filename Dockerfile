# Builds the one `civitas` binary. protoc is vendored by the build, nothing else needed.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p civitas

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 civitas && mkdir /data && chown civitas /data
COPY --from=build /src/target/release/civitas /usr/local/bin/civitas
COPY deploy/org /etc/civitas/org
USER civitas
VOLUME /data
EXPOSE 50051
ENTRYPOINT ["civitas"]
CMD ["up", "--data-dir", "/data", "--listen", "0.0.0.0:50051"]
