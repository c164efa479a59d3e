package rollout

import (
	"context"

	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
)

// prune deletes refs that still carry the owner labels and reports each.
func (s *Switch) prune(ctx context.Context, refs []kube.ObjectRef, why string) error {
	if len(refs) == 0 {
		return nil
	}
	deleted, err := Prune(ctx, s.Clients, refs, s.Owner)
	for _, r := range deleted {
		s.Emit("prune", "deleted %s%s", r, why)
	}
	return err
}

// UndoFirst handles a failed first release: there is nothing to go back to,
// so, like `helm install --atomic`, the objects it created are deleted
// (Namespaces excepted) and objects that existed before it stay as they are.
func (s *Switch) UndoFirst(ctx context.Context) error {
	s.Emit("undo", "no previous release: deleting the objects revision %d created", s.Revision)
	return s.prune(ctx, s.Created, "")
}
