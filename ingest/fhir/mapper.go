package fhir

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fastjson"

	"github.com/medtwin/medtwin/ingest"
	"github.com/medtwin/medtwin/timeline"
)

// recordError rejects one record: the field that broke a rule and the rule.
type recordError struct {
	field string
	err   error
}

func (e *recordError) Error() string { return e.field + ": " + e.err.Error() }
func (e *recordError) Unwrap() error { return e.err }

func reject(field string, err error) error { return &recordError{field: field, err: err} }

// recCtx says where a record comes from.
type recCtx struct {
	loc     string    // locator for rejections: "line 12", "entry 3"
	source  string    // provenance of its events: "file#L12", "file#entry3"
	base    string    // server base of an absolute fullUrl; "" = the namespace
	fullURL []byte    // Bundle entry fullUrl
	raw     []byte    // the resource's JSON, for resources without an id
	bundle  *refIndex // the enclosing Bundle's index, nil outside one
}

// mapper turns parsed resources into events. One per goroutine; not safe
// for concurrent use.
type mapper struct {
	ctx   context.Context
	res   ingest.Resolver
	codes *timeline.CodeTable
	ns    string    // namespace of source-local ids
	file  string    // provenance name of the file
	run   *refIndex // run-wide reference targets (shared)
	out   *output
	// maxRecord bounds the size of one record (NDJSON line), 0: none.
	maxRecord int

	hasher timeline.KeyHasher
	cache  map[string]string // system\x00code → VOCAB//code
	subj   map[string]int64  // ns\x00id → subject
	units  map[string]string // code\x00unit → canonical unit, for units needing no conversion
	// lastKey/lastSubj: the subject of the previous resource (ns\x00id).
	lastKey  []byte
	lastSubj int64
	tmp      []byte
	cbuf     [2][]coding
}

// cache bounds: both maps start over when full.
const (
	maxCodeCache    = 1 << 16
	maxSubjectCache = 1 << 18
)

func newMapper(ctx context.Context, env *ingest.Env, ns, file string, run *refIndex) *mapper {
	return &mapper{
		ctx: ctx, res: env.Resolver, codes: env.Codes, ns: ns, file: file, run: run,
		out: newOutput(), cache: map[string]string{}, subj: map[string]int64{}, units: map[string]string{},
	}
}

// resource maps one parsed resource into m.out. It returns an error only
// when the run cannot go on (the resolver failing); a bad record becomes a
// rejection, an unmapped or dropped one a skip count.
func (m *mapper) resource(v *fastjson.Value, rc *recCtx) error {
	o := m.out
	typ := v.GetStringBytes("resourceType")
	if v.Type() == fastjson.TypeObject && string(typ) == "Bundle" {
		return m.bundle(v, rc)
	}
	o.records++
	ev0, les0, img0, ar0 := len(o.events), len(o.lesions), len(o.imaging), len(o.arena)
	err := m.dispatch(v, typ, rc)
	if err != nil {
		o.events, o.lesions, o.imaging, o.arena = o.events[:ev0], o.lesions[:les0], o.imaging[:img0], o.arena[:ar0]
		var re *recordError
		if errors.As(err, &re) {
			o.rejects = append(o.rejects, &ingest.ParseError{Source: m.file, Record: rc.loc, Field: re.field, Err: re.err})
			return nil
		}
		return err
	}
	if len(o.events) > ev0 {
		o.groups = append(o.groups, group{ev: len(o.events), les: len(o.lesions), img: len(o.imaging), loc: rc.loc})
	}
	return nil
}

func (m *mapper) dispatch(v *fastjson.Value, typ []byte, rc *recCtx) error {
	if v.Type() != fastjson.TypeObject {
		return reject("", ErrNotResource)
	}
	switch string(typ) {
	case "":
		return reject("resourceType", ErrNotResource)
	case "Patient":
		return m.patient(v, rc)
	case "Observation":
		return m.observation(v, rc)
	case "Condition":
		return m.condition(v, rc)
	case "Procedure":
		return m.procedure(v, rc)
	case "Immunization":
		return m.immunization(v, rc)
	case "MedicationRequest", "MedicationStatement", "MedicationAdministration":
		return m.medicationUse(v, string(typ), rc)
	case "Encounter":
		return m.encounter(v, rc)
	case "DiagnosticReport":
		return m.diagnosticReport(v, rc)
	case "ImagingStudy":
		return m.imagingStudy(v, rc)
	case "Medication":
		return m.indexMedication(v, rc)
	case "BodyStructure":
		return m.indexBodyStructure(v, rc)
	}
	m.out.skip(m.typeName(typ))
	return nil
}

// typeName interns the name of an unmapped resource type (skip categories
// outlive the record).
func (m *mapper) typeName(typ []byte) string {
	if s, ok := m.cache[string(typ)]; ok {
		return s
	}
	s := string(typ)
	m.cache[s] = s
	return s
}

// bundle maps the entries of a Bundle held in memory (an NDJSON line or a
// Bundle nested in a Bundle entry); Bundle documents are streamed by
// streamBundle instead.
func (m *mapper) bundle(v *fastjson.Value, rc *recCtx) error {
	idx := newRefIndex()
	entries := v.GetArray("entry")
	var raw []byte
	for i, e := range entries {
		sub := &recCtx{bundle: idx}
		sub.loc = rc.loc + " entry " + strconv.Itoa(i)
		if rc.loc == "" {
			sub.loc = "entry " + strconv.Itoa(i)
		}
		sub.source = rc.source + "/entry" + strconv.Itoa(i)
		raw = e.MarshalTo(raw[:0])
		sub.raw = raw
		if err := m.entry(e, sub); err != nil {
			return err
		}
	}
	return nil
}

// entry maps one Bundle entry: its resource, with the entry's fullUrl for
// identity and references.
func (m *mapper) entry(e *fastjson.Value, rc *recCtx) error {
	if e.Type() != fastjson.TypeObject {
		m.out.records++
		m.out.rejects = append(m.out.rejects, &ingest.ParseError{Source: m.file, Record: rc.loc, Err: ErrNotResource})
		return nil
	}
	res := e.Get("resource")
	if res == nil {
		method := e.GetStringBytes("request", "method")
		if len(method) == 0 {
			method = []byte("no-resource")
		}
		m.out.records++
		m.out.skip("Bundle.entry:" + string(method))
		return nil
	}
	rc.fullURL = e.GetStringBytes("fullUrl")
	if pr := splitRef(rc.fullURL); pr.kind == refAbsolute {
		rc.base = string(pr.base)
	}
	if rc.bundle != nil {
		m.noteEntry(res, rc)
	}
	return m.resource(res, rc)
}

// noteEntry records in the Bundle index what later entries may need to
// resolve a urn:uuid reference to this one: its logical id when it is not
// the uuid itself.
func (m *mapper) noteEntry(res *fastjson.Value, rc *recCtx) {
	pr := splitRef(rc.fullURL)
	if pr.kind != refURN {
		return
	}
	id := res.GetStringBytes("id")
	typ := res.GetStringBytes("resourceType")
	if len(id) == 0 || bytes.Equal(id, pr.id) || len(typ) == 0 {
		return
	}
	rc.bundle.putURN(string(pr.urn), ident{ns: m.nsOf(rc.base), typ: string(typ), id: string(id)})
}

func (m *mapper) nsOf(base string) string {
	if base == "" {
		return m.ns
	}
	return base
}

// self returns the resource's own identity: its id (else the uuid of its
// urn:uuid fullUrl, else the id of an absolute fullUrl, else a hash of its
// content) in the namespace of its entry.
func (m *mapper) self(v *fastjson.Value, typ string, rc *recCtx) ident {
	r := ident{ns: m.nsOf(rc.base), typ: typ}
	if id := v.GetStringBytes("id"); len(id) > 0 {
		r.id = m.out.str(id)
		return r
	}
	if pr := splitRef(rc.fullURL); pr.kind == refURN || pr.kind == refAbsolute {
		r.id = m.out.str(pr.id)
		return r
	}
	sum := sha256.Sum256(rc.raw)
	r.id = "sha256:" + hex.EncodeToString(sum[:16])
	return r
}

// key is the record key of one event of a resource: namespace, type, id and
// the part of the resource the event comes from.
func (m *mapper) key(r ident, part string) timeline.Key {
	m.hasher.Add(r.ns)
	m.hasher.Add(r.typ)
	m.hasher.Add(r.id)
	m.hasher.Add(part)
	return m.hasher.Sum()
}

// RecordKey returns the record key of the event a FHIR resource yields:
// namespace (DefaultNamespace unless Options.Namespace or an absolute
// reference says otherwise), resource type, logical id and part: "" for the
// resource's main event, "component/N" for the N-th Observation component
// (0-based), "coding/N" for the N-th coding kept besides the primary one,
// "birth", "sex" and "death" for Patient demographics, "histology" for an
// mCODE morphology. Other ingest paths use it to join on FHIR resources
// (e.g. a DiagnosticReport's results).
func RecordKey(namespace, resourceType, id, part string) timeline.Key {
	return timeline.NewKey(namespace, resourceType, id, part)
}

// code returns VOCAB//CODE for a coding, interned.
func (m *mapper) code(c coding) string {
	m.tmp = append(m.tmp[:0], c.system...)
	m.tmp = append(m.tmp, 0)
	m.tmp = append(m.tmp, c.code...)
	if s, ok := m.cache[string(m.tmp)]; ok {
		return s
	}
	s := vocabOfBytes(c.system) + "//" + string(bytes.TrimSpace(c.code))
	if len(m.cache) >= maxCodeCache {
		clear(m.cache)
	}
	m.cache[string(m.tmp)] = s
	return s
}

// codings reads a CodeableConcept's codings into buf.
func codings(cc *fastjson.Value, buf []coding) []coding {
	buf = buf[:0]
	if cc == nil {
		return buf
	}
	for _, c := range cc.GetArray("coding") {
		buf = append(buf, coding{
			system: c.GetStringBytes("system"), code: c.GetStringBytes("code"), display: c.GetStringBytes("display"),
		})
	}
	return buf
}

// codingOf reads a single Coding (Encounter.class, ImagingStudy modality).
func codingOf(c *fastjson.Value) coding {
	if c == nil {
		return coding{}
	}
	return coding{system: c.GetStringBytes("system"), code: c.GetStringBytes("code"), display: c.GetStringBytes("display")}
}

// display returns the human text of a concept: its primary coding's
// display, else the concept's text.
func display(cc *fastjson.Value, cs []coding, p int) []byte {
	if p >= 0 && len(cs[p].display) > 0 {
		return cs[p].display
	}
	return cc.GetStringBytes("text")
}

// codedText renders a coded value for text_value: "VOCAB//CODE display"
// (the code first, so a reader can match on it; the display for humans),
// or the concept's text when it has no coding.
func (m *mapper) codedText(cc *fastjson.Value, pref []string) string {
	cs := codings(cc, m.cbuf[1])
	m.cbuf[1] = cs
	p := primary(cs, pref)
	if p < 0 {
		return m.out.str(cc.GetStringBytes("text"))
	}
	code := m.code(cs[p])
	d := display(cc, cs, p)
	if len(d) == 0 || bytes.Equal(d, cs[p].code) {
		return code
	}
	return m.out.join([]byte(code), []byte{' '}, d)
}

// timeOf parses an optional date element; present is false when absent.
func timeOf(v *fastjson.Value, keys ...string) (t time.Time, present bool, err error) {
	x := v.Get(keys...)
	if x == nil {
		return time.Time{}, false, nil
	}
	b, e := x.StringBytes()
	if e != nil {
		return time.Time{}, true, ErrBadDate
	}
	t, err = parseTime(b)
	return t, true, err
}

// period reads a Period (start, end; either may be absent).
func period(v *fastjson.Value, field string) (start, end time.Time, err error) {
	p := v.Get(field)
	if p == nil {
		return
	}
	if start, _, err = timeOf(p, "start"); err != nil {
		return start, end, reject(field+".start", err)
	}
	if end, _, err = timeOf(p, "end"); err != nil {
		return start, end, reject(field+".end", err)
	}
	return start, end, nil
}

// effective reads prefix{DateTime,Period,Instant}: the clinical time.
func effective(v *fastjson.Value, prefix string) (start, end time.Time, err error) {
	if t, ok, err := timeOf(v, prefix+"DateTime"); ok {
		if err != nil {
			return t, end, reject(prefix+"DateTime", err)
		}
		return t, end, nil
	}
	if v.Exists(prefix + "Period") {
		start, end, err = period(v, prefix+"Period")
		if err == nil && start.IsZero() {
			start = end // an open-start period: its end is the one time known
		}
		return start, end, err
	}
	if t, ok, err := timeOf(v, prefix+"Instant"); ok {
		if err != nil {
			return t, end, reject(prefix+"Instant", err)
		}
		return t, end, nil
	}
	return
}

// resultTimes reads a result's effective[x] (clinical time) and issued
// (when it became known); a result without effective[x] is placed at
// issued, and one with neither is rejected.
func resultTimes(v *fastjson.Value) (start, end, issued time.Time, err error) {
	if start, end, err = effective(v, "effective"); err != nil {
		return
	}
	if issued, _, err = timeOf(v, "issued"); err != nil {
		return start, end, issued, reject("issued", err)
	}
	if start.IsZero() {
		if issued.IsZero() {
			return start, end, issued, reject("effective[x]", ErrNoTime)
		}
		start = issued
	}
	return start, end, issued, nil
}

// version returns the SourceVersion of a resource (see the package doc):
// meta.lastUpdated in microseconds, else a numeric meta.versionId, else
// (Observation, DiagnosticReport) the rank of its status, else 0.
func version(v *fastjson.Value, rankStatus bool) (int64, error) {
	if t, ok, err := timeOf(v, "meta", "lastUpdated"); ok {
		if err != nil {
			return 0, reject("meta.lastUpdated", err)
		}
		return t.UnixMicro(), nil
	}
	if b := v.GetStringBytes("meta", "versionId"); len(b) > 0 {
		if n, err := strconv.ParseInt(string(b), 10, 64); err == nil && n > 0 {
			return n, nil
		}
	}
	if rankStatus {
		switch string(v.GetStringBytes("status")) {
		case "registered":
			return 1, nil
		case "preliminary", "partial":
			return 2, nil
		case "final":
			return 3, nil
		case "amended", "corrected", "appended":
			return 4, nil
		}
	}
	return 0, nil
}

// subject resolves the patient a resource is about (field is "subject" or
// "patient").
func (m *mapper) subject(v *fastjson.Value, field string, rc *recCtx) (int64, error) {
	r := v.Get(field)
	if r == nil {
		return 0, reject(field, ErrNoSubject)
	}
	ref := r.GetStringBytes("reference")
	if len(ref) == 0 {
		// A logical reference: the patient by one of its identifiers.
		sys, val := r.GetStringBytes("identifier", "system"), r.GetStringBytes("identifier", "value")
		if len(sys) == 0 || len(val) == 0 {
			return 0, reject(field, ErrNoSubject)
		}
		s, err := m.res.Resolve(m.ctx, timeline.Identifier{System: string(sys), Value: string(val)})
		if err != nil {
			return 0, fmt.Errorf("resolve patient: %w", err)
		}
		return s, nil
	}
	pr := splitRef(ref)
	if pr.kind == refRelative && string(pr.typ) == "Patient" {
		// The common case: a patient already seen, found without copying.
		m.tmp = append(append(append(m.tmp[:0], m.nsOf(rc.base)...), 0), pr.id...)
		if m.lastSubj != 0 && bytes.Equal(m.tmp, m.lastKey) {
			return m.lastSubj, nil // exports group a patient's resources
		}
		if s, ok := m.subj[string(m.tmp)]; ok {
			m.lastKey, m.lastSubj = append(m.lastKey[:0], m.tmp...), s
			return s, nil
		}
	}
	hint := r.GetStringBytes("type")
	if len(hint) == 0 {
		hint = []byte("Patient")
	}
	id, ok := m.resolveRef(pr, hint, rc)
	if !ok || id.typ != "Patient" {
		return 0, reject(field, ErrNoSubject)
	}
	return m.patientSubject(id)
}

// resolveRef turns a parsed reference into an identity. A urn:uuid that the
// Bundle does not map to another id is that id itself (Synthea's and most
// exporters' convention: fullUrl urn:uuid:X for the resource with id X), of
// type hint.
func (m *mapper) resolveRef(pr parsedRef, hint []byte, rc *recCtx) (ident, bool) {
	switch pr.kind {
	case refRelative:
		return ident{ns: m.nsOf(rc.base), typ: m.out.str(pr.typ), id: m.out.str(pr.id)}, true
	case refAbsolute:
		return ident{ns: m.out.str(pr.base), typ: m.out.str(pr.typ), id: m.out.str(pr.id)}, true
	case refURN:
		if r, ok := rc.bundle.urn(pr.urn); ok {
			return r, true
		}
		if r, ok := m.run.urn(pr.urn); ok {
			return r, true
		}
		if len(pr.id) == 0 {
			return ident{}, false
		}
		return ident{ns: m.ns, typ: m.out.str(hint), id: m.out.str(pr.id)}, true
	}
	return ident{}, false
}

// patientSubject resolves a Patient identity, through a per-mapper cache.
func (m *mapper) patientSubject(r ident) (int64, error) {
	m.tmp = append(m.tmp[:0], r.ns...)
	m.tmp = append(m.tmp, 0)
	m.tmp = append(m.tmp, r.id...)
	if s, ok := m.subj[string(m.tmp)]; ok {
		return s, nil
	}
	s, err := m.res.Resolve(m.ctx, patientIdentifier(r.ns, r.id))
	if err != nil {
		return 0, fmt.Errorf("resolve patient: %w", err)
	}
	if len(m.subj) >= maxSubjectCache {
		clear(m.subj)
	}
	m.subj[string(m.tmp)] = s
	return s, nil
}

// PatientSystem returns the identifier system under which a Patient's
// logical id is known in a namespace: namespace + "/Patient" (e.g.
// "fhir/Patient" for DefaultNamespace, "https://server/fhir/Patient" for a
// server base). `medtwin twin --patient 'fhir/Patient|123'` names a patient
// by it.
func PatientSystem(namespace string) string { return namespace + "/Patient" }

func patientIdentifier(ns, id string) timeline.Identifier {
	// Fresh strings: resolvers keep identifiers.
	return timeline.Identifier{System: PatientSystem(ns), Value: string([]byte(id))}
}

// emit appends an event with the common fields set.
func (m *mapper) emit(e timeline.Event) {
	m.out.events = append(m.out.events, e)
}

// statusSkip counts a resource dropped for its status and reports whether
// it was.
func (m *mapper) statusSkip(typ string, status []byte, drop ...string) bool {
	for _, d := range drop {
		if string(status) == d {
			m.out.skip(typ + ":" + d)
			return true
		}
	}
	return false
}

// ---- Patient ----------------------------------------------------------------

func (m *mapper) patient(v *fastjson.Value, rc *recCtx) error {
	self := m.self(v, "Patient", rc)
	ids := make([]timeline.Identifier, 0, 8)
	if v.Exists("id") || len(rc.fullURL) > 0 {
		ids = append(ids, patientIdentifier(self.ns, self.id))
	}
	// A urn:uuid fullUrl other than the id: references to it elsewhere
	// (before this entry, or in files without the Bundle) resolve to the
	// uuid, so the patient is known by it too.
	if pr := splitRef(rc.fullURL); pr.kind == refURN && len(pr.id) > 0 && string(pr.id) != self.id {
		ids = append(ids, patientIdentifier(m.ns, string(pr.id)))
	}
	for _, x := range v.GetArray("identifier") {
		sys, val := x.GetStringBytes("system"), x.GetStringBytes("value")
		if len(sys) == 0 || len(val) == 0 {
			continue // an identifier without a system cannot link anything
		}
		ids = append(ids, timeline.Identifier{System: string(sys), Value: string(val)})
	}
	// Patient.link replaced-by / replaces / refer: the same person.
	for _, l := range v.GetArray("link") {
		switch string(l.GetStringBytes("type")) {
		case "replaced-by", "replaces", "refer":
		default:
			continue
		}
		pr := splitRef(l.GetStringBytes("other", "reference"))
		if r, ok := m.resolveRef(pr, []byte("Patient"), rc); ok && r.typ == "Patient" {
			ids = append(ids, patientIdentifier(r.ns, r.id))
		}
	}
	if len(ids) == 0 {
		return reject("id", ErrNoPatientIdentity)
	}
	ver, err := version(v, false)
	if err != nil {
		return err
	}
	birth, hasBirth, err := timeOf(v, "birthDate")
	if err != nil {
		return reject("birthDate", err)
	}
	// The birthTime extension on birthDate gives the hour.
	for _, x := range v.GetArray("_birthDate", "extension") {
		if string(x.GetStringBytes("url")) == "http://hl7.org/fhir/StructureDefinition/patient-birthTime" {
			if t, ok, err := timeOf(x, "valueDateTime"); ok && err == nil {
				birth, hasBirth = t, true
			}
		}
	}
	death, hasDeath, err := timeOf(v, "deceasedDateTime")
	if err != nil {
		return reject("deceasedDateTime", err)
	}
	subject, err := m.res.Resolve(m.ctx, ids...)
	if err != nil {
		return fmt.Errorf("resolve patient: %w", err)
	}
	if v.Exists("id") {
		m.tmp = append(append(append(m.tmp[:0], self.ns...), 0), self.id...)
		m.subj[string(m.tmp)] = subject
	}
	n0 := len(m.out.events)
	base := timeline.Event{SubjectID: subject, Kind: timeline.KindDemographic, Source: rc.source, SourceVersion: ver}
	if hasBirth {
		e := base
		e.Code, e.Time, e.Key = timeline.CodeBirth, birth, m.key(self, "birth")
		m.emit(e)
	}
	if g := v.GetStringBytes("gender"); len(g) > 0 {
		e := base
		e.Key = m.key(self, "sex")
		switch string(g) {
		case "female":
			e.Code = timeline.CodeSexFemale
		case "male":
			e.Code = timeline.CodeSexMale
		case "other":
			e.Code = timeline.CodeSexOther
		default:
			e.Code = timeline.CodeSexUnknown
		}
		m.emit(e)
	}
	if hasDeath {
		e := base
		e.Code, e.Time, e.Key = timeline.CodeDeath, death, m.key(self, "death")
		m.emit(e)
	}
	if len(m.out.events) == n0 {
		// Identity only (no demographics): the subject exists, nothing to store.
		m.out.skip("Patient:no-demographics")
	}
	return nil
}

// ---- Observation ------------------------------------------------------------

// LOINC and SNOMED CT codes of TNM staging observations (mCODE STU4,
// REFERENCE.md §3): stage groups and T, N, M categories.
var stageCodes = map[string]bool{
	"LOINC//21908-9": true, "LOINC//21902-2": true, "LOINC//21914-7": true,
	"LOINC//21905-5": true, "LOINC//21899-0": true, "LOINC//21906-3": true,
	"LOINC//21900-6": true, "LOINC//21907-1": true, "LOINC//21901-4": true,
	"SNOMED//399390009": true, "SNOMED//399537006": true, "SNOMED//399588009": true,
	"SNOMED//78873005": true, "SNOMED//399504009": true, "SNOMED//384625004": true,
	"SNOMED//277206009": true, "SNOMED//399534004": true, "SNOMED//371494008": true,
	"SNOMED//277208005": true, "SNOMED//399387003": true, "SNOMED//371497001": true,
}

// mCODE tumor size (LOINC 21889-1) and its components.
const (
	codeTumorSize   = "LOINC//21889-1"
	codeLongestDim  = "LOINC//33728-7"
	codeOtherDim    = "LOINC//33729-5"
	mcodeProfileURL = "/StructureDefinition/mcode-"
)

func hasProfile(v *fastjson.Value, part string) bool {
	for _, p := range v.GetArray("meta", "profile") {
		if strings.Contains(b2s(p.GetStringBytes()), part) {
			return true
		}
	}
	return false
}

// kindOf classifies an Observation (see the package doc).
func (m *mapper) kindOf(v *fastjson.Value, code string) timeline.Kind {
	stage, marker := stageCodes[code], false
	for _, p := range v.GetArray("meta", "profile") {
		s := b2s(p.GetStringBytes())
		i := strings.Index(s, mcodeProfileURL)
		if i < 0 {
			continue
		}
		name := s[i+len(mcodeProfileURL):]
		stage = stage || strings.HasPrefix(name, "tnm-") || strings.Contains(name, "stage-group")
		marker = marker || strings.HasPrefix(name, "tumor-marker")
	}
	if stage {
		return timeline.KindStage
	}
	concept, known := m.codes.ConceptOf(code)
	if marker || known && concept.Kind == timeline.KindTumorMarker {
		return timeline.KindTumorMarker
	}
	for _, c := range v.GetArray("category") {
		for _, cd := range c.GetArray("coding") {
			switch string(cd.GetStringBytes("code")) {
			case "vital-signs":
				return timeline.KindVital
			case "laboratory":
				return timeline.KindLab
			}
		}
	}
	if known {
		return concept.Kind
	}
	return timeline.KindObservation
}

// obsValue is the value of an Observation or component.
type obsValue struct {
	present bool
	num     float64
	hasNum  bool
	unit    string
	text    string
	field   string // element name, for errors
}

func (m *mapper) valueOf(v *fastjson.Value) (obsValue, error) {
	if q := v.Get("valueQuantity"); q != nil {
		return m.quantity(q, "valueQuantity")
	}
	if cc := v.Get("valueCodeableConcept"); cc != nil {
		t := m.codedText(cc, prefValue)
		return obsValue{present: t != "", text: t, field: "valueCodeableConcept"}, nil
	}
	if s := v.Get("valueString"); s != nil {
		b, err := s.StringBytes()
		if err != nil {
			return obsValue{}, reject("valueString", ErrBadValue)
		}
		return obsValue{present: len(b) > 0, text: m.out.str(b), field: "valueString"}, nil
	}
	if b := v.Get("valueBoolean"); b != nil {
		x, err := b.Bool()
		if err != nil {
			return obsValue{}, reject("valueBoolean", ErrBadValue)
		}
		return obsValue{present: true, text: strconv.FormatBool(x), field: "valueBoolean"}, nil
	}
	if n := v.Get("valueInteger"); n != nil {
		x, err := n.Float64()
		if err != nil {
			return obsValue{}, reject("valueInteger", ErrBadValue)
		}
		return obsValue{present: true, num: x, hasNum: true, field: "valueInteger"}, nil
	}
	if r := v.Get("valueRatio"); r != nil {
		num, err1 := m.quantity(r.Get("numerator"), "valueRatio.numerator")
		den, err2 := m.quantity(r.Get("denominator"), "valueRatio.denominator")
		if err := errors.Join(err1, err2); err != nil {
			return obsValue{}, err
		}
		if !num.hasNum {
			return obsValue{}, nil
		}
		out := obsValue{present: true, num: num.num, hasNum: true, field: "valueRatio"}
		if den.hasNum && den.num != 0 {
			out.num /= den.num
		}
		out.text = m.out.join([]byte(strconv.FormatFloat(num.num, 'g', -1, 64)), []byte(":"),
			[]byte(strconv.FormatFloat(orOne(den), 'g', -1, 64)))
		return out, nil
	}
	if r := v.Get("valueRange"); r != nil {
		lo, err1 := m.quantity(r.Get("low"), "valueRange.low")
		hi, err2 := m.quantity(r.Get("high"), "valueRange.high")
		if err := errors.Join(err1, err2); err != nil {
			return obsValue{}, err
		}
		if !lo.hasNum && !hi.hasNum {
			return obsValue{}, nil
		}
		var t []byte
		if lo.hasNum {
			t = strconv.AppendFloat(t, lo.num, 'g', -1, 64)
		}
		t = append(t, '-')
		if hi.hasNum {
			t = strconv.AppendFloat(t, hi.num, 'g', -1, 64)
		}
		unit := lo.unit
		if unit == "" {
			unit = hi.unit
		}
		return obsValue{present: true, text: m.out.str(t), unit: unit, field: "valueRange"}, nil
	}
	for _, k := range [...]string{"valueDateTime", "valueTime", "valuePeriod"} {
		if x := v.Get(k); x != nil {
			if k == "valuePeriod" {
				return obsValue{present: true, text: m.out.str(x.MarshalTo(nil)), field: k}, nil
			}
			b, err := x.StringBytes()
			if err != nil {
				return obsValue{}, reject(k, ErrBadValue)
			}
			return obsValue{present: len(b) > 0, text: m.out.str(b), field: k}, nil
		}
	}
	return obsValue{}, nil // valueSampledData, valueAttachment, no value
}

func orOne(q obsValue) float64 {
	if q.hasNum {
		return q.num
	}
	return 1
}

// quantity reads a Quantity: its value, and its unit as the UCUM code when
// the system is UCUM (or absent), else the human unit. A comparator (<, >)
// goes to text.
func (m *mapper) quantity(q *fastjson.Value, field string) (obsValue, error) {
	if q == nil {
		return obsValue{}, nil
	}
	out := obsValue{field: field}
	if x := q.Get("value"); x != nil {
		f, err := x.Float64()
		if err != nil || x.Type() != fastjson.TypeNumber {
			return obsValue{}, reject(field+".value", ErrBadValue)
		}
		out.num, out.hasNum, out.present = f, true, true
	}
	code, sys := q.GetStringBytes("code"), q.GetStringBytes("system")
	if len(code) > 0 && (len(sys) == 0 || string(sys) == "http://unitsofmeasure.org") {
		out.unit = m.out.str(code)
	} else {
		out.unit = m.out.str(q.GetStringBytes("unit"))
	}
	out.text = m.out.str(q.GetStringBytes("comparator"))
	return out, nil
}

// normalize converts a numeric value to its code's unit.
func (m *mapper) normalize(e *timeline.Event, val obsValue) error {
	e.Text = val.text
	if !val.hasNum {
		e.Unit = val.unit
		return nil
	}
	// Most (code, unit) pairs need no conversion: remember which, and the
	// canonical unit, instead of asking the code table every time.
	m.tmp = append(append(append(m.tmp[:0], e.Code...), 0), val.unit...)
	if u, ok := m.units[string(m.tmp)]; ok {
		e.Value, e.HasValue, e.Unit = val.num, true, u
		return nil
	}
	v, unit, err := m.codes.Normalize(e.Code, val.num, val.unit)
	if err != nil {
		return reject(val.field+".unit", timeline.ErrUnknownUnit)
	}
	if one, _, err1 := m.codes.Normalize(e.Code, 1, val.unit); err1 == nil && one == 1 {
		if two, _, err2 := m.codes.Normalize(e.Code, 2, val.unit); err2 == nil && two == 2 {
			// An affine conversion fixing 1 and 2 is the identity.
			if len(m.units) >= maxCodeCache {
				clear(m.units)
			}
			m.units[string(m.tmp)] = strings.Clone(unit)
		}
	}
	e.Value, e.HasValue, e.Unit = v, true, unit
	return nil
}

func (m *mapper) observation(v *fastjson.Value, rc *recCtx) error {
	status := v.GetStringBytes("status")
	if m.statusSkip("Observation", status, "entered-in-error", "cancelled") {
		return nil
	}
	ccode := v.Get("code")
	cs := codings(ccode, m.cbuf[0])
	m.cbuf[0] = cs
	p := primary(cs, prefObservation)
	if p < 0 {
		return reject("code", ErrNoCode)
	}
	code := m.code(cs[p])
	for i := range cs { // a tumor size coded among others is still one
		if string(cs[i].code) == "21889-1" && vocabOfBytes(cs[i].system) == timeline.VocabLOINC {
			return m.tumorSize(v, rc)
		}
	}
	val, err := m.valueOf(v)
	if err != nil {
		return err
	}
	comps := v.GetArray("component")
	anyComp := false
	for _, c := range comps {
		if hasValue(c) {
			anyComp = true
			break
		}
	}
	if !val.present && !anyComp {
		m.out.skip("Observation:no-value")
		return nil
	}
	self := m.self(v, "Observation", rc)
	// A result without its own subject or time, listed by a report earlier
	// in the Bundle, inherits the report's.
	var report reportCtx
	fromReport := false
	if rc.bundle != nil {
		report, fromReport = rc.bundle.result(self.key())
	}
	var subject int64
	if fromReport && !v.Exists("subject") {
		subject = report.subject
	} else if subject, err = m.subject(v, "subject", rc); err != nil {
		return err
	}
	start, end, err := effective(v, "effective")
	if err != nil {
		return err
	}
	issued, hasIssued, err := timeOf(v, "issued")
	if err != nil {
		return reject("issued", err)
	}
	if start.IsZero() && fromReport {
		start, end = report.start, report.end
		if !hasIssued && !report.issued.IsZero() {
			issued, hasIssued = report.issued, true
		}
	}
	if start.IsZero() {
		if !hasIssued {
			return reject("effective[x]", ErrNoTime)
		}
		start = issued
	}
	ver, err := version(v, true)
	if err != nil {
		return err
	}
	kind := m.kindOf(v, code)
	base := timeline.Event{SubjectID: subject, Time: start, EndTime: end, Kind: kind, Source: rc.source, SourceVersion: ver}
	if hasIssued {
		base.AvailableAt = issued
	}
	if val.present {
		e := base
		e.Code, e.Key = code, m.key(self, "")
		if err := m.normalize(&e, val); err != nil {
			return err
		}
		if e.Text == "" && len(cs) > 1 {
			e.Text = m.otherCodes(cs, p)
		}
		m.emit(e)
	}
	noValue := int64(0)
	for i, c := range comps {
		if !hasValue(c) {
			noValue++
			continue
		}
		ccs := codings(c.Get("code"), m.cbuf[1])
		m.cbuf[1] = ccs
		cp := primary(ccs, prefObservation)
		if cp < 0 {
			return reject("component["+strconv.Itoa(i)+"].code", ErrNoCode)
		}
		e := base
		e.Code = m.code(ccs[cp])
		e.Key = m.key(self, componentPart(i))
		cval, err := m.valueOf(c)
		if err != nil {
			var re *recordError
			if errors.As(err, &re) {
				re.field = "component[" + strconv.Itoa(i) + "]." + re.field
			}
			return err
		}
		if err := m.normalize(&e, cval); err != nil {
			var re *recordError
			if errors.As(err, &re) {
				re.field = "component[" + strconv.Itoa(i) + "]." + re.field
			}
			return err
		}
		m.emit(e)
	}
	if noValue > 0 {
		m.out.skips["Observation.component:no-value"] += noValue
	}
	return nil
}

var componentParts [64]string

func init() {
	for i := range componentParts {
		componentParts[i] = "component/" + strconv.Itoa(i)
	}
}

func componentPart(i int) string {
	if i < len(componentParts) {
		return componentParts[i]
	}
	return "component/" + strconv.Itoa(i)
}

func codingPart(i int) string { return "coding/" + strconv.Itoa(i) }

// otherCodes lists the codings other than the primary one, as codes
// separated by spaces: what text_value holds for a numeric result coded in
// several systems.
func (m *mapper) otherCodes(cs []coding, p int) string {
	start := len(m.out.arena)
	for i := range cs {
		if i == p || len(cs[i].code) == 0 {
			continue
		}
		if len(m.out.arena) > start {
			m.out.arena = append(m.out.arena, ' ')
		}
		m.out.arena = append(m.out.arena, m.code(cs[i])...)
	}
	if len(m.out.arena) == start {
		return ""
	}
	return b2s(m.out.arena[start:])
}

// hasValue reports whether an Observation or component has a value[x].
func hasValue(v *fastjson.Value) bool {
	o, err := v.Object()
	if err != nil {
		return false
	}
	found := false
	o.Visit(func(k []byte, x *fastjson.Value) {
		if !found && len(k) > 5 && string(k[:5]) == "value" && k[5] >= 'A' && k[5] <= 'Z' {
			switch string(k) {
			case "valueSampledData", "valueAttachment":
			case "valueQuantity":
				found = x.Exists("value")
			default:
				found = true
			}
		}
	})
	return found
}

// tumorSize maps an mCODE tumor size Observation (LOINC 21889-1) to a
// lesion event (value: the longest dimension in mm) and a lesions detail
// row whose lesion id is the focus BodyStructure.
func (m *mapper) tumorSize(v *fastjson.Value, rc *recCtx) error {
	long, short := timeline.NoFloat, timeline.NoFloat
	toMM := func(q *fastjson.Value, field string) (float64, error) {
		val, err := m.quantity(q, field)
		if err != nil || !val.hasNum {
			return timeline.NoFloat, err
		}
		mm, err := timeline.ConvertUnit(val.num, val.unit, "mm")
		if err != nil {
			return 0, reject(field+".unit", timeline.ErrUnknownUnit)
		}
		return mm, nil
	}
	var err error
	if q := v.Get("valueQuantity"); q != nil {
		if long, err = toMM(q, "valueQuantity"); err != nil {
			return err
		}
	}
	for i, c := range v.GetArray("component") {
		ccs := codings(c.Get("code"), m.cbuf[1])
		m.cbuf[1] = ccs
		for _, cd := range ccs {
			if len(cd.code) == 0 {
				continue
			}
			field := "component[" + strconv.Itoa(i) + "].valueQuantity"
			switch m.code(cd) {
			case codeLongestDim:
				if long, err = toMM(c.Get("valueQuantity"), field); err != nil {
					return err
				}
			case codeOtherDim:
				if short, err = toMM(c.Get("valueQuantity"), field); err != nil {
					return err
				}
			}
		}
	}
	if long != long { // NaN: no size given
		m.out.skip("Observation:no-value")
		return nil
	}
	subject, err := m.subject(v, "subject", rc)
	if err != nil {
		return err
	}
	start, _, issued, err := resultTimes(v)
	if err != nil {
		return err
	}
	ver, err := version(v, true)
	if err != nil {
		return err
	}
	self := m.self(v, "Observation", rc)
	e := timeline.Event{
		SubjectID: subject, Time: start, Code: codeTumorSize, Value: long, HasValue: true, Unit: "mm",
		Kind: timeline.KindLesion, Source: rc.source, Key: m.key(self, ""), SourceVersion: ver, AvailableAt: issued,
	}
	d := timeline.LesionDetail{
		SubjectID: subject, Key: e.Key, LongAxisMM: long, ShortAxisMM: short,
		X: timeline.NoFloat, Y: timeline.NoFloat, Z: timeline.NoFloat,
	}
	for _, f := range v.GetArray("focus") {
		pr := splitRef(f.GetStringBytes("reference"))
		r, ok := m.resolveRef(pr, []byte("BodyStructure"), rc)
		if !ok {
			continue
		}
		d.LesionID = r.canonical(m.ns)
		if site, ok := m.siteOf(r, rc); ok {
			d.Site, d.SiteCode = site.display, site.code
		}
		break
	}
	if bs := v.Get("bodySite"); bs != nil {
		cs := codings(bs, m.cbuf[1])
		m.cbuf[1] = cs
		if p := primary(cs, []string{timeline.VocabSNOMED}); p >= 0 {
			d.SiteCode = m.code(cs[p])
			d.Site = m.out.str(display(bs, cs, p))
		}
	}
	if hasProfile(v, "lymph") {
		t := true
		d.IsNode = &t
	}
	m.emit(e)
	m.out.lesions = append(m.out.lesions, d)
	return nil
}

func (m *mapper) siteOf(r ident, rc *recCtx) (codingCopy, bool) {
	key := r.ns + "/" + r.typ + "/" + r.id
	if s, ok := rc.bundle.site(key); ok {
		return s, true
	}
	return m.run.site(key)
}

// ---- Condition, Procedure, Immunization --------------------------------------

// coded emits one event per coding of a concept: the primary coding's event
// has part "", every other coding its own event with part "coding/N".
func (m *mapper) coded(base timeline.Event, self ident, cc *fastjson.Value, cs []coding, p int) {
	text := m.out.str(display(cc, cs, p))
	e := base
	e.Code, e.Key, e.Text = m.code(cs[p]), m.key(self, ""), text
	m.emit(e)
	for i := range cs {
		if i == p || len(cs[i].code) == 0 {
			continue
		}
		e := base
		e.Code, e.Key = m.code(cs[i]), m.key(self, codingPart(i))
		e.Text = text
		if len(cs[i].display) > 0 {
			e.Text = m.out.str(cs[i].display)
		}
		m.emit(e)
	}
}

func (m *mapper) condition(v *fastjson.Value, rc *recCtx) error {
	switch string(v.GetStringBytes("verificationStatus", "coding", "0", "code")) {
	case "entered-in-error":
		m.out.skip("Condition:entered-in-error")
		return nil
	case "refuted":
		m.out.skip("Condition:refuted")
		return nil
	}
	cc := v.Get("code")
	cs := codings(cc, m.cbuf[0])
	m.cbuf[0] = cs
	p := primary(cs, prefCondition)
	if p < 0 {
		return reject("code", ErrNoCode)
	}
	subject, err := m.subject(v, "subject", rc)
	if err != nil {
		return err
	}
	start, _, err := effective(v, "onset")
	if err != nil {
		return err
	}
	if start.IsZero() {
		t, _, err := timeOf(v, "recordedDate")
		if err != nil {
			return reject("recordedDate", err)
		}
		start = t
	}
	if start.IsZero() {
		for _, x := range v.GetArray("extension") {
			if bytes.HasSuffix(x.GetStringBytes("url"), []byte("/condition-assertedDate")) {
				if t, ok, err := timeOf(x, "valueDateTime"); ok && err == nil {
					start = t
				}
			}
		}
	}
	if start.IsZero() {
		return reject("onset[x]", ErrNoTime)
	}
	end, _, err := effective(v, "abatement")
	if err != nil {
		return err
	}
	ver, err := version(v, false)
	if err != nil {
		return err
	}
	self := m.self(v, "Condition", rc)
	base := timeline.Event{SubjectID: subject, Time: start, EndTime: end, Kind: timeline.KindDiagnosis, Source: rc.source, SourceVersion: ver}
	m.coded(base, self, cc, cs, p)
	// mCODE histology-morphology-behavior: the tumour's morphology.
	for _, x := range v.GetArray("extension") {
		if !bytes.HasSuffix(x.GetStringBytes("url"), []byte("histology-morphology-behavior")) {
			continue
		}
		hcc := x.Get("valueCodeableConcept")
		hcs := codings(hcc, m.cbuf[1])
		m.cbuf[1] = hcs
		if hp := primary(hcs, prefCondition); hp >= 0 {
			e := base
			e.Code, e.Key, e.Text = m.code(hcs[hp]), m.key(self, "histology"), m.out.str(display(hcc, hcs, hp))
			m.emit(e)
		}
	}
	return nil
}

func (m *mapper) procedure(v *fastjson.Value, rc *recCtx) error {
	if m.statusSkip("Procedure", v.GetStringBytes("status"), "entered-in-error", "not-done") {
		return nil
	}
	cc := v.Get("code")
	cs := codings(cc, m.cbuf[0])
	m.cbuf[0] = cs
	p := primary(cs, prefProcedure)
	if p < 0 {
		return reject("code", ErrNoCode)
	}
	subject, err := m.subject(v, "subject", rc)
	if err != nil {
		return err
	}
	start, end, err := effective(v, "performed")
	if err != nil {
		return err
	}
	if start.IsZero() {
		return reject("performed[x]", ErrNoTime)
	}
	ver, err := version(v, false)
	if err != nil {
		return err
	}
	base := timeline.Event{SubjectID: subject, Time: start, EndTime: end, Kind: timeline.KindProcedure, Source: rc.source, SourceVersion: ver}
	m.coded(base, m.self(v, "Procedure", rc), cc, cs, p)
	return nil
}

func (m *mapper) immunization(v *fastjson.Value, rc *recCtx) error {
	if m.statusSkip("Immunization", v.GetStringBytes("status"), "entered-in-error", "not-done") {
		return nil
	}
	cc := v.Get("vaccineCode")
	cs := codings(cc, m.cbuf[0])
	m.cbuf[0] = cs
	p := primary(cs, prefVaccine)
	if p < 0 {
		return reject("vaccineCode", ErrNoCode)
	}
	subject, err := m.subject(v, "patient", rc)
	if err != nil {
		return err
	}
	t, _, err := timeOf(v, "occurrenceDateTime")
	if err != nil {
		return reject("occurrenceDateTime", err)
	}
	if t.IsZero() {
		if t, _, err = timeOf(v, "recorded"); err != nil {
			return reject("recorded", err)
		}
	}
	if t.IsZero() {
		return reject("occurrence[x]", ErrNoTime)
	}
	ver, err := version(v, false)
	if err != nil {
		return err
	}
	base := timeline.Event{SubjectID: subject, Time: t, Kind: timeline.KindProcedure, Source: rc.source, SourceVersion: ver}
	m.coded(base, m.self(v, "Immunization", rc), cc, cs, p)
	return nil
}

// ---- Medications ------------------------------------------------------------

func (m *mapper) medicationUse(v *fastjson.Value, typ string, rc *recCtx) error {
	if m.statusSkip(typ, v.GetStringBytes("status"), "entered-in-error", "not-taken", "not-done") {
		return nil
	}
	// The drug: inline, contained, in the Bundle or elsewhere in the run.
	var cs []coding
	var cc *fastjson.Value
	if cc = v.Get("medicationCodeableConcept"); cc != nil {
		cs = codings(cc, m.cbuf[0])
		m.cbuf[0] = cs
	} else if ref := v.GetStringBytes("medicationReference", "reference"); len(ref) > 0 {
		pr := splitRef(ref)
		if pr.kind == refContained {
			for _, c := range v.GetArray("contained") {
				if bytes.Equal(c.GetStringBytes("id"), pr.contained) && string(c.GetStringBytes("resourceType")) == "Medication" {
					cc = c.Get("code")
					cs = codings(cc, m.cbuf[0])
					m.cbuf[0] = cs
				}
			}
		} else if r, ok := m.resolveRef(pr, []byte("Medication"), rc); ok {
			key := r.ns + "/" + r.typ + "/" + r.id
			med, ok := rc.bundle.med(key)
			if !ok {
				med, ok = m.run.med(key)
			}
			if ok {
				cs = m.cbuf[0][:0]
				for _, c := range med.codings {
					cs = append(cs, coding{system: []byte(c.system), code: []byte(c.code), display: []byte(c.display)})
				}
				m.cbuf[0] = cs
			}
		}
		if len(cs) == 0 {
			return reject("medicationReference", ErrUnresolved)
		}
	}
	p := primary(cs, prefMedication)
	if p < 0 {
		return reject("medication[x]", ErrNoCode)
	}
	subject, err := m.subject(v, "subject", rc)
	if err != nil {
		return err
	}
	var start, end time.Time
	var dose *fastjson.Value
	switch typ {
	case "MedicationRequest":
		di := v.Get("dosageInstruction", "0")
		if di != nil {
			if start, end, err = period(di.Get("timing", "repeat"), "boundsPeriod"); err != nil {
				return err
			}
			dose = di.Get("doseAndRate", "0", "doseQuantity")
		}
		if start.IsZero() {
			t, _, err := timeOf(v, "authoredOn")
			if err != nil {
				return reject("authoredOn", err)
			}
			start = t
		}
	case "MedicationStatement":
		if start, end, err = effective(v, "effective"); err != nil {
			return err
		}
		if start.IsZero() {
			t, _, err := timeOf(v, "dateAsserted")
			if err != nil {
				return reject("dateAsserted", err)
			}
			start = t
		}
		dose = v.Get("dosage", "0", "doseAndRate", "0", "doseQuantity")
	case "MedicationAdministration":
		if start, end, err = effective(v, "effective"); err != nil {
			return err
		}
		dose = v.Get("dosage", "dose")
	}
	if start.IsZero() {
		return reject("effective[x]", ErrNoTime)
	}
	if !end.IsZero() && end.Before(start) {
		return reject("period.end", timeline.ErrBadInterval)
	}
	ver, err := version(v, false)
	if err != nil {
		return err
	}
	base := timeline.Event{SubjectID: subject, Time: start, EndTime: end, Kind: timeline.KindMedication, Source: rc.source, SourceVersion: ver}
	dv, err := m.quantity(dose, "dose")
	if err != nil {
		return err
	}
	self := m.self(v, typ, rc)
	text := m.out.str(display(cc, cs, p))
	// Primary first, then the other codings, each with the dose.
	order := append(make([]int, 0, len(cs)), p)
	for i := range cs {
		if i != p && len(cs[i].code) > 0 {
			order = append(order, i)
		}
	}
	for _, i := range order {
		e := base
		e.Code = m.code(cs[i])
		if i == p {
			e.Key = m.key(self, "")
		} else {
			e.Key = m.key(self, codingPart(i))
		}
		if dv.hasNum {
			if err := m.normalize(&e, dv); err != nil {
				return err
			}
		}
		if e.Text == "" {
			e.Text = text
		}
		m.emit(e)
	}
	return nil
}

// indexMedication keeps a Medication's codes for the requests that
// reference it; it yields no event itself.
func (m *mapper) indexMedication(v *fastjson.Value, rc *recCtx) error {
	cc := v.Get("code")
	cs := codings(cc, m.cbuf[0])
	m.cbuf[0] = cs
	med := medication{text: string(cc.GetStringBytes("text"))}
	for _, c := range cs {
		med.codings = append(med.codings, codingCopy{system: string(c.system), code: string(c.code), display: string(c.display)})
	}
	self := m.self(v, "Medication", rc)
	idx := m.run
	if rc.bundle != nil {
		idx = rc.bundle
	}
	idx.putMed(self.ns+"/Medication/"+self.id, med)
	m.out.skip("Medication:reference-target")
	return nil
}

// indexBodyStructure keeps a BodyStructure's location for the tumour size
// observations whose focus it is.
func (m *mapper) indexBodyStructure(v *fastjson.Value, rc *recCtx) error {
	self := m.self(v, "BodyStructure", rc)
	loc := v.Get("location")
	cs := codings(loc, m.cbuf[0])
	m.cbuf[0] = cs
	site := codingCopy{}
	if p := primary(cs, []string{timeline.VocabSNOMED}); p >= 0 {
		site.code = m.code(cs[p])
		site.display = string(display(loc, cs, p))
	}
	idx := m.run
	if rc.bundle != nil {
		idx = rc.bundle
	}
	idx.putSite(self.ns+"/BodyStructure/"+self.id, site)
	m.out.skip("BodyStructure:reference-target")
	return nil
}

// ---- Encounter, DiagnosticReport, ImagingStudy -------------------------------

func (m *mapper) encounter(v *fastjson.Value, rc *recCtx) error {
	if m.statusSkip("Encounter", v.GetStringBytes("status"), "entered-in-error", "cancelled") {
		return nil
	}
	subject, err := m.subject(v, "subject", rc)
	if err != nil {
		return err
	}
	start, end, err := period(v, "period")
	if err != nil {
		return err
	}
	if start.IsZero() {
		return reject("period.start", ErrNoTime)
	}
	ver, err := version(v, false)
	if err != nil {
		return err
	}
	class := bytes.TrimSpace(codingOf(v.Get("class")).code)
	if len(class) == 0 {
		class = []byte("UNK")
	}
	self := m.self(v, "Encounter", rc)
	e := timeline.Event{
		SubjectID: subject, Time: start, EndTime: end, Kind: timeline.KindEncounter, Source: rc.source,
		SourceVersion: ver, Code: m.code(coding{system: []byte(encounterSystem), code: class}), Key: m.key(self, ""),
	}
	if t := v.Get("type", "0"); t != nil {
		e.Text = m.codedText(t, prefProcedure)
	}
	m.emit(e)
	return nil
}

// encounterSystem is the code system whose vocabulary is ENCOUNTER: the
// class of an encounter (v3 ActCode AMB, IMP, EMER, …) becomes
// ENCOUNTER//AMB.
const encounterSystem = "urn:medtwin:encounter-class"

func (m *mapper) diagnosticReport(v *fastjson.Value, rc *recCtx) error {
	if m.statusSkip("DiagnosticReport", v.GetStringBytes("status"), "entered-in-error", "cancelled") {
		return nil
	}
	cc := v.Get("code")
	cs := codings(cc, m.cbuf[0])
	m.cbuf[0] = cs
	p := primary(cs, prefObservation)
	if p < 0 {
		return reject("code", ErrNoCode)
	}
	subject, err := m.subject(v, "subject", rc)
	if err != nil {
		return err
	}
	start, end, issued, err := resultTimes(v)
	if err != nil {
		return err
	}
	ver, err := version(v, true)
	if err != nil {
		return err
	}
	kind := timeline.KindObservation
	for _, c := range v.GetArray("category") {
		for _, cd := range c.GetArray("coding") {
			switch string(cd.GetStringBytes("code")) {
			case "LAB", "laboratory", "HM", "CH":
				kind = timeline.KindLab
			}
		}
	}
	// text_value lists the results and imaging studies, canonical refs
	// separated by spaces; RecordKey turns each into its event's key.
	var refs []byte
	for _, field := range [...]string{"result", "imagingStudy"} {
		hint := []byte("Observation")
		if field == "imagingStudy" {
			hint = []byte("ImagingStudy")
		}
		for _, r := range v.GetArray(field) {
			id, ok := m.resolveRef(splitRef(r.GetStringBytes("reference")), hint, rc)
			if !ok {
				continue
			}
			if len(refs) > 0 {
				refs = append(refs, ' ')
			}
			refs = append(refs, id.canonical(m.ns)...)
			if rc.bundle != nil && field == "result" {
				rc.bundle.putResult(id.key(), reportCtx{subject: subject, start: start, end: end, issued: issued})
			}
		}
	}
	text := m.out.str(refs)
	if text == "" {
		text = m.out.str(v.GetStringBytes("conclusion"))
	}
	self := m.self(v, "DiagnosticReport", rc)
	e := timeline.Event{
		SubjectID: subject, Time: start, EndTime: end, Kind: kind, Source: rc.source, SourceVersion: ver,
		Code: m.code(cs[p]), Key: m.key(self, ""), Text: text, AvailableAt: issued,
	}
	m.emit(e)
	return nil
}

// studyUID returns the DICOM Study Instance UID of an ImagingStudy: the
// identifier whose system is urn:dicom:uid, or whose value is a urn:oid.
func studyUID(v *fastjson.Value) []byte {
	for _, x := range v.GetArray("identifier") {
		val := x.GetStringBytes("value")
		if string(x.GetStringBytes("system")) == "urn:dicom:uid" || bytes.HasPrefix(val, []byte("urn:oid:")) {
			return bytes.TrimPrefix(val, []byte("urn:oid:"))
		}
	}
	return nil
}

func (m *mapper) imagingStudy(v *fastjson.Value, rc *recCtx) error {
	if m.statusSkip("ImagingStudy", v.GetStringBytes("status"), "entered-in-error", "cancelled") {
		return nil
	}
	subject, err := m.subject(v, "subject", rc)
	if err != nil {
		return err
	}
	start, _, err := timeOf(v, "started")
	if err != nil {
		return reject("started", err)
	}
	series := v.GetArray("series")
	if start.IsZero() && len(series) > 0 {
		if start, _, err = timeOf(series[0], "started"); err != nil {
			return reject("series[0].started", err)
		}
	}
	if start.IsZero() {
		return reject("started", ErrNoTime)
	}
	ver, err := version(v, false)
	if err != nil {
		return err
	}
	modality := codingOf(v.Get("modality", "0")).code
	if len(modality) == 0 && len(series) > 0 {
		modality = codingOf(series[0].Get("modality")).code
	}
	if len(modality) == 0 {
		modality = []byte("OT")
	}
	uid := m.out.str(studyUID(v))
	self := m.self(v, "ImagingStudy", rc)
	e := timeline.Event{
		SubjectID: subject, Time: start, Kind: timeline.KindImagingStudy, Source: rc.source, SourceVersion: ver,
		Code: m.code(coding{system: []byte(imagingSystem), code: modality}), Key: m.key(self, ""), Text: uid,
	}
	m.emit(e)
	row := func(s *fastjson.Value) timeline.ImagingDetail {
		d := timeline.ImagingDetail{
			SubjectID: subject, Key: e.Key, StudyUID: uid, Instances: -1, Rows: -1, Columns: -1,
			PixelSpacingRow: timeline.NoFloat, PixelSpacingCol: timeline.NoFloat, SliceThickness: timeline.NoFloat,
			SliceSpacing: timeline.NoFloat, RescaleSlope: timeline.NoFloat, RescaleIntercept: timeline.NoFloat,
		}
		if s == nil {
			d.Modality = m.out.str(modality)
			if n := v.Get("numberOfInstances"); n != nil {
				d.Instances = int32(n.GetInt())
			}
			return d
		}
		d.SeriesUID = m.out.str(s.GetStringBytes("uid"))
		d.Modality = m.out.str(codingOf(s.Get("modality")).code)
		bs := codingOf(s.Get("bodySite"))
		d.BodyPart = m.out.str(bs.display)
		if d.BodyPart == "" {
			d.BodyPart = m.out.str(bs.code)
		}
		d.SeriesDescription = m.out.str(s.GetStringBytes("description"))
		if n := s.Get("numberOfInstances"); n != nil {
			d.Instances = int32(n.GetInt())
		} else if in := s.GetArray("instance"); in != nil {
			d.Instances = int32(len(in))
		}
		return d
	}
	if len(series) == 0 {
		m.out.imaging = append(m.out.imaging, row(nil))
	}
	for _, s := range series {
		m.out.imaging = append(m.out.imaging, row(s))
	}
	return nil
}

// imagingSystem is the code system whose vocabulary is IMAGING: an
// ImagingStudy's event is IMAGING//<modality> (IMAGING//CT), its text_value
// the Study Instance UID that DICOM ingest keys studies by.
const imagingSystem = "urn:medtwin:imaging-modality"
