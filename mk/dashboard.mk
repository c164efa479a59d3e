# Dashboard (issue 15): `kubectl promote dashboard`, see docs/dashboard.md.
# Its browser test drives Debian's Chromium headless (installed by
# test/dashboard/install.sh when missing) against the local cluster.

.PHONY: chromium test-dashboard dashboard-screenshot

chromium:
	test/dashboard/install.sh

test-dashboard: chromium
	$(GO) test -count=1 -p 1 -timeout 15m ./pkg/dashboard/ ./test/dashboard/

# Regenerates docs/dashboard.png (committed, shown in the README) from the
# browser test's page: a canary paused at 50% after a resume from the page.
dashboard-screenshot: chromium
	DASHBOARD_SCREENSHOT=$(CURDIR)/docs/dashboard.png $(GO) test -count=1 -p 1 -timeout 10m -run '^TestBrowser$$' ./test/dashboard/
