# Build a static binary, then run it as an unprivileged user.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# interleave-child is the sandbox child alone: a quarter of the binary, so
# each run's process starts faster. The stamp pairs the two (see
# sandbox.Config.Exe); without the child, interleave re-executes itself.
RUN stamp=$(date +%s%N) && CGO_ENABLED=0 go build -trimpath \
      -ldflags="-s -w -X interleave/sandbox.buildStamp=$stamp" -o /out/ . ./cmd/interleave-child

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --home-dir /nonexistent --shell /usr/sbin/nologin interleave \
 && mkdir /data && chown 10001:10001 /data
COPY --from=build /out/interleave /out/interleave-child /usr/local/bin/
USER 10001
ENV INTERLEAVE_ADDR=0.0.0.0:8080 INTERLEAVE_DB=/data/interleave.db
VOLUME /data
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/interleave"]
CMD ["serve"]
