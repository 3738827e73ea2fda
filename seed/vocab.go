package seed

// The catalog's vocabulary lives in slices rather than maps on purpose: the
// generator walks these in order and indexes them with random numbers, and
// map iteration order would make the output differ from run to run.

// tmplSet holds the sentence templates of a family of leaves. Templates
// differ between families because a sentence that reads well for a tent
// ("Built with ...") reads badly for a novel or a face cream; the
// vocabulary of each leaf is phrased to fit its templates. Placeholders are
// {material}, {feature} and {use}; every template starts with literal text
// so a sentence is capitalised without case-mapping vocabulary.
type tmplSet struct {
	lead []string // always used; mentions a material and a feature
	use  []string // mentions a use
}

var (
	tmplBuilt = &tmplSet{
		lead: []string{
			"Built with {material} and {feature}.",
			"Pairs {material} with {feature}.",
			"Combines {feature} with {material}.",
		},
		use: []string{
			"Ideal for {use}.",
			"Great for {use}.",
			"Designed with {use} in mind.",
		},
	}
	tmplMade = &tmplSet{
		lead: []string{
			"Made from {material}, with {feature}.",
			"Combines {material} with {feature}.",
			"Crafted from {material}, featuring {feature}.",
		},
		use: []string{
			"Perfect for {use}.",
			"Made for {use}.",
			"A dependable choice for {use}.",
		},
	}
	tmplBook = &tmplSet{
		lead: []string{
			"Offers {feature}, printed on {material}.",
			"This edition brings {feature}, printed on {material}.",
		},
		use: []string{
			"Perfect for {use}.",
			"A great pick for {use}.",
		},
	}
	tmplBeauty = &tmplSet{
		lead: []string{
			"Formulated with {material} for {feature}.",
			"Uses {material} to deliver {feature}.",
		},
		use: []string{
			"Suitable for {use}.",
			"Ideal for {use}.",
		},
	}
	tmplToy = &tmplSet{
		lead: []string{
			"Comes with {material} and {feature}.",
			"Includes {material}, plus {feature}.",
		},
		use: []string{
			"Perfect for {use}.",
			"A favorite for {use}.",
		},
	}
	tmplSeed = &tmplSet{
		lead: []string{
			"Contains {material} selected for {feature}.",
			"Grown from {material} chosen for {feature}.",
		},
		use: []string{
			"Ideal for {use}.",
			"A great fit for {use}.",
		},
	}
	tmplSoil = &tmplSet{
		lead: []string{
			"Made with {material} for {feature}.",
			"Blends {material} for {feature}.",
		},
		use: []string{
			"Ideal for {use}.",
			"Feeds {use} all season.",
		},
	}
)

// leafSpec describes a leaf category and how to invent its products.
type leafSpec struct {
	slug, name, desc string
	// weight is the leaf's share of products beyond the first one per leaf,
	// so popular departments get more products, as in a real shop.
	weight int
	// minDollars and maxDollars bound the price before it is rounded to a
	// retail ending; they are whole dollars so pricing needs no floats.
	minDollars, maxDollars int64
	tmpl                   *tmplSet
	// extras overrides the root's closing sentences where those would not
	// fit (a hair dryer is no shampoo).
	extras []string

	// Names are brand + adjective + noun + variant. Brands are dropped now
	// and then (for books they are title openings such as "The").
	brands, adjs, nouns, variants []string
	materials, features, uses     []string
}

type groupSpec struct {
	slug, name, desc string
	leaves           []leafSpec
}

type rootSpec struct {
	slug, name, desc string
	// extras are optional closing sentences shared by the root's leaves.
	extras []string
	groups []groupSpec
}

var tree = []rootSpec{
	{
		slug: "electronics", name: "Electronics",
		desc: "Headphones, speakers, laptops and the accessories that connect them.",
		extras: []string{
			"Backed by a two-year limited warranty.",
			"Ships with a USB-C charging cable.",
			"Free firmware updates add features over time.",
			"Packaged in plastic-free, recyclable materials.",
		},
		groups: []groupSpec{
			{
				slug: "audio", name: "Audio",
				desc: "Personal and home audio for music, calls and movies.",
				leaves: []leafSpec{
					{
						slug: "headphones", name: "Headphones",
						desc:   "Over-ear, on-ear and in-ear headphones, wired and wireless.",
						weight: 8, minDollars: 19, maxDollars: 399, tmpl: tmplBuilt,
						brands:    []string{"Acme", "Sonora", "Veltrix", "Auralis", "Northwave", "Kestrel Audio"},
						adjs:      []string{"Wireless", "Noise-Cancelling", "Wireless Noise-Cancelling", "Studio", "Sport", "Bluetooth", "Foldable", "Hi-Fi"},
						nouns:     []string{"Headphones", "Over-Ear Headphones", "On-Ear Headphones", "Earbuds", "In-Ear Headphones"},
						variants:  []string{"Matte Black", "Silver", "Midnight Blue", "Sand", "White", "Forest Green"},
						materials: []string{"lightweight aluminum", "memory-foam ear cushions", "recycled plastic", "soft protein leather"},
						features:  []string{"wireless Bluetooth 5.3 connectivity", "active noise cancelling", "40-hour battery life", "a built-in microphone for calls", "multipoint pairing"},
						uses:      []string{"commuting", "long flights", "focused work", "workouts", "gaming sessions"},
					},
					{
						slug: "speakers", name: "Speakers",
						desc:   "Portable, bookshelf and smart speakers and soundbars.",
						weight: 6, minDollars: 24, maxDollars: 499, tmpl: tmplBuilt,
						brands:    []string{"Acme", "Sonora", "Boomfield", "Auralis", "Tidewave", "Northwave"},
						adjs:      []string{"Portable", "Wireless", "Waterproof", "Smart", "Compact", "Rugged", "Bluetooth", "Party"},
						nouns:     []string{"Speaker", "Boombox", "Bookshelf Speakers", "Soundbar", "Mini Speaker"},
						variants:  []string{"Black", "Ocean Blue", "Coral", "Slate Gray", "White", "Olive"},
						materials: []string{"a rugged rubberized shell", "an acoustic fabric grille", "a solid wood cabinet", "an aluminum frame"},
						features:  []string{"waterproof IPX7 protection", "360-degree sound", "24-hour battery life", "wireless stereo pairing", "deep passive bass radiators"},
						uses:      []string{"beach days", "backyard parties", "the living room", "camping trips", "the shower"},
					},
				},
			},
			{
				slug: "computers", name: "Computers",
				desc: "Laptops and the keyboards and mice to go with them.",
				leaves: []leafSpec{
					{
						slug: "laptops", name: "Laptops",
						desc:   "Everyday, business, creator and gaming laptops.",
						weight: 5, minDollars: 299, maxDollars: 2499, tmpl: tmplBuilt,
						brands:    []string{"Acme", "Veltrix", "Nimbus", "Corvid", "Lumina", "Ardent"},
						adjs:      []string{"Ultrathin", "Pro", "Gaming", "Business", "Convertible", "Everyday", "Creator", "Lightweight"},
						nouns:     []string{"Laptop 13-Inch", "Laptop 14-Inch", "Laptop 16-Inch", "2-in-1 Laptop", "Notebook"},
						variants:  []string{"8GB/256GB", "16GB/512GB", "16GB/1TB", "32GB/1TB", "Space Gray", "Silver"},
						materials: []string{"an aluminum unibody chassis", "a magnesium-alloy frame", "a recycled aluminum lid"},
						features:  []string{"wireless Wi-Fi 6E", "a backlit keyboard", "an all-day 18-hour battery", "a 120 Hz display", "fast USB-C charging"},
						uses:      []string{"students", "remote work", "video editing", "travel", "gaming"},
					},
					{
						slug: "keyboards-mice", name: "Keyboards & Mice",
						desc:   "Mechanical, ergonomic and wireless keyboards, mice and trackballs.",
						weight: 7, minDollars: 12, maxDollars: 199, tmpl: tmplBuilt,
						brands:    []string{"Acme", "Keyforge", "Veltrix", "Clicko", "Ardent", "Tactile Labs"},
						adjs:      []string{"Wireless", "Mechanical", "Ergonomic", "Low-Profile", "Silent", "Backlit", "Compact", "Gaming"},
						nouns:     []string{"Keyboard", "Mouse", "Keyboard and Mouse Combo", "Trackball", "Numeric Keypad"},
						variants:  []string{"Black", "White", "Graphite", "Rose", "Sage", "Lavender"},
						materials: []string{"PBT keycaps", "an aluminum top plate", "soft-touch plastic", "recycled ABS"},
						features:  []string{"wireless 2.4 GHz and Bluetooth connectivity", "hot-swappable switches", "a 12-month battery", "RGB backlighting", "a silent-click design"},
						uses:      []string{"long typing sessions", "gaming", "the home office", "shared workspaces", "travel"},
					},
				},
			},
		},
	},
	{
		slug: "home-kitchen", name: "Home & Kitchen",
		desc: "Cookware, cutlery and countertop appliances for the home cook.",
		extras: []string{
			"Dishwasher-safe parts make cleanup easy.",
			"Backed by a limited lifetime warranty.",
			"Ships in recyclable packaging.",
			"A thoughtful housewarming gift.",
		},
		groups: []groupSpec{
			{
				slug: "cookware", name: "Cookware",
				desc: "Pots, pans and knives that last.",
				leaves: []leafSpec{
					{
						slug: "pots-pans", name: "Pots & Pans",
						desc:   "Skillets, saucepans, Dutch ovens and cookware sets.",
						weight: 6, minDollars: 19, maxDollars: 399, tmpl: tmplMade,
						brands:    []string{"Hearthstone", "Copperline", "Acme Kitchen", "Ferro & Co", "Mesa", "Ironwood"},
						adjs:      []string{"Nonstick", "Stainless Steel", "Cast Iron", "Tri-Ply", "Ceramic", "Hard-Anodized", "Enameled", "Carbon Steel"},
						nouns:     []string{"Skillet", "Saucepan", "Dutch Oven", "Stockpot", "Wok", "Cookware Set"},
						variants:  []string{"8-Inch", "10-Inch", "12-Inch", "3-Quart", "5.5-Quart", "10-Piece"},
						materials: []string{"tri-ply stainless steel", "pre-seasoned cast iron", "hard-anodized aluminum", "PFAS-free ceramic-coated aluminum", "carbon steel"},
						features:  []string{"stay-cool handles", "an induction-ready base", "a tight-fitting glass lid", "oven-safe construction up to 500 degrees", "a dishwasher-safe finish"},
						uses:      []string{"weeknight dinners", "searing steaks", "slow braises", "family meals", "everyday cooking"},
					},
					{
						slug: "kitchen-knives", name: "Kitchen Knives",
						desc:   "Chef's knives, paring knives and knife block sets.",
						weight: 5, minDollars: 12, maxDollars: 299, tmpl: tmplMade,
						brands:    []string{"Ferro & Co", "Kiritsu", "Hearthstone", "Bladeworks", "Mesa", "Ironwood"},
						adjs:      []string{"Forged", "Damascus", "High-Carbon", "Professional", "Everyday", "Ultra-Sharp", "Japanese-Style", "Classic"},
						nouns:     []string{"Chef's Knife", "Santoku Knife", "Paring Knife", "Bread Knife", "Knife Block Set", "Steak Knife Set"},
						variants:  []string{"3.5-Inch", "5-Inch", "7-Inch", "8-Inch", "Black Handle", "Walnut Handle"},
						materials: []string{"high-carbon German steel", "67-layer Damascus steel", "Japanese VG-10 steel", "stain-resistant stainless steel"},
						features:  []string{"a razor-sharp 15-degree edge", "a balanced full-tang design", "a protective blade guard", "a stain-resistant finish", "a walnut handle"},
						uses:      []string{"slicing vegetables", "carving roasts", "everyday prep", "crusty bread", "fine dicing"},
					},
				},
			},
			{
				slug: "small-appliances", name: "Small Appliances",
				desc: "Countertop appliances for coffee, smoothies and more.",
				leaves: []leafSpec{
					{
						slug: "coffee-makers", name: "Coffee Makers",
						desc:   "Drip brewers, espresso machines and single-serve coffee makers.",
						weight: 5, minDollars: 29, maxDollars: 899, tmpl: tmplMade,
						brands:    []string{"Brewhaus", "Morning Ritual", "Acme Kitchen", "Crema", "Steamworks", "Barista Pro"},
						adjs:      []string{"Programmable", "Single-Serve", "Pour-Over", "Espresso", "Drip", "Cold Brew", "Thermal", "Smart"},
						nouns:     []string{"Coffee Maker", "Brewer", "Coffee Machine", "Coffee System"},
						variants:  []string{"4-Cup", "8-Cup", "12-Cup", "Black", "Stainless", "Matte White"},
						materials: []string{"brushed stainless steel", "BPA-free plastic and borosilicate glass", "matte powder-coated steel", "double-walled stainless steel"},
						features:  []string{"a 24-hour programmable timer", "a built-in burr grinder", "a 15-bar pressure pump", "an auto-off safety feature", "wireless app control"},
						uses:      []string{"busy mornings", "entertaining guests", "small kitchens", "the office break room"},
					},
					{
						slug: "blenders", name: "Blenders",
						desc:   "Countertop, personal and immersion blenders.",
						weight: 4, minDollars: 29, maxDollars: 499, tmpl: tmplMade,
						brands:    []string{"Vortex", "Acme Kitchen", "Blendwell", "Pulse & Co", "Nutrimax", "Mesa"},
						adjs:      []string{"High-Speed", "Personal", "Professional", "Compact", "Cordless", "Variable-Speed", "Quiet", "Smart"},
						nouns:     []string{"Blender", "Smoothie Blender", "Immersion Blender", "Blender Set", "Food Processor"},
						variants:  []string{"24-Ounce", "48-Ounce", "64-Ounce", "Black", "Red", "Stainless"},
						materials: []string{"die-cast metal and BPA-free Tritan", "brushed stainless steel", "impact-resistant BPA-free plastic", "tempered glass and steel"},
						features:  []string{"a 1200-watt motor", "six preset programs", "a self-cleaning cycle", "a pulse function", "rechargeable cordless operation"},
						uses:      []string{"morning smoothies", "frozen drinks", "soups and sauces", "nut butters", "meal prep"},
					},
				},
			},
		},
	},
	{
		slug: "clothing", name: "Clothing",
		desc: "Everyday essentials and outerwear for men and women.",
		extras: []string{
			"Machine wash cold and tumble dry low.",
			"Ethically made in a fair-trade certified factory.",
			"True to size; size up for a roomier fit.",
			"Free returns on all sizes.",
		},
		groups: []groupSpec{
			{
				slug: "mens-clothing", name: "Men's Clothing",
				desc: "T-shirts, jackets and layers for men.",
				leaves: []leafSpec{
					{
						slug: "mens-t-shirts", name: "Men's T-Shirts",
						desc:   "Crew necks, V-necks, henleys and long-sleeve tees.",
						weight: 8, minDollars: 9, maxDollars: 49, tmpl: tmplMade,
						brands:    []string{"Northline", "Everthread", "Acme Apparel", "Harbor & Pine", "Basecamp", "Linden"},
						adjs:      []string{"Organic Cotton", "Classic", "Slim-Fit", "Heavyweight", "Performance", "Pocket", "Vintage-Wash", "Relaxed-Fit"},
						nouns:     []string{"Crew T-Shirt", "V-Neck T-Shirt", "Henley", "Long-Sleeve T-Shirt", "Graphic Tee", "Raglan Tee"},
						variants:  []string{"Heather Gray", "Navy", "Black", "White", "Olive", "Rust", "Charcoal", "Sky Blue"},
						materials: []string{"organic cotton", "a cotton-modal blend", "breathable recycled polyester", "slub-knit cotton", "hemp and organic cotton"},
						features:  []string{"a tagless collar", "a relaxed fit", "moisture-wicking fabric", "reinforced shoulder seams", "a pre-shrunk finish"},
						uses:      []string{"everyday wear", "layering", "the gym", "weekend errands", "travel"},
					},
					{
						slug: "mens-jackets", name: "Men's Jackets",
						desc:   "Rain shells, puffers, parkas and vests for men.",
						weight: 5, minDollars: 39, maxDollars: 399, tmpl: tmplMade,
						brands:    []string{"Northline", "Summit Ridge", "Acme Apparel", "Harbor & Pine", "Basecamp", "Stormcrest"},
						adjs:      []string{"Waterproof", "Insulated", "Packable", "Down", "Softshell", "Rain", "Waxed Cotton", "Fleece-Lined"},
						nouns:     []string{"Jacket", "Parka", "Bomber Jacket", "Shell Jacket", "Anorak", "Vest"},
						variants:  []string{"Black", "Navy", "Olive", "Charcoal", "Tan", "Red"},
						materials: []string{"recycled ripstop nylon", "waxed organic cotton canvas", "three-layer waterproof nylon", "a warm wool blend"},
						features:  []string{"fully taped waterproof seams", "a packable hood", "zippered hand pockets", "700-fill responsibly sourced down", "adjustable cuffs"},
						uses:      []string{"rainy commutes", "winter hikes", "ski trips", "travel", "cold mornings"},
					},
				},
			},
			{
				slug: "womens-clothing", name: "Women's Clothing",
				desc: "Dresses, knitwear and layers for women.",
				leaves: []leafSpec{
					{
						slug: "womens-dresses", name: "Women's Dresses",
						desc:   "Wrap, midi, maxi and shirt dresses.",
						weight: 7, minDollars: 24, maxDollars: 249, tmpl: tmplMade,
						brands:    []string{"Linden", "Everthread", "Maribel", "Harbor & Pine", "Solstice", "Fable & Fern"},
						adjs:      []string{"Wrap", "Midi", "Maxi", "Linen", "Floral", "Organic Cotton", "Slip", "Smocked"},
						nouns:     []string{"Dress", "Sundress", "Shirt Dress", "Sweater Dress", "Tiered Dress"},
						variants:  []string{"Black", "Navy", "Terracotta", "Sage", "Ivory", "Dusty Rose", "Floral Print"},
						materials: []string{"breathable linen", "organic cotton poplin", "flowing viscose", "eco lyocell", "stretch jersey"},
						features:  []string{"hidden side pockets", "an adjustable tie waist", "a fully lined skirt", "a flattering A-line cut", "smocked shoulder straps"},
						uses:      []string{"summer weddings", "the office", "vacations", "weekend brunch", "date nights"},
					},
					{
						slug: "womens-sweaters", name: "Women's Sweaters",
						desc:   "Cardigans, pullovers and turtlenecks in wool, cashmere and cotton.",
						weight: 6, minDollars: 24, maxDollars: 199, tmpl: tmplMade,
						brands:    []string{"Linden", "Everthread", "Maribel", "Northline", "Solstice", "Fable & Fern"},
						adjs:      []string{"Cashmere", "Merino Wool", "Cable-Knit", "Oversized", "Cropped", "Organic Cotton", "Chunky", "Ribbed"},
						nouns:     []string{"Sweater", "Cardigan", "Turtleneck", "Pullover", "Crewneck Sweater"},
						variants:  []string{"Oatmeal", "Camel", "Black", "Cream", "Forest Green", "Burgundy", "Heather Gray"},
						materials: []string{"Grade-A cashmere", "extra-fine merino wool", "organic cotton yarn", "a soft alpaca blend", "recycled wool"},
						features:  []string{"a relaxed drop-shoulder fit", "ribbed cuffs and hem", "a pill-resistant knit", "mother-of-pearl buttons", "a cozy mock neck"},
						uses:      []string{"chilly evenings", "layering", "the office", "travel", "holiday gatherings"},
					},
				},
			},
		},
	},
	{
		slug: "sports-outdoors", name: "Sports & Outdoors",
		desc: "Gear for the trail, the campsite and the home gym.",
		extras: []string{
			"Field-tested by outdoor guides and trainers.",
			"Backed by a lifetime warranty.",
			"Packs down small for easy storage.",
			"Made in a bluesign-approved facility.",
		},
		groups: []groupSpec{
			{
				slug: "camping-hiking", name: "Camping & Hiking",
				desc: "Tents and packs for nights outside.",
				leaves: []leafSpec{
					{
						slug: "tents", name: "Tents",
						desc:   "Backpacking, family and four-season tents.",
						weight: 4, minDollars: 49, maxDollars: 799, tmpl: tmplBuilt,
						brands:    []string{"Summit Ridge", "Trailborn", "Basecamp", "Alpine Co", "Wildhaven", "Stormcrest"},
						adjs:      []string{"Waterproof", "Ultralight", "Backpacking", "Family", "4-Season", "Instant", "Dome", "Pop-Up"},
						nouns:     []string{"Tent", "Cabin Tent", "Tunnel Tent", "Tarp Tent", "Shelter"},
						variants:  []string{"1-Person", "2-Person", "4-Person", "6-Person", "8-Person", "Green", "Orange"},
						materials: []string{"ripstop polyester with a waterproof coating", "lightweight aluminum poles", "silicone-coated nylon", "a heavy-duty bathtub floor"},
						features:  []string{"a full-coverage waterproof rainfly", "two doors and vestibules", "color-coded pole clips for fast setup", "mesh panels for ventilation", "a five-minute setup"},
						uses:      []string{"car camping", "backpacking trips", "festival weekends", "family campouts", "alpine expeditions"},
					},
					{
						slug: "hiking-backpacks", name: "Hiking Backpacks",
						desc:   "Daypacks, trekking packs and hydration packs.",
						weight: 5, minDollars: 29, maxDollars: 349, tmpl: tmplBuilt,
						brands:    []string{"Trailborn", "Summit Ridge", "Basecamp", "Alpine Co", "Wildhaven", "Packrat"},
						adjs:      []string{"Waterproof", "Ultralight", "Hydration", "Lightweight", "Rolltop", "Technical", "Trekking", "Travel"},
						nouns:     []string{"Backpack", "Daypack", "Hiking Pack", "Rucksack", "Summit Pack"},
						variants:  []string{"18L", "24L", "30L", "45L", "65L", "Black", "Slate Blue"},
						materials: []string{"recycled ripstop nylon", "waterproof TPU-coated fabric", "a lightweight aluminum frame", "abrasion-resistant 420D nylon"},
						features:  []string{"a ventilated mesh back panel", "a hydration sleeve", "a detachable rain cover", "padded hip-belt pockets", "waterproof zippers"},
						uses:      []string{"day hikes", "multi-day treks", "travel", "commuting", "summit pushes"},
					},
				},
			},
			{
				slug: "fitness", name: "Fitness",
				desc: "Equipment for strength, mobility and yoga at home.",
				leaves: []leafSpec{
					{
						slug: "yoga-pilates", name: "Yoga & Pilates",
						desc:   "Mats, blocks, straps and props for yoga and Pilates.",
						weight: 5, minDollars: 14, maxDollars: 149, tmpl: tmplBuilt,
						brands:    []string{"Lotus Flow", "Zenith", "Acme Fit", "Pranafit", "Balance Lab", "Kinetic"},
						adjs:      []string{"Non-Slip", "Extra-Thick", "Eco", "Travel", "Organic Cotton", "Cork", "Cushioned", "Alignment"},
						nouns:     []string{"Yoga Mat", "Yoga Block Set", "Yoga Strap", "Pilates Ring", "Yoga Blanket"},
						variants:  []string{"Plum", "Ocean", "Charcoal", "Sage", "Sand", "Lavender"},
						materials: []string{"natural tree rubber", "sustainably harvested cork", "organic cotton", "non-toxic TPE foam", "recycled foam"},
						features:  []string{"a non-slip textured grip", "6 mm of joint-friendly cushioning", "printed alignment lines", "a carrying strap", "a sweat-resistant surface"},
						uses:      []string{"hot yoga", "Pilates classes", "home workouts", "stretching", "meditation"},
					},
					{
						slug: "weights", name: "Dumbbells & Weights",
						desc:   "Dumbbells, kettlebells, barbells and plates.",
						weight: 4, minDollars: 9, maxDollars: 599, tmpl: tmplBuilt,
						brands:    []string{"Ironclad", "Acme Fit", "Forge Athletics", "Kinetic", "PowerHouse", "Titan Gear"},
						adjs:      []string{"Adjustable", "Hex", "Neoprene", "Rubber-Coated", "Chrome", "Competition", "Compact", "Cast Iron"},
						nouns:     []string{"Dumbbell Set", "Kettlebell", "Dumbbell Pair", "Weight Plate Set", "Barbell"},
						variants:  []string{"5 lb", "10 lb", "20 lb", "35 lb", "52.5 lb", "90 lb"},
						materials: []string{"solid cast iron", "a knurled chrome handle", "a durable rubber coating", "neoprene-dipped steel", "urethane"},
						features:  []string{"a quick-change weight dial", "floor-friendly rubber ends", "an ergonomic knurled grip", "an anti-roll hex shape", "a compact storage tray"},
						uses:      []string{"home gyms", "strength training", "HIIT circuits", "physical therapy", "garage workouts"},
					},
				},
			},
		},
	},
	{
		slug: "books", name: "Books",
		desc: "Fiction and nonfiction in print.",
		extras: []string{
			"Includes a reading group guide.",
			"Also available as an ebook.",
			"A national bestseller.",
			"Features a new afterword by the author.",
		},
		groups: []groupSpec{
			{
				slug: "fiction", name: "Fiction",
				desc: "Novels to get lost in.",
				leaves: []leafSpec{
					{
						slug: "mystery-thriller", name: "Mystery & Thriller",
						desc:   "Detective stories, crime fiction and psychological thrillers.",
						weight: 7, minDollars: 7, maxDollars: 35, tmpl: tmplBook,
						brands:    []string{"The", "Death at the", "Murder on the", "Shadows over the", "The Case of the", "Secrets of the"},
						adjs:      []string{"Silent", "Hidden", "Crimson", "Last", "Broken", "Midnight", "Frozen", "Vanishing"},
						nouns:     []string{"Harbor", "Witness", "Orchard", "Lighthouse", "Alibi", "Manor", "Cipher"},
						variants:  []string{"Paperback", "Hardcover", "Large Print", "Mass Market Paperback", "Collector's Edition"},
						materials: []string{"acid-free cream paper", "durable recycled paper", "heavyweight matte paper", "FSC-certified paper"},
						features:  []string{"a page-turning plot with a twist ending", "a small-town detective who cannot let go", "a slow-burn mystery told in alternating timelines", "a locked-room puzzle worthy of the classics"},
						uses:      []string{"long flights", "book clubs", "rainy weekends", "beach reading", "late nights"},
					},
					{
						slug: "science-fiction-fantasy", name: "Science Fiction & Fantasy",
						desc:   "Space opera, epic fantasy and speculative fiction.",
						weight: 6, minDollars: 7, maxDollars: 35, tmpl: tmplBook,
						brands:    []string{"The", "Chronicles of the", "Beyond the", "Children of the", "The Last", "Song of the"},
						adjs:      []string{"Iron", "Starlit", "Hollow", "Endless", "Shattered", "Burning", "Distant", "Forgotten"},
						nouns:     []string{"Star", "Crown", "Empire", "Dragon", "Gate", "Colony", "Sea"},
						variants:  []string{"Paperback", "Hardcover", "Large Print", "Mass Market Paperback", "Collector's Edition"},
						materials: []string{"acid-free cream paper", "durable recycled paper", "heavyweight matte paper", "FSC-certified paper"},
						features:  []string{"an epic quest across shattered kingdoms", "a hard-science first-contact story", "a sweeping space opera", "a richly imagined magic system", "a found-family crew on the run"},
						uses:      []string{"long flights", "book clubs", "rainy weekends", "epic-fantasy fans", "late nights"},
					},
				},
			},
			{
				slug: "nonfiction", name: "Nonfiction",
				desc: "Cookbooks, biographies and true stories.",
				leaves: []leafSpec{
					{
						slug: "cookbooks", name: "Cookbooks",
						desc:   "Recipes for every skill level and kitchen.",
						weight: 4, minDollars: 12, maxDollars: 49, tmpl: tmplBook,
						brands:    []string{"The", "Simply", "Everyday", "The Complete", "Fresh from the", "Modern"},
						adjs:      []string{"Organic", "Vegetarian", "Weeknight", "Mediterranean", "Plant-Based", "Slow-Cooker", "Sourdough", "Family"},
						nouns:     []string{"Kitchen", "Table", "Cookbook", "Pantry", "Baking", "Garden Cookbook"},
						variants:  []string{"Hardcover", "Paperback", "Spiral-Bound", "Signed Edition"},
						materials: []string{"heavyweight matte paper", "coated photo paper", "recycled paper"},
						features:  []string{"over 100 tested recipes", "organic, seasonal recipes with full-color photos", "step-by-step techniques for beginners", "75 recipes ready in 30 minutes or less", "make-ahead meal plans"},
						uses:      []string{"weeknight dinners", "new cooks", "holiday baking", "gift giving", "meal prep"},
					},
					{
						slug: "biographies-memoirs", name: "Biographies & Memoirs",
						desc:   "Lives of remarkable people, in their words and others'.",
						weight: 3, minDollars: 9, maxDollars: 39, tmpl: tmplBook,
						brands:    []string{"The", "My", "Notes from the", "A Life on the", "Letters from the", "Becoming the"},
						adjs:      []string{"Unfinished", "Quiet", "Long", "Restless", "Open", "Wild", "Unlikely", "Second"},
						nouns:     []string{"Road", "Season", "Life", "Harvest", "Voyage", "Frontier", "Chapter"},
						variants:  []string{"Paperback", "Hardcover", "Large Print", "Signed Edition"},
						materials: []string{"acid-free cream paper", "durable recycled paper", "FSC-certified paper"},
						features:  []string{"a candid memoir of an unlikely career", "a definitive biography drawn from private letters", "an intimate portrait of a pioneering scientist", "a funny and moving family story"},
						uses:      []string{"book clubs", "history buffs", "gift giving", "long weekends", "commutes"},
					},
				},
			},
		},
	},
	{
		slug: "beauty", name: "Beauty & Personal Care",
		desc: "Skin care, hair care and styling tools.",
		extras: []string{
			"Dermatologist tested and cruelty-free.",
			"Free from parabens, sulfates and synthetic fragrance.",
			"Packaged in a recyclable bottle.",
			"Vegan and cruelty-free.",
		},
		groups: []groupSpec{
			{
				slug: "skin-care", name: "Skin Care",
				desc: "Cleansers and moisturizers for every skin type.",
				leaves: []leafSpec{
					{
						slug: "moisturizers", name: "Moisturizers",
						desc:   "Face creams, gel creams, night creams and body butters.",
						weight: 6, minDollars: 6, maxDollars: 129, tmpl: tmplBeauty,
						brands:    []string{"Dewlab", "Pure Botanica", "Glowhaus", "Verdant Skin", "Acme Beauty", "Lumiere"},
						adjs:      []string{"Organic", "Hydrating", "Night", "Oil-Free", "Fragrance-Free", "Daily", "Brightening", "Soothing"},
						nouns:     []string{"Face Cream", "Moisturizer", "Gel Cream", "Eye Cream", "Face Lotion", "Body Butter"},
						variants:  []string{"1.7 oz", "2 oz", "3.4 oz", "Travel Size", "Value Size"},
						materials: []string{"organic aloe vera", "shea butter", "hyaluronic acid", "squalane", "organic jojoba oil"},
						features:  []string{"lasting hydration", "a lightweight, non-greasy finish", "visibly smoother skin", "a dewy glow", "a stronger skin barrier"},
						uses:      []string{"all skin types", "dry skin", "sensitive skin", "morning and evening routines"},
					},
					{
						slug: "cleansers", name: "Face Cleansers",
						desc:   "Gentle washes, balms, oils and scrubs.",
						weight: 5, minDollars: 5, maxDollars: 59, tmpl: tmplBeauty,
						brands:    []string{"Dewlab", "Pure Botanica", "Clearwell", "Verdant Skin", "Acme Beauty", "Lumiere"},
						adjs:      []string{"Organic", "Gentle", "Foaming", "Hydrating", "Exfoliating", "Micellar", "Charcoal", "Balancing"},
						nouns:     []string{"Face Wash", "Cleanser", "Cleansing Balm", "Cleansing Oil", "Face Scrub"},
						variants:  []string{"4 oz", "5 oz", "6.7 oz", "8 oz", "Refill Pouch"},
						materials: []string{"organic green tea extract", "activated charcoal", "gentle coconut-derived cleansers", "colloidal oatmeal", "salicylic acid"},
						features:  []string{"a deep yet gentle clean", "soft, balanced skin", "makeup removal without tugging", "visibly clearer pores"},
						uses:      []string{"oily skin", "combination skin", "sensitive skin", "daily use", "removing makeup"},
					},
				},
			},
			{
				slug: "hair-care", name: "Hair Care",
				desc: "Shampoos, conditioners and styling tools.",
				leaves: []leafSpec{
					{
						slug: "shampoo-conditioner", name: "Shampoo & Conditioner",
						desc:   "Shampoos, conditioners and hair masks.",
						weight: 6, minDollars: 4, maxDollars: 59, tmpl: tmplBeauty,
						brands:    []string{"Mane & Co", "Pure Botanica", "Silkroot", "Verdant Hair", "Acme Beauty", "Tressa"},
						adjs:      []string{"Organic", "Sulfate-Free", "Volumizing", "Moisturizing", "Clarifying", "Color-Safe", "Curl-Defining", "Argan Oil"},
						nouns:     []string{"Shampoo", "Conditioner", "Shampoo and Conditioner Set", "Hair Mask", "Leave-In Conditioner"},
						variants:  []string{"8 oz", "12 oz", "16 oz", "33.8 oz", "Travel Size"},
						materials: []string{"organic argan oil", "coconut oil", "rosemary extract", "keratin protein", "organic aloe vera"},
						features:  []string{"soft, frizz-free hair", "lasting shine", "fuller-looking volume", "defined curls", "long-lasting color protection"},
						uses:      []string{"all hair types", "curly hair", "color-treated hair", "fine hair", "daily washing"},
					},
					{
						slug: "hair-tools", name: "Hair Dryers & Styling Tools",
						desc:   "Hair dryers, flat irons, curling irons and hot air brushes.",
						weight: 4, minDollars: 19, maxDollars: 449, tmpl: tmplBuilt,
						extras: []string{
							"Backed by a two-year limited warranty.",
							"Includes a heat-resistant storage pouch.",
							"Works on dual voltage for travel abroad.",
						},
						brands:    []string{"Tressa", "Silkroot", "Acme Beauty", "Glowhaus", "Aeris", "Volta"},
						adjs:      []string{"Ionic", "Ceramic", "Cordless", "Professional", "Compact", "Travel", "Titanium", "Smart"},
						nouns:     []string{"Hair Dryer", "Flat Iron", "Curling Iron", "Hot Air Brush", "Curling Wand"},
						variants:  []string{"1-Inch", "1.25-Inch", "Black", "Rose Gold", "White", "Dual Voltage"},
						materials: []string{"tourmaline-infused ceramic", "titanium plates", "a lightweight brushless motor", "a heat-resistant soft-touch body"},
						features:  []string{"fast drying", "adjustable heat settings", "auto shut-off", "cordless rechargeable styling", "a cool-shot button"},
						uses:      []string{"everyday styling", "travel", "thick hair", "salon-style blowouts", "quick touch-ups"},
					},
				},
			},
		},
	},
	{
		slug: "toys-games", name: "Toys & Games",
		desc: "Games, puzzles and toys for all ages.",
		extras: []string{
			"Meets ASTM F963 toy safety standards.",
			"Makes a great birthday gift.",
			"Arrives in gift-ready packaging.",
		},
		groups: []groupSpec{
			{
				slug: "games-puzzles", name: "Games & Puzzles",
				desc: "Board games, card games and jigsaw puzzles.",
				leaves: []leafSpec{
					{
						slug: "board-games", name: "Board Games",
						desc:   "Strategy, family, party and cooperative games.",
						weight: 5, minDollars: 12, maxDollars: 149, tmpl: tmplToy,
						brands:    []string{"Meeple Works", "Acme Games", "Tabletop Tavern", "Roll & Co", "Pawnshop Games", "Kingmaker"},
						adjs:      []string{"Cooperative", "Strategy", "Family", "Party", "Classic", "Deluxe", "Legacy", "Travel"},
						nouns:     []string{"Board Game", "Card Game", "Dice Game", "Trivia Game", "Deck-Building Game"},
						variants:  []string{"2-4 Players", "2-6 Players", "Ages 8+", "Ages 12+", "Expansion"},
						materials: []string{"linen-finish cards", "solid wood tokens", "a sturdy magnetic box", "custom painted miniatures"},
						features:  []string{"30-minute play time", "easy-to-learn rules", "a solo mode", "high replay value", "a tutorial for new players"},
						uses:      []string{"family game night", "parties", "date nights", "game clubs", "travel"},
					},
					{
						slug: "jigsaw-puzzles", name: "Jigsaw Puzzles",
						desc:   "Jigsaw puzzles from 300 to 2000 pieces.",
						weight: 4, minDollars: 9, maxDollars: 59, tmpl: tmplToy,
						brands:    []string{"Piecemeal", "Acme Games", "Tabletop Tavern", "Puzzlewood", "Mosaic & Co", "Kingmaker"},
						adjs:      []string{"Landscape", "Vintage Map", "Botanical", "Wildlife", "Gradient", "Cityscape", "Impossible", "Cozy"},
						nouns:     []string{"Jigsaw Puzzle", "Puzzle", "Mini Puzzle", "Puzzle Set"},
						variants:  []string{"300 Pieces", "500 Pieces", "750 Pieces", "1000 Pieces", "1500 Pieces", "2000 Pieces"},
						materials: []string{"thick recycled-board pieces", "linen-finish pieces printed with soy-based inks", "premium blue-board pieces"},
						features:  []string{"a full-size reference poster", "glare-free artwork", "a random-cut pattern", "a reusable storage tin"},
						uses:      []string{"quiet evenings", "family gatherings", "gift giving", "rainy days", "mindful breaks"},
					},
				},
			},
			{
				slug: "kids-toys", name: "Kids' Toys",
				desc: "Building sets and cuddly companions.",
				leaves: []leafSpec{
					{
						slug: "building-sets", name: "Building Sets",
						desc:   "Brick sets, construction kits and STEM builds.",
						weight: 5, minDollars: 9, maxDollars: 499, tmpl: tmplToy,
						brands:    []string{"Brickly", "Acme Toys", "BuildCraft", "Blockworks", "Tinker Town", "Kinetix"},
						adjs:      []string{"Space Station", "Castle", "City", "Robotics", "STEM", "Creative", "Dinosaur", "Pirate Ship"},
						nouns:     []string{"Building Set", "Construction Kit", "Brick Set", "Builder Bundle", "Engineering Kit"},
						variants:  []string{"150 Pieces", "300 Pieces", "650 Pieces", "1200 Pieces", "Ages 6+", "Ages 9+"},
						materials: []string{"durable ABS bricks", "plant-based plastic pieces", "wooden blocks", "snap-fit metal parts"},
						features:  []string{"illustrated step-by-step instructions", "wireless app-controlled motors", "compatibility with major brick brands", "three models in one box"},
						uses:      []string{"creative play", "STEM learning", "rainy afternoons", "birthday gifts", "family builds"},
					},
					{
						slug: "plush-toys", name: "Plush Toys",
						desc:   "Teddy bears and soft toys for babies and kids.",
						weight: 4, minDollars: 5, maxDollars: 79, tmpl: tmplMade,
						brands:    []string{"Snugglebug", "Acme Toys", "Cuddle Co", "Tinker Town", "Huggable", "Little Fern"},
						adjs:      []string{"Organic Cotton", "Cuddly", "Jumbo", "Weighted", "Sleepy", "Floppy", "Mini", "Classic"},
						nouns:     []string{"Teddy Bear", "Bunny", "Elephant", "Dinosaur", "Sloth", "Fox"},
						variants:  []string{"8-Inch", "12-Inch", "18-Inch", "24-Inch", "Honey", "Gray"},
						materials: []string{"organic cotton", "ultra-soft recycled polyester fleece", "hypoallergenic fiberfill", "GOTS-certified organic cotton"},
						features:  []string{"embroidered eyes safe for babies", "a machine-washable body", "a soothing weighted center", "a velvety soft texture"},
						uses:      []string{"bedtime", "newborn gifts", "road trips", "nap time", "comfort on the go"},
					},
				},
			},
		},
	},
	{
		slug: "garden", name: "Garden",
		desc: "Tools, watering and growing supplies for the garden.",
		extras: []string{
			"Backed by a satisfaction guarantee.",
			"Ships in plastic-free packaging.",
			"Trusted by home gardeners for decades.",
		},
		groups: []groupSpec{
			{
				slug: "gardening-tools", name: "Gardening Tools",
				desc: "Hand tools and watering gear.",
				leaves: []leafSpec{
					{
						slug: "hand-tools", name: "Hand Tools",
						desc:   "Pruners, trowels, weeders and tool sets.",
						weight: 4, minDollars: 6, maxDollars: 89, tmpl: tmplBuilt,
						brands:    []string{"Greenthumb", "Acme Garden", "Fieldstone", "Rootwell", "Sprout & Co", "Hollow Oak"},
						adjs:      []string{"Ergonomic", "Stainless Steel", "Heavy-Duty", "Bypass", "Folding", "Carbon Steel", "Lightweight", "Pro"},
						nouns:     []string{"Pruning Shears", "Hand Trowel", "Garden Fork", "Weeder", "Hori Hori Knife", "Tool Set"},
						variants:  []string{"Green", "Orange", "Ash Handle", "3-Piece", "5-Piece"},
						materials: []string{"rust-resistant stainless steel", "a forged carbon-steel blade", "an FSC-certified ash handle", "a non-slip rubber grip"},
						features:  []string{"a spring-loaded action", "a lifetime warranty", "a depth gauge etched into the blade", "a hang hole for easy storage"},
						uses:      []string{"pruning roses", "planting bulbs", "weeding raised beds", "container gardening", "transplanting seedlings"},
					},
					{
						slug: "watering", name: "Watering & Irrigation",
						desc:   "Hoses, reels, sprinklers and drip irrigation.",
						weight: 4, minDollars: 9, maxDollars: 199, tmpl: tmplBuilt,
						brands:    []string{"Rainwell", "Acme Garden", "Greenthumb", "Flowline", "Fieldstone", "Dewpoint"},
						adjs:      []string{"Expandable", "Kink-Free", "Heavy-Duty", "Smart", "Soaker", "Lightweight", "Drip", "Retractable"},
						nouns:     []string{"Garden Hose", "Hose Reel", "Sprinkler", "Watering Can", "Drip Irrigation Kit", "Hose Nozzle"},
						variants:  []string{"25 ft", "50 ft", "75 ft", "100 ft", "Green", "Blue"},
						materials: []string{"drinking-water-safe polyurethane", "solid brass fittings", "UV-resistant plastic", "powder-coated steel"},
						features:  []string{"wireless Wi-Fi scheduling", "a 10-pattern spray nozzle", "a leak-proof connector", "a built-in flow timer"},
						uses:      []string{"vegetable beds", "lawns", "hanging baskets", "greenhouses", "patio containers"},
					},
				},
			},
			{
				slug: "plants-seeds", name: "Plants & Seeds",
				desc: "Seeds, soil and plant food.",
				leaves: []leafSpec{
					{
						slug: "seeds", name: "Seeds",
						desc:   "Vegetable, herb and flower seeds.",
						weight: 4, minDollars: 2, maxDollars: 24, tmpl: tmplSeed,
						brands:    []string{"Heirloom Acres", "Greenthumb", "Sprout & Co", "Meadowlark Seeds", "Little Fern", "Rootwell"},
						adjs:      []string{"Organic", "Heirloom", "Non-GMO", "Dwarf", "Giant", "Early", "Rainbow", "Sweet"},
						nouns:     []string{"Tomato Seeds", "Basil Seeds", "Wildflower Seed Mix", "Lettuce Seeds", "Sunflower Seeds", "Pepper Seeds"},
						variants:  []string{"50 Seeds", "100 Seeds", "250 Seeds", "1 oz", "Variety Pack"},
						materials: []string{"certified organic seed", "open-pollinated heirloom seed", "untreated non-GMO seed"},
						features:  []string{"a high germination rate", "a 60-day harvest", "compact growth in containers", "strong disease resistance"},
						uses:      []string{"raised beds", "patio containers", "pollinator gardens", "kitchen gardens", "first-time growers"},
					},
					{
						slug: "soil-fertilizer", name: "Soil & Fertilizer",
						desc:   "Potting mixes, compost and plant food.",
						weight: 3, minDollars: 6, maxDollars: 69, tmpl: tmplSoil,
						brands:    []string{"Rootwell", "Greenthumb", "Loamworks", "Acme Garden", "Wormcastle", "Fieldstone"},
						adjs:      []string{"Organic", "All-Purpose", "Slow-Release", "Premium", "Raised Bed", "Seed-Starting", "Liquid", "Worm Casting"},
						nouns:     []string{"Potting Mix", "Fertilizer", "Compost", "Plant Food", "Soil Blend"},
						variants:  []string{"4 qt", "8 qt", "1 cu ft", "2 cu ft", "32 oz"},
						materials: []string{"OMRI-listed organic ingredients", "aged compost and worm castings", "sphagnum peat and perlite", "kelp and bone meal"},
						features:  []string{"steady slow-release nutrition", "excellent drainage", "moisture-retaining coir", "a balanced 4-4-4 formula"},
						uses:      []string{"vegetables", "houseplants", "raised beds", "flowering annuals", "seedlings"},
					},
				},
			},
		},
	},
}
