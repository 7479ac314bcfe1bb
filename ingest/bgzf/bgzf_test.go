package bgzf

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/medtwin/medtwin/internal/testdata"
)

// text returns n bytes of VCF-like, moderately compressible text.
func text(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 1))
	var b bytes.Buffer
	for b.Len() < n {
		fmt.Fprintf(&b, "chr%d\t%d\t.\t%c\t%c\t%d\tPASS\tDP=%d\tGT\t0/1\n", rng.IntN(22)+1, rng.IntN(1e8),
			"ACGT"[rng.IntN(4)], "ACGT"[rng.IntN(4)], rng.IntN(100), rng.IntN(200))
	}
	return b.Bytes()[:n]
}

func compress(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := NewWriter(&buf, 0)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// blocks returns the offsets of the blocks of a BGZF stream.
func blocks(t testing.TB, z []byte) []int {
	t.Helper()
	var offs []int
	for off := 0; off < len(z); {
		size, ok, _ := blockSize(z[off:])
		if !ok {
			t.Fatalf("no block at %d", off)
		}
		offs = append(offs, off)
		off += size
	}
	return offs
}

// drain reads everything, going on after block errors.
func drain(t testing.TB, r io.Reader) ([]byte, []error) {
	t.Helper()
	var out bytes.Buffer
	var errs []error
	buf := make([]byte, 7777)
	for i := 0; i < 1e7; i++ {
		n, err := r.Read(buf)
		out.Write(buf[:n])
		if err == io.EOF {
			return out.Bytes(), errs
		}
		if err != nil {
			errs = append(errs, err)
			var be *BlockError
			if !errors.As(err, &be) {
				return out.Bytes(), errs
			}
		}
	}
	t.Fatal("reader never ended")
	return nil, nil
}

func TestRoundTrip(t *testing.T) {
	for _, size := range []int{0, 1, 1000, blockData, blockData + 1, 3 << 20} {
		for _, workers := range []int{1, 2, 4} {
			t.Run(fmt.Sprintf("size=%d/workers=%d", size, workers), func(t *testing.T) {
				data := text(size, uint64(size))
				z := compress(t, data)
				r, err := NewReader(bytes.NewReader(z), WithWorkers(workers))
				if err != nil {
					t.Fatal(err)
				}
				defer r.Close()
				if !r.IsBGZF() {
					t.Fatal("not detected as BGZF")
				}
				got, errs := drain(t, r)
				if len(errs) != 0 || !bytes.Equal(got, data) {
					t.Fatalf("got %d bytes, errors %v; want %d bytes", len(got), errs, len(data))
				}
				if !r.SawEOFMarker() {
					t.Error("EOF marker not seen")
				}
				// The standard library agrees that it is valid gzip.
				zr, err := gzip.NewReader(bytes.NewReader(z))
				if err != nil {
					t.Fatal(err)
				}
				std, err := io.ReadAll(zr)
				if err != nil || !bytes.Equal(std, data) {
					t.Fatalf("compress/gzip reads %d bytes, %v", len(std), err)
				}
			})
		}
	}
}

func TestWriteTo(t *testing.T) {
	data := text(1<<20, 7)
	r, err := NewReader(bytes.NewReader(compress(t, data)))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out bytes.Buffer
	if n, err := r.WriteTo(&out); err != nil || n != int64(len(data)) || !bytes.Equal(out.Bytes(), data) {
		t.Fatalf("WriteTo: %d, %v", n, err)
	}
}

// A file written by htslib's bgzip decodes to what compress/gzip reads.
func TestBgzipFile(t *testing.T) {
	for _, p := range [][]string{{"vcf", "bcftools", "roh.1.vcf.gz"}, {"vcf", "clinvar", "clinvar_testset.vcf.gz"}, {"vcf", "htslib", "modhdr.vcf.gz"}} {
		path := testdata.Path(t, p...)
		z, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(z))
		if err != nil {
			t.Fatal(err)
		}
		want, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		r, err := NewReader(bytes.NewReader(z))
		if err != nil {
			t.Fatal(err)
		}
		got, errs := drain(t, r)
		r.Close()
		if !r.IsBGZF() || len(errs) != 0 || !bytes.Equal(got, want) || !r.SawEOFMarker() {
			t.Errorf("%s: bgzf %v, %d bytes (want %d), errors %v, marker %v", p[2], r.IsBGZF(), len(got), len(want), errs, r.SawEOFMarker())
		}
	}
}

// A plain gzip stream (one member, or several) is read sequentially.
func TestPlainGzip(t *testing.T) {
	data := text(500000, 3)
	var buf bytes.Buffer
	for _, part := range [][]byte{data[:100000], data[100000:]} {
		zw := gzip.NewWriter(&buf)
		zw.Write(part)
		zw.Close()
	}
	r, err := NewReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.IsBGZF() {
		t.Fatal("plain gzip detected as BGZF")
	}
	got, errs := drain(t, r)
	if len(errs) != 0 || !bytes.Equal(got, data) {
		t.Fatalf("got %d bytes, %v", len(got), errs)
	}
	// Cut short: the error is io.ErrUnexpectedEOF.
	r2, err := NewReader(bytes.NewReader(buf.Bytes()[:buf.Len()-100]))
	if err != nil {
		t.Fatal(err)
	}
	_, errs = drain(t, r2)
	if len(errs) != 1 || !errors.Is(errs[0], io.ErrUnexpectedEOF) {
		t.Fatalf("truncated gzip: %v", errs)
	}
}

// BGZF blocks followed by an ordinary gzip member (files concatenated).
func TestBGZFThenGzip(t *testing.T) {
	a, b := text(200000, 4), text(150000, 5)
	var buf bytes.Buffer
	w := NewWriter(&buf, 0)
	w.Write(a)
	w.Flush() // no EOF marker in the middle: just blocks
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	r, err := NewReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, errs := drain(t, r)
	if len(errs) != 0 || !bytes.Equal(got, append(append([]byte{}, a...), b...)) {
		t.Fatalf("got %d bytes, %v", len(got), errs)
	}
}

func TestNotGzip(t *testing.T) {
	for _, in := range []string{"", "x", "##fileformat=VCFv4.2\n"} {
		if _, err := NewReader(bytes.NewReader([]byte(in))); !errors.Is(err, ErrNotGzip) {
			t.Errorf("%q: %v", in, err)
		}
	}
}

func TestTruncated(t *testing.T) {
	data := text(300000, 6)
	z := compress(t, data)
	offs := blocks(t, z)
	// Cut inside the third block: the first two blocks are whole, part of
	// the third inflates, then the error, then EOF.
	cut := offs[2] + (offs[3]-offs[2])/2
	r, err := NewReader(bytes.NewReader(z[:cut]))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, errs := drain(t, r)
	if len(errs) != 1 {
		t.Fatalf("errors %v", errs)
	}
	var be *BlockError
	if !errors.As(errs[0], &be) || be.Offset != int64(offs[2]) || !errors.Is(errs[0], ErrTruncated) || !errors.Is(errs[0], io.ErrUnexpectedEOF) {
		t.Fatalf("error %v", errs[0])
	}
	if len(got) < 2*blockData || len(got) >= 3*blockData || !bytes.Equal(got, data[:len(got)]) {
		t.Fatalf("salvaged %d bytes", len(got))
	}
	// Cut inside a header.
	r, _ = NewReader(bytes.NewReader(z[:offs[1]+5]))
	got, errs = drain(t, r)
	r.Close()
	if len(errs) != 1 || !errors.Is(errs[0], ErrTruncated) || !bytes.Equal(got, data[:blockData]) {
		t.Fatalf("cut in header: %d bytes, %v", len(got), errs)
	}
	// Cut at a block boundary: no error, but no EOF marker either.
	r, _ = NewReader(bytes.NewReader(z[:offs[2]]))
	got, errs = drain(t, r)
	r.Close()
	if len(errs) != 0 || len(got) != 2*blockData || r.SawEOFMarker() {
		t.Fatalf("cut at boundary: %d bytes, %v, marker %v", len(got), errs, r.SawEOFMarker())
	}
}

func TestDamagedBlocks(t *testing.T) {
	data := text(8*blockData, 8)
	z := compress(t, data)
	offs := blocks(t, z)

	t.Run("checksum", func(t *testing.T) {
		bad := bytes.Clone(z)
		bad[offs[4]-8] ^= 0xff // CRC of block 3
		r, _ := NewReader(bytes.NewReader(bad))
		defer r.Close()
		got, errs := drain(t, r)
		var be *BlockError
		if len(errs) != 1 || !errors.As(errs[0], &be) || be.Offset != int64(offs[3]) || !errors.Is(errs[0], ErrChecksum) {
			t.Fatalf("errors %v", errs)
		}
		want := append(bytes.Clone(data[:3*blockData]), data[4*blockData:]...)
		if !bytes.Equal(got, want) {
			t.Fatalf("got %d bytes, want %d", len(got), len(want))
		}
	})
	t.Run("deflate", func(t *testing.T) {
		bad := bytes.Clone(z)
		for i := offs[2] + headerLen; i < offs[2]+headerLen+64; i++ {
			bad[i] = 0xff
		}
		r, _ := NewReader(bytes.NewReader(bad))
		defer r.Close()
		got, errs := drain(t, r)
		var be *BlockError
		if len(errs) != 1 || !errors.As(errs[0], &be) || be.Offset != int64(offs[2]) {
			t.Fatalf("errors %v", errs)
		}
		want := append(bytes.Clone(data[:2*blockData]), data[3*blockData:]...)
		if !bytes.Equal(got, want) {
			t.Fatalf("got %d bytes, want %d", len(got), len(want))
		}
	})
	t.Run("garbage between blocks", func(t *testing.T) {
		bad := append(append(bytes.Clone(z[:offs[5]]), []byte("garbage\x1f\x8b not a block")...), z[offs[5]:]...)
		r, _ := NewReader(bytes.NewReader(bad))
		defer r.Close()
		got, errs := drain(t, r)
		var be *BlockError
		if len(errs) != 1 || !errors.As(errs[0], &be) || be.Offset != int64(offs[5]) || !errors.Is(errs[0], ErrCorrupt) {
			t.Fatalf("errors %v", errs)
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("got %d bytes, want %d", len(got), len(data))
		}
	})
	t.Run("header", func(t *testing.T) {
		bad := bytes.Clone(z)
		bad[offs[6]] = 'X' // the block header's magic
		r, _ := NewReader(bytes.NewReader(bad))
		defer r.Close()
		got, errs := drain(t, r)
		if len(errs) != 1 || !errors.Is(errs[0], ErrCorrupt) {
			t.Fatalf("errors %v", errs)
		}
		want := append(bytes.Clone(data[:6*blockData]), data[7*blockData:]...)
		if !bytes.Equal(got, want) {
			t.Fatalf("got %d bytes, want %d", len(got), len(want))
		}
	})
}

// Closing a reader before the end stops its goroutines.
func TestCloseEarly(t *testing.T) {
	z := compress(t, text(4<<20, 9))
	before := runtime.NumGoroutine()
	for i := 0; i < 5; i++ {
		r, err := NewReader(bytes.NewReader(z))
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 100)
		r.Read(buf)
		r.Close()
		if _, err := r.Read(buf); err == nil {
			t.Fatal("read after close")
		}
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines left running (before: %d)", n, before)
	}
}

// FuzzReader: no input makes the reader panic or hang, and whatever it
// returns without an error is what compress/gzip reads.
func FuzzReader(f *testing.F) {
	f.Add(compress(f, text(100, 1)))
	f.Add(compress(f, text(3*blockData, 2)))
	f.Add(EOFMarker)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(text(1000, 3))
	zw.Close()
	f.Add(gz.Bytes())
	if p := testdata.Root(); p != "" {
		if b, err := os.ReadFile(p + "/vcf/htslib/modhdr.vcf.gz"); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		r, err := NewReader(bytes.NewReader(in), WithWorkers(2))
		if err != nil {
			return
		}
		defer r.Close()
		got, errs := drain(t, r)
		if len(got) > 1<<26 {
			t.Fatalf("%d bytes out of %d", len(got), len(in))
		}
		if len(errs) == 0 && r.IsBGZF() {
			zr, err := gzip.NewReader(bytes.NewReader(in))
			if err != nil {
				return
			}
			want, err := io.ReadAll(zr)
			if err == nil && !bytes.Equal(got, want) {
				t.Fatalf("bgzf %d bytes, compress/gzip %d", len(got), len(want))
			}
		}
	})
}

// BenchmarkReader decodes 32 MiB (enough blocks, 500+, for the workers to
// overlap) with 1 and 2 workers; bytes/s are of decompressed data.
func BenchmarkReader(b *testing.B) {
	data := text(32<<20, 10)
	z := compress(b, data)
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				r, err := NewReader(bytes.NewReader(z), WithWorkers(workers))
				if err != nil {
					b.Fatal(err)
				}
				if n, err := r.WriteTo(io.Discard); err != nil || n != int64(len(data)) {
					b.Fatal(n, err)
				}
				r.Close()
			}
		})
	}
	b.Run("compress-gzip", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for i := 0; i < b.N; i++ {
			zr, _ := gzip.NewReader(bytes.NewReader(z))
			io.Copy(io.Discard, zr)
		}
	})
}
