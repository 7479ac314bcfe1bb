package oncology

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// iRECIST (Seymour L et al., Lancet Oncol 2017;18:e143–e152; PMC5648544
// Table 2; recist.eortc.org iRECIST FAQ).
//
// Targets, non-targets, baseline and nadir are RECIST 1.1's. What RECIST 1.1
// calls PD is iUPD (unconfirmed). At the next assessment at least
// Options.ConfirmDays later, iUPD becomes iCPD when the category that caused
// it grows further (target sum +≥ 5 mm over the iUPD assessment — increases
// are cumulative; any increase of non-target disease or of new non-target
// lesions, as the source states it; new-lesion target sum +≥ 5 mm), when
// another category newly meets RECIST 1.1 PD, or when more new lesions
// appear. It is reset — the i clock starts again and a later iUPD is needed —
// when the assessment shows iCR, iPR or iSD: for a target-driven iUPD the
// sum is back under the PD threshold from the nadir; for a new-lesion-driven
// one the new lesions have gone or the targets shrank further since the
// iUPD to iPR/iCR (FAQ scenario B; with no change it remains iUPD, scenario
// F); for a non-target-driven one every non-target is gone or decreased.
// Otherwise the response remains iUPD. Assessments less than ConfirmDays
// after the iUPD confirm it only with an additional new lesion and never
// reset it (FAQ "Can imaging be used to confirm progression … less than four
// weeks after …").
//
// New lesions are measured separately and never added to the target sum:
// up to 5 new-lesion targets (≤ 2 per organ, measurable by RECIST 1.1 size
// rules, source marks winning) and the rest new-lesion non-targets. After a
// reset, the known new lesions cause a new iUPD only when more new lesions
// appear, when the new-lesion target sum meets RECIST 1.1 PD (≥ 20 % and
// ≥ 5 mm over its own nadir), or when the source states unequivocal
// progression of a new non-target lesion.

type iState struct {
	pending     bool
	cats        map[string]bool
	updTime     time.Time
	updSum      float64
	updSumOK    bool
	updNLT      float64
	knownNew    map[*track]bool
	nlt         []*track
	nltOrgan    map[string]int
	nltNadir    float64
	hasNLTNadir bool
}

func iOf(r Response) Response {
	switch r {
	case CR:
		return ICR
	case PR:
		return IPR
	case SD:
		return ISD
	case NonCRNonPD:
		return INonCRNonUPD
	case PD:
		return IUPD
	}
	return r
}

// irecistCourse evaluates iRECIST over one course.
func irecistCourse(ls *lesionSet, spec courseSpec, opt *Options) *Course {
	c, s, ok := openCourse(CriteriaIRECIST, ls, spec, opt)
	if !ok {
		return c
	}
	gap := time.Duration(opt.ConfirmDays) * 24 * time.Hour
	st := &iState{knownNew: map[*track]bool{}, nltOrgan: map[string]int{}}
	nadir, nadirT := s.sum, s.base.time
	day := func(t time.Time) string { return t.UTC().Format("2006-01-02") }
	fus := followUps(ls, s, spec)
	rest := 0
	var lastCR time.Time
	for i, tp := range fus {
		te := evalTargets(tp, s, nadir)
		ntr, ntUsed := evalNonTargets(tp, s)
		reappeared(&te, &ntr, lastCR)
		ntIncrease, ntShrunk := nonTargetChange(tp, s)
		news := newLesionsAt(tp, s)
		var appeared []*track
		for _, t := range news {
			if !st.knownNew[t] {
				appeared = append(appeared, t)
			}
		}
		st.addNew(tp, appeared)
		nltSum, nltOK, nlntIncrease, nlntProgress, newUsed := st.newLesionBurden(tp)

		o := outcomeAt(tp, s, te, nadir, nadirT, news)
		o.Target, o.NonTarget = iOf(te.response), iOf(ntr)
		o.Measurements = append(append(o.Measurements, ntUsed...), newUsed...)
		if len(st.nlt) > 0 && nltOK {
			o.NewLesionTargetSumMM = optF(round1(nltSum))
		}

		var why []string
		switch {
		case st.pending && tp.time.Sub(st.updTime) < gap:
			if len(appeared) > 0 {
				o.Overall = ICPD
				why = append(why, fmt.Sprintf("additional new lesion(s) %s after iUPD of %s", ids(appeared), day(st.updTime)))
			} else {
				o.Overall = IUPD
				why = append(why, fmt.Sprintf("less than %d days after iUPD of %s: not used to confirm or reset it", opt.ConfirmDays, day(st.updTime)))
			}
		case st.pending:
			// Confirmation by further growth in a category already in
			// iUPD, or by progression in another one.
			if len(appeared) > 0 {
				why = append(why, "additional new lesion(s) "+ids(appeared))
			}
			if st.cats["target"] {
				if st.updSumOK && te.missing == 0 && te.sum-st.updSum >= 5-eps {
					why = append(why, fmt.Sprintf("target sum %.1f mm is %+.1f mm over %.1f mm at iUPD (≥ +5 mm)", te.sum, te.sum-st.updSum, st.updSum))
				}
			} else if te.response == PD {
				why = append(why, "targets newly meet RECIST 1.1 PD: "+te.reason)
			}
			if st.cats["nonTarget"] {
				if ntIncrease {
					why = append(why, "non-target disease increased further (as the source states)")
				}
			} else if ntr == PD {
				why = append(why, "unequivocal progression of non-target disease (as the source states)")
			}
			if st.cats["new"] {
				if nltOK && len(st.nlt) > 0 && nltSum-st.updNLT >= 5-eps {
					why = append(why, fmt.Sprintf("new-lesion target sum %.1f mm is %+.1f mm over %.1f mm at iUPD (≥ +5 mm)", nltSum, nltSum-st.updNLT, st.updNLT))
				}
				if nlntIncrease {
					why = append(why, "new non-target lesion(s) increased (as the source states)")
				}
			}
			if len(why) > 0 {
				o.Overall = ICPD
				break
			}
			if reset, because := st.resets(te, ntr, ntShrunk, tp, s); reset {
				o.Overall = st.resetResponse(te, ntr, tp)
				why = append(why, fmt.Sprintf("iUPD of %s not confirmed and %s: the bar is reset; targets: %s", day(st.updTime), because, te.reason))
				st.pending = false
				st.cats = nil
				if nltOK && len(st.nlt) > 0 {
					st.nltNadir, st.hasNLTNadir = nltSum, true
				}
				break
			}
			if te.response == NE && ntr != PD {
				o.Overall = NE
				why = append(why, "not evaluable; iUPD of "+day(st.updTime)+" still awaits confirmation")
				break
			}
			o.Overall = IUPD
			why = append(why, fmt.Sprintf("no further growth since iUPD of %s: remains iUPD", day(st.updTime)))
		default:
			cats := map[string]bool{}
			if te.response == PD {
				cats["target"] = true
				why = append(why, "targets: "+te.reason)
			}
			if ntr == PD {
				cats["nonTarget"] = true
				why = append(why, "unequivocal progression of non-target disease (as the source states)")
			}
			if len(appeared) > 0 {
				cats["new"] = true
				why = append(why, "new lesion(s) "+ids(appeared))
			}
			if st.hasNLTNadir && nltOK && nltSum >= 1.2*st.nltNadir-eps && nltSum-st.nltNadir >= 5-eps {
				cats["new"] = true
				why = append(why, fmt.Sprintf("new-lesion target sum %.1f mm meets RECIST 1.1 PD over its nadir %.1f mm", nltSum, st.nltNadir))
			}
			if nlntProgress {
				cats["new"] = true
				why = append(why, "unequivocal progression of a new non-target lesion (as the source states)")
			}
			if len(cats) > 0 {
				o.Overall = IUPD
				st.pending, st.cats, st.updTime = true, cats, tp.time
				st.updSum, st.updSumOK = te.sum, te.missing == 0
				st.updNLT = nltSum
				break
			}
			o.Overall = st.resetResponse(te, ntr, tp)
			why = append(why, "targets: "+te.reason)
		}
		o.Reason = strings.Join(why, "; ")
		c.TimePoints = append(c.TimePoints, o)
		nadir, nadirT = lowerNadir(te, tp, nadir, nadirT)
		lastCR = afterCR(o, lastCR)
		if len(st.nlt) > 0 && nltOK && st.hasNLTNadir && !st.pending && nltSum < st.nltNadir {
			st.nltNadir = nltSum
		}
		if !st.hasNLTNadir && len(st.nlt) > 0 && nltOK {
			st.nltNadir, st.hasNLTNadir = nltSum, true
		}
		if o.Overall == ICPD {
			rest = len(fus) - i - 1
			break
		}
	}
	closeCourse(c, spec, s, opt, true, rest, "the course ends at iCPD")
	return c
}

func ids(ts []*track) string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.id
	}
	return strings.Join(out, ", ")
}

// resetResponse is the iRECIST response of an assessment without
// progression: RECIST 1.1's table with the i prefix; a complete response
// needs the new lesions gone too.
func (st *iState) resetResponse(te targetEval, ntr Response, tp *timePoint) Response {
	r := iOf(overallRECIST(te.response, ntr, false))
	if r == ICR {
		for t := range st.knownNew {
			if presentNew(tp.byTrack[t]) {
				return IPR
			}
		}
	}
	return r
}

// resets says whether a pending iUPD is reset at this assessment.
func (st *iState) resets(te targetEval, ntr Response, ntShrunk bool, tp *timePoint, s *selection) (bool, string) {
	if te.response == PD || te.response == NE || ntr == PD {
		return false, ""
	}
	var because []string
	if st.cats["target"] {
		because = append(because, "the target sum is back under the progression threshold")
	}
	if st.cats["nonTarget"] {
		if !ntShrunk {
			return false, ""
		}
		because = append(because, "non-target disease is gone or decreased")
	}
	if st.cats["new"] {
		present := false
		for t := range st.knownNew {
			if presentNew(tp.byTrack[t]) {
				present = true
				break
			}
		}
		shrank := (te.response == CR || te.response == PR) && st.updSumOK && te.missing == 0 && te.sum < st.updSum-eps
		switch {
		case !present:
			because = append(because, "the new lesions are gone")
		case shrank:
			because = append(because, "the targets shrank further since the iUPD")
		default:
			return false, ""
		}
	}
	return true, strings.Join(because, " and ")
}

// addNew records newly appeared lesions and picks new-lesion targets among
// them: source marks win, else measurable lesions by size, ≤ 5 in all and ≤ 2
// per organ.
func (st *iState) addNew(tp *timePoint, appeared []*track) {
	if len(appeared) == 0 {
		return
	}
	rs := make([]*reading, 0, len(appeared))
	for _, t := range appeared {
		st.knownNew[t] = true
		rs = append(rs, tp.byTrack[t])
	}
	sort.SliceStable(rs, func(i, j int) bool {
		mi, mj := rs[i].target != nil && *rs[i].target, rs[j].target != nil && *rs[j].target
		if mi != mj {
			return mi
		}
		a, b := rs[i].size(), rs[j].size()
		if math.IsNaN(a) {
			a = -1
		}
		if math.IsNaN(b) {
			b = -1
		}
		if a != b {
			return a > b
		}
		return rs[i].track.id < rs[j].track.id
	})
	for _, r := range rs {
		marked := r.target != nil && *r.target
		excluded := r.target != nil && !*r.target
		if excluded || len(st.nlt) >= 5 || st.nltOrgan[r.track.organ] >= 2 {
			continue
		}
		if marked || measurable(r) {
			st.nlt = append(st.nlt, r.track)
			st.nltOrgan[r.track.organ]++
		}
	}
}

func (st *iState) isNLT(t *track) bool {
	for _, x := range st.nlt {
		if x == t {
			return true
		}
	}
	return false
}

// newLesionBurden sums the new-lesion targets and looks at the new
// non-target lesions.
func (st *iState) newLesionBurden(tp *timePoint) (sum float64, ok bool, nlntIncrease, nlntProgress bool, us []UsedMeasurement) {
	ok = true
	for _, t := range st.nlt {
		r := tp.byTrack[t]
		v, note, vok := targetValue(r)
		us = append(us, used(t, r, "newTarget", v, note, vok))
		if !vok {
			ok = false
			continue
		}
		sum += v
	}
	var nlnt []*track
	for t := range st.knownNew {
		if !st.isNLT(t) {
			nlnt = append(nlnt, t)
		}
	}
	sort.Slice(nlnt, func(i, j int) bool { return nlnt[i].id < nlnt[j].id })
	for _, t := range nlnt {
		r := tp.byTrack[t]
		us = append(us, used(t, r, "newNonTarget", math.NaN(), "", false))
		if r == nil {
			continue
		}
		switch r.status {
		case statusProgression:
			nlntProgress, nlntIncrease = true, true
		case statusIncreased:
			nlntIncrease = true
		}
	}
	return sum, ok, nlntIncrease, nlntProgress, us
}

// nonTargetChange reports whether the source says non-target disease grew
// (increased or progressed) and whether all of it is gone or decreased.
func nonTargetChange(tp *timePoint, s *selection) (increased, shrunk bool) {
	if len(s.nonTargets) == 0 {
		return false, false
	}
	shrunk = true
	for _, t := range s.nonTargets {
		r := tp.byTrack[t]
		if r == nil {
			shrunk = false
			continue
		}
		switch {
		case r.status == statusIncreased || r.status == statusProgression:
			increased = true
			shrunk = false
		case r.status == statusDecreased || normalNow(r, t.node):
		default:
			shrunk = false
		}
	}
	return increased, shrunk
}
