package twintest

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/medtwin/medtwin/twin"
)

// walk calls f for every JSON object in the document.
func walk(doc any, f func(map[string]any)) {
	switch v := doc.(type) {
	case map[string]any:
		f(v)
		for _, c := range v {
			walk(c, f)
		}
	case []any:
		for _, c := range v {
			walk(c, f)
		}
	}
}

func isScore(m map[string]any) bool {
	_, ok := m["formulaVersion"]
	return ok
}

func findScores(doc any, name, at string) ([]map[string]any, error) {
	var out []map[string]any
	if at == "current" {
		walk(doc, func(m map[string]any) {
			if m["name"] == name {
				if c, ok := m["current"].(map[string]any); ok {
					out = append(out, c)
				}
			}
		})
		return out, nil
	}
	want, err := ParseTime(at)
	if err != nil {
		return nil, err
	}
	walk(doc, func(m map[string]any) {
		if !isScore(m) || m["name"] != name {
			return
		}
		ts, _ := m["time"].(string)
		if t, err := time.Parse(time.RFC3339Nano, ts); err == nil && t.Equal(want) {
			out = append(out, m)
		}
	})
	return out, nil
}

func checkScore(doc any, args []string) error {
	if len(args) < 3 || args[1] != "at" {
		return fmt.Errorf("expect score NAME at TIME ...")
	}
	name, at := args[0], args[2]
	scores, err := findScores(doc, name, at)
	if err != nil {
		return err
	}
	if len(scores) == 0 {
		return fmt.Errorf("no %s score at %s", name, at)
	}
	for _, s := range scores {
		if err := scoreOps(s, args[3:]); err != nil {
			return fmt.Errorf("%s at %s: %w (got value=%v category=%v notComputable=%v)", name, at, err,
				s["value"], s["category"], s["notComputable"])
		}
	}
	return nil
}

func scoreOps(s map[string]any, ops []string) error {
	for i := 0; i < len(ops); i++ {
		need := func(n int) error {
			if i+n >= len(ops) {
				return fmt.Errorf("%s needs %d argument(s)", ops[i], n)
			}
			return nil
		}
		switch ops[i] {
		case "=":
			if err := need(1); err != nil {
				return err
			}
			if err := equal(s["value"], ops[i+1]); err != nil {
				return fmt.Errorf("value: %w", err)
			}
			i++
		case "category":
			if err := need(1); err != nil {
				return err
			}
			if got, _ := s["category"].(string); got != ops[i+1] {
				return fmt.Errorf("category %q, want %q", got, ops[i+1])
			}
			i++
		case "notComputable":
			if err := need(1); err != nil {
				return err
			}
			nc, _ := s["notComputable"].(string)
			if s["value"] != nil || nc == "" {
				return fmt.Errorf("computable, want not computable (%s)", ops[i+1])
			}
			if !strings.Contains(nc, ops[i+1]) {
				return fmt.Errorf("reason %q does not mention %q", nc, ops[i+1])
			}
			i++
		case "range":
			if err := need(2); err != nil {
				return err
			}
			r, _ := s["range"].(map[string]any)
			if r == nil {
				return fmt.Errorf("no range")
			}
			if err := equal(r["min"], ops[i+1]); err != nil {
				return fmt.Errorf("range min: %w", err)
			}
			if err := equal(r["max"], ops[i+2]); err != nil {
				return fmt.Errorf("range max: %w", err)
			}
			i += 2
		case "component":
			if err := need(2); err != nil {
				return err
			}
			comps, _ := s["components"].([]any)
			var c map[string]any
			for _, x := range comps {
				if m, ok := x.(map[string]any); ok && m["name"] == ops[i+1] {
					c = m
				}
			}
			if c == nil {
				return fmt.Errorf("no component %q", ops[i+1])
			}
			if c["status"] != ops[i+2] {
				return fmt.Errorf("component %s status %v, want %s", ops[i+1], c["status"], ops[i+2])
			}
			i += 2
			if i+1 < len(ops) {
				if _, err := strconv.ParseFloat(ops[i+1], 64); err == nil {
					if err := equal(c["points"], ops[i+1]); err != nil {
						return fmt.Errorf("component %s points: %w", c["name"], err)
					}
					i++
				}
			}
		default:
			return fmt.Errorf("unknown expectation %q", ops[i])
		}
	}
	return nil
}

// equal compares a JSON value with an expected literal: numbers after
// rounding the actual to the literal's decimals; true, false, null; else
// strings.
func equal(got any, want string) error {
	switch want {
	case "null":
		if got != nil {
			return fmt.Errorf("%v, want null", got)
		}
		return nil
	case "true", "false":
		if b, ok := got.(bool); !ok || strconv.FormatBool(b) != want {
			return fmt.Errorf("%v, want %s", got, want)
		}
		return nil
	}
	if w, err := strconv.ParseFloat(want, 64); err == nil {
		g, ok := got.(float64)
		if !ok {
			return fmt.Errorf("%v, want %s", got, want)
		}
		d := 0
		if i := strings.IndexByte(want, '.'); i >= 0 {
			d = len(want) - i - 1
		}
		if math.Abs(twin.Round(g, d)-w) > 1e-9 {
			return fmt.Errorf("%v, want %s", g, want)
		}
		return nil
	}
	if g, ok := got.(string); !ok || g != want {
		return fmt.Errorf("%v, want %q", got, want)
	}
	return nil
}

var segRe = regexp.MustCompile(`^([^\[]*)((?:\[[^\]]*\])*)$`)
var idxRe = regexp.MustCompile(`\[([^\]]*)\]`)

// lookup follows a path such as scores[name=FIB-4].points[0].value.
func lookup(doc any, path string) (any, error) {
	cur := doc
	segs := splitPath(path)
	for si, seg := range segs {
		m := segRe.FindStringSubmatch(seg)
		if m == nil {
			return nil, fmt.Errorf("bad path segment %q", seg)
		}
		if m[1] != "" {
			obj, ok := cur.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s: not an object", m[1])
			}
			if cur, ok = obj[m[1]]; !ok {
				if si == len(segs)-1 && m[2] == "" {
					return nil, nil // an omitted last key reads as null
				}
				return nil, fmt.Errorf("no key %q", m[1])
			}
		}
		for _, ix := range idxRe.FindAllStringSubmatch(m[2], -1) {
			arr, ok := cur.([]any)
			if !ok {
				return nil, fmt.Errorf("[%s]: not an array", ix[1])
			}
			if k, v, ok := strings.Cut(ix[1], "="); ok {
				var found any
				for _, x := range arr {
					if o, ok := x.(map[string]any); ok && fmt.Sprint(o[k]) == v {
						found = o
						break
					}
				}
				if found == nil {
					return nil, fmt.Errorf("no element with %s=%s", k, v)
				}
				cur = found
				continue
			}
			n, err := strconv.Atoi(ix[1])
			if err != nil {
				return nil, fmt.Errorf("bad index %q", ix[1])
			}
			if n < 0 {
				n += len(arr)
			}
			if n < 0 || n >= len(arr) {
				return nil, fmt.Errorf("index %s out of range (len %d)", ix[1], len(arr))
			}
			cur = arr[n]
		}
	}
	return cur, nil
}

// splitPath splits on dots outside brackets.
func splitPath(p string) []string {
	var out []string
	depth, start := 0, 0
	for i, r := range p {
		switch r {
		case '[':
			depth++
		case ']':
			depth--
		case '.':
			if depth == 0 {
				out = append(out, p[start:i])
				start = i + 1
			}
		}
	}
	return append(out, p[start:])
}

func checkPath(doc any, args []string) error {
	if len(args) < 3 {
		return fmt.Errorf("expect path PATH = VALUE | count N | contains TEXT")
	}
	got, err := lookup(doc, args[0])
	if err != nil {
		return fmt.Errorf("%s: %w", args[0], err)
	}
	switch args[1] {
	case "=":
		if err := equal(got, args[2]); err != nil {
			return fmt.Errorf("%s: %w", args[0], err)
		}
	case "count":
		arr, ok := got.([]any)
		n, _ := strconv.Atoi(args[2])
		if !ok && got != nil {
			return fmt.Errorf("%s: not an array", args[0])
		}
		if len(arr) != n {
			return fmt.Errorf("%s: %d elements, want %d", args[0], len(arr), n)
		}
	case "contains":
		s := fmt.Sprint(got)
		if !strings.Contains(s, args[2]) {
			return fmt.Errorf("%s: %q does not contain %q", args[0], s, args[2])
		}
	default:
		return fmt.Errorf("unknown operator %q", args[1])
	}
	return nil
}
