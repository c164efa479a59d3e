package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
)

// InitOptions writes a pipeline file from the layout found in a directory.
type InitOptions struct {
	*GlobalOptions
	// Dir is where to look for the layout.
	Dir string
	// Path is the file to write: -f, else promote.yaml in Dir.
	Path string
	// Force overwrites an existing file.
	Force bool
	// IncludeAll puts every values file of a Helm layout into the chain.
	IncludeAll bool
}

// NewCmdInit returns `init [DIR]`.
func NewCmdInit(g *GlobalOptions) *cobra.Command {
	o := &InitOptions{GlobalOptions: g}
	cmd := &cobra.Command{
		Use:   "init [DIR]",
		Short: "Write a promote.yaml from an existing overlays/* or Chart.yaml + values-*.yaml layout",
		Long: "Look in DIR (default: the current directory) for Kustomize overlays (overlays/<env>, at any depth)\n" +
			"or a Helm chart with values-<env>.yaml files, and write promote.yaml with one environment per\n" +
			"overlay or values file: ordered from least to most production-like (dev, test, qa, …, staging,\n" +
			"preprod, prod), each promoted from the one before, rolling strategy. An overlay's namespace is\n" +
			"the one it sets (its Namespace object, or its kustomization's namespace: wherever in its bases);\n" +
			"only when it sets none is <app>-<env> invented. Values files whose names are not recognised\n" +
			"environment names (values-bad.yaml) are listed as skipped unless --include-all.",
		Example: "  kubectl promote init\n  kubectl promote init ./shop --force",
		Args:    cobra.MaximumNArgs(1),
		RunE:    runE(o),
	}
	cmd.Flags().BoolVar(&o.Force, "force", false, "overwrite an existing pipeline file")
	cmd.Flags().BoolVar(&o.IncludeAll, "include-all", false, "put every values-*.yaml of a Helm chart into the chain, not only recognised environment names")
	return cmd
}

// Complete takes DIR and the file to write.
func (o *InitOptions) Complete(args []string) error {
	o.Dir = "."
	if len(args) == 1 {
		o.Dir = args[0]
	}
	o.Path = o.File
	if o.Path == "" {
		o.Path = filepath.Join(o.Dir, pipeline.FileName)
	}
	return nil
}

// Validate refuses a missing DIR, a file path that is a directory (even
// with --force) and, without --force, an existing file.
func (o *InitOptions) Validate() error {
	if fi, err := os.Stat(o.Dir); err != nil || !fi.IsDir() {
		return exitcode.With(exitcode.BadInput, fmt.Errorf("%s is not a directory", o.Dir))
	}
	fi, err := os.Stat(o.Path)
	switch {
	case err != nil:
		return nil
	case fi.IsDir():
		return exitcode.With(exitcode.BadInput, fmt.Errorf("%s is a directory: move it away or write the pipeline elsewhere with -f FILE", o.Path))
	case !o.Force:
		return exitcode.With(exitcode.BadInput, fmt.Errorf("%s already exists; pass --force to overwrite it", o.Path))
	}
	return nil
}

// Run detects the layout, writes the file and says what it wrote.
func (o *InitOptions) Run(ctx context.Context) error {
	layout, err := pipeline.Detect(o.Dir, pipeline.DetectOptions{IncludeAll: o.IncludeAll})
	if err != nil {
		return err
	}
	p, err := layout.Pipeline(o.Dir, filepath.Dir(o.Path))
	if err != nil {
		return badInput(err)
	}
	if err := o.takeNamespaces(ctx, layout, p); err != nil {
		return err
	}
	data, err := pipeline.Marshal(p, header(layout, o.relToFile(layout.Root)))
	if err != nil {
		return err
	}
	if err := writeChecked(o.Path, data); err != nil {
		return err
	}
	return o.report(layout, p)
}

// header is the comment at the top of the written file; root is the
// layout's root relative to the file.
func header(l *pipeline.Layout, root string) string {
	return fmt.Sprintf("Written by `kubectl promote init` from the %s in %s.\n"+
		"Environments go from least to most production-like; each is promoted from its `from:`.\n"+
		"Every field is described in the README's promote.yaml reference.", describeLayout(l), root)
}

// relToFile turns a path relative to Dir into one relative to the written
// file's directory.
func (o *InitOptions) relToFile(path string) string {
	r, err := filepath.Rel(filepath.Dir(o.Path), filepath.Join(o.Dir, path))
	if err != nil {
		return path
	}
	return filepath.ToSlash(r)
}

func describeLayout(l *pipeline.Layout) string {
	if l.Source == "kustomize" {
		return "Kustomize overlays"
	}
	return "Helm chart and its values files"
}

// writeChecked writes data to path only if it loads and validates, so a
// broken file is never left behind.
func writeChecked(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".promote-*.yaml")
	if err != nil {
		return exitcode.With(exitcode.BadInput, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	p, err := pipeline.Load(tmp.Name())
	if err == nil {
		err = p.Validate()
	}
	if err != nil {
		return fmt.Errorf("the generated pipeline does not validate (please report this): %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// report tells, on stderr, what was written.
func (o *InitOptions) report(l *pipeline.Layout, p *pipeline.Pipeline) error {
	w := o.ErrOut
	fmt.Fprintf(w, "wrote %s from the %s in %s:\n", o.Path, describeLayout(l), filepath.Join(o.Dir, l.Root))
	rows := make([][]string, 0, len(p.Spec.Environments))
	for i, e := range p.Spec.Environments {
		rows = append(rows, []string{"  " + e.Name, or(e.From), e.Namespace, filepath.Join(o.Dir, l.Envs[i].Path), l.Envs[i].NamespaceFrom})
	}
	if err := printTable(w, []string{"  ENVIRONMENT", "FROM", "NAMESPACE", strings.ToUpper(sourceWord(l)), "NAMESPACE FROM"}, rows); err != nil {
		return err
	}
	for _, s := range l.Skipped {
		fmt.Fprintf(w, "skipped %s: %q is not a recognised environment name (pass --include-all to chain it)\n", filepath.Join(o.Dir, s.Path), s.Name)
	}
	file := ""
	switch {
	case o.File != "":
		file = " -f " + o.File
	case filepath.Clean(o.Dir) != ".":
		// The file is looked for in the current directory and its parents,
		// not below: name it.
		file = " -f " + o.Path
	}
	_, err := fmt.Fprintf(w, "next: kubectl promote%s render %s\n", file, p.Spec.Environments[0].Name)
	return err
}

func sourceWord(l *pipeline.Layout) string {
	if l.Source == "kustomize" {
		return "overlay"
	}
	return "values"
}
