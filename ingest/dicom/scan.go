package dicom

import (
	"context"
	"runtime"
	"sync"
)

// Scanner reads the metadata of files one after another, reusing its read
// buffer. Not safe for concurrent use: give each goroutine its own.
type Scanner struct {
	r Reader
}

// ReadInstance reads the metadata of the file at path: the header up to the
// pixel data (which is not read; for encapsulated data only the fragment
// headers are, to detect truncation).
func ReadInstance(path string) (*Instance, error) {
	var s Scanner
	return s.Read(path)
}

// Read reads the metadata of the file at path.
func (s *Scanner) Read(path string) (*Instance, error) {
	fh, size, err := openRaw(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	f, err := s.r.Read(fh, size, path)
	if err != nil {
		return nil, err
	}
	var in *Instance
	err = guard(func() error {
		var e error
		if e = checkEncapsulated(fh, f); e != nil {
			return e
		}
		in, e = NewInstance(f, path)
		return e
	})
	if err != nil {
		return nil, err
	}
	return in, nil
}

// ReadResult is the outcome of reading one file in Scan.
type ReadResult struct {
	Index    int // position in the paths given
	Path     string
	Instance *Instance
	Err      error
}

// Scan reads the metadata of paths with workers goroutines (GOMAXPROCS
// when 0) and calls fn for each file as it completes, from one goroutine
// at a time (fn need not lock). It stops early when ctx is cancelled.
func Scan(ctx context.Context, paths []string, workers int, fn func(ReadResult)) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, max(len(paths), 1))
	jobs := make(chan int, 4*workers)
	results := make(chan ReadResult, 4*workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var sc Scanner
			for i := range jobs {
				in, err := sc.Read(paths[i])
				results <- ReadResult{Index: i, Path: paths[i], Instance: in, Err: err}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for i := range paths {
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() {
		wg.Wait()
		close(results)
	}()
	for r := range results {
		fn(r)
	}
	return ctx.Err()
}
