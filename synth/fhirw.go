package synth

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// FHIR R4 resources are written by hand into a reusable buffer: the field
// order is fixed (stable bytes) and nothing is allocated per field.

type jw struct{ b []byte }

func (w *jw) raw(s string) { w.b = append(w.b, s...) }

func (w *jw) str(s string) {
	const hex = "0123456789abcdef"
	w.b = append(w.b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				w.b = append(w.b, '\\', c)
			case c < 0x20:
				w.b = append(w.b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				w.b = append(w.b, c)
			}
			i++
			continue
		}
		_, n := utf8.DecodeRuneInString(s[i:])
		w.b = append(w.b, s[i:i+n]...)
		i += n
	}
	w.b = append(w.b, '"')
}

// key writes ,"k": (or "k": after an opening brace).
func (w *jw) key(k string) {
	if n := len(w.b); n > 0 && w.b[n-1] != '{' && w.b[n-1] != '[' {
		w.b = append(w.b, ',')
	}
	if k == "" { // an array element
		return
	}
	w.b = append(w.b, '"')
	w.b = append(w.b, k...)
	w.b = append(w.b, '"', ':')
}

func (w *jw) kstr(k, v string) {
	w.key(k)
	w.str(v)
}

func (w *jw) ktime(k string, t time.Time) {
	w.key(k)
	w.b = append(w.b, '"')
	w.b = t.UTC().AppendFormat(w.b, "2006-01-02T15:04:05Z")
	w.b = append(w.b, '"')
}

func (w *jw) kdate(k string, t time.Time) {
	w.key(k)
	w.b = append(w.b, '"')
	w.b = t.UTC().AppendFormat(w.b, "2006-01-02")
	w.b = append(w.b, '"')
}

func (w *jw) kref(k, typ, id string) {
	w.key(k)
	w.raw(`{"reference":`)
	w.str(typ + "/" + id)
	w.raw("}")
}

func (w *jw) coding(c coding) {
	w.raw(`{"system":`)
	w.str(c.System)
	w.raw(`,"code":`)
	w.str(c.Code)
	if c.Display != "" {
		w.raw(`,"display":`)
		w.str(c.Display)
	}
	w.raw("}")
}

func (w *jw) concept(k string, cs ...coding) {
	w.key(k)
	w.raw(`{"coding":[`)
	for i, c := range cs {
		if i > 0 {
			w.raw(",")
		}
		w.coding(c)
	}
	w.raw("]")
	if len(cs) > 0 && cs[0].Display != "" {
		w.raw(`,"text":`)
		w.str(cs[0].Display)
	}
	w.raw("}")
}

func (w *jw) category(k, system, code string) {
	w.key(k)
	w.raw(`[{"coding":[{"system":`)
	w.str(system)
	w.raw(`,"code":`)
	w.str(code)
	w.raw(`}]}]`)
}

func (w *jw) quantity(k string, q *quantity) {
	w.key(k)
	w.raw(`{"value":`)
	w.b = strconv.AppendFloat(w.b, q.Value, 'f', q.Decimals, 64)
	w.raw(`,"unit":`)
	w.str(q.Unit)
	w.raw(`,"system":"http://unitsofmeasure.org","code":`)
	w.str(q.Unit)
	w.raw("}")
}

func (w *jw) profile(p string) {
	if p == "" {
		return
	}
	w.key("meta")
	w.raw(`{"profile":[`)
	w.str(p)
	w.raw(`]}`)
}

func (w *jw) end() { w.b = append(w.b, '}', '\n') }

func (w *jw) patient(p *patient) {
	w.raw(`{"resourceType":"Patient"`)
	w.kstr("id", p.ID)
	w.key("identifier")
	w.raw(`[{"use":"usual","type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0203","code":"MR","display":"Medical record number"}]},"system":`)
	w.str(MRNSystem)
	w.raw(`,"value":`)
	w.str(p.MRN)
	w.raw(`,"assigner":{"display":`)
	w.str(MRNIssuer)
	w.raw(`}},{"use":"secondary","system":`)
	w.str(BiobankSystem)
	w.raw(`,"value":`)
	w.str(p.Biobank)
	w.raw(`}]`)
	w.key("name")
	w.raw(`[{"use":"official","family":`)
	w.str(p.Family)
	w.raw(`,"given":[`)
	w.str(p.Given)
	w.raw(`]}]`)
	w.kstr("gender", map[string]string{"F": "female", "M": "male"}[p.Sex])
	w.kdate("birthDate", p.Birth)
	if !p.Death.IsZero() && p.Death.Before(p.End) {
		w.ktime("deceasedDateTime", p.Death)
	}
	w.end()
}

func (w *jw) encounter(p *patient, e *encounter) {
	w.raw(`{"resourceType":"Encounter"`)
	w.kstr("id", e.ID)
	w.kstr("status", "finished")
	w.key("class")
	w.raw(`{"system":"` + sysActCd + `","code":`)
	w.str(e.Class)
	w.raw("}")
	w.key("type")
	w.raw("[")
	w.concept("", e.Type)
	w.raw("]")
	w.kref("subject", "Patient", p.ID)
	w.key("period")
	w.raw("{")
	w.ktime("start", e.Start)
	w.ktime("end", e.End)
	w.raw("}")
	if e.Reason != "" {
		w.key("reasonReference")
		w.raw("[")
		w.kref("", "Condition", e.Reason)
		w.raw("]")
	}
	w.end()
}

func (w *jw) condition(p *patient, c *condition) {
	w.raw(`{"resourceType":"Condition"`)
	w.kstr("id", c.ID)
	w.profile(c.Profile)
	if c.Histology != nil {
		w.key("extension")
		w.raw(`[{"url":"http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-histology-morphology-behavior","valueCodeableConcept":{"coding":[`)
		w.coding(*c.Histology)
		w.raw(`]}}]`)
	}
	clinical := "active"
	if !c.Abatement.IsZero() {
		clinical = "resolved"
	}
	w.key("clinicalStatus")
	w.raw(`{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"` + clinical + `"}]}`)
	w.key("verificationStatus")
	w.raw(`{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-ver-status","code":"confirmed"}]}`)
	w.category("category", "http://terminology.hl7.org/CodeSystem/condition-category", c.Category)
	w.concept("code", c.Code...)
	if c.BodySite != nil {
		w.key("bodySite")
		w.raw("[")
		w.concept("", *c.BodySite)
		w.raw("]")
	}
	w.kref("subject", "Patient", p.ID)
	if c.Encounter != "" {
		w.kref("encounter", "Encounter", c.Encounter)
	}
	w.ktime("onsetDateTime", c.Onset)
	if !c.Abatement.IsZero() {
		w.ktime("abatementDateTime", c.Abatement)
	}
	w.ktime("recordedDate", c.Onset)
	if c.Stage != "" {
		w.key("stage")
		w.raw(`[{"assessment":[`)
		w.kref("", "Observation", c.Stage)
		w.raw(`]}]`)
	}
	w.end()
}

func (w *jw) observation(p *patient, o *observation) {
	w.raw(`{"resourceType":"Observation"`)
	w.kstr("id", o.ID)
	w.profile(o.Profile)
	w.kstr("status", "final")
	w.category("category", "http://terminology.hl7.org/CodeSystem/observation-category", o.Category)
	w.concept("code", o.Code...)
	w.kref("subject", "Patient", p.ID)
	if o.Focus != "" {
		w.key("focus")
		w.raw("[")
		w.kref("", "Condition", o.Focus)
		w.raw("]")
	}
	if o.Encounter != "" {
		w.kref("encounter", "Encounter", o.Encounter)
	}
	w.ktime("effectiveDateTime", o.Time)
	w.ktime("issued", o.Issued)
	if o.Value != nil {
		w.quantity("valueQuantity", o.Value)
	}
	if o.ValueCode != nil {
		w.concept("valueCodeableConcept", *o.ValueCode)
	}
	if len(o.Members) > 0 {
		w.key("hasMember")
		w.raw("[")
		for _, m := range o.Members {
			w.kref("", "Observation", m)
		}
		w.raw("]")
	}
	w.end()
}

func (w *jw) medication(p *patient, m *medication) {
	w.raw(`{"resourceType":`)
	w.str(m.Resource)
	w.kstr("id", m.ID)
	w.profile(m.Profile)
	if m.Intent != nil {
		w.key("extension")
		w.raw(`[{"url":"http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-procedure-intent","valueCodeableConcept":{"coding":[`)
		w.coding(*m.Intent)
		w.raw(`]}}]`)
	}
	w.kstr("status", m.Status)
	if m.Resource == "MedicationRequest" {
		w.kstr("intent", "order")
	}
	w.concept("medicationCodeableConcept", m.Code...)
	w.kref("subject", "Patient", p.ID)
	if m.Encounter != "" {
		if m.Resource == "MedicationRequest" {
			w.kref("encounter", "Encounter", m.Encounter)
		} else {
			w.kref("context", "Encounter", m.Encounter)
		}
	}
	if m.Resource == "MedicationRequest" {
		w.ktime("authoredOn", m.Time)
		if m.Reason != "" {
			w.key("reasonReference")
			w.raw("[")
			w.kref("", "Condition", m.Reason)
			w.raw("]")
		}
		w.key("dosageInstruction")
		w.raw(`[{`)
		if m.Route != nil {
			w.concept("route", *m.Route)
		}
		w.key("timing")
		w.raw(`{"repeat":{"boundsPeriod":{`)
		w.ktime("start", m.Time)
		if !m.End.IsZero() {
			w.ktime("end", m.End)
		}
		w.raw(`}}}`)
		if m.Dose != nil {
			w.key("doseAndRate")
			w.raw("[{")
			w.quantity("doseQuantity", m.Dose)
			w.raw("}]")
		}
		w.raw(`}]`)
	} else {
		w.ktime("effectiveDateTime", m.Time)
		if m.Reason != "" {
			w.key("reasonReference")
			w.raw("[")
			w.kref("", "Condition", m.Reason)
			w.raw("]")
		}
		if m.Request != "" {
			w.kref("request", "MedicationRequest", m.Request)
		}
		w.key("dosage")
		w.raw("{")
		if m.Route != nil {
			w.concept("route", *m.Route)
		}
		if m.Dose != nil {
			w.quantity("dose", m.Dose)
		}
		w.raw("}")
	}
	w.end()
}
