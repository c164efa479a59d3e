// Package condition compiles and evaluates the success and failure
// conditions of analysis checks: expr-lang expressions (the language Argo
// Rollouts uses) over a measured `result`, and formats measured values for
// messages.
//
// It is a leaf: it imports nothing of this module, so that pkg/pipeline can
// reject a bad condition while validating promote.yaml and pkg/analysis can
// evaluate it during a rollout, without either importing the other.
package condition
