# Build a static binary, then run it as an unprivileged user.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# interleave-lean is interleave without the server (-tags lean): each run's
# child, and the run, explore and list commands, which interleave hands to
# it before the server's packages start. The stamp pairs the two (see
# sandbox.SameBuild); without it, interleave does everything itself.
# No -trimpath: it drops -ldflags from the build information, and with it
# the stamp that SameBuild reads.
RUN stamp=$(date +%s%N) && export CGO_ENABLED=0 \
 && go build -ldflags="-s -w -X interleave/sandbox.buildStamp=$stamp" -o /out/interleave . \
 && go build -tags lean -ldflags="-s -w -X interleave/sandbox.buildStamp=$stamp" -o /out/interleave-lean .

FROM debian:bookworm-slim
# tini is pid 1: it reaps what the server does not, such as the children
# of a spawner that was killed (they die with it, and pid 1 adopts them).
RUN apt-get update && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 --home-dir /nonexistent --shell /usr/sbin/nologin interleave \
 && mkdir /data && chown 10001:10001 /data
# The command is the lean build: `interleave run` starts only what a run
# uses, and `interleave serve` (the default) runs the full build beside it.
COPY --from=build /out/interleave /out/interleave-lean /usr/local/lib/interleave/
RUN ln -s /usr/local/lib/interleave/interleave-lean /usr/local/bin/interleave
USER 10001
ENV INTERLEAVE_ADDR=0.0.0.0:8080 INTERLEAVE_DB=/data/interleave.db
VOLUME /data
EXPOSE 8080
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/interleave"]
CMD ["serve"]
