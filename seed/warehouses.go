package seed

// Warehouse is a demo warehouse. The first of DemoWarehouses is the default warehouse
// that migration 00022 creates (code MAIN), set up as the demo's central warehouse.
type Warehouse struct {
	Code, Name, City, Country string
	// ShipsTo lists the countries served; none: everywhere.
	ShipsTo  []string
	Priority int
}

// DemoWarehouses are the demo shop's warehouses: a central one in Pune that ships
// everywhere and is tried last, and two regional ones tried first for their regions
// (Berlin for Europe, Austin for North America).
func DemoWarehouses() []Warehouse {
	return []Warehouse{
		{Code: "MAIN", Name: "Central warehouse", City: "Pune", Country: "IN", Priority: 100},
		{Code: "EU-BER", Name: "Berlin warehouse", City: "Berlin", Country: "DE", Priority: 10,
			ShipsTo: []string{"AT", "BE", "CH", "DE", "DK", "ES", "FR", "GB", "IE", "IT", "NL", "PL", "SE"}},
		{Code: "US-AUS", Name: "Austin warehouse", City: "Austin", Country: "US", Priority: 10, ShipsTo: []string{"CA", "MX", "US"}},
	}
}

// regionalShares are the percentages of a variant's stock the regional warehouses hold,
// by a pattern over the variant's position in the catalog, so that some hold none.
var regionalShares = [][2]int{{20, 15}, {10, 0}, {0, 20}, {25, 15}, {15, 10}}

// SpreadStock shares out the stock of the variant k of product i over DemoWarehouses, in
// their order. It is a pure function of its arguments: the central warehouse keeps at
// least 60 % (the demo orders from everywhere draw on it), the regional ones the rest.
func SpreadStock(i, k, stock int) []int {
	s := regionalShares[(i+k)%len(regionalShares)]
	eu, us := stock*s[0]/100, stock*s[1]/100
	return []int{stock - eu - us, eu, us}
}
