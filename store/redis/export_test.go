package redis

import "time"

// SetClock replaces the cache's clock, which picks the window of its answers.
func (d *DashboardCache) SetClock(now func() time.Time) { d.now = now }
