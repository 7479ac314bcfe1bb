package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/medtwin/medtwin/ingest/bgzf"
)

func bgzfBytes(t *testing.T, lines int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := bgzf.NewWriter(&buf, 6)
	for i := 0; i < lines; i++ {
		fmt.Fprintf(w, "line %d of a BGZF stream\n", i)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDecompress(t *testing.T) {
	whole := bgzfBytes(t, 20000)
	tests := []struct {
		name    string
		in      []byte
		wantErr error
	}{
		{"plain", []byte("plain text\n"), nil},
		{"bgzf", whole, nil},
		// Cut exactly before the 28-byte EOF block: every data block is
		// whole, so only the missing marker tells the file was cut.
		{"bgzf without EOF marker", whole[:len(whole)-28], io.ErrUnexpectedEOF},
		{"bgzf cut inside a block", whole[:len(whole)/2], io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc, err := Decompress(bytes.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			_, err = io.Copy(io.Discard, rc)
			if tt.wantErr == nil && err != nil {
				t.Fatalf("read: %v", err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				var be *bgzf.BlockError
				if !errors.As(err, &be) {
					t.Fatalf("read error = %v, want %v", err, tt.wantErr)
				}
			}
		})
	}
}
