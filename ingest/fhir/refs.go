package fhir

import (
	"bytes"
	"sync"
	"time"
)

// ident is a resource's identity: the namespace of its server (DefaultNamespace,
// Options.Namespace or the base URL of an absolute reference), its type and
// its logical id.
type ident struct {
	ns, typ, id string
}

// canonical returns "Type/id" for resources of the default namespace and
// "namespace/Type/id" otherwise: the form DiagnosticReport events list their
// results in and lesions are identified by.
func (r ident) canonical(defaultNS string) string {
	if r.ns == defaultNS {
		return r.typ + "/" + r.id
	}
	return r.ns + "/" + r.typ + "/" + r.id
}

type refKind uint8

const (
	refNone      refKind = iota // absent or not resolvable (conditional, malformed)
	refRelative                 // Type/id
	refAbsolute                 // http://base/Type/id
	refURN                      // urn:uuid:… or urn:oid:…
	refContained                // #id
)

// parsedRef is a Reference.reference split into parts (slices of the input).
type parsedRef struct {
	kind      refKind
	base      []byte // absolute: server base; otherwise empty
	typ, id   []byte // relative/absolute: type and id; URN: id = what follows urn:uuid:
	urn       []byte // URN: the whole reference
	contained []byte // #id: the id
}

var historySep = []byte("/_history/")

// splitRef parses a literal reference.
func splitRef(s []byte) parsedRef {
	s = bytes.TrimSpace(s)
	if len(s) == 0 {
		return parsedRef{}
	}
	if s[0] == '#' {
		return parsedRef{kind: refContained, contained: s[1:]}
	}
	if bytes.HasPrefix(s, []byte("urn:uuid:")) {
		return parsedRef{kind: refURN, urn: s, id: s[len("urn:uuid:"):]}
	}
	if bytes.HasPrefix(s, []byte("urn:oid:")) {
		return parsedRef{kind: refURN, urn: s, id: s[len("urn:oid:"):]}
	}
	if bytes.IndexByte(s, '?') >= 0 { // conditional reference: a search, not an identity
		return parsedRef{}
	}
	if i := bytes.Index(s, historySep); i >= 0 {
		s = s[:i]
	}
	s = bytes.TrimSuffix(s, []byte("/"))
	j := bytes.LastIndexByte(s, '/')
	if j <= 0 || j == len(s)-1 {
		return parsedRef{}
	}
	id := s[j+1:]
	rest := s[:j]
	k := bytes.LastIndexByte(rest, '/')
	typ := rest[k+1:]
	if !validType(typ) {
		return parsedRef{}
	}
	if k < 0 {
		return parsedRef{kind: refRelative, typ: typ, id: id}
	}
	base := rest[:k]
	if !bytes.Contains(base, []byte("://")) {
		return parsedRef{}
	}
	return parsedRef{kind: refAbsolute, base: base, typ: typ, id: id}
}

// validType reports whether b looks like a FHIR resource type name.
func validType(b []byte) bool {
	if len(b) == 0 || b[0] < 'A' || b[0] > 'Z' {
		return false
	}
	for _, c := range b {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// medication is what a Medication resource contributes to the requests
// that reference it.
type medication struct {
	codings []codingCopy
	text    string
}

type codingCopy struct{ system, code, display string }

// refIndex holds what references need from other resources: bundle-local
// fullUrls whose resource has another logical id, Medication codes and
// BodyStructure sites. A run-wide index (NDJSON files) is shared by workers;
// a Bundle's index lives as long as the Bundle. Memory: only surprising
// fullUrls (urn:uuid:X whose resource id is not X) and the reference
// targets, never the bulk of the resources.
type refIndex struct {
	mu    sync.RWMutex
	urns  map[string]ident
	meds  map[string]medication
	sites map[string]codingCopy // BodyStructure canonical → location
	// results: a DiagnosticReport's subject and times, by the canonical key
	// of each result it lists (Bundle index only): results without their own
	// subject or time inherit them from their report.
	results map[string]reportCtx
}

type reportCtx struct {
	subject            int64
	start, end, issued time.Time
}

func newRefIndex() *refIndex {
	return &refIndex{urns: map[string]ident{}, meds: map[string]medication{}, sites: map[string]codingCopy{}, results: map[string]reportCtx{}}
}

func (x *refIndex) urn(s []byte) (ident, bool) {
	if x == nil {
		return ident{}, false
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	r, ok := x.urns[string(s)]
	return r, ok
}

func (x *refIndex) putURN(urn string, r ident) {
	x.mu.Lock()
	x.urns[urn] = r
	x.mu.Unlock()
}

func (x *refIndex) med(key string) (medication, bool) {
	if x == nil {
		return medication{}, false
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	m, ok := x.meds[key]
	return m, ok
}

func (x *refIndex) putMed(key string, m medication) {
	x.mu.Lock()
	x.meds[key] = m
	x.mu.Unlock()
}

func (x *refIndex) site(key string) (codingCopy, bool) {
	if x == nil {
		return codingCopy{}, false
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	s, ok := x.sites[key]
	return s, ok
}

func (x *refIndex) putSite(key string, s codingCopy) {
	x.mu.Lock()
	x.sites[key] = s
	x.mu.Unlock()
}

func (x *refIndex) result(key string) (reportCtx, bool) {
	if x == nil {
		return reportCtx{}, false
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	r, ok := x.results[key]
	return r, ok
}

func (x *refIndex) putResult(key string, r reportCtx) {
	x.mu.Lock()
	x.results[key] = r
	x.mu.Unlock()
}

// key returns the index key of an identity.
func (r ident) key() string { return r.ns + "/" + r.typ + "/" + r.id }
