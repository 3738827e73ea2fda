# Build: docker build -t shopgraph .   (or: docker compose build)
FROM golang:1.26 AS build
WORKDIR /src
# static binary; fetch a newer 1.26.x toolchain if go.mod asks for one the image lacks
ENV CGO_ENABLED=0 GOTOOLCHAIN=auto
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN go build -trimpath -o /shopgraph .

FROM debian:12-slim
# CA roots for outgoing TLS, zone data for time.LoadLocation
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --no-create-home --shell /usr/sbin/nologin shopgraph
COPY --from=build /shopgraph /shopgraph
USER shopgraph
EXPOSE 8080
ENTRYPOINT ["/shopgraph"]
CMD ["serve"]
