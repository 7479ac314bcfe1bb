// Package testdata locates the shared public sample files (DICOM, VCF, MAF,
// FHIR, cBioPortal, IBSI) that tests read. They live outside the repository
// in ../shared/testdata (next to a CI checkout) or where MEDTWIN_TESTDATA
// points; a user's clone has neither, and tests that need them skip.
package testdata

import (
	"os"
	"path/filepath"
	"testing"
)

// Root returns the shared test data directory, or "" when there is none.
func Root() string {
	if d := os.Getenv("MEDTWIN_TESTDATA"); d != "" {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d
		}
		return ""
	}
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			d := filepath.Join(dir, "..", "shared", "testdata")
			if st, err := os.Stat(d); err == nil && st.IsDir() {
				return d
			}
			return ""
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// Path returns a path under the shared test data, skipping the test when the
// data (or that path) is absent.
func Path(tb testing.TB, elem ...string) string {
	tb.Helper()
	root := Root()
	if root == "" {
		tb.Skip("shared test data not found: set MEDTWIN_TESTDATA or check out ../shared/testdata beside the repository")
	}
	p := filepath.Join(append([]string{root}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		tb.Skipf("shared test data %s not present", filepath.Join(elem...))
	}
	return p
}
