package localcluster

import (
	"crypto/x509"
	"net"
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPKI(t *testing.T) {
	p, err := newPKI(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := loadPKI(p.dir)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(loaded.caCert)

	serving := readCert(t, p, apiserverCertFile)
	for _, host := range []string{"127.0.0.1", "localhost", "kubernetes.default.svc", serviceIP} {
		if _, err := serving.Verify(x509.VerifyOptions{DNSName: host, Roots: roots}); err != nil {
			t.Errorf("serving cert for %s: %v", host, err)
		}
	}
	if !serving.IPAddresses[2].Equal(net.ParseIP(serviceIP)) {
		t.Errorf("serving cert IPs %v lack %s", serving.IPAddresses, serviceIP)
	}

	tests := []struct {
		name       string
		user       string
		groups     []string
		certFile   string
		wantGroups []string
	}{
		{name: "admin", user: "kubernetes-admin", certFile: adminCertFile, wantGroups: []string{"system:masters"}},
		{name: "minted user", user: "alice", groups: []string{"dev", "ops"}, wantGroups: []string{"dev", "ops"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cert := readCert(t, p, tt.certFile)
			if tt.certFile == "" {
				certPEM, _, err := loaded.clientCert(tt.user, tt.groups)
				if err != nil {
					t.Fatal(err)
				}
				if cert, err = parseCert(certPEM); err != nil {
					t.Fatal(err)
				}
			}
			opts := x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
			if _, err := cert.Verify(opts); err != nil {
				t.Errorf("client cert does not verify: %v", err)
			}
			if cert.Subject.CommonName != tt.user {
				t.Errorf("CN = %q, want %q", cert.Subject.CommonName, tt.user)
			}
			if diff := cmp.Diff(tt.wantGroups, cert.Subject.Organization); diff != "" {
				t.Errorf("groups (-want +got):\n%s", diff)
			}
		})
	}
}

func readCert(t *testing.T, p *pki, name string) *x509.Certificate {
	t.Helper()
	if name == "" {
		return nil
	}
	data, err := p.read(name)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := parseCert(data)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func TestMergeAndRemoveContext(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"promote-a", "promote-b"} {
		cfg := kubeconfig(name, "https://127.0.0.1:1", []byte("ca"), []byte("cert"), []byte("key"), "admin")
		if err := writeKubeconfig(filepath.Join(dir, name), cfg); err != nil {
			t.Fatal(err)
		}
	}
	merged := filepath.Join(dir, "merged")
	if err := MergeKubeconfig(merged, filepath.Join(dir, "promote-a"), filepath.Join(dir, "promote-b")); err != nil {
		t.Fatal(err)
	}
	if err := RemoveContext(merged, "promote-b"); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadOrEmpty(merged)
	if err != nil {
		t.Fatal(err)
	}
	got := []string{cfg.CurrentContext}
	for name := range cfg.Contexts {
		got = append(got, name)
	}
	for name := range cfg.AuthInfos {
		got = append(got, name)
	}
	if diff := cmp.Diff([]string{"promote-a", "promote-a", "promote-a-admin"}, got); diff != "" {
		t.Errorf("current context, contexts, users after removing promote-b (-want +got):\n%s", diff)
	}
}

// TestServiceRange: the service range holds a release of 1,000 ClusterIP
// Services, contains the kubernetes Service's address and stays apart from
// the pod range.
func TestServiceRange(t *testing.T) {
	services, err := netip.ParsePrefix(serviceCIDR)
	if err != nil {
		t.Fatal(err)
	}
	pods, err := netip.ParsePrefix(podCIDR)
	if err != nil {
		t.Fatal(err)
	}
	if size := 1 << (32 - services.Bits()); size < 1000+2 {
		t.Errorf("service range %s has %d addresses, want room for 1,000 Services", services, size)
	}
	if !services.Contains(netip.MustParseAddr(serviceIP)) {
		t.Errorf("service range %s lacks the kubernetes Service's %s", services, serviceIP)
	}
	if services.Overlaps(pods) {
		t.Errorf("service range %s overlaps the pod range %s", services, pods)
	}
}
