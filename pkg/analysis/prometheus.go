package analysis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

var errNoProvider = errors.New("provider must set exactly one of prometheus, web or job")

// prometheus runs an instant query: a vector is a []float64 (result[0]),
// a scalar a float64.
type prometheus struct {
	http    *http.Client
	address string
	query   string
}

// promResponse is the envelope of the Prometheus HTTP API.
type promResponse struct {
	Status    string `json:"status"`
	ErrorType string `json:"errorType"`
	Error     string `json:"error"`
	Data      struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	} `json:"data"`
}

func (p *prometheus) measure(ctx context.Context) (any, Phase, error) {
	u := strings.TrimSuffix(p.address, "/") + "/api/v1/query?" + url.Values{"query": {p.query}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, "", err
	}
	resp, err := p.http.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("prometheus: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, "", fmt.Errorf("prometheus: %w", err)
	}
	var pr promResponse
	if err := json.Unmarshal(body, &pr); err != nil {
		return nil, "", fmt.Errorf("prometheus: HTTP %d: %s", resp.StatusCode, snippet(body))
	}
	if pr.Status != "success" {
		return nil, "", fmt.Errorf("prometheus: query %q: %s: %s", p.query, pr.ErrorType, pr.Error)
	}
	v, err := promValue(pr.Data.ResultType, pr.Data.Result)
	if err != nil {
		return nil, "", fmt.Errorf("prometheus: query %q: %w", p.query, err)
	}
	return v, "", nil
}

// promValue turns a query result into a float64 or []float64.
func promValue(typ string, raw json.RawMessage) (any, error) {
	switch typ {
	case "scalar":
		var sample [2]any
		if err := json.Unmarshal(raw, &sample); err != nil {
			return nil, err
		}
		return sampleFloat(sample)
	case "vector":
		var vec []struct {
			Value [2]any `json:"value"`
		}
		if err := json.Unmarshal(raw, &vec); err != nil {
			return nil, err
		}
		out := make([]float64, 0, len(vec))
		for _, s := range vec {
			f, err := sampleFloat(s.Value)
			if err != nil {
				return nil, err
			}
			out = append(out, f)
		}
		return out, nil
	}
	return nil, fmt.Errorf("result type %s is not supported; use a query giving a vector or a scalar", typ)
}

func sampleFloat(s [2]any) (float64, error) {
	str, ok := s[1].(string)
	if !ok {
		return 0, fmt.Errorf("sample value %v is not a string", s[1])
	}
	return strconv.ParseFloat(str, 64)
}

// snippet shortens a response body for an error message.
func snippet(b []byte) string {
	const n = 200
	s := strings.TrimSpace(string(b))
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}
