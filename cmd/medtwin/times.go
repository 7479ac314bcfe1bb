package main

import (
	"fmt"
	"time"
)

// parseCLITime reads a command-line time: RFC 3339, or a date (midnight
// UTC), as CLI.md specifies.
func parseCLITime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("time %q: want RFC 3339 (2024-03-01T00:00:00Z) or a date (2024-03-01)", s)
}
