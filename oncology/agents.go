package oncology

import (
	"sort"
	"strings"

	"github.com/medtwin/medtwin/timeline"
)

// Agent is one antineoplastic drug (an active ingredient) the twin
// recognises in medication events.
//
// A medication event is antineoplastic when (in this order):
//  1. its code is ATC//L01… (antineoplastic agents) or ATC//L02… (endocrine
//     therapy) — the WHO ATC classification is the class definition; the
//     agent's name comes from the table when the code is listed, else the
//     ATC code itself names it;
//  2. its code is RXNORM//<ingredient RxCUI> of a listed agent;
//  3. its code is RXNORM//<clinical drug RxCUI> listed under an agent
//     (RxNorm SCD/SBD/SCDG codes the shared test data uses);
//  4. its text (the drug's display name) contains a listed agent's name or
//     synonym as a whole word ("PACLitaxel 100 MG Injection").
//
// Options.ExtraAgents extends the table (a site's own formulary codes).
type Agent struct {
	Name string `json:"name"`
	// ATC is the WHO ATC code (WHO Collaborating Centre for Drug Statistics
	// Methodology, ATC/DDD Index 2024).
	ATC string `json:"atc,omitempty"`
	// RxCUI is the RxNorm ingredient (TTY=IN) concept id, listed only where
	// it was checked against a public RxNorm-derived source (see agentTable).
	RxCUI string `json:"rxcui,omitempty"`
	// Products are RxNorm clinical-drug codes (SCD/SBD/SCDG) of the agent.
	Products []string `json:"products,omitempty"`
	Synonyms []string `json:"synonyms,omitempty"`
	// Immunotherapy marks immune checkpoint inhibitors (ATC L01FF, L01FX04
	// ipilimumab): iRECIST applies to lines that contain one when
	// Options.IRECIST is IRECISTAuto.
	Immunotherapy bool `json:"immunotherapy,omitempty"`
}

// agentTable is the built-in list of common antineoplastics.
//
// Sources: ATC codes from the WHO ATC/DDD Index 2024 (atcddd.fhi.no). RxNorm
// ingredient RxCUIs were checked against at least two public RxNorm-derived
// tables each (VICC thera-py normaliser fixtures, e.g. cisplatin rxcui:2555;
// DGIdb drug records, e.g. olaparib rxcui:1597582, dabrafenib 1424911,
// everolimus 141704; oncology data dictionaries mapping drug names to rxcui,
// e.g. carboplatin 40048, docetaxel 72962, oxaliplatin 32592, nivolumab
// 1597876, pembrolizumab 1547545); agents whose RxCUI could not be checked
// carry none and are recognised by ATC code or by name. Product
// codes are those of the shared Synthea and mCODE test data, with the
// display each file gives (e.g. 583214 "PACLitaxel 100 MG Injection",
// 1736854 "Cisplatin 50 MG Injection").
var agentTable = []Agent{
	// Platinum compounds.
	{Name: "cisplatin", ATC: "L01XA01", RxCUI: "2555", Products: []string{"1736854"}},
	{Name: "carboplatin", ATC: "L01XA02", RxCUI: "40048"},
	{Name: "oxaliplatin", ATC: "L01XA03", RxCUI: "32592", Products: []string{"1736776"}},
	// Taxanes, vinca alkaloids, topoisomerase inhibitors.
	{Name: "paclitaxel", ATC: "L01CD01", RxCUI: "56946", Products: []string{"583214"}},
	{Name: "docetaxel", ATC: "L01CD02", RxCUI: "72962", Products: []string{"1860480"}},
	{Name: "vinorelbine", ATC: "L01CA04", RxCUI: "39541"},
	{Name: "etoposide", ATC: "L01CB01", RxCUI: "4179"},
	{Name: "irinotecan", ATC: "L01CE02", RxCUI: "51499"},
	{Name: "topotecan", ATC: "L01CE01", RxCUI: "57308"},
	// Antimetabolites.
	{Name: "fluorouracil", ATC: "L01BC02", RxCUI: "4492", Synonyms: []string{"5-fluorouracil", "5-fu"}},
	{Name: "capecitabine", ATC: "L01BC06", RxCUI: "194000"},
	{Name: "gemcitabine", ATC: "L01BC05", RxCUI: "12574"},
	{Name: "pemetrexed", ATC: "L01BA04"},
	// Alkylating agents, anthracyclines.
	{Name: "cyclophosphamide", ATC: "L01AA01", RxCUI: "3002"},
	{Name: "ifosfamide", ATC: "L01AA06", RxCUI: "5657"},
	{Name: "dacarbazine", ATC: "L01AX04", RxCUI: "3098"},
	{Name: "temozolomide", ATC: "L01AX03"},
	{Name: "doxorubicin", ATC: "L01DB01", RxCUI: "3639"},
	{Name: "epirubicin", ATC: "L01DB03", RxCUI: "3995"},
	// Monoclonal antibodies.
	{Name: "bevacizumab", ATC: "L01FG01", RxCUI: "253337"},
	{Name: "trastuzumab", ATC: "L01FD01", RxCUI: "224905"},
	{Name: "pertuzumab", ATC: "L01FD02"},
	{Name: "cetuximab", ATC: "L01FE01"},
	{Name: "panitumumab", ATC: "L01FE02"},
	// Immune checkpoint inhibitors.
	{Name: "nivolumab", ATC: "L01FF01", RxCUI: "1597876", Immunotherapy: true},
	{Name: "pembrolizumab", ATC: "L01FF02", RxCUI: "1547545", Immunotherapy: true},
	{Name: "durvalumab", ATC: "L01FF03", Immunotherapy: true},
	{Name: "avelumab", ATC: "L01FF04", Immunotherapy: true},
	{Name: "atezolizumab", ATC: "L01FF05", Immunotherapy: true},
	{Name: "ipilimumab", ATC: "L01FX04", Immunotherapy: true},
	// Protein kinase inhibitors.
	{Name: "gefitinib", ATC: "L01EB01"},
	{Name: "erlotinib", ATC: "L01EB02", RxCUI: "337525"},
	{Name: "afatinib", ATC: "L01EB03"},
	{Name: "osimertinib", ATC: "L01EB04"},
	{Name: "crizotinib", ATC: "L01ED01"},
	{Name: "alectinib", ATC: "L01ED03"},
	{Name: "lorlatinib", ATC: "L01ED05"},
	{Name: "vemurafenib", ATC: "L01EC01", RxCUI: "1147220"},
	{Name: "dabrafenib", ATC: "L01EC02", RxCUI: "1424911"},
	{Name: "encorafenib", ATC: "L01EC03"},
	{Name: "trametinib", ATC: "L01EE01"},
	{Name: "binimetinib", ATC: "L01EE03"},
	{Name: "sotorasib", ATC: "L01XX73"},
	{Name: "palbociclib", ATC: "L01EF01"},
	{Name: "ribociclib", ATC: "L01EF02", RxCUI: "1873986"},
	{Name: "abemaciclib", ATC: "L01EF03", Products: []string{"1946827"}},
	{Name: "alpelisib", ATC: "L01EM03", Products: []string{"2169297"}},
	{Name: "everolimus", ATC: "L01EG02", RxCUI: "141704"},
	{Name: "sunitinib", ATC: "L01EX01"},
	{Name: "sorafenib", ATC: "L01EX02"},
	{Name: "pazopanib", ATC: "L01EX03", RxCUI: "714438"},
	{Name: "lenvatinib", ATC: "L01EX08", RxCUI: "1603296"},
	// PARP inhibitors.
	{Name: "olaparib", ATC: "L01XK01", RxCUI: "1597582"},
	{Name: "niraparib", ATC: "L01XK02", RxCUI: "1918231"},
	// Endocrine therapy (ATC L02).
	{Name: "tamoxifen", ATC: "L02BA01", RxCUI: "10324"},
	{Name: "fulvestrant", ATC: "L02BA03"},
	{Name: "anastrozole", ATC: "L02BG03", RxCUI: "84857"},
	{Name: "letrozole", ATC: "L02BG04", RxCUI: "72965"},
	{Name: "exemestane", ATC: "L02BG06"},
	{Name: "leuprorelin", ATC: "L02AE02", RxCUI: "42375", Products: []string{"752899"}, Synonyms: []string{"leuprolide"}},
	{Name: "goserelin", ATC: "L02AE03", RxCUI: "50610"},
	{Name: "triptorelin", ATC: "L02AE04", RxCUI: "38782"},
	{Name: "bicalutamide", ATC: "L02BB03"},
	{Name: "enzalutamide", ATC: "L02BB04"},
	{Name: "abiraterone", ATC: "L02BX03"},
}

// agentIndex looks agents up by code and by name.
type agentIndex struct {
	byATC   map[string]*Agent
	byRx    map[string]*Agent
	byWord  map[string]*Agent // lower-case names and synonyms
	maxWord int               // longest name in words
}

func newAgentIndex(extra []Agent) *agentIndex {
	x := &agentIndex{byATC: map[string]*Agent{}, byRx: map[string]*Agent{}, byWord: map[string]*Agent{}}
	all := make([]Agent, 0, len(agentTable)+len(extra))
	all = append(all, agentTable...)
	all = append(all, extra...) // later entries win: a site's table overrides
	for i := range all {
		a := &all[i]
		a.Name = strings.ToLower(strings.TrimSpace(a.Name))
		if a.ATC != "" {
			x.byATC[strings.ToUpper(a.ATC)] = a
		}
		if a.RxCUI != "" {
			x.byRx[a.RxCUI] = a
		}
		for _, p := range a.Products {
			x.byRx[p] = a
		}
		for _, n := range append([]string{a.Name}, a.Synonyms...) {
			n = strings.ToLower(strings.TrimSpace(n))
			if n == "" {
				continue
			}
			x.byWord[n] = a
			if w := len(strings.Fields(n)); w > x.maxWord {
				x.maxWord = w
			}
		}
	}
	return x
}

// recognition says how a medication event was recognised as antineoplastic.
type recognition struct {
	agent *Agent
	by    string // "atc", "rxnorm-ingredient", "rxnorm-product", "name"
}

// lookup classifies a medication event; ok is false for anything that is not
// an antineoplastic.
func (x *agentIndex) lookup(e *timeline.Event) (recognition, bool) {
	vocab, parts := timeline.SplitCode(e.Code)
	if len(parts) > 0 {
		code := strings.TrimSpace(parts[0])
		switch vocab {
		case timeline.VocabATC:
			up := strings.ToUpper(code)
			if strings.HasPrefix(up, "L01") || strings.HasPrefix(up, "L02") {
				if a, ok := x.byATC[up]; ok {
					return recognition{agent: a, by: "atc"}, true
				}
				return recognition{agent: &Agent{Name: "ATC " + up, ATC: up}, by: "atc"}, true
			}
			return recognition{}, false
		case timeline.VocabRxNorm:
			if a, ok := x.byRx[code]; ok {
				by := "rxnorm-ingredient"
				if a.RxCUI != code {
					by = "rxnorm-product"
				}
				return recognition{agent: a, by: by}, true
			}
		}
	}
	if a := x.byName(e.Text); a != nil {
		return recognition{agent: a, by: "name"}, true
	}
	return recognition{}, false
}

// byName finds a listed agent named as a whole word (or words) in s.
func (x *agentIndex) byName(s string) *Agent {
	if s == "" {
		return nil
	}
	words := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-')
	})
	for n := x.maxWord; n >= 1; n-- {
		for i := 0; i+n <= len(words); i++ {
			if a, ok := x.byWord[strings.Join(words[i:i+n], " ")]; ok {
				return a
			}
		}
	}
	return nil
}

// Agents returns the built-in antineoplastic table, sorted by name.
func Agents() []Agent {
	out := append([]Agent(nil), agentTable...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
