//go:build !unix

package dicom

import "os"

type rawFile struct{ *os.File }

func openRaw(path string) (rawFile, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return rawFile{}, 0, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return rawFile{}, 0, err
	}
	return rawFile{f}, st.Size(), nil
}
