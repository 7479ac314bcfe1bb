package oncology

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/medtwin/medtwin/timeline"
	"github.com/medtwin/medtwin/twin"
)

// Lesion is one lesion followed across studies.
type Lesion struct {
	// ID is the lesion's identity in this twin: the source's tracking
	// identifier when it gave one, else "auto-N" in order of first sight.
	ID string `json:"id"`
	// SourceID is the tracking identifier/UID the source gave, if any.
	SourceID string `json:"sourceId,omitempty"`
	Organ    string `json:"organ"`
	Site     string `json:"site,omitempty"`
	SiteCode string `json:"siteCode,omitempty"`
	IsNode   bool   `json:"isNode"`
	// FirstSeen is the time of the first assessment that recorded it.
	FirstSeen    time.Time     `json:"firstSeen"`
	Measurements []Measurement `json:"measurements"`
}

// Measurement is one lesion's reading in one assessment.
type Measurement struct {
	Time        time.Time `json:"time"`
	StudyUID    string    `json:"studyUid,omitempty"`
	LongAxisMM  *float64  `json:"longAxisMm,omitempty"`
	ShortAxisMM *float64  `json:"shortAxisMm,omitempty"`
	// TooSmall: the source says "too small to measure".
	TooSmall bool `json:"tooSmall,omitempty"`
	// Status is what the source says of the lesion in words (absent,
	// decreased, stable, increased, progression, new, present), if anything.
	Status    string     `json:"status,omitempty"`
	Target    *bool      `json:"target,omitempty"`
	Position  []float64  `json:"position,omitempty"` // x, y, z in mm (patient coordinates)
	Observer  string     `json:"observer,omitempty"`
	Algorithm string     `json:"algorithm,omitempty"`
	Available *time.Time `json:"available,omitempty"`
	// Inferred is true when the lesion's identity in this study was matched
	// by site and position rather than given by the source; MatchBasis says
	// how it was matched.
	Inferred   bool   `json:"inferred"`
	MatchBasis string `json:"matchBasis"`
	EventRef   string `json:"eventRef"`
}

// lesionStatus is what a source says of a lesion in words.
type lesionStatus int8

const (
	statusNone lesionStatus = iota
	statusPresent
	statusAbsent
	statusDecreased
	statusStable
	statusIncreased
	statusProgression
	statusNew
)

var statusNames = [...]string{"", "present", "absent", "decreased", "stable", "increased", "progression", "new"}

func (s lesionStatus) String() string { return statusNames[s] }

// parseLesionStatus reads the status words a source may attach to a lesion
// reading (a DICOM SR qualitative evaluation, a FHIR interpretation): the
// first phrase found, most specific first. Unknown text gives statusNone.
func parseLesionStatus(text string) lesionStatus {
	words := wordsOf(text)
	if len(words) == 0 {
		return statusNone
	}
	l := " " + strings.Join(words, " ") + " "
	has := func(ps ...string) bool {
		for _, p := range ps {
			if strings.Contains(l, " "+p+" ") {
				return true
			}
		}
		return false
	}
	switch {
	case has("unequivocal progression", "progression", "progressive", "progressing", "progressed"):
		return statusProgression
	case has("no change", "unchanged", "stable"):
		return statusStable
	case has("not seen", "not visible", "absent", "resolved", "disappeared", "gone", "no longer seen"):
		return statusAbsent
	case has("increase", "increased", "increasing", "larger", "enlarged", "enlarging", "growth", "grown"):
		return statusIncreased
	case has("decrease", "decreased", "decreasing", "smaller", "shrinking", "shrunk", "reduced"):
		return statusDecreased
	case has("new"):
		return statusNew
	case has("present", "persistent", "persists"):
		return statusPresent
	}
	return statusNone
}

// reading is one lesion measurement in working form.
type reading struct {
	sourceID  string
	studyUID  string
	time      time.Time
	avail     time.Time
	site      string
	siteCode  string
	organ     string
	long      float64 // NaN when missing
	short     float64 // NaN when missing
	node      bool
	target    *bool
	tooSmall  bool
	status    lesionStatus
	x, y, z   float64
	hasPos    bool
	observer  string
	algorithm string
	ref       string
	order     int // input order, for determinism

	track      *track
	inferred   bool
	matchBasis string
}

// size is the RECIST measure of a reading: short axis for nodes, long axis
// otherwise; NaN when not measured.
func (r *reading) size() float64 {
	if r.node {
		return r.short
	}
	return r.long
}

// track is one lesion followed across time points.
type track struct {
	id       string
	sourceID string
	organ    string
	node     bool
	first    int // index of the first time point
	readings map[int]*reading
	last     *reading
}

// timePoint is one imaging assessment: the studies read together.
type timePoint struct {
	index   int
	time    time.Time // earliest study time
	avail   time.Time // latest availability of its readings
	studies []string
	byTrack map[*track]*reading
	notes   []string
}

// lesionSet is the patient's lesions and assessments.
type lesionSet struct {
	points []*timePoint
	tracks []*track
	notes  []string
}

// readingsOf turns the view's lesion detail rows into readings.
func readingsOf(v *twin.View) []*reading {
	var out []*reading
	type siteKey struct {
		site, code string
		node       bool
	}
	organs := map[siteKey]string{} // sites repeat across studies
	for i, d := range v.Details().Lesions {
		e, ok := v.Event(d.Key)
		if !ok || e.Time.IsZero() {
			continue
		}
		r := &reading{
			sourceID: strings.TrimSpace(d.LesionID), studyUID: strings.TrimSpace(d.StudyUID),
			time: e.Time, avail: e.Available(), site: strings.TrimSpace(d.Site), siteCode: strings.TrimSpace(d.SiteCode),
			long: clean(d.LongAxisMM), short: clean(d.ShortAxisMM),
			target: d.Target, x: d.X, y: d.Y, z: d.Z,
			observer: d.Observer, algorithm: d.Algorithm, ref: twin.EventRef(e), order: i,
		}
		if d.IsNode != nil {
			r.node = *d.IsNode
		} else {
			// No flag: a lesion whose site is a lymph node is a node (its
			// short axis is what RECIST measures).
			r.node = organOf(r.site, r.siteCode, false) == "lymph node"
		}
		if d.TooSmall != nil {
			r.tooSmall = *d.TooSmall
		}
		r.hasPos = !math.IsNaN(d.X) && !math.IsNaN(d.Y) && !math.IsNaN(d.Z)
		r.status = parseLesionStatus(e.Text)
		k := siteKey{r.site, r.siteCode, r.node}
		o, ok := organs[k]
		if !ok {
			o = organOf(r.site, r.siteCode, r.node)
			organs[k] = o
		}
		r.organ = o
		out = append(out, r)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].time.Equal(out[j].time) {
			return out[i].time.Before(out[j].time)
		}
		return out[i].order < out[j].order
	})
	return out
}

func clean(f float64) float64 {
	if math.IsInf(f, 0) || f < 0 {
		return math.NaN()
	}
	return f
}

// buildLesions groups readings into time points and tracks lesions across
// them.
func buildLesions(rs []*reading, opt *Options) *lesionSet {
	ls := &lesionSet{}
	if len(rs) == 0 {
		return ls
	}
	// Studies: by StudyInstanceUID, or by calendar day when the source gives
	// none.
	type study struct {
		uid  string
		time time.Time
		rs   []*reading
	}
	byUID := map[string]*study{}
	var studies []*study
	for _, r := range rs {
		uid := r.studyUID
		if uid == "" {
			uid = "date:" + r.time.UTC().Format("2006-01-02")
		}
		s, ok := byUID[uid]
		if !ok {
			s = &study{uid: uid, time: r.time}
			byUID[uid] = s
			studies = append(studies, s)
		}
		if r.time.Before(s.time) {
			s.time = r.time
		}
		s.rs = append(s.rs, r)
	}
	sort.SliceStable(studies, func(i, j int) bool { return studies[i].time.Before(studies[j].time) })
	// Time points: studies within the window of a time point's first study
	// are one assessment (CT chest and abdomen a day apart, a bone scan the
	// same week).
	window := time.Duration(opt.TimePointWindowDays) * 24 * time.Hour
	var groups [][]*study
	for _, s := range studies {
		if n := len(groups); n > 0 && s.time.Sub(groups[n-1][0].time) <= window {
			groups[n-1] = append(groups[n-1], s)
			continue
		}
		groups = append(groups, []*study{s})
	}
	byID := map[string]*track{}
	auto := 0
	newTrack := func(r *reading, tp int) *track {
		t := &track{sourceID: r.sourceID, organ: r.organ, node: r.node, first: tp, readings: map[int]*reading{}}
		if r.sourceID != "" {
			t.id = r.sourceID
			byID[r.sourceID] = t
		} else {
			auto++
			t.id = fmt.Sprintf("auto-%d", auto)
			for byID[t.id] != nil { // a source that names its lesions auto-N
				auto++
				t.id = fmt.Sprintf("auto-%d", auto)
			}
		}
		ls.tracks = append(ls.tracks, t)
		return t
	}
	for gi, g := range groups {
		tp := &timePoint{index: gi, time: g[0].time, byTrack: map[*track]*reading{}}
		var unmatched []*reading
		for _, s := range g {
			tp.studies = append(tp.studies, strings.TrimPrefix(s.uid, "date:"))
			for _, r := range s.rs {
				if r.avail.After(tp.avail) {
					tp.avail = r.avail
				}
				if r.sourceID == "" {
					unmatched = append(unmatched, r)
					continue
				}
				t := byID[r.sourceID]
				if t == nil {
					t = newTrack(r, gi)
					r.matchBasis = "first seen"
				} else {
					r.matchBasis = "tracking identifier"
				}
				attach(tp, t, r, gi)
			}
		}
		// Readings without an identifier: match to lesions of earlier
		// assessments not yet seen in this one, by organ, node flag and
		// position.
		matchUntracked(ls, tp, unmatched, gi, opt)
		for _, r := range unmatched {
			if r.track == nil {
				t := newTrack(r, gi)
				r.matchBasis = "first seen"
				attach(tp, t, r, gi)
			}
		}
		ls.points = append(ls.points, tp)
	}
	return ls
}

// attach records r as t's reading at time point tp; a second reading of the
// same lesion in one assessment replaces the first (the later study wins).
func attach(tp *timePoint, t *track, r *reading, gi int) {
	if old, ok := tp.byTrack[t]; ok {
		tp.notes = append(tp.notes, fmt.Sprintf("lesion %s was read twice in one assessment; the later reading (%s) is used", t.id, r.ref))
		old.track = nil
	}
	r.track = t
	tp.byTrack[t] = r
	t.readings[gi] = r
	t.last = r
}

// matchUntracked matches readings without an identifier to earlier lesions
// by MatchLesions. Candidates are lesions last read at an earlier
// assessment and not read in this one; their last reading gives the
// position (Options.MatchMaxDistanceMM bounds the distance).
func matchUntracked(ls *lesionSet, tp *timePoint, rs []*reading, gi int, opt *Options) {
	if len(rs) == 0 {
		return
	}
	var cands []*track
	for _, t := range ls.tracks {
		if _, seen := tp.byTrack[t]; seen || t.last == nil {
			continue
		}
		cands = append(cands, t)
	}
	a := make([]MatchItem, len(rs))
	for i, r := range rs {
		a[i] = MatchItem{Organ: r.organ, Node: r.node, X: r.x, Y: r.y, Z: r.z, Order: r.order}
		if !r.hasPos {
			a[i].X = math.NaN()
		}
	}
	b := make([]MatchItem, len(cands))
	for j, t := range cands {
		b[j] = MatchItem{Organ: t.organ, Node: t.node, X: t.last.x, Y: t.last.y, Z: t.last.z, ID: t.id}
		if !t.last.hasPos {
			b[j].X = math.NaN()
		}
	}
	for _, m := range MatchLesions(a, b, opt.MatchMaxDistanceMM) {
		r, t := rs[m.A], cands[m.B]
		r.inferred = true
		if m.ByPosition {
			r.matchBasis = fmt.Sprintf("inferred: same organ (%s), %.1f mm from its position on %s", t.organ, m.DistanceMM, t.last.time.UTC().Format("2006-01-02"))
		} else {
			r.matchBasis = fmt.Sprintf("inferred: the only %s lesion in this and the earlier assessment (no positions)", t.organ)
		}
		attach(tp, t, r, gi)
	}
}

func sq(f float64) float64 { return f * f }

const organUnspecified = "unspecified"

// organAliases maps site words to organs. RECIST 1.1 counts paired organs
// (lungs, kidneys, ovaries) and all lymph nodes as one organ each when it
// limits targets per organ (recist.eortc.org FAQ "Paired organs").
var organAliases = []struct {
	organ string
	words []string
}{
	{"lymph node", []string{"lymph node", "lymph nodes", "node", "nodes", "nodal", "lymphadenopathy"}},
	{"gallbladder", []string{"gallbladder", "gall bladder"}},
	{"adrenal gland", []string{"adrenal", "adrenals", "suprarenal"}},
	{"lung", []string{"lung", "lungs", "pulmonary", "lobe", "lingula", "bronchus"}},
	{"pleura", []string{"pleura", "pleural"}},
	{"liver", []string{"liver", "hepatic", "hepatocellular"}},
	{"kidney", []string{"kidney", "kidneys", "renal"}},
	{"brain", []string{"brain", "cerebral", "cerebellum", "cerebellar", "intracranial"}},
	{"bone", []string{"bone", "bones", "osseous", "skeletal", "vertebra", "vertebral", "spine"}},
	{"peritoneum", []string{"peritoneum", "peritoneal", "omentum", "omental"}},
	{"pancreas", []string{"pancreas", "pancreatic"}},
	{"spleen", []string{"spleen", "splenic"}},
	{"ovary", []string{"ovary", "ovaries", "ovarian"}},
	{"breast", []string{"breast", "breasts", "mammary"}},
	{"prostate", []string{"prostate", "prostatic"}},
	{"bladder", []string{"bladder", "urinary bladder"}},
	{"stomach", []string{"stomach", "gastric"}},
	{"esophagus", []string{"esophagus", "oesophagus", "esophageal", "oesophageal"}},
	{"colon", []string{"colon", "colonic", "colorectal", "cecum", "caecum", "sigmoid"}},
	{"rectum", []string{"rectum", "rectal"}},
	{"skin", []string{"skin", "cutaneous", "subcutaneous"}},
	{"soft tissue", []string{"soft tissue", "muscle"}},
	{"thyroid", []string{"thyroid"}},
	{"uterus", []string{"uterus", "uterine", "endometrium", "endometrial"}},
	{"mediastinum", []string{"mediastinum", "mediastinal"}},
}

// snomedSites are SNOMED CT body structure codes for when a source gives a
// site code without words (lung 39607008, right/left lung 3341006/44029006,
// liver 10200004, lymph node 59441001, kidney 64033007, brain 12738006,
// spleen 78961009, pancreas 15776009, colon 71854001).
var snomedSites = map[string]string{
	"39607008": "lung", "3341006": "lung", "44029006": "lung", "10200004": "liver",
	"59441001": "lymph node", "64033007": "kidney", "12738006": "brain",
	"78961009": "spleen", "15776009": "pancreas", "71854001": "colon",
}

func organFromText(s string) string {
	words := wordsOf(s)
	if len(words) == 0 {
		return ""
	}
	l := " " + strings.Join(words, " ") + " "
	for _, a := range organAliases {
		for _, w := range a.words {
			if strings.Contains(l, " "+w+" ") {
				return a.organ
			}
		}
	}
	return ""
}

// organOf normalises a lesion's site to the organ RECIST counts targets in.
func organOf(site, code string, node bool) string {
	if node {
		return "lymph node"
	}
	if o := organFromText(site); o != "" {
		return o
	}
	_, parts := timeline.SplitCode(code)
	c := code
	if len(parts) > 0 {
		c = parts[0]
	}
	if o, ok := snomedSites[c]; ok {
		return o
	}
	if s := strings.ToLower(strings.TrimSpace(site)); s != "" {
		return s
	}
	if code != "" {
		return code
	}
	return organUnspecified
}

// lesionsOut renders the tracks.
func (ls *lesionSet) lesionsOut() []Lesion {
	out := make([]Lesion, 0, len(ls.tracks))
	for _, t := range ls.tracks {
		l := Lesion{ID: t.id, SourceID: t.sourceID, Organ: t.organ, IsNode: t.node, FirstSeen: ls.points[t.first].time}
		idx := make([]int, 0, len(t.readings))
		for i := range t.readings {
			idx = append(idx, i)
		}
		sort.Ints(idx)
		for _, i := range idx {
			r := t.readings[i]
			if r.track != t {
				continue
			}
			if l.Site == "" {
				l.Site, l.SiteCode = r.site, r.siteCode
			}
			l.Measurements = append(l.Measurements, r.out())
		}
		out = append(out, l)
	}
	return out
}

func optF(f float64) *float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	return &f
}

func optT(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func (r *reading) out() Measurement {
	m := Measurement{
		Time: r.time, StudyUID: r.studyUID, LongAxisMM: optF(r.long), ShortAxisMM: optF(r.short),
		TooSmall: r.tooSmall, Status: r.status.String(), Target: r.target, Observer: r.observer,
		Algorithm: r.algorithm, Inferred: r.inferred, MatchBasis: r.matchBasis, EventRef: r.ref,
	}
	if r.hasPos {
		m.Position = []float64{r.x, r.y, r.z}
	}
	if !r.avail.Equal(r.time) {
		m.Available = optT(r.avail)
	}
	return m
}
