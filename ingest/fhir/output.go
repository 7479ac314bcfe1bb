package fhir

import (
	"strconv"
	"unsafe"

	"github.com/medtwin/medtwin/ingest"
	"github.com/medtwin/medtwin/timeline"
)

// output collects what the mapper makes of a run of records (one NDJSON
// chunk, or one Bundle entry at a time): events and detail rows grouped per
// resource, rejections and skip counts. Its strings live in arena, so a
// chunk costs a few allocations, not a few per field; they stay valid until
// reset, after the consumer has copied them into Arrow builders.
type output struct {
	events  []timeline.Event
	lesions []timeline.LesionDetail
	imaging []timeline.ImagingDetail
	groups  []group
	rejects []*ingest.ParseError
	skips   map[string]int64
	arena   []byte
	records int64 // resources seen (mapped, skipped or rejected)
}

// group is the output of one resource: the end offsets of its events and
// detail rows (it starts where the previous group ends).
type group struct {
	ev, les, img int
	loc          string
}

func newOutput() *output { return &output{skips: map[string]int64{}} }

func (o *output) reset() {
	o.events = o.events[:0]
	o.lesions = o.lesions[:0]
	o.imaging = o.imaging[:0]
	o.groups = o.groups[:0]
	o.rejects = o.rejects[:0]
	clear(o.skips)
	o.arena = o.arena[:0]
	o.records = 0
}

// str copies b into the arena.
func (o *output) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	start := len(o.arena)
	o.arena = append(o.arena, b...)
	return unsafe.String(&o.arena[start], len(b))
}

// join copies the parts, concatenated, into the arena.
func (o *output) join(parts ...[]byte) string {
	start := len(o.arena)
	for _, p := range parts {
		o.arena = append(o.arena, p...)
	}
	if len(o.arena) == start {
		return ""
	}
	return unsafe.String(&o.arena[start], len(o.arena)-start)
}

// source returns "file#prefixN" in the arena.
func (o *output) source(file, prefix string, n int64) string {
	start := len(o.arena)
	o.arena = append(o.arena, file...)
	o.arena = append(o.arena, '#')
	o.arena = append(o.arena, prefix...)
	o.arena = strconv.AppendInt(o.arena, n, 10)
	return unsafe.String(&o.arena[start], len(o.arena)-start)
}

// locator returns "prefixN" (e.g. "line 12") in the arena.
func (o *output) locator(prefix string, n int64) string {
	start := len(o.arena)
	o.arena = append(o.arena, prefix...)
	o.arena = strconv.AppendInt(o.arena, n, 10)
	return unsafe.String(&o.arena[start], len(o.arena)-start)
}

func (o *output) skip(category string) { o.skips[category]++ }

// b2s views b as a string without copying; only for lookups and values
// that do not outlive b.
func b2s(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
