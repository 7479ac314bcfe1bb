package graph

import (
	"context"
	"sync"
	"time"

	"github.com/medtwin/medtwin/store"
)

// auditWriter writes the audit entries of concurrent requests together:
// one writer at a time takes every queued request's entries and writes them
// in one store call, and each request waits for the write that holds its
// entries. An idle server writes at once (no timer); a busy one makes one
// write per batch instead of one per request. A failed write fails every
// request of its batch (their data is withheld).
type auditWriter struct {
	s       store.Store
	timeout time.Duration
	mu      sync.Mutex
	pending []*auditReq
	writing bool
}

type auditReq struct {
	entries []store.AuditEntry
	done    chan error
}

func (a *auditWriter) write(ctx context.Context, entries []store.AuditEntry) error {
	req := &auditReq{entries: entries, done: make(chan error, 1)}
	a.mu.Lock()
	a.pending = append(a.pending, req)
	if !a.writing {
		a.writing = true
		go a.loop()
	}
	a.mu.Unlock()
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (a *auditWriter) loop() {
	for {
		a.mu.Lock()
		batch := a.pending
		a.pending = nil
		if len(batch) == 0 {
			a.writing = false
			a.mu.Unlock()
			return
		}
		a.mu.Unlock()
		var all []store.AuditEntry
		for _, r := range batch {
			all = append(all, r.entries...)
		}
		ctx, cancel := context.WithTimeout(context.Background(), a.timeout)
		err := a.s.WriteAudit(ctx, all...)
		cancel()
		for _, r := range batch {
			r.done <- err
		}
	}
}
