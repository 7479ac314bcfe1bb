package graph

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/medtwin/medtwin/timeline"
)

// pageArgs are a connection's arguments.
type pageArgs struct {
	first, last   *int
	after, before *string
}

// window is a validated page request: a range of positions (exclusive
// bounds; nil = open) and a count from the front (first) or the back (last).
type window struct {
	first, last   int // -1 when not given
	after, before []byte
}

func (w window) key() string {
	return fmt.Sprintf("f%d l%d a%x b%x", w.first, w.last, w.after, w.before)
}

// parsePage validates page arguments against the limits and opens cursors.
func (r *Resolver) parsePage(a pageArgs, scope byte, subject int64) (window, error) {
	w := window{first: -1, last: -1}
	max := r.cfg.Limits.MaxPageSize
	for _, n := range []struct {
		name string
		v    *int
		dst  *int
	}{{"first", a.first, &w.first}, {"last", a.last, &w.last}} {
		if n.v == nil {
			continue
		}
		if *n.v < 0 {
			return w, badInput("%s must not be negative", n.name)
		}
		if *n.v > max {
			return w, badInput("%s: %d exceeds the maximum page size of %d", n.name, *n.v, max)
		}
		*n.dst = *n.v
	}
	if w.first >= 0 && w.last >= 0 {
		return w, badInput("give first or last, not both")
	}
	if w.first < 0 && w.last < 0 {
		w.first = min(r.cfg.Limits.DefaultPageSize, max)
	}
	for _, c := range []struct {
		name string
		v    *string
		dst  *[]byte
	}{{"after", a.after, &w.after}, {"before", a.before, &w.before}} {
		if c.v == nil {
			continue
		}
		pos, err := r.cursors.open(*c.v, scope, subject)
		if err != nil {
			return w, badInput("%s: invalid cursor (cursors are only valid for the list that returned them)", c.name)
		}
		*c.dst = pos
	}
	return w, nil
}

// paginate cuts a page out of items sorted by pos.
func paginate[T any](items []T, w window, pos func(T) []byte) (page []T, hasPrev, hasNext bool) {
	lo, hi := 0, len(items)
	if w.after != nil {
		lo = sort.Search(len(items), func(i int) bool { return bytes.Compare(pos(items[i]), w.after) > 0 })
	}
	if w.before != nil {
		hi = sort.Search(len(items), func(i int) bool { return bytes.Compare(pos(items[i]), w.before) >= 0 })
	}
	if hi < lo {
		hi = lo
	}
	if w.last >= 0 {
		start := max(hi-w.last, lo)
		return items[start:hi], start > 0, hi < len(items)
	}
	end := min(lo+w.first, hi)
	return items[lo:end], lo > 0, end < len(items)
}

// Positions: byte strings whose order is the list's order.

func appendTimePos(b []byte, t int64, static bool) []byte {
	if static {
		return binary.BigEndian.AppendUint64(b, 0)
	}
	return binary.BigEndian.AppendUint64(b, uint64(t)^(1<<63)+1)
}

// eventPos is an event's position: time (static first), code, record key.
func eventPos(b []byte, e *timeline.Event) []byte {
	b = appendTimePos(b, e.Time.UnixMicro(), e.Time.IsZero())
	b = append(b, e.Code...)
	b = append(b, 0)
	return append(b, e.Key[:]...)
}

func rowPos(b []byte, c *timeline.Columns, i int) (pos []byte, micros int64) {
	static := c.Time.IsNull(i)
	micros = math.MinInt64
	if !static {
		micros = int64(c.Time.Value(i))
	}
	b = appendTimePos(b, micros, static)
	b = append(b, timeline.StringAt(c.Code, i)...)
	b = append(b, 0)
	return append(b, c.Key.Value(i)...), micros
}

// eventWindow keeps one page of one subject's events while rows stream by
// in time order, holding at most a page (plus rows tied on time) however
// long the timeline.
type eventWindow struct {
	w        window
	total    int
	before   int // rows before the after cursor
	beyond   int // rows at or past the before cursor
	dropped  int // rows that passed the cursors but fell out of the page
	full     bool
	lastTime int64
	seen     bool
	kept     []keptEvent
	head     int
	buf      []byte
	arena    []byte // backing store of kept positions (keepPos)
	limitErr error
}

type keptEvent struct {
	pos   []byte
	micro int64
	ev    timeline.Event
}

func (x *eventWindow) add(c *timeline.Columns, i int) error {
	x.total++
	var micros int64
	x.buf, micros = rowPos(x.buf[:0], c, i)
	if x.seen && micros < x.lastTime {
		return fmt.Errorf("graph: store returned events out of time order")
	}
	x.seen = true
	newTime := micros > x.lastTime
	x.lastTime = micros
	if x.w.after != nil && bytes.Compare(x.buf, x.w.after) <= 0 {
		x.before++
		return nil
	}
	if x.w.before != nil && bytes.Compare(x.buf, x.w.before) >= 0 {
		x.beyond++
		return nil
	}
	if x.w.last < 0 { // first n
		if x.full || (len(x.kept) > x.w.first && newTime) {
			x.full = true
			x.dropped++
			return nil
		}
	}
	if x.kept == nil {
		// A page holds at most first/last rows (plus ties): size the
		// window once, to the rows still to come in this record when
		// fewer, instead of growing it (and copying events) row by row.
		n := x.w.first
		if x.w.last >= 0 {
			n = x.w.last
		}
		x.kept = make([]keptEvent, 0, min(n, c.Len()-i)+1)
	}
	x.kept = append(x.kept, keptEvent{pos: x.keepPos(), micro: micros, ev: c.Event(i)})
	if x.w.last >= 0 { // last n: drop rows strictly older than the (n+1)-th newest
		n := x.w.last + 1
		live := x.kept[x.head:]
		for len(live) > n && live[0].micro < live[len(live)-n].micro {
			live[0] = keptEvent{}
			live = live[1:]
			x.head++
			x.dropped++
		}
		if x.head > 1024 && x.head > len(x.kept)/2 {
			x.kept = append(x.kept[:0], x.kept[x.head:]...)
			x.head = 0
		}
	}
	return nil
}

// keepPos copies the current row's position out of buf into an arena of
// 16 KiB chunks (one allocation per ~400 rows, not one per row).
func (x *eventWindow) keepPos() []byte {
	n := len(x.buf)
	if cap(x.arena)-len(x.arena) < n {
		x.arena = make([]byte, 0, max(16<<10, n))
	}
	start := len(x.arena)
	x.arena = append(x.arena, x.buf...)
	return x.arena[start : start+n : start+n]
}

// page returns the window's events in order and the page flags.
func (x *eventWindow) page() (events []keptEvent, hasPrev, hasNext bool) {
	live := x.kept[x.head:]
	slices.SortFunc(live, func(a, b keptEvent) int { return bytes.Compare(a.pos, b.pos) })
	if x.w.last >= 0 {
		hasPrev = x.before > 0 || x.dropped > 0 || len(live) > x.w.last
		if len(live) > x.w.last {
			live = live[len(live)-x.w.last:]
		}
		return live, hasPrev, x.beyond > 0
	}
	hasNext = x.beyond > 0 || x.dropped > 0 || len(live) > x.w.first
	if len(live) > x.w.first {
		live = live[:x.w.first]
	}
	return live, x.before > 0, hasNext
}
