package main

import (
	"context"
	"github.com/shopgraph/shopgraph/bench/report"
	"github.com/shopgraph/shopgraph/bench/tracking"
)

// orderTracking runs the same measurement as cmd/wsload.
func orderTracking(ctx context.Context, e *env) (report.Run, error) {
	r, err := tracking.Run(ctx, tracking.Config{
		URL: e.graphqlURL(), Watchers: e.watchers, Orders: e.orders,
		AdminEmail: e.adminEmail, AdminPassword: e.adminPass, NATSURL: e.natsURL, Log: e.log,
		AdminURL: e.adminURL, ProfileDir: e.profileDir,
	})
	if err != nil {
		return report.Run{}, err
	}
	return r.Report(), nil
}
