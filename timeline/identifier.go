package timeline

import (
	"fmt"
	"strings"
)

// Identifier names a patient in one source's namespace: a FHIR Patient.id in
// its server's namespace, an MRN with its assigning authority, a DICOM
// PatientID with its issuer, a VCF sample name. The store maps identifiers
// to subject ids.
type Identifier struct {
	System string
	Value  string
}

// String writes the identifier as SYSTEM|VALUE, the form the CLI accepts.
// It is a locator of patient identity: never log it.
func (id Identifier) String() string { return id.System + "|" + id.Value }

// ParseIdentifier parses SYSTEM|VALUE (the last "|" separates them, so a
// system may contain "|" only if the value does not).
func ParseIdentifier(s string) (Identifier, error) {
	i := strings.LastIndex(s, "|")
	if i <= 0 || i == len(s)-1 {
		return Identifier{}, fmt.Errorf("timeline: identifier must be SYSTEM|VALUE")
	}
	return Identifier{System: s[:i], Value: s[i+1:]}, nil
}
