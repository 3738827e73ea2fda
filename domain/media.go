package domain

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Limits on media.
const (
	// MaxImages caps the images of one product.
	MaxImages = 20
	// MaxAltTextLength caps an image's alt text.
	MaxAltTextLength = 300
	// MaxImageDimension caps an image's width and height, and a width asked of url(width:).
	MaxImageDimension = 4096
	// MinImageDimension is the smallest width url(width:) serves.
	MinImageDimension = 16
	// MaxImageURLLength caps the URL of an image hosted elsewhere.
	MaxImageURLLength = 1000
)

// MediaPath is the path under which the binary serves its generated images:
// MediaPath + "<id>.svg?w=<width>&h=<height>".
const MediaPath = "/media/"

// Image is a picture of a product, in display order. Src is the URL of an image hosted
// elsewhere; empty means the image is one the binary generates and serves itself (the
// demo shop's, which work offline).
type Image struct {
	ID        int64
	ProductID int64
	Position  int
	Src       string
	AltText   string
	Width     int
	Height    int
}

// URL returns where to fetch the image at the given width (0: its own width). A generated
// image is drawn at that width with the image's aspect ratio; an image hosted elsewhere
// is returned as it is, at the size its host serves. Widths are clamped to
// MinImageDimension..MaxImageDimension.
func (img Image) URL(width int) string {
	if img.Src != "" {
		return img.Src
	}
	w, h := img.Width, img.Height
	if width > 0 {
		width = min(max(width, MinImageDimension), MaxImageDimension)
		if w > 0 {
			h = max(1, (h*width+w/2)/w)
		}
		w = width
	}
	return fmt.Sprintf("%s%d.svg?w=%d&h=%d", MediaPath, img.ID, w, h)
}

// NewImage is what adding an image takes. Src is empty for a generated image.
type NewImage struct {
	Src     string
	AltText string
	Width   int
	Height  int
}

// Normalize trims the text fields.
func (n NewImage) Normalize() NewImage {
	n.Src, n.AltText = strings.TrimSpace(n.Src), strings.TrimSpace(n.AltText)
	return n
}

// Validate returns the problems of a normalized image, blaming fields under path: an
// absolute http(s) URL when one is given, alt text of at most MaxAltTextLength
// characters, and dimensions of 1 to MaxImageDimension.
func (n NewImage) Validate(path ...string) []*Error {
	at := func(f string) []string { return append(append([]string{}, path...), f) }
	var errs []*Error
	if n.Src != "" {
		u, err := url.Parse(n.Src)
		if err != nil || len(n.Src) > MaxImageURLLength || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || !validText(n.Src) {
			errs = append(errs, FieldError(at("url"), "url must be an absolute http or https URL of at most %d characters", MaxImageURLLength))
		}
	}
	if utf8.RuneCountInString(n.AltText) > MaxAltTextLength || !validText(n.AltText) {
		errs = append(errs, FieldError(at("altText"), "altText must be at most %d characters of text", MaxAltTextLength))
	}
	if n.Width < 1 || n.Width > MaxImageDimension {
		errs = append(errs, FieldError(at("width"), "width must be between 1 and %d", MaxImageDimension))
	}
	if n.Height < 1 || n.Height > MaxImageDimension {
		errs = append(errs, FieldError(at("height"), "height must be between 1 and %d", MaxImageDimension))
	}
	return errs
}

// MediaWriter changes product images. Every change writes product.updated to the outbox
// in the same transaction. Errors: NOT_FOUND for an unknown or deleted product or an
// image of another product; BAD_USER_INPUT on the media field when the product would
// have more than MaxImages. On error nothing changes.
type MediaWriter interface {
	// AddImages appends images to a live product, in order.
	AddImages(ctx context.Context, productID int64, imgs []NewImage) (Product, []Image, error)
	// DeleteImages removes images of a live product; variants showing one show none.
	DeleteImages(ctx context.Context, productID int64, imageIDs []int64) (Product, error)
	// ReorderImages puts the product's images in the given order; ids must be exactly the
	// product's images.
	ReorderImages(ctx context.Context, productID int64, imageIDs []int64) (Product, error)
}
