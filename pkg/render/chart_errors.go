package render

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/errcode"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
)

// badChartError is a chart or version the server says it does not have,
// or one it serves that cannot be used (not the archive its index lists,
// too large): the source must change, exit 2.
type badChartError struct{ error }

func (e badChartError) Unwrap() error { return e.error }

func badChart(format string, args ...any) error {
	return badChartError{fmt.Errorf(format, args...)}
}

// httpStatus finds the status Helm's HTTP getter puts in its messages
// ("failed to fetch URL : 404 Not Found"); it returns no typed error.
var httpStatus = regexp.MustCompile(`failed to fetch \S+ : (\d{3}) `)

// chartError names the chart and version and classifies err: a chart or
// version the server does not have (a 404 included, such as a repository
// URL that serves no index.yaml) is bad input, exit 2; a server that
// cannot be reached, refuses the credentials or fails otherwise is exit 3.
// Either way nothing has changed yet.
func chartError(c *remoteChart, want chartWant, err error) error {
	if exitcode.Has(err) {
		return err
	}
	code, hint := classifyFetch(c, err)
	msg := fmt.Sprintf("helm chart %s version %s: %v", c, want, err)
	if hint != "" {
		msg += " (" + hint + ")"
	}
	if u, perr := url.Parse(c.repo); perr == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			msg = strings.ReplaceAll(msg, pw, "xxxxx") // Helm's messages repeat the URL as written
		}
	}
	return exitcode.With(code, &fetchError{msg: msg, err: err})
}

type fetchError struct {
	msg string
	err error
}

func (e *fetchError) Error() string { return e.msg }
func (e *fetchError) Unwrap() error { return e.err }

func classifyFetch(c *remoteChart, err error) (int, string) {
	status := statusOf(err)
	switch {
	case errors.As(err, new(badChartError)), errors.Is(err, errdef.ErrNotFound), status == http.StatusNotFound:
		return exitcode.BadInput, "check helm.chart and helm.version"
	case status == http.StatusUnauthorized, status == http.StatusForbidden, errors.Is(err, auth.ErrBasicCredentialNotFound):
		if c.oci() {
			return exitcode.Cluster, "log in with `helm registry login " + registryHost(c.name) + "`"
		}
		return exitcode.Cluster, "add the repository with credentials: `helm repo add NAME " + c.repo + " --username …`"
	}
	return exitcode.Cluster, ""
}

// statusOf is the HTTP status of a failed request, 0 when there was none.
func statusOf(err error) int {
	var resp *errcode.ErrorResponse
	if errors.As(err, &resp) {
		return resp.StatusCode
	}
	if m := httpStatus.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

// unreachable tells whether err is a classified fetch error that is not
// about the chart itself.
func unreachable(err error) bool {
	var fe *fetchError
	return errors.As(err, &fe) && exitcode.Code(err) == exitcode.Cluster
}

func registryHost(ref string) string {
	host, _, _ := strings.Cut(strings.TrimPrefix(ref, "oci://"), "/")
	return host
}

// unwrapAll follows both Go's and pkg/errors' wrapping to the root cause.
func unwrapAll(err error) error {
	for {
		switch e := err.(type) {
		case interface{ Cause() error }:
			err = e.Cause()
		case interface{ Unwrap() error }:
			if next := e.Unwrap(); next != nil {
				err = next
				continue
			}
			return err
		default:
			return err
		}
	}
}
