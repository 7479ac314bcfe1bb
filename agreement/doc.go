// Package agreement holds the statistics medtwin uses to compare two
// methods of measurement (an imaging AI tool against radiologists, or any
// two raters) and a binary test against a reference standard:
//
//   - BlandAltman: bias and 95 % limits of agreement with their confidence
//     intervals (Bland JM, Altman DG. Statistical methods for assessing
//     agreement between two methods of clinical measurement. Lancet
//     1986;i:307–310);
//   - ICC: the six intraclass correlations of Shrout PE, Fleiss JL
//     (Intraclass correlations: uses in assessing rater reliability.
//     Psychol Bull 1979;86:420–428), ICC(2,1) and ICC(3,1) among them, with
//     their F tests and confidence intervals;
//   - Errors: mean absolute and mean relative error, RMSE;
//   - Wilson: the score interval of a proportion (Wilson EB. Probable
//     inference, the law of succession, and statistical inference. J Am
//     Stat Assoc 1927;22:209–212; Newcombe RG. Stat Med 1998;17:857–872,
//     method 3);
//   - Confusion: sensitivity, specificity and predictive values with Wilson
//     intervals (Altman DG, Bland JM. Diagnostic tests 1 and 2. BMJ
//     1994;308:1552 and 309:102);
//   - Welch and VarianceRatio: two-sample comparisons of a mean and of a
//     variance, used to tell whether agreement changed at a version or
//     scanner change;
//   - Trend: least-squares slope with its standard error (drift over time);
//   - MeanShift: the OLS-CUSUM test for one change in the mean and its most
//     likely location (Ploberger W, Krämer W. Econometrica 1992;60:271–285).
//
// Every function is pure and checked in the tests against a published
// worked example cited there. Quantiles of the t, F and normal
// distributions come from gonum's stat/distuv.
package agreement

import "errors"

// Sentinel errors.
var (
	// ErrTooFew: not enough observations for the statistic.
	ErrTooFew = errors.New("agreement: too few observations")
	// ErrLength: paired inputs of different lengths, or a ragged ratings
	// matrix.
	ErrLength = errors.New("agreement: inputs of different lengths")
	// ErrValue: a NaN or infinite input, or a count out of range.
	ErrValue = errors.New("agreement: invalid value")
)

// Confidence is the level of every interval this package computes.
const Confidence = 0.95
