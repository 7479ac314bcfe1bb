package export

import (
	"fmt"
	"io"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/ipc"
)

// arrow writes the reader's records as an Arrow IPC stream to w, or as an
// IPC file when the options ask for it and w can seek.
func (e *exporter) arrow(rr array.RecordReader, w io.Writer) error {
	opts := []ipc.Option{ipc.WithSchema(rr.Schema()), ipc.WithAllocator(e.o.Mem)}
	var (
		write func(arrow.Record) error
		close func() error
	)
	if ws, ok := w.(io.WriteSeeker); ok && e.o.IPC == IPCFile {
		fw, err := ipc.NewFileWriter(ws, opts...)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		write, close = fw.Write, fw.Close
	} else {
		sw := ipc.NewWriter(w, opts...)
		write, close = sw.Write, sw.Close
	}
	err := e.each(rr, write)
	if cerr := close(); err == nil && cerr != nil {
		err = fmt.Errorf("export: %w", cerr)
	}
	return err
}
