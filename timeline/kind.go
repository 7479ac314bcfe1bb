package timeline

import "fmt"

// Kind is the closed set of event kinds. The zero value is invalid so that a
// row whose kind was never set is rejected rather than silently classified.
type Kind int8

// The kinds of events, in the fixed order of the kind dictionary.
const (
	KindDemographic Kind = iota + 1
	KindEncounter
	KindDiagnosis
	KindProcedure
	KindMedication
	KindLab
	KindVital
	KindObservation
	KindImagingStudy
	KindImagingFeature
	KindLesion
	KindVariant
	KindTumorMarker
	KindStage
	KindDerived

	numKinds = int(KindDerived)
)

var kindNames = [...]string{
	"", "demographic", "encounter", "diagnosis", "procedure", "medication", "lab",
	"vital", "observation", "imaging_study", "imaging_feature", "lesion",
	"variant", "tumor_marker", "stage", "derived",
}

// String returns the kind's name as stored in the kind column.
func (k Kind) String() string {
	if k.Valid() {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int8(k))
}

// Valid reports whether k is one of the defined kinds.
func (k Kind) Valid() bool { return k >= KindDemographic && k <= KindDerived }

// ParseKind returns the kind named s.
func ParseKind(s string) (Kind, error) {
	for i := 1; i <= numKinds; i++ {
		if kindNames[i] == s {
			return Kind(i), nil
		}
	}
	return 0, fmt.Errorf("timeline: %w: %q", ErrUnknownKind, s)
}

// Kinds returns every valid kind in dictionary order.
func Kinds() []Kind {
	ks := make([]Kind, numKinds)
	for i := range ks {
		ks[i] = Kind(i + 1)
	}
	return ks
}

// MarshalText implements encoding.TextMarshaler.
func (k Kind) MarshalText() ([]byte, error) {
	if !k.Valid() {
		return nil, fmt.Errorf("timeline: %w: %d", ErrUnknownKind, int8(k))
	}
	return []byte(k.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *Kind) UnmarshalText(b []byte) error {
	v, err := ParseKind(string(b))
	if err != nil {
		return err
	}
	*k = v
	return nil
}
