package graph

import (
	"fmt"
	"strings"
	"testing"
)

// TestFastPathMatchesGqlgen renders timelines with the fast path and
// through gqlgen's own machinery and requires identical bytes, for
// selections with aliases, fragments, directives, __typename, every field,
// both roles and empty pages.
func TestFastPathMatchesGqlgen(t *testing.T) {
	e := newEnv(t, 3, 20, Limits{})
	slow := *e
	h, err := NewHandler(Options{Store: e.store, Pseudo: e.pseudo, CursorSecret: e.h.res.cfg.CursorSecret}, e.h.auth)
	if err != nil {
		t.Fatal(err)
	}
	h.res.noFastPath = true
	slow.srv = newTestServer(t, h)
	slow.t = t
	id := fmt.Sprint(e.ids[0])
	ps := e.pseudo.Subject(e.ids[0])
	all := `time endTime kind code displayName value text unit availableAt recordedAt supersededAt provenance { source recordKey sourceVersion __typename } __typename`
	selections := []string{
		`edges { node { time kind code value unit } }`,
		`totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor __typename } edges { cursor node { ` + all + ` } __typename } __typename`,
		`n: totalCount e: edges { c: cursor x: node { t: time c: code v: value p: provenance { k: recordKey } } } p: pageInfo { more: hasNextPage }`,
		`...F edges { node { ...on Event { code } kind } }`,
		`edges { node { code unit @skip(if: true) value @include(if: false) text @include(if: $yes) } }`,
		`edges { node { code } node { value } }`,
	}
	for i, sel := range selections {
		for _, args := range []string{`last: 7`, `first: 3, kinds: [LAB]`, `codes: ["NOPE"]`, `first: 0`} {
			q := `query($id: ID!, $yes: Boolean = true) { patient(id: $id) { timeline(` + args + `) { ` + sel + ` } } } fragment F on EventConnection { totalCount pageInfo { endCursor } }`
			if i != 3 {
				q = q[:len(q)-len(` fragment F on EventConnection { totalCount pageInfo { endCursor } }`)]
			}
			if i != 4 {
				q = strings.Replace(q, `, $yes: Boolean = true`, ``, 1)
			}
			for _, c := range []struct{ tok, id string }{{clinTok, id}, {resTok, ps}} {
				fast := e.query(c.tok, q, map[string]any{"id": c.id})
				ref := slow.query(c.tok, q, map[string]any{"id": c.id})
				if fast.Raw != ref.Raw || len(ref.Errors) > 0 {
					t.Errorf("selection %d (%s), %s:\nfast: %s\ngqlgen: %s", i, args, c.tok[:3], fast.Raw, ref.Raw)
				}
			}
		}
	}
	// Every selection above takes the fast path (or this test compares
	// gqlgen with itself); a @defer does not.
	if n := e.h.res.fastRenders.Load(); n != int64(len(selections)*4*2) {
		t.Errorf("fast path used %d times, want %d", n, len(selections)*4*2)
	}
}
