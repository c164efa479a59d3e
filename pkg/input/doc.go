// Package input reads files that a pull request can change — the pipeline
// file, values files, overlays, charts — within bounds: a size cap per file,
// a cap on what YAML aliases may expand to, paths confined to the repository,
// and YAML syntax errors placed at the line they are on.
//
// Every error it returns carries exit code 2 (bad input) and names the file.
package input
