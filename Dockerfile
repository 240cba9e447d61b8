# syntax=docker/dockerfile:1
# A minimal hippo image: the release binary on distroless (glibc, CA
# certificates, no shell), as a non-root user, data and keys on two volumes.
#   docker build -t hippo .
#   docker volume create hippo-data && docker volume create hippo-keys
#   docker run -d --name hippo -p 8443:8443 \
#     -v hippo-data:/data -v hippo-keys:/keys hippo
#   printf '%s\n' "$PASSWORD" | docker exec -i hippo hippo user create \
#     --username alice --role admin --password-stdin
# See docs/OPERATIONS.md, "Container image". Not built in this repository's
# CI (it has no container runtime); review changes by hand.

# Build: the same toolchain as rust-version in Cargo.toml, the lockfile as is.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p hippo \
 && install -D -m 0755 target/release/hippo /out/usr/local/bin/hippo \
 && install -d -m 0700 /out/data /out/keys

# Run: Debian 12 like the builder (same glibc); uid/gid 65532 "nonroot".
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/usr/local/bin/hippo /usr/local/bin/hippo
# Owned by nonroot so that new named volumes start out owned by it too.
COPY --from=build --chown=65532:65532 /out/data /data
COPY --from=build --chown=65532:65532 /out/keys /keys
USER 65532:65532
# Data (database, blobs, generated certificate) on one volume; the master
# key and the audit signing key on another, kept out of the data's backups.
ENV HIPPO_DATA_DIR=/data \
    HIPPO_MASTER_KEY_FILE=/keys/master.key \
    HIPPO_AUDIT_SIGNING_KEY_FILE=/keys/audit-signing.key \
    HIPPO_LISTEN=0.0.0.0:8443
VOLUME ["/data", "/keys"]
EXPOSE 8443
# hippo drains for at most 10 s on SIGTERM, then exits 0: give `docker stop`
# more than that (docker stop -t 30, compose stop_grace_period: 30s).
STOPSIGNAL SIGTERM
# No HEALTHCHECK: the image holds no client to run one (no shell, no curl).
# Probe https://HOST:8443/healthz (alive) and /readyz (database reachable)
# from the orchestrator instead.
ENTRYPOINT ["/usr/local/bin/hippo"]
CMD ["serve"]
