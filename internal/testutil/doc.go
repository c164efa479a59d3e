// Package testutil holds the helpers that the tests of several packages
// share: golden files refreshed with -update, a tree of files written in one
// call, klog output captured for a test, and a search for leaked Secret
// values. Only tests import it; importing it registers the -update flag.
package testutil
