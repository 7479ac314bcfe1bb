package export

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

func hasParquetExt(p string) bool { return strings.EqualFold(filepath.Ext(p), ".parquet") }

// checkTarget refuses an existing output unless overwriting; an empty
// directory counts as absent.
func (e *exporter) checkTarget(out string) error {
	st, err := os.Stat(out)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("export: %w", err)
	case e.o.Overwrite:
		return nil
	case st.IsDir():
		if ents, err := os.ReadDir(out); err == nil && len(ents) == 0 {
			return nil
		}
	}
	return fmt.Errorf("%w: %s (use --force to replace it)", ErrExists, out)
}

// toFile writes a single-file output through a temporary file renamed into
// place at the end.
func (e *exporter) toFile(out string, fn func(io.WriteSeeker) error) (err error) {
	if err := e.checkTarget(out); err != nil {
		return err
	}
	if st, err := os.Stat(out); err == nil && st.IsDir() {
		return fmt.Errorf("%w: %s is a directory", ErrOptions, out)
	}
	f, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".tmp-*")
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := fn(f); err != nil {
		return err
	}
	if err := f.Chmod(0o644); err != nil { // CreateTemp made it private
		return fmt.Errorf("export: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := os.Rename(f.Name(), out); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

// toDir writes a directory output into a hidden temporary directory beside
// out, renamed into place when complete.
func (e *exporter) toDir(out string, fn func(dir string) error) (err error) {
	if err := e.checkTarget(out); err != nil {
		return err
	}
	out = filepath.Clean(out)
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(out), "."+filepath.Base(out)+".tmp-*")
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := fn(tmp); err != nil {
		return err
	}
	if st, serr := os.Stat(out); serr == nil {
		if !st.IsDir() {
			if err := os.Remove(out); err != nil {
				return fmt.Errorf("export: %w", err)
			}
		} else {
			old, err := os.MkdirTemp(filepath.Dir(out), "."+filepath.Base(out)+".old-*")
			if err != nil {
				return fmt.Errorf("export: %w", err)
			}
			os.Remove(old)
			if err := os.Rename(out, old); err != nil {
				return fmt.Errorf("export: %w", err)
			}
			defer os.RemoveAll(old)
		}
	}
	if err := os.Rename(tmp, out); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}
