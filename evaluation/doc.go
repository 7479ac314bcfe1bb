// Package evaluation evaluates an imaging AI tool on a hospital's own
// practice: how well each version of the tool agrees with the hospital's
// radiologists and with its patients' later diagnoses, on which patients,
// and whether agreement drifts.
//
// For every output of the tool (an imaging_feature event or a lesion row
// whose algorithm is the tool's), Evaluate looks for the radiologist's
// value of the same quantity of the same finding in the same study and
// records the pairing rule (PairingRules): a shared tracking UID or
// tracking identifier, the same organ quantity, or a lesion matched by
// organ and position with the oncology twin's matching (oncology.
// MatchLesions). Outputs left unpaired are counted on both sides.
//
// For numbers it reports Bland–Altman bias and 95 % limits of agreement,
// ICC(2,1) and ICC(3,1), mean absolute and relative error
// (package agreement), overall and per version, site, scanner and month;
// a least-squares drift of the differences over time; change points at
// each new version and scanner (Welch's t test of the bias, F test of the
// spread) and an unlabelled change point in the mean difference
// (OLS-CUSUM). For clinical categories it reports how often the tool's
// value changes the category the radiologist's gives: RECIST 1.1 overall
// response (the oncology twin run on the radiologist's lesions and on the
// same lesions with the tool's measurements) and the CT steatosis category
// (twin/liver's thresholds). For yes/no calls (lesion detected, steatosis,
// pneumonia, *_flag outputs) it reports sensitivity, specificity and
// predictive values with Wilson intervals against a named reference
// standard: the radiologist, or a diagnosis coded within a window
// (Outcome).
//
// EvaluateSubject is a pure function of one patient's twin.View;
// Evaluate reads the patients with the tool's outputs from a store in
// bounded chunks, auditing every patient read, and aggregates them into a
// Report, which Records turns into Arrow tables.
package evaluation

import "errors"

// Sentinel errors.
var (
	// ErrOptions: options that cannot be evaluated (no algorithm, an empty
	// time window).
	ErrOptions = errors.New("evaluation: bad options")
	// ErrNoOutputs: the store holds no output of the tool (of the version)
	// in the window.
	ErrNoOutputs = errors.New("evaluation: no outputs of the algorithm")
)
