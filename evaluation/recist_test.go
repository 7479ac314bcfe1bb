package evaluation

import (
	"testing"
	"time"
)

// RECIST 1.1 (Eisenhauer 2009): PR is a ≥ 30 % decrease of the target sum
// from baseline. The radiologist's follow-up sum is 36 mm from 50 (−28 %,
// SD); the tool measures each target 1 mm smaller (34 mm, −32 %, PR): the
// category changes at the follow-up the tool measured.
func TestRECISTCategoryChange(t *testing.T) {
	base, follow := day0(2024, 1, 10), day0(2024, 3, 10)
	p := twoAssessments(1, base, follow, 18, 17)
	rep := evaluate(t, DefaultOptions(lesionAI), p)
	var cases []CategoryCase
	for _, c := range rep.CategoryCases {
		if c.Scheme == SchemeRECIST {
			cases = append(cases, c)
		}
	}
	if len(cases) != 1 {
		t.Fatalf("RECIST cases: %+v", cases)
	}
	c := cases[0]
	if c.Reference != "SD" || c.AI != "PR" || c.Study != "F" || c.Version != "3" || !c.Time.Equal(follow) {
		t.Errorf("case: %+v", c)
	}
	var r *CategoryReport
	for i := range rep.Categories {
		if rep.Categories[i].Scheme == SchemeRECIST {
			r = &rep.Categories[i]
		}
	}
	if r == nil || r.Changed.X != 1 || r.Changed.N != 1 || len(r.Confusion) != 1 {
		t.Fatalf("report: %+v", r)
	}

	// A tool measuring 1 mm larger (38 mm, −24 %): SD for both, no change.
	q := twoAssessments(2, base, follow, 18, 19)
	rep = evaluate(t, DefaultOptions(lesionAI), q)
	n := 0
	for _, c := range rep.CategoryCases {
		if c.Scheme == SchemeRECIST {
			n++
			if c.Reference != "SD" || c.AI != "SD" {
				t.Errorf("no change expected: %+v", c)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d RECIST cases, want 1", n)
	}
}

// twoAssessments builds a patient with two targets (liver, lung) read at
// baseline (25 mm each) and at follow-up (rad mm each by the radiologist,
// tool mm each by the tool).
func twoAssessments(subject int64, base, follow time.Time, rad, tool float64) *patient {
	p := &patient{subject: subject}
	for _, s := range []struct {
		uid       string
		when      time.Time
		rad, tool float64
	}{{"B", base, 25, 25}, {"F", follow, rad, tool}} {
		p.lesion(s.uid, s.when, "1.9.1", "Liver structure", "SNOMED//10200004", s.rad, s.rad*0.7, nil, "", "")
		p.lesion(s.uid, s.when, "1.9.2", "Lung structure", "SNOMED//39607008", s.rad, s.rad*0.7, nil, "", "")
		p.ai(s.uid, s.when, "lesion_long_axis", "mm", s.tool, lesionAI, "3", "t1", "1.9.1", "")
		p.ai(s.uid, s.when, "lesion_long_axis", "mm", s.tool, lesionAI, "3", "t2", "1.9.2", "")
	}
	return p
}
