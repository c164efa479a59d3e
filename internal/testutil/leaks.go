package testutil

import (
	"encoding/base64"
	"strings"
)

// Leaks returns which of the secret values s contains, each looked for in
// plain text and base64-encoded (as a Secret's data carries it).
func Leaks(s string, secrets ...string) []string {
	var out []string
	for _, v := range secrets {
		for _, form := range []string{v, base64.StdEncoding.EncodeToString([]byte(v))} {
			if strings.Contains(s, form) {
				out = append(out, form)
			}
		}
	}
	return out
}
