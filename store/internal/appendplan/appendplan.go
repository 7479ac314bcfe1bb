// Package appendplan holds what both SQL backends decide the same way when
// they append a batch: each row's record key and content hash, the order
// rows are written in (subject, record key, batch order: the primary-key
// order, so b-tree pages are visited once and in order), which rows are new,
// duplicates, stale or superseding versions given the stored current
// versions, which keys to sample before an optimistic write, and a cache of
// the (code, subject) pairs known to be stored.
package appendplan

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"slices"
	"strings"
	"sync"

	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/timeline"
)

// Row is one event row of a batch.
type Row struct {
	SID    int64  // subject after merge remapping
	k0, k1 uint64 // the key as two big-endian words: cheap ordering
	Key    timeline.Key
	I      int32 // row index in the record
	Hash   int64 // timeline.ContentHash
}

// Key is a stored record's identity: its subject and record key.
type Key struct {
	SID int64
	Key timeline.Key
}

// SetKey sets the row's record key.
func (r *Row) SetKey(k timeline.Key) {
	r.Key = k
	r.k0 = binary.BigEndian.Uint64(k[:8])
	r.k1 = binary.BigEndian.Uint64(k[8:])
}

// CmpRow orders rows by subject, record key and batch order.
func CmpRow(a, b Row) int {
	switch {
	case a.SID != b.SID:
		return cmp.Compare(a.SID, b.SID)
	case a.k0 != b.k0:
		return cmp.Compare(a.k0, b.k0)
	case a.k1 != b.k1:
		return cmp.Compare(a.k1, b.k1)
	}
	return cmp.Compare(a.I, b.I)
}

// CmpRowKey compares a row with a stored record's identity (for binary
// search in rows sorted by CmpRow).
func CmpRowKey(r Row, k Key) int {
	if r.SID != k.SID {
		return cmp.Compare(r.SID, k.SID)
	}
	return bytes.Compare(r.Key[:], k.Key[:])
}

// Rows returns the batch's rows with their keys and content hashes (SID not
// yet set), and the distinct subject ids the batch names, sorted.
func Rows(cols *timeline.Columns) (rows []Row, subjects []int64) {
	n := cols.Len()
	rows = make([]Row, n)
	seen := make(map[int64]struct{})
	for i := 0; i < n; i++ {
		e := cols.Event(i)
		r := &rows[i]
		r.I = int32(i)
		r.SetKey(e.Key)
		r.Hash = int64(timeline.ContentHash(&e))
		sid := cols.SubjectID.Value(i)
		if _, ok := seen[sid]; !ok {
			seen[sid] = struct{}{}
			subjects = append(subjects, sid)
		}
	}
	slices.Sort(subjects)
	return rows, subjects
}

// Remap sets each row's subject through remap (raw id → stored subject)
// and sorts the rows by CmpRow.
func Remap(rows []Row, cols *timeline.Columns, remap map[int64]int64) {
	for i := range rows {
		rows[i].SID = remap[cols.SubjectID.Value(int(rows[i].I))]
	}
	slices.SortFunc(rows, CmpRow)
}

// SampleProbes is how many keys of a batch are looked up before an
// optimistic write: enough to catch a re-ingest of known records at once,
// few enough to cost one short query.
const SampleProbes = 32

// Sample returns up to SampleProbes row indexes spread evenly over n rows.
func Sample(n int) []int {
	k := min(SampleProbes, n)
	out := make([]int, k)
	for j := range out {
		out[j] = j * n / k
	}
	return out
}

// Current is the stored current version of a record.
type Current struct {
	Rev     int32
	Hash    int64
	Version int64 // 0: none
}

// Pending is a row to insert.
type Pending struct {
	R          *Row
	Rev        int32
	Superseded bool // superseded by a later row of the same batch
}

// Supersede names a stored current version that a row of the batch
// supersedes.
type Supersede struct {
	Key
	Rev int32
}

// Decide decides each row of rows (sorted by CmpRow) against the stored
// current versions cur (nil: none stored): same content is a duplicate, an
// older or equal source version is stale, other content is a new version
// that supersedes the current one. version returns a row's source version
// (0: none). It returns the rows to insert, in primary-key order, and the
// stored versions they supersede.
func Decide(rows []Row, cur map[Key]Current, version func(i int32) int64) (ins []Pending, sup []Supersede, res store.AppendResult) {
	ins = make([]Pending, 0, len(rows))
	for j := 0; j < len(rows); {
		// One group: the rows of one record, in batch order.
		end := j + 1
		for end < len(rows) && rows[end].SID == rows[j].SID && rows[end].Key == rows[j].Key {
			end++
		}
		c, known := cur[Key{rows[j].SID, rows[j].Key}]
		last := -1 // index into ins of the group's newest row
		for k := j; k < end; k++ {
			r := &rows[k]
			e := version(r.I)
			rev := int32(0)
			if known {
				switch {
				case c.Hash == r.Hash:
					res.Duplicate++
					continue
				case e != 0 && c.Version != 0 && e <= c.Version:
					res.Stale++
					continue
				}
				if last >= 0 {
					ins[last].Superseded = true
				} else {
					sup = append(sup, Supersede{Key{r.SID, r.Key}, c.Rev})
				}
				rev = c.Rev + 1
				res.Superseded++
			} else {
				res.Inserted++
			}
			ins = append(ins, Pending{R: r, Rev: rev})
			last = len(ins) - 1
			c, known = Current{Rev: rev, Hash: r.Hash, Version: e}, true
		}
		j = end
	}
	return ins, sup, res
}

// CodePair is a row of subject_codes.
type CodePair struct {
	Code    string
	Subject int64
}

// NewCodes returns the distinct (code, subject) pairs of ins. Rows come
// sorted by subject; a subject usually has few distinct codes in a batch,
// where a short list beats a map lookup per row, but one genome's variants
// have thousands: past a few codes the subject's group moves to a map. The
// codes alias the batch's buffers.
func NewCodes(ins []Pending, code func(i int32) string) []CodePair {
	const listMax = 16
	var distinct []CodePair
	var group []string
	var set map[string]struct{}
	for j := 0; j < len(ins); {
		sid := ins[j].R.SID
		group = group[:0]
		clear(set)
		for ; j < len(ins) && ins[j].R.SID == sid; j++ {
			c := code(ins[j].R.I)
			if len(group) < listMax {
				if slices.Contains(group, c) {
					continue
				}
				group = append(group, c)
			} else {
				if set == nil {
					set = make(map[string]struct{})
				}
				if len(set) == 0 {
					for _, g := range group {
						set[g] = struct{}{}
					}
				}
				if _, ok := set[c]; ok {
					continue
				}
				set[c] = struct{}{}
			}
			distinct = append(distinct, CodePair{c, sid})
		}
	}
	return distinct
}

// SortCodes sorts pairs in subject_codes' key order (code, subject).
func SortCodes(ps []CodePair) {
	slices.SortFunc(ps, func(x, y CodePair) int {
		if c := strings.Compare(x.Code, y.Code); c != 0 {
			return c
		}
		return cmp.Compare(x.Subject, y.Subject)
	})
}

// CodeCache remembers (code, subject) pairs known to be in subject_codes,
// so appends skip re-inserting them. Pairs enter only after their
// transaction committed; rows are never deleted from subject_codes except
// for merged-away subjects, which appends never name (they are remapped).
// It is safe for concurrent use.
type CodeCache struct {
	mu    sync.Mutex
	limit int
	m     map[CodePair]struct{}
}

// NewCodeCache returns a cache of at most limit pairs.
func NewCodeCache(limit int) *CodeCache {
	return &CodeCache{limit: limit, m: make(map[CodePair]struct{})}
}

// Missing returns the pairs of ps the cache does not hold, with their codes
// copied (ps may alias Arrow buffers).
func (c *CodeCache) Missing(ps []CodePair) []CodePair {
	var out []CodePair
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range ps {
		if _, ok := c.m[p]; !ok {
			out = append(out, CodePair{strings.Clone(p.Code), p.Subject})
		}
	}
	return out
}

// Add records pairs that a committed transaction stored.
func (c *CodeCache) Add(ps []CodePair) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m)+len(ps) > c.limit {
		c.m = make(map[CodePair]struct{}) // bounded: start over
	}
	for _, p := range ps {
		c.m[p] = struct{}{}
	}
}
