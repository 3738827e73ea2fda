package seed

import "github.com/shopgraph/shopgraph/domain"

// DefaultOrders is the number of demo orders `shopgraph seed` places.
const DefaultOrders = 1500

// DefaultBrowsingSessions is the number of demo storefront sessions that browse and leave
// without buying.
const DefaultBrowsingSessions = 6000

// Accounts returns the demo shop's accounts without passwords: one admin and ten
// customers. `shopgraph seed` gives each a random password and prints it once.
func Accounts() []domain.NewUser {
	out := []domain.NewUser{{Email: "admin@shopgraph.example", Name: "Shop Admin", Role: domain.RoleAdmin}}
	names := []string{"Ada Lovelace", "Grace Hopper", "Alan Turing", "Edsger Dijkstra", "Barbara Liskov",
		"Donald Knuth", "Frances Allen", "Ken Thompson", "Radia Perlman", "John McCarthy"}
	for _, n := range names {
		out = append(out, domain.NewUser{Email: slugify(n) + "@customers.example", Name: n, Role: domain.RoleCustomer})
	}
	return out
}
