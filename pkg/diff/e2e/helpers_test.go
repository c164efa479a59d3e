package e2e

import (
	"testing"

	"github.com/kubectl-promote/kubectl-promote/test/localcluster"
)

// Tests named TestCluster… run on the shared local cluster, each in its
// own namespaces.
func TestMain(m *testing.M) { localcluster.Main(m) }

// Known Secret values: the base renders oldPassword, dev newPassword.
const (
	oldPassword = "Old-Plain-Pw-1"
	newPassword = "New-Plain-Pw-2"
)

// knownSecrets are the values no output may contain.
var knownSecrets = []string{oldPassword, newPassword}
