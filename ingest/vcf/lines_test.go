package vcf

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestLineReader(t *testing.T) {
	long := strings.Repeat("x", 300<<10) // grows the 64 KiB buffer
	in := "a\r\nbb\n\n" + long + "\nlast"
	lr := newLineReader(iotest.OneByteReader(strings.NewReader(in)))
	var got []string
	for {
		l, err := lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(l))
	}
	if len(got) != 5 || got[0] != "a" || got[1] != "bb" || got[2] != "" || got[3] != long || got[4] != "last" || lr.line != 5 {
		t.Errorf("lines %d, line count %d", len(got), lr.line)
	}

	// A line over the limit is reported once and skipped.
	lr = newLineReader(strings.NewReader("ok\n" + strings.Repeat("y", 200<<10) + "\nafter\n"))
	lr.max = 128 << 10
	var errs []error
	got = got[:0]
	for {
		l, err := lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		got = append(got, string(l))
	}
	if len(errs) != 1 || !errors.Is(errs[0], ErrLineTooLong) || len(got) != 2 || got[1] != "after" || lr.line != 3 {
		t.Errorf("too long: lines %q errors %v count %d", got, errs, lr.line)
	}

	// A read error that is not damage is fatal.
	boom := errors.New("disk on fire")
	lr = newLineReader(io.MultiReader(bytes.NewReader([]byte("a\nb")), iotest.ErrReader(boom)))
	lr.next()
	if _, err := lr.next(); err != nil && !errors.Is(err, boom) {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := lr.next(); errors.Is(err, boom) {
			return
		}
	}
	t.Error("fatal read error not returned")
}
