package rollout_test

import (
	"testing"

	"github.com/kubectl-promote/kubectl-promote/test/localcluster"
)

// The cluster tests share one local control plane (localcluster.Shared),
// each in its own namespace.
func TestMain(m *testing.M) { localcluster.Main(m) }
