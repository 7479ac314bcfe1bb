package ingest

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"os"
	"sync"
	"sync/atomic"

	"github.com/klauspost/compress/gzip"
)

type atomicInt64 = atomic.Int64

// hashState hashes the bytes of a file as the first reader reads them, so a
// file read once through Open gets its SHA-256 without a second pass.
type hashState struct {
	mu       sync.Mutex
	h        hash.Hash
	n        int64
	claimed  bool
	finished bool
}

func (h *hashState) write(p []byte) {
	h.mu.Lock()
	h.h.Write(p)
	h.n += int64(len(p))
	h.mu.Unlock()
}

// NewInput describes a file for an adapter; counter may be nil.
func NewInput(path, name string, counter *Counter) (*Input, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	in := &Input{Path: path, Name: name, Size: st.Size(), counter: counter, hash: &hashState{h: sha256.New()}}
	return in, nil
}

// Open opens the file's raw bytes. The first reader opened also feeds the
// file's SHA-256 and the run's progress counter.
func (in *Input) Open() (io.ReadCloser, error) {
	f, err := os.Open(in.Path)
	if err != nil {
		return nil, err
	}
	cr := &countingReader{r: f, c: in.counter}
	if in.hash != nil {
		in.hash.mu.Lock()
		if !in.hash.claimed {
			in.hash.claimed = true
			cr.h = in.hash
		}
		in.hash.mu.Unlock()
	}
	return &readCloser{Reader: cr, Closer: f}, nil
}

// OpenStream opens the file decompressed when it is gzip or BGZF (several
// gzip members), raw otherwise. A truncated compressed stream reads as
// io.ErrUnexpectedEOF.
func (in *Input) OpenStream() (io.ReadCloser, error) {
	rc, err := in.Open()
	if err != nil {
		return nil, err
	}
	r, err := Decompress(rc)
	if err != nil {
		rc.Close()
		return nil, err
	}
	return &readCloser{Reader: r, Closer: rc}, nil
}

// MarkRead adds n bytes to the progress counter, for adapters that read
// the file by other means (memory maps, ReaderAt).
func (in *Input) MarkRead(n int64) {
	if in.counter != nil {
		in.counter.n.Add(n)
	}
}

// HashFile reads the file once to compute its SHA-256 without counting the
// bytes as progress, for adapters that read by random access (Parquet
// footers and column chunks) and report progress with MarkRead. It does
// nothing when a reader already claimed the hash.
func (in *Input) HashFile() error {
	if in.hash == nil {
		return nil
	}
	in.hash.mu.Lock()
	claimed := in.hash.claimed
	in.hash.claimed = true
	in.hash.mu.Unlock()
	if claimed {
		return nil
	}
	f, err := os.Open(in.Path)
	if err != nil {
		return err
	}
	defer f.Close()
	// A plain writer, so that the copy goes through the 1 MiB buffer rather
	// than io.Discard's small ReadFrom chunks.
	_, err = io.CopyBuffer(struct{ io.Writer }{io.Discard}, &countingReader{r: f, h: in.hash}, make([]byte, 1<<20))
	return err
}

// SHA256 returns the hex SHA-256 of the file when a reader consumed it
// whole, else "" (the manifest then relies on size).
func (in *Input) SHA256() string {
	if in.hash == nil {
		return ""
	}
	in.hash.mu.Lock()
	defer in.hash.mu.Unlock()
	if !in.hash.claimed || in.hash.n != in.Size {
		return ""
	}
	return hex.EncodeToString(in.hash.h.Sum(nil))
}

type readCloser struct {
	io.Reader
	io.Closer
}

// IsGzip reports whether b starts with the gzip magic.
func IsGzip(b []byte) bool { return len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b }

// Decompress returns r decompressed when it starts with a gzip member,
// else r itself (buffered).
func Decompress(r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 256<<10)
	magic, err := br.Peek(2)
	if err != nil && err != io.EOF {
		return nil, err
	}
	if !IsGzip(magic) {
		return br, nil
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, err
	}
	return zr, nil
}

// ReadHead returns up to HeadSize leading bytes of a file, decompressed
// when gzip, and whether it was compressed.
func ReadHead(path string) (head []byte, compressed bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	raw := make([]byte, HeadSize)
	n, err := io.ReadFull(f, raw)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, false, err
	}
	raw = raw[:n]
	if !IsGzip(raw) {
		return raw, false, nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, true, err
	}
	zr, err := gzip.NewReader(bufio.NewReader(f))
	if err != nil {
		return raw, true, nil // corrupt gzip: detection sees the raw bytes
	}
	defer zr.Close()
	out := make([]byte, HeadSize)
	n, _ = io.ReadFull(zr, out)
	return out[:n], true, nil
}
