package release

import (
	"context"
	"fmt"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
)

// CurrentHolder returns who holds the lock of environment and when the
// lease expires unless renewed; nil and nil when it is free. An expired
// lease is still returned (with an expiry in the past): it is a stale lock
// the next Acquire takes over.
func CurrentHolder(ctx context.Context, client kubernetes.Interface, namespace, pipeline, environment string) (*Holder, *time.Time, error) {
	if err := checkNames(namespace, pipeline, environment); err != nil {
		return nil, nil, err
	}
	lease, err := getLease(ctx, client, namespace, pipeline, environment)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: read lock: %w", leaseRef(namespace, pipeline, environment), err)
	}
	if lease == nil {
		return nil, nil, nil
	}
	held, ok := holderOf(lease)
	if !ok {
		return nil, nil, nil
	}
	exp := expiry(lease)
	return &held.Holder, &exp, nil
}

// ForceUnlock frees the lock of environment whoever holds it, and returns
// who did (nil if nobody). The holder, if still running, finds out at its
// next renewal and stops: its Lock's Lost channel closes.
func ForceUnlock(ctx context.Context, client kubernetes.Interface, namespace, pipeline, environment string) (*Holder, error) {
	if err := checkNames(namespace, pipeline, environment); err != nil {
		return nil, err
	}
	var was *Holder
	leases := client.CoordinationV1().Leases(namespace)
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		lease, err := getLease(ctx, client, namespace, pipeline, environment)
		if err != nil || lease == nil {
			return err
		}
		held, ok := holderOf(lease)
		if !ok {
			was = nil
			return nil
		}
		was = &held.Holder
		lease.Spec.HolderIdentity = nil
		_, err = leases.Update(ctx, lease, metav1.UpdateOptions{FieldManager: fieldManager})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s: unlock: %w", leaseRef(namespace, pipeline, environment), err)
	}
	return was, nil
}

// getLease reads the lock's lease; nil and no error if there is none.
// Callers name the lease in errors.
func getLease(ctx context.Context, client kubernetes.Interface, namespace, pipeline, environment string) (*coordinationv1.Lease, error) {
	lease, err := client.CoordinationV1().Leases(namespace).Get(ctx, LeaseName(pipeline, environment), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	return lease, err
}

func leaseRef(namespace, pipeline, environment string) string {
	return "Lease/" + namespace + "/" + LeaseName(pipeline, environment)
}
