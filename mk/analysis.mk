# Analysis (issue 8): metric, web and job checks during rollouts; see
# docs/analysis.md. test-analysis needs Prometheus (installed by
# test/prometheus/install.sh when missing) and boots the local cluster.

.PHONY: prometheus test-analysis test-analysis-unit

prometheus:
	test/prometheus/install.sh

# No Prometheus, no cluster.
test-analysis-unit:
	go test ./pkg/analysis/... -run 'Test(Check|Run|Web|Select|Eval|Compile)'
	go test ./pkg/pipeline/ -run Analysis

test-analysis: prometheus
	go test ./pkg/analysis/... ./pkg/pipeline/
	go test ./test/e2e/ -run 'Analysis'
