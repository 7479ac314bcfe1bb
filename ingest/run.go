package ingest

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/timeline"
)

// Target is what a run writes to: store.Store satisfies it.
type Target interface {
	Resolver
	Append(ctx context.Context, b *timeline.Batch) (store.AppendResult, error)
	BeginRun(ctx context.Context, command string) (int64, error)
	RecordFile(ctx context.Context, files ...store.FileRecord) error
	FinishRun(ctx context.Context, run int64, status string) error
}

// DefaultMaxErrors bounds the parse errors a file report keeps (all are
// counted).
const DefaultMaxErrors = 100

// Runner ingests paths into a target.
type Runner struct {
	Target   Target
	Registry *Registry
	// Env is copied per run; zero fields get defaults (Go allocator,
	// default code table, a caching resolver over Target, time.Now).
	Env Env
	// Command is recorded with the run (the CLI's arguments, no data).
	Command string
	// Counter, when set, counts bytes read for a progress display.
	Counter *Counter
	// MaxErrors bounds the errors kept per file (DefaultMaxErrors when 0).
	MaxErrors int
}

// Report is the outcome of a run.
type Report struct {
	RunID        int64
	Files        []*FileReport
	Unrecognised []string // files found in directories that no adapter claims
	TotalBytes   int64
}

// FileReport is the outcome of one file.
type FileReport struct {
	Input    *Input
	Format   string
	Result   store.AppendResult
	Rejected int64
	Skipped  map[string]int64
	Errors   []*ParseError // the first MaxErrors
	Err      error         // fatal error of the file
	Started  time.Time
	Finished time.Time
}

// Status returns the file's store.File* status.
func (f *FileReport) Status() string {
	switch {
	case f.Err != nil:
		return store.FileFailed
	case f.Rejected > 0:
		return store.FilePartial
	case f.Finished.IsZero():
		return store.FileRunning
	}
	return store.FileOK
}

// Totals sums the run's counts.
func (r *Report) Totals() (res store.AppendResult, rejected int64, failed int) {
	for _, f := range r.Files {
		res.Add(f.Result)
		rejected += f.Rejected
		if f.Err != nil {
			failed++
		}
	}
	return res, rejected, failed
}

// Clean reports whether every file was ingested without a rejected record.
func (r *Report) Clean() bool {
	_, rej, failed := r.Totals()
	return rej == 0 && failed == 0
}

// Run ingests the files and directories (walked recursively) at paths. It
// returns an error only when the run itself fails (no such path, the store
// failing, the context cancelled); bad records and bad files are in the
// report.
func (r *Runner) Run(ctx context.Context, paths []string) (*Report, error) {
	env := r.Env
	if env.Mem == nil {
		env.Mem = memory.DefaultAllocator
	}
	if env.Codes == nil {
		env.Codes = timeline.DefaultCodes()
	}
	if env.Now == nil {
		env.Now = time.Now
	}
	if env.Logger == nil {
		env.Logger = slog.New(slog.DiscardHandler)
	}
	if env.Resolver == nil {
		env.Resolver = NewCachedResolver(r.Target, 0)
	}
	if cw, ok := r.Target.(ConcurrentWriter); ok && env.Writers == 0 {
		env.Writers = cw.ConcurrentWrites()
	}
	maxErr := r.MaxErrors
	if maxErr <= 0 {
		maxErr = DefaultMaxErrors
	}

	inputs, rep, err := r.expand(paths)
	if err != nil {
		return nil, err
	}
	groups := make(map[string][]*Input)
	for _, in := range inputs {
		head, gz, err := ReadHead(in.Path)
		if err != nil {
			return nil, fmt.Errorf("ingest: %s: %w", in.Name, err)
		}
		in.Compressed = gz
		a, ok := r.Registry.Detect(in.Path, head)
		if !ok {
			if in.explicit {
				rep.Files = append(rep.Files, &FileReport{Input: in, Err: fmt.Errorf("%s: %w", in.Name, ErrUnrecognised),
					Started: env.Now(), Finished: env.Now()})
			} else {
				rep.Unrecognised = append(rep.Unrecognised, in.Name)
			}
			continue
		}
		groups[a.Name()] = append(groups[a.Name()], in)
	}

	runID, err := r.Target.BeginRun(ctx, r.Command)
	if err != nil {
		return nil, fmt.Errorf("ingest: begin run: %w", err)
	}
	rep.RunID = runID
	sink := &runSink{ctx: ctx, target: r.Target, run: runID, now: env.Now, maxErr: maxErr,
		files: make(map[*Input]*fileSink), log: env.Logger, lastFlush: time.Now()}
	for _, f := range rep.Files { // explicit, unrecognised
		sink.record(f)
	}
	var runErr error
	for _, a := range r.Registry.Adapters() {
		files := groups[a.Name()]
		if len(files) == 0 {
			continue
		}
		sink.format = a.Name()
		if err := a.Ingest(ctx, &env, files, sink); err != nil {
			runErr = fmt.Errorf("ingest: %s: %w", a.Name(), err)
			break
		}
		if err := ctx.Err(); err != nil {
			runErr = err
			break
		}
	}
	rep.Files = append(rep.Files, sink.reports()...)
	sink.flush()
	status := "ok"
	switch {
	case runErr != nil:
		status = "failed"
	case !rep.Clean():
		status = "partial"
	}
	// The run's record survives a cancelled context.
	finCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := r.Target.FinishRun(finCtx, runID, status); err != nil && runErr == nil {
		runErr = fmt.Errorf("ingest: finish run: %w", err)
	}
	return rep, runErr
}

func (r *Runner) expand(paths []string) ([]*Input, *Report, error) {
	rep := &Report{}
	var out []*Input
	seen := make(map[string]bool)
	add := func(path, name string, explicit bool) error {
		abs, err := filepath.Abs(path)
		if err != nil {
			return err
		}
		if seen[abs] {
			return nil
		}
		seen[abs] = true
		in, err := NewInput(path, name, r.Counter)
		if err != nil {
			return err
		}
		in.explicit = explicit
		rep.TotalBytes += in.Size
		out = append(out, in)
		return nil
	}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, nil, fmt.Errorf("ingest: %w", err)
		}
		if !st.IsDir() {
			if err := add(p, filepath.Base(p), true); err != nil {
				return nil, nil, err
			}
			continue
		}
		base := filepath.Base(filepath.Clean(p))
		var files []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if strings.HasPrefix(d.Name(), ".") && path != p {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return nil, nil, fmt.Errorf("ingest: %w", err)
		}
		sort.Strings(files)
		for _, f := range files {
			rel, _ := filepath.Rel(p, f)
			if err := add(f, filepath.ToSlash(filepath.Join(base, rel)), false); err != nil {
				return nil, nil, err
			}
		}
	}
	return out, rep, nil
}

// runSink routes adapter output to the target and keeps per-file reports.
type runSink struct {
	ctx    context.Context
	target Target
	run    int64
	now    func() time.Time
	maxErr int
	format string
	log    *slog.Logger

	mu    sync.Mutex
	order []*Input
	files map[*Input]*fileSink

	// The run manifest is written in batches: one transaction per file
	// record would dominate a run of many small files (DICOM instances).
	pmu       sync.Mutex
	pending   []store.FileRecord
	lastFlush time.Time
}

// Manifest write batching: at most this many records or this long between
// writes, so an interrupted run's manifest is at most a moment behind.
const (
	manifestBatch    = 512
	manifestInterval = 2 * time.Second
)

func (s *runSink) File(in *Input) FileSink {
	s.mu.Lock()
	defer s.mu.Unlock()
	if fs, ok := s.files[in]; ok {
		return fs
	}
	fs := &fileSink{run: s, rep: &FileReport{Input: in, Format: s.format, Started: s.now(), Skipped: map[string]int64{}}}
	s.files[in] = fs
	s.order = append(s.order, in)
	s.record(fs.rep)
	return fs
}

func (s *runSink) reports() []*FileReport {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*FileReport, 0, len(s.order))
	for _, in := range s.order {
		fs := s.files[in]
		fs.mu.Lock()
		if fs.rep.Finished.IsZero() {
			// An adapter that forgot Done: the file ended with its group.
			fs.rep.Finished = s.now()
			s.record(fs.rep)
		}
		fs.mu.Unlock()
		out = append(out, fs.rep)
	}
	return out
}

func (s *runSink) record(f *FileReport) {
	fr := store.FileRecord{
		RunID: s.run, Path: f.Input.Name, Format: f.Format, Size: f.Input.Size,
		Accepted: f.Result.Inserted + f.Result.Superseded, Rejected: f.Rejected,
		Duplicate: f.Result.Duplicate, Superseded: f.Result.Superseded, Stale: f.Result.Stale,
		Status: f.Status(), Started: f.Started, Finished: f.Finished,
	}
	if !f.Finished.IsZero() {
		fr.SHA256 = f.Input.SHA256()
	}
	if f.Err != nil {
		fr.Error = f.Err.Error()
	}
	s.pmu.Lock()
	s.pending = append(s.pending, fr)
	due := len(s.pending) >= manifestBatch || time.Since(s.lastFlush) >= manifestInterval
	s.pmu.Unlock()
	if due {
		s.flush()
	}
}

// flush writes the pending manifest records; a later record of the same
// file replaces an earlier one.
func (s *runSink) flush() {
	s.pmu.Lock()
	batch := s.pending
	s.pending = nil
	s.lastFlush = time.Now()
	s.pmu.Unlock()
	if len(batch) == 0 {
		return
	}
	last := make(map[string]int, len(batch))
	for i, fr := range batch {
		last[fr.Path] = i
	}
	out := batch[:0]
	for i, fr := range batch {
		if last[fr.Path] == i {
			out = append(out, fr)
		}
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(s.ctx), 30*time.Second)
	defer cancel()
	if err := s.target.RecordFile(ctx, out...); err != nil {
		s.log.Warn("ingest: recording files in the run manifest failed", "files", len(out), "err", err)
	}
}

type fileSink struct {
	run *runSink
	mu  sync.Mutex
	rep *FileReport
}

func (f *fileSink) Write(ctx context.Context, b *timeline.Batch) error {
	defer b.Release()
	res, err := f.run.target.Append(ctx, b)
	if err != nil {
		return fmt.Errorf("%s: store: %w", f.rep.Input.Name, err)
	}
	f.mu.Lock()
	f.rep.Result.Add(res)
	f.mu.Unlock()
	return nil
}

func (f *fileSink) Reject(err *ParseError) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rep.Rejected++
	if len(f.rep.Errors) < f.run.maxErr {
		f.rep.Errors = append(f.rep.Errors, err)
	}
}

func (f *fileSink) Skip(category string, n int64) {
	f.mu.Lock()
	f.rep.Skipped[category] += n
	f.mu.Unlock()
}

func (f *fileSink) Done(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err != nil && f.rep.Err == nil {
		var pe *ParseError
		if !errors.As(err, &pe) && !strings.Contains(err.Error(), f.rep.Input.Name) {
			err = fmt.Errorf("%s: %w", f.rep.Input.Name, err)
		}
		f.rep.Err = err
	}
	f.rep.Finished = f.run.now()
	f.run.record(f.rep)
}
