// Package pipeline owns promote.yaml: its schema (types.go), finding it in a
// directory or a parent (Find), strict decoding with file:line for every
// problem (Load, Parse), validation that reports all problems at once
// (Validate, ValidateContexts) and the resolution of per-environment
// settings against spec.defaults and the built-in defaults (Health, History).
//
// Every error a caller can fix by editing the file carries
// exitcode.BadInput.
package pipeline
