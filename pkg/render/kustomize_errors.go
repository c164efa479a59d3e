package render

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Kustomize reports a problem deep inside a chain of messages, with paths
// relative to whichever kustomization was being read, or absolute. These
// patterns find the problem and the file it is in, so the error can say
// file:line first.
var (
	kzMalformed = regexp.MustCompile(`MalformedYAMLError: (?:yaml: )?line (\d+): (.*) in File: (.*)$`)
	kzInvalid   = regexp.MustCompile(`invalid Kustomization: (?:error converting YAML to JSON: )?(?:yaml: )?line (\d+): (.*)$`)
	kzDuplicate = regexp.MustCompile(`merging resources from '([^']*)': may not add resource with an already registered id: ([^']*)'`)
	kzDir       = regexp.MustCompile(`(?:recursed accumulation of path|couldn't make target for path) '([^']*)'`)
	kzID        = regexp.MustCompile(`^(\w+)\.[^/]*/([^.]+)\.(.*)$`)
)

// kustomizeError is kustomize's error, restated with the file and line
// when they can be found.
type kustomizeError struct {
	msg string
	err error
}

func (e *kustomizeError) Error() string { return e.msg }
func (e *kustomizeError) Unwrap() error { return e.err }

// newKustomizeError places err in the overlay dir (as the user wrote it):
// a message that starts with file:line needs no other context.
func newKustomizeError(dir string, err error) error {
	msg := err.Error()
	at := innermostDir(dir, msg)
	placed := ""
	switch {
	case kzMalformed.MatchString(msg):
		m := kzMalformed.FindStringSubmatch(msg)
		file := filepath.Join(at, m[3])
		line, problem := lineText(file, m[1], m[2])
		placed = file + ":" + line + ": " + problem
	case kzInvalid.MatchString(msg):
		m := kzInvalid.FindStringSubmatch(msg)
		file := kustomizationFile(at)
		line, problem := lineText(file, m[1], m[2])
		placed = file + ":" + line + ": " + problem
	case kzDuplicate.MatchString(msg):
		m := kzDuplicate.FindStringSubmatch(msg)
		placed = "kustomize " + dir + ": duplicate resources: " + describeID(m[2]) + " is defined twice: again in " + filepath.Join(at, m[1])
	default:
		placed = "kustomize " + dir + ": " + msg
	}
	return &kustomizeError{msg: placed, err: err}
}

// innermostDir is the last kustomization directory the message went into,
// shown relative to dir the way the user wrote dir; dir itself when the
// problem is in dir.
func innermostDir(dir, msg string) string {
	all := kzDir.FindAllStringSubmatch(msg, -1)
	if len(all) == 0 {
		return dir
	}
	inner := all[len(all)-1][1]
	abs, err := filepath.Abs(dir)
	if err != nil {
		return inner
	}
	rel, err := filepath.Rel(abs, inner)
	if err != nil {
		return inner
	}
	return filepath.Join(dir, rel)
}

// kustomizationFile is the kustomization file kustomize reads in dir.
func kustomizationFile(dir string) string {
	for _, name := range []string{"kustomization.yaml", "kustomization.yml", "Kustomization"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return filepath.Join(dir, name)
		}
	}
	return filepath.Join(dir, "kustomization.yaml")
}

// describeID turns kustomize's "ConfigMap.v1.[noGrp]/web.[noNs]" into
// "ConfigMap/web" (or "ConfigMap/ns/web").
func describeID(id string) string {
	m := kzID.FindStringSubmatch(id)
	if m == nil {
		return id
	}
	if ns := m[3]; ns != "" && !strings.Contains(ns, "noNs") {
		return m[1] + "/" + ns + "/" + m[2]
	}
	return m[1] + "/" + m[2]
}
