package fhir

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/valyala/fastjson"

	"github.com/medtwin/medtwin/ingest"
	"github.com/medtwin/medtwin/timeline"
)

// DefaultNamespace is the namespace of source-local ids (a Patient.id or a
// "Patient/123" reference with no server base) when Options.Namespace is
// empty. One constant namespace, rather than one per file or directory, is
// what lets references resolve across the files of a Bulk export and across
// successive exports of the same server; sites that load several FHIR
// servers into one store give each its own --namespace (its base URL).
const DefaultNamespace = "fhir"

// Limits.
const (
	// DefaultMaxRecordBytes bounds one NDJSON line, one Bundle entry and
	// one single-resource document; a longer record is rejected, the rest
	// of the file goes on.
	DefaultMaxRecordBytes = 64 << 20
	// chunkBytes is the NDJSON unit of work handed to a parser goroutine.
	chunkBytes = 1 << 20
)

// Adapter ingests FHIR R4 JSON: Bundles of any type (one JSON document,
// streamed entry by entry), single resources, and Bulk Data NDJSON (one
// resource per line, plain or gzip), detected by content.
type Adapter struct {
	// Workers is the number of goroutines parsing one NDJSON file
	// (GOMAXPROCS when 0), and of Bundle documents read at once.
	Workers int
	// MaxRecordBytes overrides DefaultMaxRecordBytes when > 0.
	MaxRecordBytes int
}

func (a *Adapter) maxRecord() int {
	if a.MaxRecordBytes > 0 {
		return a.MaxRecordBytes
	}
	return DefaultMaxRecordBytes
}

// New returns the adapter.
func New() *Adapter { return &Adapter{} }

// Name implements ingest.Adapter.
func (a *Adapter) Name() string { return "fhir" }

// Detect implements ingest.Adapter: a JSON object with a resourceType
// member in its first bytes (a Bundle, a resource, an NDJSON line).
func (a *Adapter) Detect(path string, head []byte) bool {
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	head = bytes.TrimLeft(head, " \t\r\n")
	return len(head) > 0 && head[0] == '{' && bytes.Contains(head, []byte(`"resourceType"`))
}

func (a *Adapter) workers() int {
	if a.Workers > 0 {
		return a.Workers
	}
	return runtime.GOMAXPROCS(0)
}

// layout is how a file holds its resources.
type layout uint8

const (
	layoutNDJSON   layout = iota // one resource per line
	layoutDocument               // one JSON value: a Bundle, streamed, or one resource
)

// classify decides a file's layout from its head, and the resourceType of
// its first record: NDJSON when the first object closes on its first line
// and another line follows (or the first line is longer than the head and
// is not a Bundle); a document otherwise.
func classify(head []byte) (layout, string) {
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	typ, _ := topLevelType(head)
	s := newDocScanner(bytes.NewReader(head))
	if _, err := s.peek(); err != nil {
		return layoutDocument, typ
	}
	firstLine := s.line
	if _, err := s.value(nil, false, -1); err != nil {
		// The first value does not end within the head.
		if s.line == firstLine && typ != "Bundle" {
			return layoutNDJSON, typ
		}
		return layoutDocument, typ
	}
	if s.line != firstLine {
		return layoutDocument, typ // pretty-printed
	}
	if c, err := s.peek(); err == nil && c == '{' && s.line > firstLine {
		return layoutNDJSON, typ
	}
	return layoutDocument, typ
}

// priority orders NDJSON files so that reference targets come first:
// Patients (their identifiers), then Medications and BodyStructures (which
// requests and tumour sizes look up), then the rest.
func priority(typ string) int {
	switch typ {
	case "Patient":
		return 0
	case "Medication", "BodyStructure":
		return 1
	}
	return 2
}

// Ingest implements ingest.Adapter. NDJSON files are read one after the
// other, each parsed by Workers goroutines; Bundle documents are read
// Workers at a time, each entry by entry.
func (a *Adapter) Ingest(ctx context.Context, env *ingest.Env, files []*ingest.Input, sink ingest.Sink) error {
	ns := env.Options.Namespace
	if ns == "" {
		ns = DefaultNamespace
	}
	var all []file
	for _, in := range files {
		head, _, err := ingest.ReadHead(in.Path)
		if err != nil {
			sink.File(in).Done(err)
			continue
		}
		lay, typ := classify(head)
		all = append(all, file{in: in, lay: lay, pri: priority(typ)})
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].pri < all[j].pri })
	run := newRefIndex()
	// By priority: each level's NDJSON files one after the other (each
	// parsed by Workers goroutines), then its documents Workers at a time.
	for lo := 0; lo < len(all); {
		hi := lo
		for hi < len(all) && all[hi].pri == all[lo].pri {
			hi++
		}
		var docs []file
		for _, f := range all[lo:hi] {
			if f.lay != layoutNDJSON {
				docs = append(docs, f)
				continue
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			fs := sink.File(f.in)
			err := a.ndjson(ctx, env, ns, f.in, fs, run)
			fs.Done(err)
			if fatal := storeFailure(err); fatal != nil {
				return fatal
			}
		}
		if err := a.documents(ctx, env, ns, docs, sink, run); err != nil {
			return err
		}
		lo = hi
	}
	return ctx.Err()
}

// documents reads Bundle and single-resource documents, Workers at a time.
func (a *Adapter) documents(ctx context.Context, env *ingest.Env, ns string, docs []file, sink ingest.Sink, run *refIndex) error {
	sem := make(chan struct{}, a.workers())
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	for _, f := range docs {
		if err := ctx.Err(); err != nil {
			break
		}
		mu.Lock()
		stop := firstErr != nil
		mu.Unlock()
		if stop {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func(f file) {
			defer wg.Done()
			defer func() { <-sem }()
			fs := sink.File(f.in)
			err := a.document(ctx, env, ns, f.in, fs, run)
			fs.Done(err)
			if fatal := storeFailure(err); fatal != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = fatal
				}
				mu.Unlock()
			}
		}(f)
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

type file struct {
	in  *ingest.Input
	lay layout
	pri int
}

// groupError marks errors that stop the whole group (the store or the
// resolver failing, the context ending), as opposed to a file's own error.
type groupError struct{ err error }

func (e *groupError) Error() string { return e.err.Error() }
func (e *groupError) Unwrap() error { return e.err }

func storeFailure(err error) error {
	var g *groupError
	if errors.As(err, &g) {
		return g.err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// writer moves mapped output into batches and the file's sink.
type writer struct {
	ctx     context.Context
	fs      ingest.FileSink
	file    string
	bb      *timeline.BatchBuilder
	records int64
	rows    int64
}

func newWriter(ctx context.Context, env *ingest.Env, fs ingest.FileSink, file string) *writer {
	return &writer{ctx: ctx, fs: fs, file: file, bb: env.NewBatchBuilder()}
}

// consume appends one output's groups (a group is all or nothing: one bad
// event rejects its resource), reports its rejections and skips, and
// writes full batches.
func (w *writer) consume(o *output) error {
	w.records += o.records
	for cat, n := range o.skips {
		w.fs.Skip(strings.Clone(cat), n)
	}
	for _, r := range o.rejects {
		r.Record = strings.Clone(r.Record)
		w.fs.Reject(r)
	}
	ev, les, img := 0, 0, 0
	for _, g := range o.groups {
		var bad error
		for i := ev; i < g.ev; i++ {
			if err := w.bb.Events.Validate(&o.events[i]); err != nil {
				bad = err
				break
			}
		}
		if bad != nil {
			w.fs.Reject(&ingest.ParseError{Source: w.file, Record: strings.Clone(g.loc), Err: bad})
		} else {
			for i := ev; i < g.ev; i++ {
				if err := w.bb.Append(&o.events[i]); err != nil {
					return err // validated above: cannot happen
				}
			}
			for i := les; i < g.les; i++ {
				if err := w.bb.Detail(timeline.Lesions).AppendLesion(&o.lesions[i]); err != nil {
					return err
				}
			}
			for i := img; i < g.img; i++ {
				if err := w.bb.Detail(timeline.Imaging).AppendImaging(&o.imaging[i]); err != nil {
					return err
				}
			}
			w.rows += int64(g.ev - ev)
			if w.bb.Full() {
				if err := w.flush(); err != nil {
					return err
				}
			}
		}
		ev, les, img = g.ev, g.les, g.img
	}
	return nil
}

func (w *writer) flush() error {
	b := w.bb.Flush()
	if b == nil {
		return nil
	}
	if err := w.fs.Write(w.ctx, b); err != nil {
		return &groupError{err}
	}
	return nil
}

func (w *writer) close() { w.bb.Release() }

// ---- NDJSON --------------------------------------------------------------------

type chunk struct {
	seq     int
	data    []byte
	line    int64 // line number of the chunk's first line, 1-based
	tooLong bool  // data is empty: line `line` exceeded the record limit
}

type result struct {
	seq int
	out *output
	buf []byte
	err error
}

// ndjson reads one NDJSON file: a reader goroutine cuts it into chunks of
// whole lines, Workers goroutines parse and map chunks, and this goroutine
// appends their output in file order, so rows, rejections and supersession
// order are those of a sequential read. At most 2×Workers+2 chunks are in
// flight: memory stays bounded whatever the file size.
func (a *Adapter) ndjson(ctx context.Context, env *ingest.Env, ns string, in *ingest.Input, fs ingest.FileSink, run *refIndex) (err error) {
	rc, err := in.OpenStream()
	if err != nil {
		return err
	}
	defer rc.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	nw := a.workers()
	jobs := make(chan chunk, nw)
	results := make(chan result, nw)
	tokens := make(chan struct{}, 2*nw+2)
	bufs := sync.Pool{New: func() any { return make([]byte, 0, chunkBytes+64<<10) }}
	outs := sync.Pool{New: func() any { return newOutput() }}

	var readErr error
	var lastLine int64
	go func() {
		defer close(jobs)
		readErr = readChunks(ctx, rc, jobs, tokens, &bufs, &lastLine, a.maxRecord())
	}()
	var wg sync.WaitGroup
	for range nw {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var p fastjson.Parser
			m := newMapper(ctx, env, ns, in.Name, run)
			m.maxRecord = a.maxRecord()
			for c := range jobs {
				o := outs.Get().(*output)
				m.out = o
				err := m.lines(&p, c)
				buf := c.data
				select {
				case results <- result{seq: c.seq, out: o, buf: buf, err: err}:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(results) }()

	w := newWriter(ctx, env, fs, in.Name)
	defer w.close()
	pending := map[int]result{}
	next := 0
	var fail error
	for r := range results {
		if fail != nil {
			continue // drain
		}
		pending[r.seq] = r
		for {
			r, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			if r.err != nil {
				fail = &groupError{r.err}
			} else if err := w.consume(r.out); err != nil {
				fail = err
			}
			r.out.reset()
			outs.Put(r.out)
			if cap(r.buf) <= chunkBytes+64<<10 {
				bufs.Put(r.buf[:0])
			}
			<-tokens
			if fail != nil {
				cancel()
				break
			}
		}
	}
	if fail != nil {
		return fail
	}
	if err := w.flush(); err != nil {
		return err
	}
	if readErr != nil {
		if errors.Is(readErr, context.Canceled) {
			return readErr
		}
		return fmt.Errorf("read after line %d: %w", lastLine, readErr)
	}
	return nil
}

// readChunks cuts r into chunks of whole lines and sends them on jobs,
// taking a token per chunk. A line longer than maxRecord is skipped
// (sent as a tooLong chunk). On a read error the complete lines read so
// far are sent and the error returned; a partial last line is dropped.
func readChunks(ctx context.Context, r io.Reader, jobs chan<- chunk, tokens chan struct{}, bufs *sync.Pool, lastLine *int64, maxRecord int) error {
	seq := 0
	line := int64(1)
	var carry []byte
	skipping := false // discarding the rest of a too-long line
	send := func(c chunk) bool {
		select {
		case tokens <- struct{}{}:
		case <-ctx.Done():
			return false
		}
		c.seq = seq
		seq++
		select {
		case jobs <- c:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for {
		buf := bufs.Get().([]byte)[:0]
		buf = append(buf, carry...)
		var err error
		target := chunkBytes
		if len(carry) >= target {
			target = 2 * len(carry) // a long line: read more of it
		}
		for len(buf) < target && err == nil {
			if cap(buf)-len(buf) < 4096 {
				buf = append(buf, make([]byte, cap(buf))...)[:len(buf)]
			}
			var n int
			n, err = r.Read(buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+n]
		}
		if skipping {
			i := bytes.IndexByte(buf, '\n')
			if i < 0 {
				carry = carry[:0]
				if err != nil {
					return finalErr(err)
				}
				continue
			}
			buf = buf[i+1:]
			line++
			skipping = false
		}
		if err != nil {
			// The end: everything is the last chunk; on an error only the
			// complete lines are.
			if err != io.EOF {
				if i := bytes.LastIndexByte(buf, '\n'); i >= 0 {
					buf = buf[:i+1]
				} else {
					buf = buf[:0]
				}
			}
			if len(buf) > 0 {
				n := int64(bytes.Count(buf, []byte{'\n'}))
				if !send(chunk{data: buf, line: line}) {
					return ctx.Err()
				}
				line += n
			}
			*lastLine = line - 1
			return finalErr(err)
		}
		i := bytes.LastIndexByte(buf, '\n')
		if i < 0 {
			if len(buf) >= maxRecord {
				if !send(chunk{line: line, tooLong: true}) {
					return ctx.Err()
				}
				skipping = true
				carry = carry[:0]
				continue
			}
			carry = append(carry[:0], buf...) // a long line: read on
			bufs.Put(buf[:0])
			continue
		}
		carry = append(carry[:0], buf[i+1:]...)
		data := buf[:i+1]
		n := int64(bytes.Count(data, []byte{'\n'}))
		if !send(chunk{data: data, line: line}) {
			return ctx.Err()
		}
		line += n
		*lastLine = line - 1
	}
}

func finalErr(err error) error {
	if err == io.EOF {
		return nil
	}
	return err
}

// lines maps the lines of one chunk into m.out.
func (m *mapper) lines(p *fastjson.Parser, c chunk) error {
	if c.tooLong {
		m.out.records++
		m.out.rejects = append(m.out.rejects, &ingest.ParseError{Source: m.file, Record: "line " + strconv.FormatInt(c.line, 10), Err: ErrTooLarge})
		return nil
	}
	data := c.data
	line := c.line - 1
	for len(data) > 0 {
		var ln []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			ln, data = data[:i], data[i+1:]
		} else {
			ln, data = data, nil
		}
		line++
		ln = bytes.TrimSpace(ln)
		if len(ln) == 0 {
			continue
		}
		loc := m.out.locator("line ", line)
		if m.maxRecord > 0 && len(ln) > m.maxRecord {
			m.out.records++
			m.out.rejects = append(m.out.rejects, &ingest.ParseError{Source: m.file, Record: loc, Err: ErrTooLarge})
			continue
		}
		v, err := p.ParseBytes(ln)
		if err != nil {
			m.out.records++
			m.out.rejects = append(m.out.rejects, &ingest.ParseError{Source: m.file, Record: loc, Err: ErrInvalidJSON})
			continue
		}
		rc := recCtx{loc: loc, source: m.out.source(m.file, "L", line), raw: ln}
		if err := m.resource(v, &rc); err != nil {
			return err
		}
	}
	return nil
}

// ---- Documents -------------------------------------------------------------------

// document reads one JSON document: a Bundle streamed entry by entry, or a
// single resource.
func (a *Adapter) document(ctx context.Context, env *ingest.Env, ns string, in *ingest.Input, fs ingest.FileSink, run *refIndex) error {
	rc, err := in.OpenStream()
	if err != nil {
		return err
	}
	defer rc.Close()
	m := newMapper(ctx, env, ns, in.Name, run)
	w := newWriter(ctx, env, fs, in.Name)
	defer w.close()
	var p fastjson.Parser
	s := newDocScanner(rc)
	head, _, _ := ingest.ReadHead(in.Path)
	typ, known := topLevelType(head)
	if known && typ != "Bundle" {
		return a.single(m, w, &p, s)
	}
	idx := newRefIndex()
	err = streamBundle(s, a.maxRecord(), func(i int, entry []byte, tooLarge bool) error {
		loc := m.out.locator("entry ", int64(i))
		m.out.records++
		switch {
		case tooLarge:
			m.out.rejects = append(m.out.rejects, &ingest.ParseError{Source: in.Name, Record: loc, Err: ErrTooLarge})
		default:
			v, perr := p.ParseBytes(entry)
			if perr != nil {
				m.out.rejects = append(m.out.rejects, &ingest.ParseError{Source: in.Name, Record: loc, Err: ErrInvalidJSON})
				break
			}
			m.out.records--
			rc := &recCtx{loc: loc, source: m.out.source(in.Name, "entry", int64(i)), raw: entry, bundle: idx}
			if err := m.entry(v, rc); err != nil {
				return &groupError{err}
			}
		}
		err := w.consume(m.out)
		m.out.reset()
		return err
	})
	if err != nil {
		if storeFailure(err) == nil {
			// The entries read before a broken part are whole: keep them.
			if ferr := w.flush(); ferr != nil {
				return ferr
			}
		}
		return err
	}
	return w.flush()
}

// single reads a document holding one resource (not a Bundle).
func (a *Adapter) single(m *mapper, w *writer, p *fastjson.Parser, s *docScanner) error {
	raw, err := s.value(nil, true, a.maxRecord())
	m.out.records++
	switch {
	case errors.Is(err, ErrTooLarge):
		m.out.rejects = append(m.out.rejects, &ingest.ParseError{Source: m.file, Record: "resource", Err: ErrTooLarge})
	case err != nil:
		return err
	default:
		if _, perr := s.peek(); perr != io.EOF {
			return fmt.Errorf("%w: data after the resource", ErrMalformedBundle)
		}
		v, perr := p.ParseBytes(raw)
		if perr != nil {
			m.out.rejects = append(m.out.rejects, &ingest.ParseError{Source: m.file, Record: "resource", Err: ErrInvalidJSON})
			break
		}
		m.out.records--
		rc := &recCtx{loc: "resource", source: m.file + "#resource", raw: raw}
		if err := m.resource(v, rc); err != nil {
			return &groupError{err}
		}
	}
	if err := w.consume(m.out); err != nil {
		return err
	}
	m.out.reset()
	return w.flush()
}

// streamBundle walks a Bundle document and calls fn for each entry, in
// order. A malformed document (unbalanced, truncated) stops with an error
// naming the line; entries already handed out stay.
func streamBundle(s *docScanner, maxRecord int, fn func(i int, entry []byte, tooLarge bool) error) error {
	if err := s.expect('{'); err != nil {
		return err
	}
	var key, entry []byte
	for {
		c, err := s.next()
		if err != nil {
			return err
		}
		if c == '}' {
			break
		}
		if c == ',' {
			if c, err = s.next(); err != nil {
				return err
			}
		}
		if c != '"' {
			return fmt.Errorf("%w: line %d: expected a member name", ErrMalformedBundle, s.line+1)
		}
		if key, err = s.key(key[:0]); err != nil {
			return err
		}
		if string(key) == "resourceType" {
			v, err := s.value(nil, true, 256)
			if err != nil {
				return err
			}
			if string(v) != `"Bundle"` {
				return fmt.Errorf("%w: resourceType is not within the first %d bytes of a single-resource document", ErrTooLarge, ingest.HeadSize)
			}
			continue
		}
		if string(key) != "entry" {
			if _, err := s.value(nil, false, -1); err != nil {
				return err
			}
			continue
		}
		if err := s.expect('['); err != nil {
			return err
		}
		for i := 0; ; i++ {
			c, err := s.peek()
			if err != nil {
				return s.readErr()
			}
			if c == ']' {
				s.pos++
				break
			}
			if i > 0 {
				if c != ',' {
					return fmt.Errorf("%w: line %d: expected ',' between entries", ErrMalformedBundle, s.line+1)
				}
				s.pos++
			}
			entry, err = s.value(entry[:0], true, maxRecord)
			tooLarge := errors.Is(err, ErrTooLarge)
			if err != nil && !tooLarge {
				return err
			}
			if err := fn(i, entry, tooLarge); err != nil {
				return err
			}
		}
	}
	if _, err := s.peek(); err != io.EOF {
		if err != nil {
			return err
		}
		return fmt.Errorf("%w: line %d: data after the Bundle", ErrMalformedBundle, s.line+1)
	}
	return nil
}
