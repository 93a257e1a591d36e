# The cells image: built with the official Swift image, run on a slim Debian with only the
# C libraries cells loads (librdkafka, liblz4, libedit, libsqlite3; libpq when PostgreSQL is used).
# Both stages are Debian 12 (bookworm), so the libraries the binary was built against are the
# ones it finds at run time.
# Used by docker-compose.yml; on its own: docker build -t cells:0.1.0 . && docker run --rm cells:0.1.0 --help

FROM swift:6.3.1-bookworm AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      librdkafka-dev liblz4-dev libedit-dev libsqlite3-dev libpq-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# The whole package (see .dockerignore): the manifest names the test targets too, so their
# folders must be there for SwiftPM to load it, even though only `cells` is built.
COPY . .
# --static-swift-stdlib links the Swift runtime and Foundation into the binary, so the run
# stage needs no Swift toolchain and no copied .so files: what is left to load is librdkafka,
# liblz4, libedit, libsqlite3, libstdc++ and libc (and libpq, opened when PostgreSQL is first used).
# Stripped (install -s), the binary is about a quarter smaller.
RUN swift build -c release --product cells --static-swift-stdlib \
 && install -D -s -m 0755 "$(swift build -c release --show-bin-path)/cells" /out/cells

FROM debian:bookworm-20251229-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      librdkafka1 liblz4-1 libedit2 libsqlite3-0 libpq5 libstdc++6 \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 --user-group --shell /usr/sbin/nologin cells
COPY --from=build /out/cells /usr/local/bin/cells
WORKDIR /home/cells
# Owned by the user, so a notebook opened in the shell can be saved where it was read.
COPY --chown=cells:cells notebooks/ notebooks/
USER cells
ENTRYPOINT ["cells"]
CMD ["--help"]
