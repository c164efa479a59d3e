# Analysis (issue 8): metric, web and job checks during rollouts.
# test-analysis needs Prometheus (installed by test/prometheus/install.sh
# when missing) and, for the job checks, the local cluster.

.PHONY: prometheus test-analysis test-analysis-unit

prometheus:
	test/prometheus/install.sh

test-analysis-unit:
	go test ./pkg/analysis/... -run 'Test(Check|Run|Web|Select|Eval|Compile)'

test-analysis: prometheus
	go test ./pkg/analysis/... ./test/prometheus/...
