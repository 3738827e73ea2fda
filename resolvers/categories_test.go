package resolvers

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/shopgraph/shopgraph/domain"
)

// fakeCategories is both the tree's lister and the store it falls back to, counting the
// calls of each.
type fakeCategories struct {
	domain.CatalogReader // the product reads: unused here

	mu       sync.Mutex
	all      []domain.Category
	fail     error
	listings int
	byID     int
}

func (f *fakeCategories) set(all []domain.Category, fail error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.all, f.fail = all, fail
}

func (f *fakeCategories) counts() (listings, byID int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.listings, f.byID
}

func (f *fakeCategories) AllCategories(context.Context) ([]domain.Category, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.listings++
	if f.fail != nil {
		return nil, f.fail
	}
	return append([]domain.Category(nil), f.all...), nil
}

func (f *fakeCategories) CategoriesByID(_ context.Context, ids []int64) (map[int64]domain.Category, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.byID++
	out := map[int64]domain.Category{}
	for _, c := range f.all {
		for _, id := range ids {
			if c.ID == id {
				out[id] = c
			}
		}
	}
	return out, nil
}

func (f *fakeCategories) RootCategories(context.Context) ([]domain.Category, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []domain.Category
	for _, c := range f.all {
		if c.ParentID == 0 {
			out = append(out, c)
		}
	}
	return out, nil
}

// shopCategories are in display order, as AllCategories returns them.
var shopCategories = []domain.Category{
	{ID: 3, Slug: "audio", Name: "Audio", Position: 0},
	{ID: 1, Slug: "home", Name: "Home", Position: 1},
	{ID: 4, ParentID: 3, Slug: "speakers", Name: "Speakers", Position: 0},
	{ID: 2, ParentID: 3, Slug: "headphones", Name: "Headphones", Position: 1},
	{ID: 5, ParentID: 2, Slug: "in-ear", Name: "In-ear", Position: 0},
}

func names(cs []domain.Category) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Name
	}
	return out
}

func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after 5s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestCategoryTreeAnswersFromMemory(t *testing.T) {
	f := &fakeCategories{all: shopCategories}
	tree := NewCategoryTree(f, time.Hour, nil)
	ctx := context.Background()

	// Concurrent first readers share one load.
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := tree.categoriesByID(ctx, f, []int64{5}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if listings, byID := f.counts(); listings != 1 || byID != 0 {
		t.Fatalf("8 first readers: %d loads and %d store reads, want 1 and 0", listings, byID)
	}

	got, err := tree.categoriesByID(ctx, f, []int64{5, 2, 3})
	if err != nil || len(got) != 3 || got[5].Name != "In-ear" || got[2].ParentID != 3 {
		t.Fatalf("categoriesByID: %+v %v", got, err)
	}
	children, err := tree.categoryChildren(ctx, f, []int64{3, 5})
	if err != nil {
		t.Fatal(err)
	}
	if n := names(children[3]); len(n) != 2 || n[0] != "Speakers" || n[1] != "Headphones" {
		t.Errorf("children of Audio %v, want [Speakers Headphones] (display order)", n)
	}
	if c, ok := children[5]; !ok || c == nil || len(c) != 0 {
		t.Errorf("children of a leaf: %#v, want an empty slice", c)
	}
	roots, err := tree.roots(ctx, f)
	if n := names(roots); err != nil || len(n) != 2 || n[0] != "Audio" || n[1] != "Home" {
		t.Errorf("roots %v %v, want [Audio Home]", n, err)
	}
	if c, err := tree.bySlug(ctx, f, "headphones"); err != nil || c.ID != 2 {
		t.Errorf("bySlug: %+v %v", c, err)
	}
	if listings, byID := f.counts(); listings != 1 || byID != 0 {
		t.Errorf("after the reads: %d loads and %d store reads, want 1 and 0", listings, byID)
	}
}

func TestCategoryTreeFallsBackAndRefreshes(t *testing.T) {
	f := &fakeCategories{all: shopCategories}
	tree := NewCategoryTree(f, time.Hour, nil)
	ctx := context.Background()
	if _, err := tree.categoriesByID(ctx, f, []int64{1}); err != nil {
		t.Fatal(err)
	}

	// A category created after the load: the store answers. A tree younger than a second
	// is not reloaded for it (asking for ids that do not exist must not keep the tree
	// reloading); an older one is.
	f.set(append(append([]domain.Category(nil), shopCategories...), domain.Category{ID: 9, ParentID: 1, Slug: "lamps", Name: "Lamps"}), nil)
	if got, err := tree.categoriesByID(ctx, f, []int64{9}); err != nil || got[9].Name != "Lamps" {
		t.Fatalf("a new category, young tree: %+v %v", got, err)
	}
	if l, _ := f.counts(); l != 1 || tree.refreshing.Load() {
		t.Fatalf("a miss on a tree younger than a second reloaded it (%d loads)", l)
	}
	tree.missAge = 0
	got, err := tree.categoriesByID(ctx, f, []int64{9, 1})
	if err != nil || got[9].Name != "Lamps" || got[1].Name != "Home" {
		t.Fatalf("a new category: %+v %v", got, err)
	}
	eventually(t, "the reload after a miss", func() bool { l, _ := f.counts(); return l == 2 && !tree.refreshing.Load() })
	_, before := f.counts()
	if got, err := tree.categoriesByID(ctx, f, []int64{9}); err != nil || got[9].Name != "Lamps" {
		t.Fatalf("the new category after the reload: %+v %v", got, err)
	}
	if _, after := f.counts(); after != before {
		t.Error("the new category was read from the store again after the reload")
	}

	// A stale tree is served while it reloads; a failed reload keeps it.
	stale := NewCategoryTree(f, time.Millisecond, nil)
	if _, err := stale.roots(ctx, f); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	renamed := append([]domain.Category(nil), shopCategories...)
	renamed[0].Name = "Sound"
	f.set(renamed, errors.New("database down"))
	if roots, err := stale.roots(ctx, f); err != nil || roots[0].Name != "Audio" {
		t.Fatalf("a stale tree whose reload fails: %v %v, want the old tree", names(roots), err)
	}
	eventually(t, "the failed reload", func() bool { return !stale.refreshing.Load() })
	f.set(renamed, nil)
	eventually(t, "the reload of a stale tree", func() bool {
		roots, err := stale.roots(ctx, f)
		return err == nil && roots[0].Name == "Sound"
	})
}

func TestCategoryTreeWithoutAFirstLoad(t *testing.T) {
	f := &fakeCategories{all: shopCategories, fail: errors.New("database down")}
	tree := NewCategoryTree(f, time.Hour, nil)
	// The tree cannot load: the store answers each read (here it still works).
	got, err := tree.categoriesByID(context.Background(), f, []int64{4})
	if err != nil || got[4].Name != "Speakers" {
		t.Fatalf("categoriesByID through the store: %+v %v", got, err)
	}
	roots, err := tree.roots(context.Background(), f)
	if err != nil || len(roots) != 2 {
		t.Fatalf("roots through the store: %v %v", names(roots), err)
	}
}

// TestCategoriesAreLinked: a category's parent is read from the category itself, linked
// up to its root: the tree's shared copies, or, for a category the tree lacks, one made
// for the request whose parents come from the tree.
func TestCategoriesAreLinked(t *testing.T) {
	f := &fakeCategories{all: shopCategories}
	r := &Resolver{Catalog: f, Categories: NewCategoryTree(f, time.Hour, nil)}
	ctx := WithLoaders(context.Background(), r.NewLoaders())

	inEar, err := r.categoryOf(ctx, 5)
	if err != nil {
		t.Fatal(err)
	}
	if inEar.Name != "In-ear" || inEar.Parent == nil || inEar.Parent.Name != "Headphones" ||
		inEar.Parent.Parent == nil || inEar.Parent.Parent.Name != "Audio" || inEar.Parent.Parent.Parent != nil {
		t.Fatalf("In-ear's ancestors are not linked: %+v", inEar)
	}
	again, _ := r.categoryOf(ctx, 5)
	if again != inEar {
		t.Error("the tree's category was copied, not shared")
	}

	// Created after the tree was loaded: read through the loader, linked to the tree's.
	f.set(append(append([]domain.Category(nil), shopCategories...), domain.Category{ID: 9, ParentID: 2, Slug: "over-ear", Name: "Over-ear"}), nil)
	overEar, err := r.categoryOf(ctx, 9)
	if err != nil {
		t.Fatal(err)
	}
	if overEar.Name != "Over-ear" || overEar.Parent != inEar.Parent {
		t.Errorf("a category the tree lacks: %+v, parent %p, want the tree's Headphones %p", overEar, overEar.Parent, inEar.Parent)
	}

	// A category that differs from the tree's copy (read from the store after a rename) is
	// not served the stale copy.
	renamed := shopCategories[3] // Headphones
	renamed.Name = "Headsets"
	m, err := r.category(ctx, renamed)
	if err != nil || m.Name != "Headsets" || m.Parent == nil || m.Parent.Name != "Audio" {
		t.Errorf("a renamed category: %+v %v", m, err)
	}
}
