# Build a static binary, then run it as an unprivileged user.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/interleave .

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --home-dir /nonexistent --shell /usr/sbin/nologin interleave \
 && mkdir /data && chown 10001:10001 /data
COPY --from=build /out/interleave /usr/local/bin/interleave
USER 10001
ENV INTERLEAVE_ADDR=0.0.0.0:8080 INTERLEAVE_DB=/data/interleave.db
VOLUME /data
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/interleave"]
CMD ["serve"]
