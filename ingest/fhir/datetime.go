package fhir

import (
	"time"
)

// parseTime parses a FHIR date, dateTime or instant into UTC.
//
//   - YYYY, YYYY-MM and YYYY-MM-DD (partial dates) mean the start of that
//     year, month or day in UTC: FHIR dates carry no zone, and a day is the
//     finest a date says.
//   - YYYY-MM-DDThh:mm:ss[.fff…](Z|±hh:mm) is converted to UTC; fractions
//     beyond microseconds are truncated.
//   - A dateTime without a zone (invalid in FHIR, common in exports) is read
//     as UTC, and so is one without seconds (hh:mm).
//
// Anything else is ErrBadDate.
func parseTime(s []byte) (time.Time, error) {
	bad := func() (time.Time, error) { return time.Time{}, ErrBadDate }
	n := len(s)
	if n < 4 {
		return bad()
	}
	year, ok := digits(s[0:4])
	if !ok || year < 1 {
		return bad()
	}
	month, day := 1, 1
	i := 4
	if i < n {
		if s[i] != '-' || n < i+3 {
			return bad()
		}
		if month, ok = digits(s[i+1 : i+3]); !ok || month < 1 || month > 12 {
			return bad()
		}
		i += 3
		if i < n {
			if s[i] != '-' || n < i+3 {
				return bad()
			}
			if day, ok = digits(s[i+1 : i+3]); !ok || day < 1 || day > daysIn(year, month) {
				return bad()
			}
			i += 3
		}
	}
	if i == n {
		return time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC), nil
	}
	if i != 10 || s[i] != 'T' || n < i+6 {
		return bad()
	}
	hour, ok1 := digits(s[i+1 : i+3])
	minute, ok2 := digits(s[i+4 : i+6])
	if !ok1 || !ok2 || s[i+3] != ':' || hour > 24 || minute > 59 {
		return bad()
	}
	i += 6
	sec, nsec := 0, 0
	if i < n && s[i] == ':' {
		if n < i+3 {
			return bad()
		}
		if sec, ok = digits(s[i+1 : i+3]); !ok || sec > 60 {
			return bad()
		}
		i += 3
		if i < n && s[i] == '.' {
			i++
			start := i
			scale := 100000000
			for i < n && s[i] >= '0' && s[i] <= '9' {
				if scale >= 1000 { // keep microseconds
					nsec += int(s[i]-'0') * scale
				}
				scale /= 10
				i++
			}
			if i == start {
				return bad()
			}
		}
	}
	if hour == 24 && (minute != 0 || sec != 0 || nsec != 0) {
		return bad()
	}
	if sec == 60 { // leap second: the last representable instant of the minute
		sec, nsec = 59, 999999000
	}
	offset := 0
	switch {
	case i == n:
	case s[i] == 'Z' && i+1 == n:
	case (s[i] == '+' || s[i] == '-') && n == i+6 && s[i+3] == ':':
		oh, ok1 := digits(s[i+1 : i+3])
		om, ok2 := digits(s[i+4 : i+6])
		if !ok1 || !ok2 || oh > 14 || om > 59 {
			return bad()
		}
		offset = (oh*60 + om) * 60
		if s[i] == '-' {
			offset = -offset
		}
	default:
		return bad()
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	return t.Add(-time.Duration(offset) * time.Second), nil
}

func digits(b []byte) (int, bool) {
	v := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
