// Package bgzf reads BGZF streams (the blocked gzip of bgzip, htslib and
// samtools; SAM/BAM specification §4.1) with their blocks decompressed in
// parallel, and falls back to ordinary sequential gzip decoding for gzip
// streams that are not BGZF.
//
// A BGZF file is a series of gzip members of at most 64 KiB of data each,
// whose header carries the member's compressed size (the "BC" extra
// subfield). That size lets a single reader goroutine cut the compressed
// stream into blocks without decoding them, so that several workers inflate
// blocks at once (github.com/klauspost/compress/flate) while the consumer
// reads the output in order.
//
// Damage is local in BGZF, and so is the error: a block that is truncated,
// fails its CRC-32 or does not inflate comes back from Read as a
// *BlockError naming its compressed byte offset, after the data of the
// blocks before it; a following Read goes on with the next good block (the
// reader resynchronises on the next block header when the damage hides it).
// A truncated last block yields the part of its data that did inflate, then
// the error, then io.EOF. Every BlockError wraps ErrTruncated, ErrChecksum
// or ErrCorrupt; ErrTruncated wraps io.ErrUnexpectedEOF.
//
// A Reader is not safe for concurrent use; Close stops its goroutines.
package bgzf

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"runtime"
	"sync"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
)

// Sentinel errors.
var (
	// ErrNotGzip: the stream does not start with a gzip member.
	ErrNotGzip = errors.New("bgzf: not a gzip stream")
	// ErrTruncated: the stream ends inside a block.
	ErrTruncated = fmt.Errorf("bgzf: truncated block: %w", io.ErrUnexpectedEOF)
	// ErrChecksum: a block's data does not match its CRC-32 or length.
	ErrChecksum = errors.New("bgzf: block checksum mismatch")
	// ErrCorrupt: a block does not inflate, or bytes between blocks are not
	// a block header.
	ErrCorrupt = errors.New("bgzf: corrupt block")
)

// BlockError reports a damaged block (or damaged bytes between blocks).
type BlockError struct {
	// Offset is the compressed byte offset where the damage starts.
	Offset int64
	Err    error
}

func (e *BlockError) Error() string {
	return fmt.Sprintf("BGZF block at byte %d: %v", e.Offset, e.Err)
}

func (e *BlockError) Unwrap() error { return e.Err }

// MaxBlockSize bounds a block's compressed and uncompressed size.
const MaxBlockSize = 1 << 16

// The standard BGZF block header: gzip magic, deflate, FEXTRA, and one
// extra subfield "BC" of length 2 holding BSIZE (total block size - 1).
const headerLen = 18

// EOFMarker is the empty block that ends a BGZF file.
var EOFMarker = []byte{
	0x1f, 0x8b, 0x08, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x06, 0x00, 0x42, 0x43,
	0x02, 0x00, 0x1b, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
}

// IsGzip reports whether b starts with the gzip magic.
func IsGzip(b []byte) bool { return len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b }

// IsBGZF reports whether b starts with a BGZF block header.
func IsBGZF(b []byte) bool {
	_, ok, _ := blockSize(b)
	return ok
}

// blockSize parses a member header at the start of b: the total block size
// when it is a BGZF block (ok), whether b is too short to tell (short).
func blockSize(b []byte) (size int, ok, short bool) {
	if len(b) < 12 {
		return 0, false, true
	}
	if b[0] != 0x1f || b[1] != 0x8b || b[2] != 8 || b[3]&4 == 0 {
		return 0, false, false
	}
	xlen := int(binary.LittleEndian.Uint16(b[10:]))
	if len(b) < 12+xlen {
		return 0, false, true
	}
	extra := b[12 : 12+xlen]
	for len(extra) >= 4 {
		slen := int(binary.LittleEndian.Uint16(extra[2:]))
		if extra[0] == 'B' && extra[1] == 'C' && slen == 2 && len(extra) >= 6 {
			size = int(binary.LittleEndian.Uint16(extra[4:])) + 1
			if size < 12+xlen+8 {
				return 0, false, false
			}
			return size, true, false
		}
		if 4+slen > len(extra) {
			break
		}
		extra = extra[4+slen:]
	}
	return 0, false, false
}

// Option configures a Reader.
type Option func(*config)

type config struct {
	workers      int
	blocksPerJob int
}

// WithWorkers sets how many goroutines inflate blocks (GOMAXPROCS when 0).
func WithWorkers(n int) Option { return func(c *config) { c.workers = n } }

// Reader decompresses a gzip stream, in parallel when it is BGZF.
type Reader struct {
	br   *bufio.Reader
	gz   *gzip.Reader // sequential mode: the stream is not BGZF
	bgzf bool

	queue chan *job
	quit  chan struct{}
	once  sync.Once
	wg    sync.WaitGroup

	cur *job
	pos int
	mi  int
	err error // sticky end-of-stream error

	// set by the producer before it closes queue
	sawEOFMarker bool
}

// NewReader returns a reader of the gzip stream r. It fails with ErrNotGzip
// when r does not start with a gzip member.
func NewReader(r io.Reader, opts ...Option) (*Reader, error) {
	cfg := config{blocksPerJob: 16}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.workers <= 0 {
		cfg.workers = runtime.GOMAXPROCS(0)
	}
	br, ok := r.(*bufio.Reader)
	if !ok || br.Size() < 2*MaxBlockSize {
		br = bufio.NewReaderSize(r, 4*MaxBlockSize)
	}
	head, err := br.Peek(headerLen)
	if err != nil && err != io.EOF {
		if !IsGzip(head) {
			return nil, err
		}
	}
	if !IsGzip(head) {
		return nil, ErrNotGzip
	}
	zr := &Reader{br: br}
	if _, ok, _ := blockSize(head); !ok {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, err
		}
		zr.gz = gz
		return zr, nil
	}
	zr.bgzf = true
	zr.queue = make(chan *job, 2*cfg.workers+2)
	zr.quit = make(chan struct{})
	work := make(chan *job, 2*cfg.workers+2)
	p := &producer{br: br, queue: zr.queue, work: work, quit: zr.quit, perJob: cfg.blocksPerJob, owner: zr}
	zr.wg.Add(1 + cfg.workers)
	go func() { defer zr.wg.Done(); p.run() }()
	for i := 0; i < cfg.workers; i++ {
		go func() { defer zr.wg.Done(); inflateJobs(work) }()
	}
	return zr, nil
}

// IsBGZF reports whether the stream is BGZF (decoded in parallel).
func (r *Reader) IsBGZF() bool { return r.bgzf }

// SawEOFMarker reports, once Read returned io.EOF, whether a BGZF stream
// ended with the empty EOF block that bgzip writes: its absence means the
// file may have been cut at a block boundary. Always true for plain gzip.
func (r *Reader) SawEOFMarker() bool { return !r.bgzf || r.sawEOFMarker }

// Read implements io.Reader. See the package documentation for errors.
func (r *Reader) Read(p []byte) (int, error) {
	if r.gz != nil {
		return r.gz.Read(p)
	}
	if len(p) == 0 {
		return 0, nil
	}
	seg, err := r.segment()
	n := copy(p, seg)
	r.pos += n
	return n, err
}

// WriteTo implements io.WriterTo, avoiding a copy per Read.
func (r *Reader) WriteTo(w io.Writer) (int64, error) {
	if r.gz != nil {
		return r.gz.WriteTo(w)
	}
	var total int64
	for {
		seg, err := r.segment()
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
		n, err := w.Write(seg)
		r.pos += n
		total += int64(n)
		if err != nil {
			return total, err
		}
	}
}

// segment returns the next run of output up to the next error (the data
// stays the reader's; the caller advances r.pos by what it consumed), or
// the error itself: a *BlockError, io.EOF.
func (r *Reader) segment() ([]byte, error) {
	for {
		if r.cur == nil {
			if r.err != nil {
				return nil, r.err
			}
			j, ok := <-r.queue
			if !ok {
				r.err = io.EOF
				return nil, r.err
			}
			<-j.done
			r.cur, r.pos, r.mi = j, 0, 0
		}
		j := r.cur
		limit := len(j.out)
		if r.mi < len(j.marks) {
			limit = j.marks[r.mi].at
		}
		if r.pos < limit {
			return j.out[r.pos:limit], nil
		}
		if r.mi < len(j.marks) {
			err := j.marks[r.mi].err
			r.mi++
			return nil, err
		}
		j.release()
		r.cur = nil
	}
}

// Close stops the reader's goroutines. It does not close the underlying
// reader.
func (r *Reader) Close() error {
	if r.gz != nil {
		return r.gz.Close()
	}
	r.once.Do(func() {
		close(r.quit)
		// Drain so that a producer blocked on a full queue can exit.
		go func() {
			for j := range r.queue {
				<-j.done
				j.release()
			}
		}()
		r.wg.Wait()
	})
	if r.cur != nil {
		r.cur.release()
		r.cur = nil
	}
	if r.err == nil {
		r.err = errors.New("bgzf: reader closed")
	}
	return nil
}

// job is a run of consecutive blocks inflated by one worker.
type job struct {
	raw    []byte
	blocks []block
	out    []byte
	marks  []mark
	done   chan struct{}
}

type block struct {
	start, end int   // compressed data within raw (deflate stream only)
	off        int64 // compressed offset of the block in the stream
	isize      int
	crc        uint32
	truncated  bool
	ioErr      error // a read error other than the end of the stream
}

type mark struct {
	at  int
	err error
}

var jobPool = sync.Pool{New: func() any { return &job{} }}

func newJob() *job {
	j := jobPool.Get().(*job)
	j.raw, j.blocks, j.out, j.marks = j.raw[:0], j.blocks[:0], j.out[:0], j.marks[:0]
	j.done = make(chan struct{})
	return j
}

func (j *job) release() {
	for i := range j.marks {
		j.marks[i].err = nil
	}
	jobPool.Put(j)
}

// producer cuts the compressed stream into jobs of blocks.
type producer struct {
	br     *bufio.Reader
	queue  chan<- *job
	work   chan<- *job
	quit   <-chan struct{}
	perJob int
	owner  *Reader
	off    int64
	last   int // uncompressed size of the last block read (-1 after damage)
}

func (p *producer) run() {
	defer close(p.queue)
	defer close(p.work)
	for {
		j := newJob()
		end, fallback := p.fill(j)
		switch {
		case len(j.blocks) > 0:
			if !p.sendQueue(j) {
				return
			}
			select {
			case p.work <- j:
			case <-p.quit:
				close(j.done) // queued but never inflated: let a drain pass it
				return
			}
		case len(j.marks) > 0:
			close(j.done)
			if !p.sendQueue(j) {
				return
			}
		default:
			j.release()
		}
		if fallback {
			p.sequential()
			return
		}
		if end {
			p.owner.sawEOFMarker = p.last == 0
			return
		}
	}
}

func (p *producer) sendQueue(j *job) bool {
	select {
	case p.queue <- j:
		return true
	case <-p.quit:
		return false
	}
}

// fill reads up to perJob blocks into j. end: the stream is over;
// fallback: the next member is plain gzip. Damage between blocks ends the
// job before it, so that its error comes in stream order.
func (p *producer) fill(j *job) (end, fallback bool) {
	for len(j.blocks) < p.perJob {
		head, err := p.br.Peek(headerLen)
		if len(head) == 0 {
			if err != nil && err != io.EOF {
				j.marks = append(j.marks, mark{err: &BlockError{Offset: p.off, Err: err}})
			}
			return true, false
		}
		size, ok, short := blockSize(head)
		if !ok {
			if len(j.blocks) > 0 {
				return false, false
			}
			switch {
			case IsGzip(head) && !short && head[2] == 8:
				return false, true // an ordinary gzip member
			case IsGzip(head) && short && err != nil:
				// The stream ends inside a block header.
				j.marks = append(j.marks, mark{err: &BlockError{Offset: p.off, Err: ErrTruncated}})
				p.discard(len(head))
				p.last = -1
				return true, false
			}
			// Damaged bytes: report them and skip to the next block header.
			j.marks = append(j.marks, mark{err: &BlockError{Offset: p.off, Err: ErrCorrupt}})
			p.last = -1
			return !p.resync(), false
		}
		xlen := int(binary.LittleEndian.Uint16(head[10:]))
		n := len(j.raw)
		j.raw = growLen(j.raw, n+size)
		got, rerr := io.ReadFull(p.br, j.raw[n:n+size])
		j.raw = j.raw[:n+got]
		b := block{start: n + 12 + xlen, end: n + got - 8, off: p.off}
		p.off += int64(got)
		if rerr != nil {
			// Truncated: the worker inflates what is there.
			b.end = max(n+got, b.start)
			b.start = min(b.start, b.end)
			b.truncated = true
			if rerr != io.EOF && rerr != io.ErrUnexpectedEOF {
				b.ioErr = rerr
			}
			j.blocks = append(j.blocks, b)
			p.last = -1
			return true, false
		}
		b.crc = binary.LittleEndian.Uint32(j.raw[n+size-8:])
		b.isize = int(binary.LittleEndian.Uint32(j.raw[n+size-4:]))
		p.last = b.isize
		if b.isize > MaxBlockSize {
			b.isize = -1 // corrupt; reported by the worker
		}
		j.blocks = append(j.blocks, b)
	}
	return false, false
}

func (p *producer) discard(n int) {
	d, _ := p.br.Discard(n)
	p.off += int64(d)
}

// resync skips to the next byte sequence that is a BGZF block header; false
// when the stream ends first.
func (p *producer) resync() bool {
	p.discard(1)
	for {
		buf, err := p.br.Peek(p.br.Size())
		i := 0
		for {
			k := bytes.IndexByte(buf[i:], 0x1f)
			if k < 0 {
				i = len(buf)
				break
			}
			i += k
			if len(buf)-i < headerLen {
				break // undecidable until more data arrives
			}
			if _, ok, _ := blockSize(buf[i:]); ok {
				p.discard(i)
				return true
			}
			i++
		}
		if err != nil {
			p.discard(len(buf))
			return false
		}
		p.discard(max(i, 1))
	}
}

// sequential decodes the rest of the stream (a member that is not BGZF) with
// an ordinary gzip reader, in order, as pre-decoded jobs.
func (p *producer) sequential() {
	start := p.off
	gz, err := gzip.NewReader(p.br)
	if err != nil {
		p.errorJob(&BlockError{Offset: start, Err: fmt.Errorf("%w: %v", ErrCorrupt, err)})
		return
	}
	for {
		j := newJob()
		j.out = growLen(j.out, 1<<20)
		n, err := io.ReadFull(gz, j.out)
		j.out = j.out[:n]
		if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
			j.marks = append(j.marks, mark{at: n, err: &BlockError{Offset: start, Err: fmt.Errorf("%w: %v", ErrCorrupt, err)}})
		} else if err == io.ErrUnexpectedEOF {
			// ReadFull reports a short final read this way; ask once more to
			// tell a clean end from a cut stream.
			if _, err2 := gz.Read(make([]byte, 1)); err2 != io.EOF {
				if errors.Is(err2, io.ErrUnexpectedEOF) {
					err2 = ErrTruncated
				} else if err2 != nil {
					err2 = fmt.Errorf("%w: %v", ErrCorrupt, err2)
				}
				if err2 != nil {
					j.marks = append(j.marks, mark{at: n, err: &BlockError{Offset: start, Err: err2}})
				}
			}
		}
		close(j.done)
		if !p.sendQueue(j) {
			return
		}
		if err != nil {
			p.owner.sawEOFMarker = true // not BGZF: no marker expected
			return
		}
	}
}

func (p *producer) errorJob(err error) {
	j := newJob()
	j.marks = append(j.marks, mark{at: 0, err: err})
	close(j.done)
	p.sendQueue(j)
}

func growLen(b []byte, n int) []byte {
	if cap(b) >= n {
		return b[:n]
	}
	nb := make([]byte, n, max(n, 2*cap(b)))
	copy(nb, b)
	return nb
}

// inflateJobs is a worker: it inflates each job's blocks into its out.
func inflateJobs(work <-chan *job) {
	var (
		br bytes.Reader
		fr io.ReadCloser
	)
	var probe [1]byte
	for j := range work {
		total := 0
		for _, b := range j.blocks {
			if b.isize > 0 {
				total += b.isize
			} else if b.truncated || b.isize < 0 {
				total += MaxBlockSize
			}
		}
		j.out = growLen(j.out, total)
		pos := 0
		marks := j.marks[:0]
		for _, b := range j.blocks {
			br.Reset(j.raw[b.start:b.end])
			if fr == nil {
				fr = flate.NewReader(&br)
			} else {
				fr.(flate.Resetter).Reset(&br, nil)
			}
			switch {
			case b.truncated:
				n, _ := io.ReadFull(fr, j.out[pos:pos+MaxBlockSize])
				pos += n
				err := ErrTruncated
				if b.ioErr != nil {
					err = b.ioErr
				}
				marks = append(marks, mark{at: pos, err: &BlockError{Offset: b.off, Err: err}})
			case b.isize < 0:
				marks = append(marks, mark{at: pos, err: &BlockError{Offset: b.off, Err: ErrCorrupt}})
			default:
				seg := j.out[pos : pos+b.isize]
				n, err := io.ReadFull(fr, seg)
				if err == nil {
					// The deflate stream must end exactly here.
					var m int
					m, err = fr.Read(probe[:])
					switch {
					case m > 0:
						err = ErrChecksum
					case err == io.EOF:
						err = nil
					case err != nil:
						err = fmt.Errorf("%w: %v", ErrCorrupt, err)
					}
				} else if err == io.ErrUnexpectedEOF || err == io.EOF {
					if n < b.isize {
						err = ErrChecksum
					}
				} else {
					err = fmt.Errorf("%w: %v", ErrCorrupt, err)
				}
				if err == nil && crc32.ChecksumIEEE(seg) != b.crc {
					err = ErrChecksum
				}
				if err != nil {
					marks = append(marks, mark{at: pos, err: &BlockError{Offset: b.off, Err: err}})
					continue
				}
				pos += b.isize
			}
		}
		j.out = j.out[:pos]
		j.marks = marks
		close(j.done)
	}
}
