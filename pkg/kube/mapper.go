package kube

import (
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/restmapper"
)

func memoryCached(dc discovery.DiscoveryInterface) discovery.CachedDiscoveryInterface {
	return memory.NewMemCacheClient(dc)
}

// deferredMapper re-reads discovery once when a kind is unknown, so a CRD
// created earlier in the same run becomes mappable.
func deferredMapper(disc discovery.CachedDiscoveryInterface) meta.RESTMapper {
	m := restmapper.NewDeferredDiscoveryRESTMapper(disc)
	return restmapper.NewShortcutExpander(m, disc, nil)
}
