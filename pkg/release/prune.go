package release

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Prune deletes the oldest records so that keep remain, except that the
// newest Succeeded record is always kept (it is what undo and promotion
// fall back on), even beyond keep. keep < 1 keeps everything. It decodes
// nothing: labels say all it needs.
func (s *Store) Prune(ctx context.Context, keep int) error {
	items, err := s.list(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, it := range pruneVictims(items, keep) {
		err := s.client.CoreV1().Secrets(s.namespace).Delete(ctx, it.secret.Name, metav1.DeleteOptions{
			Preconditions: &metav1.Preconditions{UID: &it.secret.UID},
		})
		if err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("%s: prune: %w", s.ref(it.revision), err))
		}
	}
	return errors.Join(errs...)
}

// pruneVictims returns the items Prune deletes from items, sorted newest first.
func pruneVictims(items []item, keep int) []item {
	if keep < 1 || len(items) <= keep {
		return nil
	}
	newestSucceeded := -1
	for i, it := range items {
		if it.status == Succeeded {
			newestSucceeded = i
			break
		}
	}
	var victims []item
	for i, it := range items[keep:] {
		if i+keep != newestSucceeded {
			victims = append(victims, it)
		}
	}
	return victims
}
