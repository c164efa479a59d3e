package render

import (
	"bytes"
	"context"
	"sync"
	"testing"
)

// TestConcurrentRenders: environments rendered at the same time (as a
// promotion renders upstream and target) give what they give alone.
func TestConcurrentRenders(t *testing.T) {
	cases := allEnvs(t)
	want := make([][]byte, len(cases))
	for i, c := range cases {
		want[i] = describe(t, mustRender(t, c, Options{}))
	}
	got := make([][]byte, len(cases))
	errs := make([]error, len(cases))
	var wg sync.WaitGroup
	for i, c := range cases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := For(c.p, c.env)
			if err == nil {
				var res *Result
				if res, err = r.Render(context.Background(), Options{}); err == nil {
					var b bytes.Buffer
					err = Encode(&b, res.Objects, "yaml")
					got[i] = b.Bytes()
				}
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, c := range cases {
		if errs[i] != nil {
			t.Errorf("%s: %v", c.name, errs[i])
			continue
		}
		if !bytes.HasSuffix(want[i], got[i]) {
			t.Errorf("%s: concurrent render differs from a render alone", c.name)
		}
	}
}
