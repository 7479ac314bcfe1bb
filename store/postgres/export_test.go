package postgres

import "time"

// SetStatsEvery changes how often s checks its planner statistics (0: after
// every append and new subject).
func SetStatsEvery(s *Store, d time.Duration) { s.stats.every = d }
