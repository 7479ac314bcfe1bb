package appendplan

import (
	"fmt"
	"slices"
	"testing"

	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/timeline"
)

func TestDecide(t *testing.T) {
	k1, k2 := timeline.NewKey("one"), timeline.NewKey("two")
	type in struct {
		sid     int64
		key     timeline.Key
		hash    int64
		version int64
	}
	type want struct {
		rev        int32
		superseded bool
	}
	cases := []struct {
		name    string
		rows    []in
		cur     map[Key]Current
		wantIns []want
		wantSup []Supersede
		wantRes store.AppendResult
	}{
		{
			name:    "new records",
			rows:    []in{{1, k1, 10, 0}, {1, k2, 20, 0}, {2, k1, 10, 0}},
			wantIns: []want{{0, false}, {0, false}, {0, false}},
			wantRes: store.AppendResult{Inserted: 3},
		},
		{
			name:    "same key twice in a batch: duplicate, then a new version",
			rows:    []in{{1, k1, 10, 0}, {1, k1, 10, 0}, {1, k1, 11, 0}},
			wantIns: []want{{0, true}, {1, false}},
			wantRes: store.AppendResult{Inserted: 1, Duplicate: 1, Superseded: 1},
		},
		{
			name:    "stored: same content is a duplicate, other content supersedes",
			rows:    []in{{1, k1, 10, 0}, {1, k2, 21, 0}},
			cur:     map[Key]Current{{1, k1}: {Rev: 0, Hash: 10}, {1, k2}: {Rev: 3, Hash: 20}},
			wantIns: []want{{4, false}},
			wantSup: []Supersede{{Key{1, k2}, 3}},
			wantRes: store.AppendResult{Duplicate: 1, Superseded: 1},
		},
		{
			name:    "stored version: older or equal is stale, newer supersedes",
			rows:    []in{{1, k1, 11, 2}, {1, k1, 12, 3}, {1, k1, 13, 3}},
			cur:     map[Key]Current{{1, k1}: {Rev: 0, Hash: 10, Version: 2}},
			wantIns: []want{{1, false}},
			wantSup: []Supersede{{Key{1, k1}, 0}},
			wantRes: store.AppendResult{Superseded: 1, Stale: 2},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rows := make([]Row, len(c.rows))
			versions := make([]int64, len(c.rows))
			for i, r := range c.rows {
				rows[i] = Row{SID: r.sid, I: int32(i), Hash: r.hash}
				rows[i].SetKey(r.key)
				versions[i] = r.version
			}
			slices.SortFunc(rows, CmpRow)
			ins, sup, res := Decide(rows, c.cur, func(i int32) int64 { return versions[i] })
			if res != c.wantRes {
				t.Errorf("result = %+v, want %+v", res, c.wantRes)
			}
			got := make([]want, len(ins))
			for i, p := range ins {
				got[i] = want{p.Rev, p.Superseded}
			}
			if !slices.Equal(got, c.wantIns) {
				t.Errorf("inserts = %+v, want %+v", got, c.wantIns)
			}
			if !slices.Equal(sup, c.wantSup) {
				t.Errorf("supersedes = %+v, want %+v", sup, c.wantSup)
			}
			for i := 1; i < len(ins); i++ {
				if CmpRow(*ins[i-1].R, *ins[i].R) > 0 {
					t.Errorf("inserts out of primary-key order at %d", i)
				}
			}
		})
	}
}

func TestCodeCache(t *testing.T) {
	c := NewCodeCache(3)
	ps := []CodePair{{"a", 1}, {"b", 1}}
	if got := c.Missing(ps); len(got) != 2 {
		t.Fatalf("empty cache: missing %v", got)
	}
	c.Add(ps)
	if got := c.Missing(append(ps, CodePair{"a", 2})); !slices.Equal(got, []CodePair{{"a", 2}}) {
		t.Errorf("missing = %v, want [{a 2}]", got)
	}
	c.Add([]CodePair{{"a", 2}, {"c", 3}}) // over the limit: starts over
	if got := c.Missing(ps); len(got) != 2 {
		t.Errorf("after reset: missing %v, want both", got)
	}
}

func TestSample(t *testing.T) {
	for _, n := range []int{0, 1, 31, 32, 33, 65536} {
		s := Sample(n)
		if len(s) != min(n, SampleProbes) {
			t.Errorf("Sample(%d) has %d indexes", n, len(s))
		}
		for i, v := range s {
			if v < 0 || v >= n || (i > 0 && v <= s[i-1]) {
				t.Errorf("Sample(%d) = %v: not increasing indexes in range", n, s)
				break
			}
		}
	}
}

func TestNewCodes(t *testing.T) {
	// Subject 1 has many distinct codes (past the short list), subject 2
	// a few repeated ones.
	var codes []string
	var ins []Pending
	add := func(sid int64, c string) {
		codes = append(codes, c)
		r := &Row{SID: sid, I: int32(len(codes) - 1)}
		ins = append(ins, Pending{R: r})
	}
	for i := 0; i < 100; i++ {
		add(1, fmt.Sprintf("c%d", i%40))
	}
	for i := 0; i < 10; i++ {
		add(2, fmt.Sprintf("c%d", i%3))
	}
	got := NewCodes(ins, func(i int32) string { return codes[i] })
	SortCodes(got)
	var want []CodePair
	for i := 0; i < 40; i++ {
		want = append(want, CodePair{fmt.Sprintf("c%d", i), 1})
	}
	for i := 0; i < 3; i++ {
		want = append(want, CodePair{fmt.Sprintf("c%d", i), 2})
	}
	SortCodes(want)
	if !slices.Equal(got, want) {
		t.Errorf("NewCodes = %v\nwant %v", got, want)
	}
}
