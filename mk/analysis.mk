# Analysis (issue 8): metric, web and job checks during rollouts; see
# docs/analysis.md. test-analysis needs Prometheus (installed by
# test/prometheus/install.sh when missing) and boots the local cluster; the
# service-proxy tests also need a non-loopback IPv4 address on this machine.

.PHONY: prometheus test-analysis test-analysis-unit

prometheus:
	test/prometheus/install.sh

# No Prometheus, no cluster.
test-analysis-unit:
	go test ./pkg/analysis/... -run 'Test(Check|Run|Web|Select|Eval|Compile|PrometheusAuth|GetOnly)'
	go test ./pkg/condition/
	go test ./pkg/pipeline/ -run 'Analysis|JSONPath'

test-analysis: prometheus
	go test ./pkg/analysis/... ./pkg/pipeline/
	go test ./test/e2e/ -run 'Analysis'
