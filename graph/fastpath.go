package graph

import (
	"context"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/medtwin/medtwin/graph/model"
)

// gqlgen resolves every field of every list element through its generic
// machinery (a goroutine per element, a field context, middleware and
// boxing per field): for a page of 1,000 events that is ~7,000 field
// resolutions and most of a request's CPU. Event fields are plain getters,
// so fastFields renders Patient.timeline's connection itself, honouring the
// selection (aliases, fragments, @skip/@include, __typename) exactly as
// gqlgen would, byte for byte (TestFastPathMatchesGqlgen). Anything it does
// not know (a @defer, a new field) falls back to gqlgen.

// fastFields is a field middleware: it returns a graphql.Marshaler for the
// fields it renders itself (gqlgen writes a Marshaler result as is).
func (r *Resolver) fastFields(ctx context.Context, next graphql.Resolver) (any, error) {
	res, err := next(ctx)
	if err != nil || r.noFastPath {
		return res, err
	}
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Object != "Patient" || fc.Field.Field == nil || fc.Field.Name != "timeline" {
		return res, err
	}
	c, ok := res.(*model.EventConnection)
	if !ok || c == nil {
		return res, err
	}
	oc := graphql.GetOperationContext(ctx)
	plan, ok := planEventConnection(oc, fc.Field.Selections)
	if !ok {
		return res, err
	}
	r.fastRenders.Add(1)
	return &fastConn{c: c, plan: plan}, nil
}

// A plan is a selection resolved to the fields of one object type.
type planField struct {
	alias string
	name  string
	sub   []planField // for object-valued fields
}

func collect(oc *graphql.OperationContext, sel ast.SelectionSet, typ string, known map[string]map[string]string) ([]planField, bool) {
	var out []planField
	for _, f := range graphql.CollectFields(oc, sel, []string{typ}) {
		if len(f.Deferrables) > 0 {
			return nil, false
		}
		if f.Name == "__typename" {
			out = append(out, planField{alias: f.Alias, name: f.Name})
			continue
		}
		sub, ok := known[typ][f.Name]
		if !ok {
			return nil, false
		}
		pf := planField{alias: f.Alias, name: f.Name}
		if sub != "" {
			s, ok := collect(oc, f.Selections, sub, known)
			if !ok {
				return nil, false
			}
			pf.sub = s
		}
		out = append(out, pf)
	}
	return out, true
}

// fastTypes lists, per type, the fields fastConn renders and the type of
// the object-valued ones.
var fastTypes = map[string]map[string]string{
	"EventConnection": {"edges": "EventEdge", "pageInfo": "PageInfo", "totalCount": ""},
	"EventEdge":       {"cursor": "", "node": "Event"},
	"PageInfo":        {"hasNextPage": "", "hasPreviousPage": "", "startCursor": "", "endCursor": ""},
	"Event": {"time": "", "endTime": "", "kind": "", "code": "", "displayName": "", "value": "", "text": "",
		"unit": "", "availableAt": "", "recordedAt": "", "supersededAt": "", "provenance": "Provenance"},
	"Provenance": {"source": "", "recordKey": "", "sourceVersion": ""},
}

func planEventConnection(oc *graphql.OperationContext, sel ast.SelectionSet) ([]planField, bool) {
	return collect(oc, sel, "EventConnection", fastTypes)
}

type fastConn struct {
	c    *model.EventConnection
	plan []planField
}

type jw struct {
	buf []byte
	w   io.Writer
}

func (j *jw) flush() {
	if len(j.buf) > 0 {
		j.w.Write(j.buf)
		j.buf = j.buf[:0]
	}
}

func (j *jw) raw(s string) { j.buf = append(j.buf, s...) }

// str quotes like gqlgen's writeQuotedString.
func (j *jw) str(s string) {
	const hex = "0123456789abcdef"
	j.buf = append(j.buf, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '\\' && c != '"' {
			continue
		}
		j.buf = append(j.buf, s[start:i]...)
		switch c {
		case '\t':
			j.buf = append(j.buf, `\t`...)
		case '\r':
			j.buf = append(j.buf, `\r`...)
		case '\n':
			j.buf = append(j.buf, `\n`...)
		case '\\':
			j.buf = append(j.buf, `\\`...)
		case '"':
			j.buf = append(j.buf, `\"`...)
		default:
			j.buf = append(j.buf, `\u00`...)
			j.buf = append(j.buf, hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	j.buf = append(j.buf, s[start:]...)
	j.buf = append(j.buf, '"')
}

func (j *jw) strp(s *string) {
	if s == nil {
		j.raw("null")
	} else {
		j.str(*s)
	}
}

func (j *jw) time(t *time.Time) {
	if t == nil || t.IsZero() {
		j.raw("null")
		return
	}
	j.buf = append(j.buf, '"')
	j.buf = t.AppendFormat(j.buf, time.RFC3339Nano)
	j.buf = append(j.buf, '"')
}

func (j *jw) float(v *float64) {
	if v == nil {
		j.raw("null")
		return
	}
	j.buf = strconv.AppendFloat(j.buf, *v, 'g', -1, 64)
}

func (j *jw) boolean(b bool) { j.buf = strconv.AppendBool(j.buf, b) }

func (j *jw) key(i int, alias string) {
	if i > 0 {
		j.buf = append(j.buf, ',')
	}
	j.str(alias)
	j.buf = append(j.buf, ':')
}

// MarshalGQL implements graphql.Marshaler.
func (f *fastConn) MarshalGQL(w io.Writer) {
	j := &jw{buf: make([]byte, 0, 64<<10), w: w}
	j.raw("{")
	for i, pf := range f.plan {
		j.key(i, pf.alias)
		switch pf.name {
		case "__typename":
			j.str("EventConnection")
		case "totalCount":
			n, _ := f.c.TotalCount(context.Background())
			j.buf = strconv.AppendInt(j.buf, int64(n), 10)
		case "pageInfo":
			writePageInfo(j, f.c.PageInfo, pf.sub)
		case "edges":
			j.raw("[")
			for k, e := range f.c.Edges {
				if k > 0 {
					j.raw(",")
				}
				writeEdge(j, e, pf.sub)
				if len(j.buf) > 32<<10 {
					j.flush()
				}
			}
			j.raw("]")
		}
	}
	j.raw("}")
	j.flush()
}

func writePageInfo(j *jw, p *model.PageInfo, plan []planField) {
	j.raw("{")
	for i, pf := range plan {
		j.key(i, pf.alias)
		switch pf.name {
		case "__typename":
			j.str("PageInfo")
		case "hasNextPage":
			j.boolean(p.HasNextPage)
		case "hasPreviousPage":
			j.boolean(p.HasPreviousPage)
		case "startCursor":
			j.strp(p.StartCursor)
		case "endCursor":
			j.strp(p.EndCursor)
		}
	}
	j.raw("}")
}

func writeEdge(j *jw, e *model.EventEdge, plan []planField) {
	j.raw("{")
	for i, pf := range plan {
		j.key(i, pf.alias)
		switch pf.name {
		case "__typename":
			j.str("EventEdge")
		case "cursor":
			j.str(e.Cursor())
		case "node":
			writeEvent(j, e.Node, pf.sub)
		}
	}
	j.raw("}")
}

func writeEvent(j *jw, e *model.Event, plan []planField) {
	j.raw("{")
	for i, pf := range plan {
		j.key(i, pf.alias)
		switch pf.name {
		case "__typename":
			j.str("Event")
		case "time":
			j.time(e.Time())
		case "endTime":
			j.time(e.EndTime())
		case "kind":
			j.str(string(e.Kind()))
		case "code":
			j.str(e.Code())
		case "displayName":
			j.strp(e.DisplayName())
		case "value":
			j.float(e.Value())
		case "text":
			j.strp(e.Text())
		case "unit":
			j.strp(e.Unit())
		case "availableAt":
			j.time(e.AvailableAt())
		case "recordedAt":
			t := e.RecordedAt()
			j.time(&t)
		case "supersededAt":
			j.time(e.SupersededAt())
		case "provenance":
			p := e.Provenance()
			j.raw("{")
			for k, sf := range pf.sub {
				j.key(k, sf.alias)
				switch sf.name {
				case "__typename":
					j.str("Provenance")
				case "source":
					j.strp(p.Source())
				case "recordKey":
					j.str(p.RecordKey())
				case "sourceVersion":
					j.strp(p.SourceVersion())
				}
			}
			j.raw("}")
		}
	}
	j.raw("}")
}

// eventColumns maps the Event fields to the store columns they read
// beyond those every read fills (store.Filter.Columns).
var eventColumns = map[string][]string{
	"endTime": {"end_time"}, "value": {"numeric_value"}, "text": {"text_value"}, "unit": {"unit"},
	"availableAt": {"available_at"}, "supersededAt": {"superseded_at"},
	"source": {"source"}, "sourceVersion": {"source_version"},
}

// timelineColumns returns the store columns the selection of the
// Patient.timeline field in ctx reads (a projection), or nil for every
// column when the selection is not one it knows.
func timelineColumns(ctx context.Context) []string {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil || !graphql.HasOperationContext(ctx) {
		return nil
	}
	plan, ok := planEventConnection(graphql.GetOperationContext(ctx), fc.Field.Selections)
	if !ok {
		return nil
	}
	cols := []string{}
	var walk func([]planField)
	walk = func(fs []planField) {
		for _, f := range fs {
			for _, c := range eventColumns[f.name] {
				if !slices.Contains(cols, c) {
					cols = append(cols, c)
				}
			}
			walk(f.sub)
		}
	}
	for _, f := range plan {
		if f.name == "edges" {
			walk(f.sub)
		}
	}
	if len(cols) == 0 {
		// An empty projection means every column: ask for one that the
		// always-read columns do not cover rather than for all of them.
		cols = append(cols, "numeric_value")
	}
	slices.Sort(cols)
	return cols
}
