# kubectl-promote as an image, for `kubectl promote guard` in a cluster
# (`kubectl promote guard --print-manifests --image IMAGE`). Build: make image.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/kubectl-promote ./cmd/kubectl-promote

FROM gcr.io/distroless/static:nonroot
COPY --from=build /out/kubectl-promote /usr/local/bin/kubectl-promote
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/kubectl-promote"]
