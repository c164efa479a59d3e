package bounds

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// billionLaughs is the classic alias bomb (10^9 strings when expanded),
// under key.
func billionLaughs(key string) string {
	return key + `:
  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]
  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]
  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]
  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]
  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]
  f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]
  g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]
  h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g,*g]
  i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h,*h]
`
}

const helm = "{helm: {chart: chart, values: [values.yaml]}}"

// TestRefusedInput: hostile inputs end the render with exit 2 and an error
// naming the file, within the memory and time limits of every run.
func TestRefusedInput(t *testing.T) {
	tests := []struct {
		name     string
		source   string
		files    map[string]string
		links    map[string]string // link → target
		pipeline string            // replaces promote.yaml when set
		env      []string          // added to the command's environment
		wantErr  string
		maxErr   int // the longest stderr that is still readable; 0: any
	}{
		{
			name:    "alias bomb in an overlay resource",
			source:  "{kustomize: {path: app}}",
			files:   map[string]string{"app/cm.yaml": configMap + billionLaughs("x-bomb")},
			wantErr: "app/cm.yaml:",
		},
		{
			name:    "alias bomb in kustomization.yaml",
			source:  "{kustomize: {path: app}}",
			files:   map[string]string{"app/kustomization.yaml": "resources: [cm.yaml]\n" + billionLaughs("x-bomb")},
			wantErr: "app/kustomization.yaml:",
		},
		{
			name:    "alias bomb in a values file",
			source:  helm,
			files:   map[string]string{"values.yaml": billionLaughs("bomb")},
			wantErr: "values.yaml:",
		},
		{
			name:    "alias bomb in the chart's values",
			source:  "{helm: {chart: chart}}",
			files:   map[string]string{"chart/values.yaml": "data: {a: b}\n" + billionLaughs("bomb")},
			wantErr: "chart/values.yaml:",
		},
		{
			name:   "alias bomb in a template's output",
			source: "{helm: {chart: chart}}",
			files: map[string]string{"chart/templates/bomb.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\n" +
				billionLaughs("x-bomb")},
			wantErr: "chart/templates/bomb.yaml:",
		},
		{
			name:     "alias bomb in promote.yaml",
			pipeline: pipelineFile("{kustomize: {path: app}}") + billionLaughs("x-bomb"),
			wantErr:  "promote.yaml:",
		},
		{
			name:    "values file that never ends, outside the repository",
			source:  helm,
			links:   map[string]string{"values.yaml": "/dev/zero"},
			wantErr: "values.yaml is outside the repository",
		},
		{
			name:    "values file that never ends, outside allowed",
			source:  helm + "\n    allowOutsideRepository: true",
			links:   map[string]string{"values.yaml": "/dev/zero"},
			wantErr: "values.yaml: larger than the 32 MiB limit",
		},
		{
			name:    "values file of 1 GiB",
			source:  helm,
			files:   map[string]string{"values.yaml": ""},
			wantErr: "values.yaml: larger than the 32 MiB limit",
		},
		{
			name:    "overlay resource of 1 GiB",
			source:  "{kustomize: {path: app}}",
			wantErr: "app/cm.yaml: larger than the 32 MiB limit",
		},
		{
			name:    "endless template",
			source:  "{helm: {chart: chart}, renderTimeout: 1s}",
			files:   map[string]string{"chart/templates/cm.yaml": "{{- range until 100000 }}{{ range until 100000 }}{{ end }}{{ end }}\n"},
			wantErr: "render of environment dev took longer than 1s and was stopped",
		},
		{
			// 160 GB of output if nothing stopped it: the heap guard does,
			// long before prlimit's 2 GiB (a Go "fatal error: out of
			// memory" would exit 2 too, hence the message check).
			name:   "template that allocates without bound",
			source: "{helm: {chart: chart}}",
			files: map[string]string{"chart/templates/cm.yaml": "{{- range until 100000 }}{{ range until 100000 }}" +
				"xxxxxxxxxxxxxxxx{{ end }}{{ end }}\n"},
			env:     []string{"KUBECTL_PROMOTE_RENDER_MEMORY_MIB=64"},
			wantErr: "render of environment dev used more than 64 MiB of memory and was stopped",
		},
		{
			// Helm stops an include nested 1,000 deep; the message keeps
			// the outer and inner calls, not the thousand between.
			name:   "recursive include",
			source: "{helm: {chart: chart}}",
			files: map[string]string{"chart/templates/cm.yaml": `{{- define "x" }}{{ include "x" . }}{{ include "x" . }}{{ end }}` +
				`{{ include "x" . }}` + "\n"},
			wantErr: "more nested includes",
			maxErr:  2000,
		},
		{
			name:    "values file outside the repository",
			source:  "{helm: {chart: chart, values: [/etc/passwd]}}",
			wantErr: "/etc/passwd is outside the repository",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := repo(t, tt.source, tt.files)
			if tt.pipeline != "" {
				writeFiles(t, dir, map[string]string{"promote.yaml": tt.pipeline})
			}
			for link, target := range tt.links {
				os.Remove(filepath.Join(dir, link))
				if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
					t.Fatal(err)
				}
			}
			if strings.Contains(tt.name, "1 GiB") {
				name := "values.yaml"
				if strings.Contains(tt.name, "overlay") {
					name = "app/cm.yaml"
				}
				if err := os.Truncate(filepath.Join(dir, name), 1<<30); err != nil { // sparse
					t.Fatal(err)
				}
			}
			res := promote(t, dir, tt.env, "render", "dev")
			if res.code != 2 || !strings.Contains(res.stderr, tt.wantErr) {
				t.Errorf("exit %d, want 2 and an error containing %q:\n%s", res.code, tt.wantErr, res.stderr)
			}
			if tt.maxErr > 0 && len(res.stderr) > tt.maxErr {
				t.Errorf("stderr is %d bytes, want at most %d:\n%s", len(res.stderr), tt.maxErr, res.stderr)
			}
		})
	}
}

// TestEndlessPipelineFile: -f /dev/zero is refused, not read to the end.
func TestEndlessPipelineFile(t *testing.T) {
	res := promote(t, t.TempDir(), nil, "render", "dev", "-f", "/dev/zero")
	if res.code != 2 || !strings.Contains(res.stderr, "/dev/zero: larger than the 32 MiB limit") {
		t.Errorf("exit %d, want 2 and the file named:\n%s", res.code, res.stderr)
	}
}
