package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"sigs.k8s.io/yaml"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
)

// Output formats.
const (
	OutputText = "text"
	OutputJSON = "json"
	OutputYAML = "yaml"
)

// checkOutput reports an -o value the command does not take.
func checkOutput(format string, allowed ...string) error {
	for _, a := range allowed {
		if format == a {
			return nil
		}
	}
	return exitcode.With(exitcode.BadInput, fmt.Errorf("-o %s: this command prints %s", format, strings.Join(allowed, ", ")))
}

// printTable writes rows under headers, aligned like kubectl get.
func printTable(w io.Writer, headers []string, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
	fmt.Fprintln(tw, strings.Join(headers, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// printStructured writes v as indented JSON or as YAML.
func printStructured(w io.Writer, v any, format string) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if format == OutputYAML {
		if data, err = yaml.JSONToYAML(data); err != nil {
			return err
		}
	} else {
		data = append(data, '\n')
	}
	_, err = w.Write(data)
	return err
}
