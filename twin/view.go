package twin

import (
	"sort"
	"time"

	"github.com/medtwin/medtwin/timeline"
)

// Available returns when the observation's value became known (its event's
// available_at, else its time).
func (o Obs) Available() time.Time {
	if o.Event != nil {
		return o.Event.Available()
	}
	return o.Time
}

// LatestKnown returns the observation of a concept a clinician could have
// seen at t: among observations taken at or before t and available by t,
// the one taken last, provided it was taken no more than window before t
// (any age when window is 0). Ties on time go to the later-listed
// observation, as in Latest.
func (v *View) LatestKnown(concept string, t time.Time, window time.Duration) (Obs, bool) {
	s := v.concept[concept]
	i := sort.Search(len(s), func(i int) bool { return s[i].Time.After(t) })
	for i--; i >= 0; i-- {
		o := s[i]
		if window > 0 && t.Sub(o.Time) > window {
			return Obs{}, false
		}
		if !o.Available().After(t) {
			return o, true
		}
	}
	return Obs{}, false
}

// Between returns a concept's observations taken in [from, to], in time
// order.
func (v *View) Between(concept string, from, to time.Time) []Obs {
	s := v.concept[concept]
	lo := sort.Search(len(s), func(i int) bool { return !s[i].Time.Before(from) })
	hi := sort.Search(len(s), func(i int) bool { return s[i].Time.After(to) })
	if lo >= hi {
		return nil
	}
	return s[lo:hi]
}

// InSet returns the visible events whose code belongs to the named code set
// of the view's code table, in time order. The result is shared: callers
// must not modify it.
func (v *View) InSet(set string) []timeline.Event {
	v.setMu.Lock()
	defer v.setMu.Unlock()
	if out, ok := v.sets[set]; ok {
		return out
	}
	var out []timeline.Event
	for _, e := range v.events {
		if v.Codes.InSet(set, e.Code) {
			out = append(out, e)
		}
	}
	v.sets[set] = out
	return out
}

// ImagingOf returns the imaging detail rows of one event.
func (v *View) ImagingOf(k timeline.Key) []timeline.ImagingDetail {
	var out []timeline.ImagingDetail
	for _, d := range v.details.Imaging {
		if d.Key == k {
			out = append(out, d)
		}
	}
	return out
}

// Reference returns the time the view stands at: AsOf when set, else the
// latest time (clinical, end or availability) of any visible event, so that
// a twin computed on everything known stays deterministic. For a patient
// who has died it is never later than the death: a "current" score (and the
// age in it) of a dead patient is the last one that applied. It is zero for
// a view without timed events.
func (v *View) Reference() time.Time {
	ref := v.AsOf
	if ref.IsZero() {
		for i := range v.events {
			e := &v.events[i]
			for _, t := range []time.Time{e.Time, e.EndTime, e.AvailableAt} {
				if t.After(ref) {
					ref = t
				}
			}
		}
	}
	if death, ok := v.Death(); ok && ref.After(death) {
		return death
	}
	return ref
}

// Arrivals returns the distinct times at which an observation of any of the
// concepts became available, in order: the times a score reading them gets
// a new point.
func (v *View) Arrivals(concepts ...string) []time.Time {
	var ts []time.Time
	for _, c := range concepts {
		for _, o := range v.concept[c] {
			ts = append(ts, o.Available())
		}
	}
	return SortedTimes(ts)
}

// SortedTimes sorts times and drops duplicates and zero times.
func SortedTimes(ts []time.Time) []time.Time {
	sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) })
	out := ts[:0]
	for _, t := range ts {
		if t.IsZero() || (len(out) > 0 && out[len(out)-1].Equal(t)) {
			continue
		}
		out = append(out, t)
	}
	return out
}

// EventInput returns a coded event (diagnosis, procedure, encounter) as a
// score input: Value 1, and text saying what it meant for the score.
func EventInput(e *timeline.Event, text string) Input {
	return Input{Code: e.Code, Time: e.Time, Value: 1, Text: text, EventRef: EventRef(e)}
}

// AgeInput returns the age in completed years at t and the birth event as
// a score input (concept "age", value the age, unit "a").
func (v *View) AgeInput(t time.Time) (int, Input, bool) {
	a, ok := v.AgeAt(t)
	if !ok {
		return 0, Input{}, false
	}
	b, _ := v.BirthEvent()
	return a, Input{Code: timeline.CodeBirth, Concept: "age", Time: b.Time, Value: float64(a), Unit: "a", EventRef: EventRef(b)}, true
}
