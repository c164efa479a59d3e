package rollout

import (
	"testing"

	"github.com/kubectl-promote/kubectl-promote/test/localcluster"
)

// Tests named TestCluster… run on the shared local cluster, each in its own
// namespace; the others are pure.
func TestMain(m *testing.M) { localcluster.Main(m) }
