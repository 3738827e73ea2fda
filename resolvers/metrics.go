package resolvers

import (
	"context"

	"github.com/graph-gophers/dataloader/v7"
)

// BatchObserver is told the number of keys of every batch a loader sends to its store,
// with the loader's name (productByID, categoryChildren, ...): the measure of how well
// the loaders batch. It is called from the loaders' goroutines, concurrently, and must
// be quick.
type BatchObserver func(loader string, keys int)

// observed returns fn telling observe the size of each batch, or fn itself when observe
// is nil.
func observed[K comparable, V any](observe BatchObserver, loader string, fn dataloader.BatchFunc[K, V]) dataloader.BatchFunc[K, V] {
	if observe == nil {
		return fn
	}
	return func(ctx context.Context, keys []K) []*dataloader.Result[V] {
		observe(loader, len(keys))
		return fn(ctx, keys)
	}
}
