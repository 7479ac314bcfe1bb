package oncology

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/medtwin/medtwin/timeline"
	"github.com/medtwin/medtwin/twin"
)

// Line is one line of systemic anticancer therapy.
//
// Lines are built from antineoplastic medication events (see Agent for how
// they are recognised) in time order:
//   - the first exposure starts line 1; the agents started within
//     Options.RegimenWindowDays (default 28) of a line's start form its
//     regimen;
//   - a gap of more than Options.LineGapDays (default 120) between the end
//     of the line's last exposure and the next start begins a new line,
//     whatever the agent;
//   - an agent not in the line, started after the regimen window, begins a
//     new line when progression was documented since the line started
//     (RECIST 1.1 PD of the line's course, or a disease status of
//     "worsened"); without progression it joins the current line as an
//     added agent, unless Options.NewLineOnAddedAgent is set;
//   - dropping an agent or continuing one after progression stays in the
//     line (maintenance, treatment beyond progression).
type Line struct {
	Number int       `json:"number"`
	Start  time.Time `json:"start"`
	// End is the end of the last exposure (its period end, or its time for
	// a single administration).
	End    time.Time   `json:"end"`
	Agents []LineAgent `json:"agents"`
	// Reason says why the line began.
	Reason string `json:"reason"`
	// BestResponse is the best overall response of the line's RECIST 1.1
	// course; BestResponseIRECIST that of its iRECIST course when one was
	// computed.
	BestResponse        Response   `json:"bestResponse,omitempty"`
	BestResponseIRECIST Response   `json:"bestResponseIRECIST,omitempty"`
	Progression         *time.Time `json:"progression,omitempty"`
	Immunotherapy       bool       `json:"immunotherapy"`
}

// LineAgent is one agent of a line.
type LineAgent struct {
	Name  string    `json:"name"`
	First time.Time `json:"first"`
	Last  time.Time `json:"last"`
	// Added is true for an agent that joined after the regimen window.
	Added        bool     `json:"added,omitempty"`
	Exposures    int      `json:"exposures"`
	Codes        []string `json:"codes"`
	RecognisedBy string   `json:"recognisedBy"`
	EventRefs    []string `json:"eventRefs"`
}

// exposure is one antineoplastic medication event.
type exposure struct {
	agent *Agent
	by    string
	start time.Time
	end   time.Time
	code  string
	ref   string
}

func exposures(v *twin.View, idx *agentIndex) []exposure {
	var out []exposure
	seen := map[string]bool{}
	for _, e := range v.Events(timeline.KindMedication) {
		e := e
		if e.Time.IsZero() {
			continue
		}
		rec, ok := idx.lookup(&e)
		if !ok {
			continue
		}
		// One record coded twice (RxNorm and ATC) is one exposure.
		if r := recordOf(&e); r != "" {
			if seen[r+"|"+rec.agent.Name] {
				continue
			}
			seen[r+"|"+rec.agent.Name] = true
		}
		end := e.EndTime
		if end.IsZero() || end.Before(e.Time) {
			end = e.Time
		}
		out = append(out, exposure{agent: rec.agent, by: rec.by, start: e.Time, end: end, code: e.Code, ref: twin.EventRef(&e)})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].start.Before(out[j].start) })
	return out
}

// progressionFn says when progression was first documented in (from, to).
type progressionFn func(line *Line, to time.Time) (time.Time, bool)

// buildLines groups exposures into lines.
func buildLines(xs []exposure, opt *Options, progressed progressionFn) []*Line {
	var lines []*Line
	window := time.Duration(opt.RegimenWindowDays) * 24 * time.Hour
	gap := time.Duration(opt.LineGapDays) * 24 * time.Hour
	day := func(t time.Time) string { return t.UTC().Format("2006-01-02") }
	for _, x := range xs {
		var cur *Line
		if n := len(lines); n > 0 {
			cur = lines[n-1]
		}
		start := func(reason string) {
			lines = append(lines, &Line{Number: len(lines) + 1, Start: x.start, End: x.end, Reason: reason})
			cur = lines[len(lines)-1]
		}
		switch {
		case cur == nil:
			start("first antineoplastic therapy")
		case x.start.Sub(cur.End) > gap:
			start(fmt.Sprintf("gap of %.0f days since the last exposure on %s (> %d days)", x.start.Sub(cur.End).Hours()/24, day(cur.End), opt.LineGapDays))
		case cur.agent(x.agent.Name) != nil || x.start.Sub(cur.Start) <= window:
		default:
			if p, ok := progressed(cur, x.start); ok {
				start(fmt.Sprintf("%s added after progression on %s", x.agent.Name, day(p)))
			} else if opt.NewLineOnAddedAgent {
				start(fmt.Sprintf("%s added after the %d-day regimen window", x.agent.Name, opt.RegimenWindowDays))
			}
		}
		a := cur.agent(x.agent.Name)
		if a == nil {
			cur.Agents = append(cur.Agents, LineAgent{Name: x.agent.Name, First: x.start, RecognisedBy: x.by, Added: x.start.Sub(cur.Start) > window})
			a = &cur.Agents[len(cur.Agents)-1]
		}
		a.Exposures++
		if x.end.After(a.Last) {
			a.Last = x.end
		}
		if !contains(a.Codes, x.code) {
			a.Codes = append(a.Codes, x.code)
		}
		a.EventRefs = append(a.EventRefs, x.ref)
		if x.end.After(cur.End) {
			cur.End = x.end
		}
		if x.agent.Immunotherapy {
			cur.Immunotherapy = true
		}
	}
	return lines
}

func (l *Line) agent(name string) *LineAgent {
	for i := range l.Agents {
		if l.Agents[i].Name == name {
			return &l.Agents[i]
		}
	}
	return nil
}

// AgentNames lists the line's agents joined by " + ".
func (l *Line) AgentNames() string {
	names := make([]string, len(l.Agents))
	for i, a := range l.Agents {
		names[i] = a.Name
	}
	return strings.Join(names, " + ")
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
