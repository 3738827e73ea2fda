package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestREADMEScreenshots takes the README's pictures of a running, seeded shop:
//
//	SHOPGRAPH_DEMO_URL=http://127.0.0.1:8080 SHOPGRAPH_DEMO_CUSTOMER=email:password \
//	SHOPGRAPH_DEMO_ADMIN=email:password go test ./web/ -run TestREADMEScreenshots
//
// with the accounts `shopgraph seed` printed. It writes docs/*.png; without the
// variables it is skipped.
func TestREADMEScreenshots(t *testing.T) {
	base := os.Getenv("SHOPGRAPH_DEMO_URL")
	customer := strings.SplitN(os.Getenv("SHOPGRAPH_DEMO_CUSTOMER"), ":", 2)
	admin := strings.SplitN(os.Getenv("SHOPGRAPH_DEMO_ADMIN"), ":", 2)
	if base == "" || len(customer) != 2 || len(admin) != 2 {
		t.Skip("set SHOPGRAPH_DEMO_URL, SHOPGRAPH_DEMO_CUSTOMER and SHOPGRAPH_DEMO_ADMIN to take the README's screenshots")
	}
	b := newBrowser(t, "buyer", "admin", "phone")
	out := filepath.Join("..", "docs")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	shot := func(actor, name string) {
		t.Helper()
		var png []byte
		b.do(actor, "screenshot "+name, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			var err error
			png, err = chromedp.Run(ctx, chromedp.CaptureScreenshot())
			return err
		}))
		if err := os.WriteFile(filepath.Join(out, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	b.do("buyer", "home", chromedp.Navigate(base+"/"), chromedp.WaitVisible(css(`ul[aria-label="Best sellers"] li`)))
	shot("buyer", "storefront")
	b.do("phone", "listing on a phone",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Navigate(base+"/search?q=headphones&stock=1"),
		chromedp.WaitVisible(css(`ul[aria-label="Products"] li`)),
	)
	shot("phone", "storefront-phone")
	b.do("buyer", "a product in sizes and colours",
		chromedp.Navigate(base+"/search?q=jacket"),
		chromedp.WaitVisible(css(`ul[aria-label="Products"] li a`)),
		chromedp.Click(css(`ul[aria-label="Products"] li a`)),
		chromedp.WaitVisible(css(`section[aria-label="Images"] img.main`)),
		chromedp.WaitVisible(css(`fieldset[data-option] label`)),
	)
	shot("buyer", "product")
	b.do("buyer", "sign in",
		chromedp.Navigate(base+"/signin?next=/orders"),
		chromedp.WaitVisible(css("#f-email")),
		chromedp.SendKeys(css("#f-email"), customer[0]),
		chromedp.SendKeys(css("#f-password"), customer[1]),
		chromedp.Click(css(`main form button[type="submit"]`)),
		chromedp.WaitVisible(css(`table[aria-label="Orders"] tr[data-order] a`)),
		chromedp.Click(css(`table[aria-label="Orders"] tr[data-order] a`)),
		chromedp.WaitVisible(css(`ol.timeline li`)),
		waitJS(`document.querySelector('[data-link]')?.dataset.link !== 'connecting'`),
	)
	shot("buyer", "order-tracking")
	b.do("admin", "dashboard",
		chromedp.EmulateViewport(1440, 1200),
		chromedp.Navigate(base+"/admin/signin?next=/admin"),
		chromedp.WaitVisible(css("#f-email")),
		chromedp.SendKeys(css("#f-email"), admin[0]),
		chromedp.SendKeys(css("#f-password"), admin[1]),
		chromedp.Click(css(`main form button[type="submit"]`)),
		chromedp.WaitVisible(css(`[data-kpi="revenue"]`)),
		chromedp.WaitVisible(css(`[data-chart="top-products"] canvas`)),
	)
	shot("admin", "dashboard")
}
