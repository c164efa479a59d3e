package promote

import (
	"testing"

	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/pkg/rollout/hooks"
)

// TestHookEvents: a first release installs, a later one upgrades, the
// deploy of `undo` rolls back — whatever came before it.
func TestHookEvents(t *testing.T) {
	prev := &release.Record{Revision: 1, Status: release.Succeeded}
	for _, c := range []struct {
		name      string
		previous  *release.Record
		rollback  bool
		pre, post string
	}{
		{"first release", nil, false, hooks.PreInstall, hooks.PostInstall},
		{"later release", prev, false, hooks.PreUpgrade, hooks.PostUpgrade},
		{"undo", prev, true, hooks.PreRollback, hooks.PostRollback},
		{"undo with no successful release left", nil, true, hooks.PreRollback, hooks.PostRollback},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := &deployment{Request: Request{Rollback: c.rollback}}
			d.result.Previous = c.previous
			if pre, post := d.hookEvents(); pre != c.pre || post != c.post {
				t.Errorf("hookEvents() = %s, %s; want %s, %s", pre, post, c.pre, c.post)
			}
		})
	}
}
