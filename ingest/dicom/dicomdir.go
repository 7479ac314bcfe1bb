package dicom

import (
	"fmt"
	"path/filepath"
	"strings"
)

// UIDMediaStorageDirectory is the SOP class of a DICOMDIR.
const UIDMediaStorageDirectory = "1.2.840.10008.1.3.10"

// DirectoryEntry is a file a DICOMDIR references.
type DirectoryEntry struct {
	Record int    // 1-based position in the Directory Record Sequence
	Type   string // DirectoryRecordType: IMAGE, SR DOCUMENT, SEGMENTATION, …
	Path   string // file path, joined to the DICOMDIR's directory
}

// IsDICOMDIR reports whether a parsed file is a media storage directory.
func IsDICOMDIR(f *File) bool {
	if f.Meta != nil && f.Meta.String(TagMediaSOPClass) == UIDMediaStorageDirectory {
		return true
	}
	return f.Dataset != nil && f.Dataset.Find(TagDirectoryRecordSeq) != nil
}

// ReadDICOMDIR returns the files a DICOMDIR references, in record order.
// Referenced File IDs are path components relative to the DICOMDIR's
// directory (PS3.10 §8.3); one that is absolute or climbs out with ".." is
// an error naming its record.
func ReadDICOMDIR(path string) ([]DirectoryEntry, error) {
	f, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	if !IsDICOMDIR(f) {
		return nil, &TagError{Tag: TagDirectoryRecordSeq, Offset: -1, Err: fmt.Errorf("%w: not a DICOMDIR", ErrMissingAttribute)}
	}
	dir := filepath.Dir(path)
	var out []DirectoryEntry
	for i, rec := range f.Dataset.Seq(TagDirectoryRecordSeq) {
		parts := rec.Strings(TagReferencedFileID)
		if len(parts) == 0 {
			continue // PATIENT, STUDY, SERIES records reference no file
		}
		for _, p := range parts {
			if p == "" || p == "." || p == ".." || strings.ContainsAny(p, "/\\:") {
				return nil, &TagError{Tag: TagReferencedFileID, Offset: -1, Context: fmt.Sprintf("directory record %d", i+1),
					Err: fmt.Errorf("%w: path component is not a plain file or directory name", ErrMalformed)}
			}
		}
		out = append(out, DirectoryEntry{Record: i + 1, Type: rec.String(TagDirectoryRecordTyp), Path: filepath.Join(append([]string{dir}, parts...)...)})
	}
	return out, nil
}
