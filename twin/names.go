package twin

// The names of the clinical scores (issue 7: exactly these spellings).
const (
	ScoreFIB4      = "FIB-4"
	ScoreAPRI      = "APRI"
	ScoreMELD      = "MELD"
	ScoreMELDNa    = "MELD-Na"
	ScoreMELD3     = "MELD 3.0"
	ScoreALBI      = "ALBI"
	ScoreNFS       = "NFS"
	ScoreChildPugh = "Child-Pugh"
	ScoreCURB65    = "CURB-65"
	ScorePSI       = "PSI"
)
