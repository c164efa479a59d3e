// Package prometheus starts a real Prometheus server (the binary from
// Debian's package, see install.sh) on a loopback port for tests, scraping
// a small exporter whose error rate the test sets.
package prometheus
