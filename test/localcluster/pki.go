package localcluster

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Files of a cluster's PKI, relative to its pki directory.
const (
	caCertFile        = "ca.crt"
	caKeyFile         = "ca.key"
	apiserverCertFile = "apiserver.crt"
	apiserverKeyFile  = "apiserver.key"
	adminCertFile     = "admin.crt"
	adminKeyFile      = "admin.key"
	saKeyFile         = "sa.key"
	saPubFile         = "sa.pub"
)

// serviceCIDR is the service range, passed to the apiserver at every start:
// a /16, so that a release of 1,000 objects with real ClusterIP Services
// fits (a /24 holds 254). serviceIP is its first address: the in-cluster
// address of the kubernetes Service, so it must be in the serving cert.
const (
	serviceCIDR = "10.0.0.0/16"
	serviceIP   = "10.0.0.1"
	// podCIDR is where kwok hands out pod IPs; apart from serviceCIDR.
	podCIDR = "10.244.0.0/16"
)

// certValidity is long enough for a cluster left running by `up`.
const certValidity = 365 * 24 * time.Hour

// pki is a cluster's certificate authority, able to mint more certificates.
type pki struct {
	dir    string
	caCert *x509.Certificate
	caKey  crypto.Signer
}

// newPKI writes a fresh CA, the apiserver serving cert, the admin client
// cert and the service-account key pair into dir. ECDSA P-256 keeps this
// fast; every component accepts it.
func newPKI(dir string) (*pki, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	p := &pki{dir: dir}
	if err := p.writeCA(); err != nil {
		return nil, err
	}
	if err := p.writeServingCert(); err != nil {
		return nil, err
	}
	if err := p.writeClientCert(adminCertFile, adminKeyFile, "kubernetes-admin", []string{"system:masters"}); err != nil {
		return nil, err
	}
	if err := p.writeServiceAccountKey(); err != nil {
		return nil, err
	}
	return p, nil
}

// loadPKI reads the CA written by newPKI.
func loadPKI(dir string) (*pki, error) {
	certPEM, err := os.ReadFile(filepath.Join(dir, caCertFile))
	if err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	keyPEM, err := os.ReadFile(filepath.Join(dir, caKeyFile))
	if err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	cert, err := parseCert(certPEM)
	if err != nil {
		return nil, err
	}
	key, err := parseKey(keyPEM)
	if err != nil {
		return nil, err
	}
	return &pki{dir: dir, caCert: cert, caKey: key}, nil
}

func (p *pki) path(name string) string { return filepath.Join(p.dir, name) }

func (p *pki) read(name string) ([]byte, error) {
	data, err := os.ReadFile(p.path(name))
	if err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	return data, nil
}

func (p *pki) writeCA() error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("pki: ca key: %w", err)
	}
	tmpl, err := certTemplate("localcluster-ca")
	if err != nil {
		return err
	}
	tmpl.IsCA = true
	tmpl.BasicConstraintsValid = true
	tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return fmt.Errorf("pki: ca: %w", err)
	}
	if p.caCert, err = x509.ParseCertificate(der); err != nil {
		return fmt.Errorf("pki: ca: %w", err)
	}
	p.caKey = key
	return p.writePair(caCertFile, caKeyFile, der, key)
}

func (p *pki) writeServingCert() error {
	tmpl, err := certTemplate("kube-apiserver")
	if err != nil {
		return err
	}
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	tmpl.DNSNames = []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
		"kubernetes.default.svc.cluster.local"}
	tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1"), net.IPv6loopback, net.ParseIP(serviceIP)}
	return p.sign(tmpl, apiserverCertFile, apiserverKeyFile)
}

func (p *pki) writeClientCert(certFile, keyFile, user string, groups []string) error {
	certPEM, keyPEM, err := p.clientCert(user, groups)
	if err != nil {
		return err
	}
	if err := os.WriteFile(p.path(certFile), certPEM, 0o600); err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	if err := os.WriteFile(p.path(keyFile), keyPEM, 0o600); err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	return nil
}

// clientCert mints a client certificate for user in groups (CN and O, as
// the apiserver's x509 authenticator reads them), PEM-encoded.
func (p *pki) clientCert(user string, groups []string) (certPEM, keyPEM []byte, err error) {
	if user == "" {
		return nil, nil, errors.New("pki: client cert needs a user name")
	}
	tmpl, err := certTemplate(user)
	if err != nil {
		return nil, nil, err
	}
	tmpl.Subject.Organization = groups
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	key, der, err := p.issue(tmpl)
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err = encodeKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), keyPEM, nil
}

func (p *pki) sign(tmpl *x509.Certificate, certFile, keyFile string) error {
	key, der, err := p.issue(tmpl)
	if err != nil {
		return err
	}
	return p.writePair(certFile, keyFile, der, key)
}

func (p *pki) issue(tmpl *x509.Certificate) (*ecdsa.PrivateKey, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: %s key: %w", tmpl.Subject.CommonName, err)
	}
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.caCert, key.Public(), p.caKey)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: %s cert: %w", tmpl.Subject.CommonName, err)
	}
	return key, der, nil
}

// writeServiceAccountKey writes the key pair that signs service-account
// tokens (controller-manager, apiserver) and verifies them (apiserver).
func (p *pki) writeServiceAccountKey() error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("pki: service-account key: %w", err)
	}
	keyPEM, err := encodeKey(key)
	if err != nil {
		return err
	}
	pub, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return fmt.Errorf("pki: service-account key: %w", err)
	}
	if err := os.WriteFile(p.path(saKeyFile), keyPEM, 0o600); err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})
	if err := os.WriteFile(p.path(saPubFile), pubPEM, 0o644); err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	return nil
}

func (p *pki) writePair(certFile, keyFile string, der []byte, key *ecdsa.PrivateKey) error {
	keyPEM, err := encodeKey(key)
	if err != nil {
		return err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := os.WriteFile(p.path(certFile), certPEM, 0o644); err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	if err := os.WriteFile(p.path(keyFile), keyPEM, 0o600); err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	return nil
}

func certTemplate(commonName string) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("pki: serial: %w", err)
	}
	now := time.Now()
	return &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: commonName},
		NotBefore:    now.Add(-time.Hour), // tolerate clock skew between processes
		NotAfter:     now.Add(certValidity),
	}, nil
}

func encodeKey(key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("pki: encode key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), nil
}

func parseCert(data []byte) (*x509.Certificate, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("pki: no CERTIFICATE block")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	return cert, nil
}

func parseKey(data []byte) (crypto.Signer, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "EC PRIVATE KEY" {
		return nil, errors.New("pki: no EC PRIVATE KEY block")
	}
	key, err := x509.ParseECPrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	return key, nil
}
