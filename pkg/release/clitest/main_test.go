package clitest

import (
	"testing"

	"github.com/kubectl-promote/kubectl-promote/test/localcluster"
)

func TestMain(m *testing.M) { localcluster.Main(m) }
