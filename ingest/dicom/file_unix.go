//go:build unix

package dicom

import (
	"io"
	"io/fs"
	"syscall"
)

// rawFile reads a file with plain system calls: os.File registers every
// open file with the runtime poller and a finalizer, which costs more than
// the header read itself when scanning thousands of files.
type rawFile int

func openRaw(path string) (rawFile, int64, error) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	for err == syscall.EINTR {
		fd, err = syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	}
	if err != nil {
		return -1, 0, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		syscall.Close(fd)
		return -1, 0, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	if st.Mode&syscall.S_IFMT == syscall.S_IFDIR {
		syscall.Close(fd)
		return -1, 0, &fs.PathError{Op: "read", Path: path, Err: syscall.EISDIR}
	}
	return rawFile(fd), st.Size, nil
}

func (f rawFile) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	for n < len(p) {
		m, err := syscall.Pread(int(f), p[n:], off+int64(n))
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return n, err
		}
		if m == 0 {
			return n, io.EOF
		}
		n += m
	}
	return n, nil
}

func (f rawFile) Close() error { return syscall.Close(int(f)) }
