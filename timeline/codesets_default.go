package timeline

// Names of the built-in code sets (see defaultSets).
const (
	SetPneumonia          = "pneumonia"
	SetAscites            = "ascites"
	SetEncephalopathy     = "hepatic_encephalopathy"
	SetHepaticComa        = "hepatic_coma"
	SetDialysis           = "dialysis"
	SetCRRT               = "crrt"
	SetDialysisDependence = "dialysis_dependence"
	SetConfusion          = "confusion"
	SetNursingHome        = "nursing_home"
	SetDiabetes           = "diabetes"
	SetIFG                = "impaired_fasting_glucose"
	SetAntidiabetic       = "antidiabetic"
	SetNeoplasm           = "neoplastic_disease"
	SetLiverDisease       = "liver_disease"
	SetHeartFailure       = "heart_failure"
	SetCerebrovascular    = "cerebrovascular_disease"
	SetRenalDisease       = "renal_disease"
	SetPleuralEffusion    = "pleural_effusion"
	SetInpatient          = "inpatient_encounter"
	SetICU                = "icu"
)

// defaultSets are the code groups the twins recognise by code. They are
// deliberately small and explicit: the classification blocks named in each
// Source, plus the SNOMED CT concepts real feeds (Synthea, HL7 examples) use.
// SNOMED CT descendants are not expanded (no terminology server here): a
// site whose records use other SNOMED concepts extends the table with
// CodeTable.WithSets or by adding codes here.
var defaultSets = []CodeSet{
	{
		Name: SetPneumonia, Display: "Pneumonia",
		Patterns: []string{
			"ICD10CM//J12*", "ICD10CM//J13*", "ICD10CM//J14*", "ICD10CM//J15*",
			"ICD10CM//J16*", "ICD10CM//J17*", "ICD10CM//J18*",
			"ICD10//J12*", "ICD10//J13*", "ICD10//J14*", "ICD10//J15*",
			"ICD10//J16*", "ICD10//J17*", "ICD10//J18*",
			"SNOMED//233604007",          // Pneumonia
			"SNOMED//385093006",          // Community acquired pneumonia
			"SNOMED//53084003",           // Bacterial pneumonia
			"SNOMED//75570004",           // Viral pneumonia
			"SNOMED//233606009",          // Atypical pneumonia
			"SNOMED//422588002",          // Aspiration pneumonia
			"SNOMED//278516003",          // Lobar pneumonia
			"SNOMED//396285007",          // Bronchopneumonia
			"SNOMED//312342009",          // Infective pneumonia
			"SNOMED//233717007",          // Ventilator-associated pneumonia
			"SNOMED//882784691000119100", // Pneumonia caused by SARS-CoV-2
		},
		Source: "ICD-10-CM J12-J18 (chapter X, 'Influenza and pneumonia' block, pneumonia categories); SNOMED CT concepts under 233604007 |Pneumonia| used by Synthea and OHDSI pneumonia phenotypes",
	},
	{
		Name: SetAscites, Display: "Ascites",
		Patterns: []string{
			"ICD10CM//R18*",   // Ascites (R18.0 malignant, R18.8 other)
			"ICD10CM//K70.11", // Alcoholic hepatitis with ascites
			"ICD10CM//K70.31", // Alcoholic cirrhosis of liver with ascites
			"ICD10CM//K71.51", // Toxic liver disease with chronic active hepatitis with ascites
			"ICD10//R18*",
			"SNOMED//389026000", // Ascites
		},
		Source: "ICD-10-CM R18 and the 'with ascites' liver-disease codes; SNOMED CT 389026000",
	},
	{
		Name: SetEncephalopathy, Display: "Hepatic encephalopathy",
		Patterns: []string{
			"ICD10CM//K76.82",  // Hepatic encephalopathy (FY2023)
			"SNOMED//13920009", // Hepatic encephalopathy
		},
		Source: "ICD-10-CM K76.82; SNOMED CT 13920009. Without a grade, counted as West Haven grade 1-2",
	},
	{
		Name: SetHepaticComa, Display: "Hepatic failure with coma (encephalopathy grade 3-4)",
		Patterns: []string{
			"ICD10CM//K70.41",  // Alcoholic hepatic failure with coma
			"ICD10CM//K71.11",  // Toxic liver disease with hepatic necrosis, with coma
			"ICD10CM//K72.01",  // Acute and subacute hepatic failure with coma
			"ICD10CM//K72.11",  // Chronic hepatic failure with coma
			"ICD10CM//K72.91",  // Hepatic failure, unspecified with coma
			"SNOMED//72836002", // Hepatic coma
		},
		Source: "ICD-10-CM 'with coma' hepatic-failure codes; SNOMED CT 72836002",
	},
	{
		Name: SetDialysis, Display: "Dialysis session",
		Patterns: []string{
			"SNOMED//108241001", // Dialysis procedure
			"SNOMED//302497006", // Hemodialysis
			"SNOMED//71192002",  // Peritoneal dialysis
			"SNOMED//265764009", // Renal dialysis
			"ICD10PCS//5A1D70Z", // Performance of urinary filtration, intermittent, < 6 h/day
			"ICD10PCS//5A1D80Z", // Performance of urinary filtration, prolonged intermittent, 6-18 h/day
			"ICD10CM//Z49*",     // Encounter for care involving renal dialysis
		},
		Source: "SNOMED CT dialysis procedures; ICD-10-PCS 5A1D7/5A1D8; ICD-10-CM Z49 (one code per session)",
	},
	{
		Name: SetCRRT, Display: "Continuous renal replacement therapy",
		Patterns: []string{
			"ICD10PCS//5A1D90Z", // Performance of urinary filtration, continuous, > 18 h/day
		},
		Source: "ICD-10-PCS 5A1D9 (continuous, > 18 hours per day)",
	},
	{
		Name: SetDialysisDependence, Display: "Dependence on renal dialysis",
		Patterns: []string{"ICD10CM//Z99.2", "ICD10//Z99.2"},
		Source:   "ICD-10-CM Z99.2",
	},
	{
		Name: SetConfusion, Display: "Confusion / altered mental status",
		Patterns: []string{
			"ICD10CM//R41.0",    // Disorientation, unspecified
			"ICD10CM//R41.82",   // Altered mental status, unspecified
			"ICD10CM//R40.4",    // Transient alteration of awareness
			"ICD10CM//F05",      // Delirium due to known physiological condition
			"SNOMED//286933003", // Confusional state
			"SNOMED//419284004", // Altered mental status
			"SNOMED//2776000",   // Delirium
		},
		Source: "ICD-10-CM R41.0, R41.82, R40.4, F05; SNOMED CT 286933003, 419284004, 2776000",
	},
	{
		Name: SetNursingHome, Display: "Nursing-home resident",
		Patterns: []string{
			"ICD10CM//Z59.3",    // Problems related to living in residential institution
			"SNOMED//160734000", // Lives in a nursing home
		},
		Source: "ICD-10-CM Z59.3; SNOMED CT 160734000",
	},
	{
		Name: SetDiabetes, Display: "Diabetes mellitus",
		Patterns: []string{
			"ICD10CM//E08*", "ICD10CM//E09*", "ICD10CM//E10*", "ICD10CM//E11*", "ICD10CM//E13*",
			"ICD10//E10*", "ICD10//E11*", "ICD10//E12*", "ICD10//E13*", "ICD10//E14*",
			"SNOMED//73211009", // Diabetes mellitus
			"SNOMED//44054006", // Diabetes mellitus type 2
			"SNOMED//46635009", // Diabetes mellitus type 1
		},
		Source: "ICD-10-CM E08-E13; ICD-10 E10-E14; SNOMED CT 73211009, 44054006, 46635009",
	},
	{
		Name: SetIFG, Display: "Impaired fasting glucose / prediabetes",
		Patterns: []string{
			"ICD10CM//R73.01",   // Impaired fasting glucose
			"ICD10CM//R73.03",   // Prediabetes
			"SNOMED//15777000",  // Prediabetes
			"SNOMED//390951007", // Impaired fasting glycaemia
		},
		Source: "ICD-10-CM R73.01, R73.03; SNOMED CT 15777000, 390951007",
	},
	{
		Name: SetAntidiabetic, Display: "Drugs used in diabetes",
		Patterns: []string{"ATC//A10*"},
		Source:   "WHO ATC A10",
	},
	{
		Name: SetNeoplasm, Display: "Neoplastic disease (PSI: any cancer except basal/squamous-cell skin cancer)",
		Patterns: []string{
			"ICD10CM//C0*", "ICD10CM//C1*", "ICD10CM//C2*", "ICD10CM//C3*",
			"ICD10CM//C40*", "ICD10CM//C41*", "ICD10CM//C43*", "ICD10CM//C45*",
			"ICD10CM//C46*", "ICD10CM//C47*", "ICD10CM//C48*", "ICD10CM//C49*",
			"ICD10CM//C5*", "ICD10CM//C6*", "ICD10CM//C7*", "ICD10CM//C8*", "ICD10CM//C9*",
			"SNOMED//363346000", // Malignant neoplastic disease
			"SNOMED//254637007", // Non-small cell lung cancer
			"SNOMED//424132000", // Non-small cell carcinoma of lung, TNM stage 1
			"SNOMED//254632001", // Small cell carcinoma of lung
			"SNOMED//254837009", // Malignant neoplasm of breast
			"SNOMED//363406005", // Malignant tumor of colon
			"SNOMED//93761005",  // Primary malignant neoplasm of colon
			"SNOMED//109838007", // Overlapping malignant neoplasm of colon
			"SNOMED//94260004",  // Secondary malignant neoplasm of colon
			"SNOMED//314994000", // Metastasis from malignant tumor of prostate
		},
		Source: "Fine 1997 (PSI) definition; ICD-10-CM C00-C96 without C44; SNOMED CT malignant neoplasms seen in Synthea",
	},
	{
		Name: SetLiverDisease, Display: "Chronic liver disease",
		Patterns: []string{
			"ICD10CM//K70*", "ICD10CM//K71*", "ICD10CM//K72*", "ICD10CM//K73*", "ICD10CM//K74*",
			"ICD10CM//K75*", "ICD10CM//K76*", "ICD10CM//K77*", "ICD10CM//B18*",
			"SNOMED//19943007",  // Cirrhosis of liver
			"SNOMED//328383001", // Chronic liver disease
		},
		Source: "Fine 1997 (PSI: cirrhosis or other chronic liver disease); ICD-10-CM K70-K77, B18",
	},
	{
		Name: SetHeartFailure, Display: "Congestive heart failure",
		Patterns: []string{
			"ICD10CM//I50*", "ICD10CM//I11.0", "ICD10CM//I13.0", "ICD10CM//I13.2", "ICD10CM//I09.81",
			"SNOMED//42343007", // Congestive heart failure
			"SNOMED//84114007", // Heart failure
			"SNOMED//88805009", // Chronic congestive heart failure
		},
		Source: "ICD-10-CM I50 and heart-failure combination codes; SNOMED CT 42343007, 84114007, 88805009",
	},
	{
		Name: SetCerebrovascular, Display: "Cerebrovascular disease (stroke, TIA)",
		Patterns: []string{
			"ICD10CM//I60*", "ICD10CM//I61*", "ICD10CM//I62*", "ICD10CM//I63*", "ICD10CM//I64*",
			"ICD10CM//I65*", "ICD10CM//I66*", "ICD10CM//I67*", "ICD10CM//I68*", "ICD10CM//I69*",
			"ICD10CM//G45*",
			"SNOMED//230690007", // Stroke
			"SNOMED//422504002", // Ischemic stroke
			"SNOMED//266257000", // Transient ischemic attack
		},
		Source: "ICD-10-CM I60-I69, G45; SNOMED CT 230690007, 422504002, 266257000",
	},
	{
		Name: SetRenalDisease, Display: "Chronic renal disease",
		Patterns: []string{
			"ICD10CM//N18*", "ICD10CM//N19*", "ICD10CM//I12*", "ICD10CM//I13.1*", "ICD10CM//Z99.2",
			"SNOMED//709044004",                                                                                     // Chronic kidney disease
			"SNOMED//431855005", "SNOMED//431856006", "SNOMED//433144002", "SNOMED//431857002", "SNOMED//433146000", // CKD stages 1-5
			"SNOMED//46177005", // End-stage renal disease
		},
		Source: "ICD-10-CM N18, N19, I12, I13.1, Z99.2; SNOMED CT CKD stage concepts",
	},
	{
		Name: SetPleuralEffusion, Display: "Pleural effusion",
		Patterns: []string{"ICD10CM//J90", "ICD10CM//J91*", "SNOMED//60046008"},
		Source:   "ICD-10-CM J90, J91; SNOMED CT 60046008",
	},
	{
		Name: SetInpatient, Display: "Inpatient or emergency admission",
		Patterns: []string{
			"SNOMED//32485007",                                       // Hospital admission
			"SNOMED//183452005",                                      // Emergency hospital admission
			"SNOMED//8715000",                                        // Hospital admission, elective
			"SNOMED//1505002",                                        // Hospital admission for isolation
			"ENCOUNTER//IMP", "ENCOUNTER//ACUTE", "ENCOUNTER//NONAC", // HL7 v3 ActCode encounter classes
		},
		Source: "SNOMED CT hospital-admission procedures (Synthea encounter types); HL7 v3 ActEncounterCode IMP/ACUTE/NONAC",
	},
	{
		Name: SetICU, Display: "Intensive-care admission",
		Patterns: []string{
			"SNOMED//305351004", // Admission to intensive care unit
			"ENCOUNTER//ICU",
		},
		Source: "SNOMED CT 305351004",
	},
}
