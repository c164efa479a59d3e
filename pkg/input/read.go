package input

import (
	"fmt"
	"io"
	"os"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
)

// ReadFile reads path, refusing a file larger than limits.MaxFileSize
// without reading more than that: /dev/zero or a huge file is an error, not
// an exhausted memory.
func ReadFile(path string, limits Limits) ([]byte, error) {
	max := limits.orDefault().MaxFileSize
	f, err := os.Open(path)
	if err != nil {
		return nil, exitcode.With(exitcode.BadInput, err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return nil, exitcode.With(exitcode.BadInput, fmt.Errorf("%s is a directory, not a file", path))
	} else if err == nil && fi.Mode().IsRegular() && fi.Size() > max {
		return nil, tooLarge(path, max)
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, exitcode.With(exitcode.BadInput, fmt.Errorf("read %s: %w", path, err))
	}
	if int64(len(data)) > max {
		return nil, tooLarge(path, max)
	}
	return data, nil
}

// TooLarge is the error of a file over the size limit.
type TooLarge struct {
	Path  string
	Limit int64
}

func (e *TooLarge) Error() string {
	return fmt.Sprintf("%s: larger than the %s limit for an input file", e.Path, size(e.Limit))
}

func tooLarge(path string, max int64) error {
	return exitcode.With(exitcode.BadInput, &TooLarge{Path: path, Limit: max})
}

// size prints n bytes for people.
func size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
