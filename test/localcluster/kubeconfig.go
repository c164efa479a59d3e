package localcluster

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// kubeconfig builds a single-context kubeconfig: cluster and context are
// both called name, the user is name-user. Credentials are embedded so the
// file can be copied anywhere.
func kubeconfig(name, server string, caPEM, certPEM, keyPEM []byte, user string) *clientcmdapi.Config {
	cfg := clientcmdapi.NewConfig()
	authName := name + "-" + user
	cfg.Clusters[name] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: caPEM}
	cfg.AuthInfos[authName] = &clientcmdapi.AuthInfo{ClientCertificateData: certPEM, ClientKeyData: keyPEM}
	cfg.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: authName}
	cfg.CurrentContext = name
	return cfg
}

// writeKubeconfig writes cfg to path through a temporary file, so a reader
// never sees a half-written kubeconfig.
func writeKubeconfig(path string, cfg *clientcmdapi.Config) error {
	data, err := clientcmd.Write(*cfg)
	if err != nil {
		return fmt.Errorf("kubeconfig %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("kubeconfig %s: %w", path, err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("kubeconfig %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("kubeconfig %s: %w", path, err)
	}
	return nil
}

// MergeKubeconfig adds (or replaces) every cluster, user and context of the
// kubeconfig files in from into the kubeconfig at path, creating it when
// missing. The current context becomes the one of the last file.
func MergeKubeconfig(path string, from ...string) error {
	merged, err := loadOrEmpty(path)
	if err != nil {
		return err
	}
	for _, f := range from {
		cfg, err := clientcmd.LoadFromFile(f)
		if err != nil {
			return fmt.Errorf("merge kubeconfig %s: %w", f, err)
		}
		for k, v := range cfg.Clusters {
			merged.Clusters[k] = v
		}
		for k, v := range cfg.AuthInfos {
			merged.AuthInfos[k] = v
		}
		for k, v := range cfg.Contexts {
			merged.Contexts[k] = v
		}
		merged.CurrentContext = cfg.CurrentContext
	}
	return writeKubeconfig(path, merged)
}

// RemoveContext deletes context name, with the cluster and user it points
// to, from the kubeconfig at path, and the file once no context is left. A
// missing file or context is no error.
func RemoveContext(path, name string) error {
	if !fileExists(path) {
		return nil
	}
	cfg, err := loadOrEmpty(path)
	if err != nil {
		return err
	}
	ctx, ok := cfg.Contexts[name]
	if !ok {
		return nil
	}
	delete(cfg.Clusters, ctx.Cluster)
	delete(cfg.AuthInfos, ctx.AuthInfo)
	delete(cfg.Contexts, name)
	if len(cfg.Contexts) == 0 {
		if err := os.Remove(path); err != nil {
			return fmt.Errorf("kubeconfig %s: %w", path, err)
		}
		return nil
	}
	if cfg.CurrentContext == name {
		cfg.CurrentContext = ""
		if names := slices.Sorted(maps.Keys(cfg.Contexts)); len(names) > 0 {
			cfg.CurrentContext = names[0]
		}
	}
	return writeKubeconfig(path, cfg)
}

func loadOrEmpty(path string) (*clientcmdapi.Config, error) {
	if !fileExists(path) {
		return clientcmdapi.NewConfig(), nil
	}
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("kubeconfig %s: %w", path, err)
	}
	return cfg, nil
}
