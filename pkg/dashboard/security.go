package dashboard

import (
	"crypto/subtle"
	"net"
	"net/http"
	"net/url"
	"strconv"
)

// TokenHeader is the header carrying the session token on every POST.
const TokenHeader = "X-Promote-Token"

// allowedHosts are the Host headers a request may carry when the server
// listens on loopback: its own address and "localhost" with its port. A
// page from another site that rebinds its DNS name to 127.0.0.1 sends its
// own name and is refused. Nil (any Host) on other addresses: whoever binds
// there chose to be reached by some name.
func allowedHosts(addr net.Addr) map[string]bool {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || !tcp.IP.IsLoopback() {
		return nil
	}
	port := strconv.Itoa(tcp.Port)
	return map[string]bool{
		net.JoinHostPort(tcp.IP.String(), port): true,
		net.JoinHostPort("localhost", port):     true,
	}
}

// guard refuses requests with a foreign Host, and state-changing ones
// without the session token or from another origin, with 403.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.hosts != nil && !s.hosts[r.Host] {
			writeError(w, http.StatusForbidden, "this dashboard answers only on its own address, not as "+strconv.Quote(r.Host))
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if msg := s.refuseWrite(r); msg != "" {
				s.logf("refused %s %s: %s", r.Method, r.URL.Path, msg)
				writeError(w, http.StatusForbidden, msg)
				return
			}
		}
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}

// refuseWrite says why a state-changing request is refused, "" when it is
// allowed: read-only mode, a missing or wrong token, a foreign origin.
func (s *Server) refuseWrite(r *http.Request) string {
	if s.opts.ReadOnly {
		return "the dashboard runs with --read-only"
	}
	got := r.Header.Get(TokenHeader)
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(s.token)) != 1 {
		return "missing or wrong session token (" + TokenHeader + "); reload the page"
	}
	if o := r.Header.Get("Origin"); o != "" && !sameOrigin(o, r.Host) {
		return "cross-origin request refused"
	}
	return ""
}

func sameOrigin(origin, host string) bool {
	u, err := url.Parse(origin)
	return err == nil && u.Scheme == "http" && u.Host == host
}
