package ingest

import (
	"fmt"
)

// Registry holds the adapters of a run in priority order: detection asks
// them in that order and the runner ingests their groups in that order
// (clinical records first, so identifiers exist before genomic and imaging
// files link to them). Build one per process or test; there is no global
// registry.
type Registry struct {
	adapters []Adapter
}

// NewRegistry returns a registry of the given adapters.
func NewRegistry(adapters ...Adapter) (*Registry, error) {
	r := &Registry{}
	for _, a := range adapters {
		if err := r.Register(a); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Register appends an adapter; a name registered twice is refused.
func (r *Registry) Register(a Adapter) error {
	for _, b := range r.adapters {
		if b.Name() == a.Name() {
			return fmt.Errorf("%w: %s", ErrDuplicateAdapter, a.Name())
		}
	}
	r.adapters = append(r.adapters, a)
	return nil
}

// Adapters returns the adapters in priority order.
func (r *Registry) Adapters() []Adapter { return append([]Adapter(nil), r.adapters...) }

// Lookup returns the adapter named name.
func (r *Registry) Lookup(name string) (Adapter, bool) {
	for _, a := range r.adapters {
		if a.Name() == name {
			return a, true
		}
	}
	return nil, false
}

// Detect returns the first adapter that claims the file.
func (r *Registry) Detect(path string, head []byte) (Adapter, bool) {
	for _, a := range r.adapters {
		if a.Detect(path, head) {
			return a, true
		}
	}
	return nil, false
}
