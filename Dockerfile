# Multi-stage build: compile in the Rust image, run from a small non-root image.
# Configuration: SR_* environment variables (see README), or SR_CONFIG=/path/to/registry.properties
# (the image sets no SR_ variable, so the file's settings apply; flags and SR_ variables beat it).
# The HEALTHCHECK probes /health/live over plain HTTP; with --tls-cert use https and -k.
# `.ci/run` checks this file on the host (scripts/check-dockerfile.py --build): every COPY
# source exists and is not in .dockerignore, and the build stage's RUN lines succeed.
FROM rust:1-bookworm AS build
WORKDIR /src
# Dependencies first, in their own layer: it is rebuilt only when Cargo.toml or Cargo.lock
# change. Stub targets stand in for the sources (Cargo.toml names the benches too).
COPY Cargo.toml Cargo.lock ./
RUN mkdir -p src benches \
    && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
    && for b in avro kafka_start json protobuf ceiling paced_reads; do echo 'fn main() {}' > "benches/$b.rs"; done \
    && cargo build --release --locked --bin schema-registry \
    && rm -rf src benches
COPY src ./src
COPY migrations ./migrations
COPY benches ./benches
# The sources are newer than the stubs' build: touch them so cargo rebuilds the crate.
RUN touch src/main.rs src/lib.rs \
    && cargo build --release --locked --bin schema-registry

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data registry \
    && mkdir -p /data && chown registry /data
COPY --from=build /src/target/release/schema-registry /usr/local/bin/schema-registry
USER registry
# No SR_ variables here: they would beat a properties file (--config/SR_CONFIG), whose
# listeners and kafkastore.* would then be ignored. From / the built-in defaults already fit
# the image: 0.0.0.0:8081, the store in ./data/registry.db = /data/registry.db, the Kafka
# cache (auto) in ./data = /data.
WORKDIR /
EXPOSE 8081
VOLUME ["/data"]
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8081/health/live >/dev/null || exit 1
ENTRYPOINT ["/usr/local/bin/schema-registry"]
