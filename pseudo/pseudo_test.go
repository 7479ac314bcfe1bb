package pseudo

import (
	"context"
	"strings"
	"testing"
	"time"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

func TestSubjectStableKeyedAndDistinct(t *testing.T) {
	p, err := New(testKey)
	if err != nil {
		t.Fatal(err)
	}
	q, _ := New([]byte("another key, also thirty-two byt"))
	a, b := p.Subject(42), p.Subject(42)
	if a != b {
		t.Fatalf("not stable: %s %s", a, b)
	}
	if !IsPseudonym(a) || !strings.HasPrefix(a, Prefix) || len(a) != len(Prefix)+24 {
		t.Fatalf("bad form %q", a)
	}
	if strings.Contains(a, "42") && a == Prefix+"42" {
		t.Fatal("pseudonym reveals id")
	}
	if q.Subject(42) == a {
		t.Fatal("pseudonym does not depend on the key")
	}
	seen := map[string]int64{}
	for id := int64(1); id <= 20000; id++ {
		s := p.Subject(id)
		if prev, dup := seen[s]; dup {
			t.Fatalf("collision %d %d", prev, id)
		}
		seen[s] = id
	}
	// A fixed key gives a fixed pseudonym: exports made today join with
	// exports made next year.
	if got := p.Subject(1); got != p.Subject(1) {
		t.Fatal(got)
	}
}

func TestIsPseudonym(t *testing.T) {
	p := NewRandom()
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{p.Subject(7), true},
		{"42", false},
		{"ps_", false},
		{"ps_AAAA", false},
		{"ps_" + strings.Repeat("1", 24), false}, // 1 is not base32
		{"xx_" + strings.Repeat("A", 24), false},
	} {
		if got := IsPseudonym(tc.in); got != tc.want {
			t.Errorf("IsPseudonym(%q) = %v", tc.in, got)
		}
	}
}

func TestShiftBoundsNonZeroStableAndReversible(t *testing.T) {
	p, _ := New(testKey, WithMaxShiftDays(30))
	hist := map[int]int{}
	for id := int64(1); id <= 5000; id++ {
		d := p.ShiftDays(id)
		if d == 0 || d < -30 || d > 30 {
			t.Fatalf("subject %d: shift %d out of [-30,30]\\{0}", id, d)
		}
		if d != p.ShiftDays(id) {
			t.Fatal("unstable")
		}
		hist[d]++
	}
	if len(hist) != 60 {
		t.Fatalf("shifts use %d of 60 values", len(hist))
	}
	tm := time.Date(2024, 3, 1, 13, 45, 0, 0, time.UTC)
	s := p.ShiftTime(9, tm)
	if s.Equal(tm) || !p.UnshiftTime(9, s).Equal(tm) {
		t.Fatalf("shift %v unshift %v", s, p.UnshiftTime(9, s))
	}
	if s.Hour() != 13 || s.Minute() != 45 {
		t.Fatal("shift must move whole days")
	}
	if !p.ShiftTime(9, time.Time{}).IsZero() {
		t.Fatal("null date must stay null")
	}
	// Intervals within one subject are preserved.
	t2 := tm.Add(36 * time.Hour)
	if p.ShiftTime(9, t2).Sub(s) != 36*time.Hour {
		t.Fatal("interval changed")
	}
}

func TestTokenAndKeys(t *testing.T) {
	p, _ := New(testKey)
	if p.Token("study", "") != "" {
		t.Fatal("empty must stay empty")
	}
	if p.Token("study", "1.2.3") == p.Token("sample", "1.2.3") {
		t.Fatal("namespaces must separate")
	}
	if _, err := New([]byte("short")); err == nil {
		t.Fatal("short key accepted")
	}
	for _, s := range []string{
		"30313233343536373839616263646566303132333435363738396162636465660a",
		"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
		"  MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY\n",
	} {
		k, err := ParseKey(s)
		if err != nil || len(k) < 32 {
			t.Errorf("ParseKey(%q) = %d bytes, %v", s, len(k), err)
		}
	}
	if _, err := ParseKey("not a key!"); err == nil {
		t.Fatal("garbage accepted")
	}
	if strings.Contains(p.String(), "0123") {
		t.Fatal("String shows the key")
	}
}

func TestIndex(t *testing.T) {
	p := NewRandom()
	subjects := []int64{1, 2, 3}
	calls := 0
	list := func(_ context.Context, after int64) ([]int64, error) {
		calls++
		var out []int64
		for _, s := range subjects {
			if s > after {
				out = append(out, s)
			}
		}
		return out, nil
	}
	now := time.Unix(0, 0)
	x := NewIndex(p, list, time.Second)
	x.now = func() time.Time { return now }
	ctx := context.Background()
	id, ok, err := x.Resolve(ctx, p.Subject(2))
	if err != nil || !ok || id != 2 {
		t.Fatalf("resolve: %d %v %v", id, ok, err)
	}
	subjects = append(subjects, 4)
	// A miss within the interval does not rescan.
	if _, ok, _ := x.Resolve(ctx, p.Subject(4)); ok || calls != 1 {
		t.Fatalf("ok=%v calls=%d", ok, calls)
	}
	now = now.Add(2 * time.Second)
	if id, ok, _ := x.Resolve(ctx, p.Subject(4)); !ok || id != 4 || calls != 2 {
		t.Fatalf("after interval: %d %v calls=%d", id, ok, calls)
	}
	if _, _, err := x.Resolve(ctx, "17"); err != ErrNotPseudonym {
		t.Fatalf("err = %v", err)
	}
}
