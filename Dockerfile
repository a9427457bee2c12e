# Multi-stage build: compile in the Rust image, run from a small non-root image.
# Configuration: SR_* environment variables (see README), or SR_CONFIG=/path/to/registry.properties.
# The HEALTHCHECK probes /health/live over plain HTTP; with --tls-cert use https and -k.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY migrations ./migrations
# Cargo.toml names the benches; cargo wants their files present.
COPY benches ./benches
RUN cargo build --release --locked --bin schema-registry

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data registry \
    && mkdir -p /data && chown registry /data
COPY --from=build /src/target/release/schema-registry /usr/local/bin/schema-registry
USER registry
WORKDIR /data
ENV SR_LISTEN=0.0.0.0:8081 \
    SR_STORE=sqlite:///data/registry.db \
    SR_KAFKA_CACHE=/data/
EXPOSE 8081
VOLUME ["/data"]
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8081/health/live >/dev/null || exit 1
ENTRYPOINT ["/usr/local/bin/schema-registry"]
