package promote

import (
	"os"
	"os/exec"
	"strings"
)

// gitCommit returns the commit of the working tree, "" outside a checkout.
// CI systems that check out without .git still say it in their variables.
func gitCommit() string {
	for _, v := range []string{"GITHUB_SHA", "CI_COMMIT_SHA"} {
		if s := os.Getenv(v); s != "" {
			return s
		}
	}
	out, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
