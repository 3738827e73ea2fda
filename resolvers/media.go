package resolvers

import (
	"context"
	"strconv"

	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/graph/model"
)

func toImage(img domain.Image) *model.Image {
	m := &model.Image{ID: encodeID(typeImage, img.ID), Width: img.Width, Height: img.Height, URL: img.URL}
	if img.AltText != "" {
		alt := img.AltText
		m.AltText = &alt
	}
	return m
}

func toImages(imgs []domain.Image) []*model.Image {
	out := make([]*model.Image, len(imgs))
	for i, img := range imgs {
		out[i] = toImage(img)
	}
	return out
}

// imageOf returns the image with the id among the product's, or nil.
func imageOf(d domain.ProductDetail, id int64) *model.Image {
	for _, img := range d.Images {
		if img.ID == id {
			return toImage(img)
		}
	}
	return nil
}

func mediaFailure(errs []*domain.Error) *model.ProductMediaPayload {
	return &model.ProductMediaPayload{Media: []*model.Image{}, UserErrors: domainUserErrors(errs)}
}

func mediaPayload(p domain.Product, imgs []domain.Image, err error) (*model.ProductMediaPayload, error) {
	if err != nil {
		ue, err := domain.SplitBusiness(err)
		if err != nil {
			return nil, err
		}
		return &model.ProductMediaPayload{Media: []*model.Image{}, UserErrors: toUserErrors(ue)}, nil
	}
	return &model.ProductMediaPayload{Product: toProduct(p), Media: toImages(imgs), UserErrors: []*model.UserError{}}, nil
}

// fromImageInputs converts images to add; the caller validates them.
func fromImageInputs(in []*model.ImageInput) []domain.NewImage {
	out := make([]domain.NewImage, len(in))
	for i, img := range in {
		n := domain.NewImage{Width: img.Width, Height: img.Height}
		if img.URL != nil {
			n.Src = *img.URL
		}
		if img.AltText != nil {
			n.AltText = *img.AltText
		}
		out[i] = n.Normalize()
	}
	return out
}

// decodeIDs decodes a list of global ids of one type, blaming field and the index.
func decodeIDs(gids []string, typ, field string) ([]int64, *domain.Error) {
	out := make([]int64, len(gids))
	for i, g := range gids {
		id, err := decodeID(g, typ, field, strconv.Itoa(i))
		if err != nil {
			return nil, err.(*domain.Error)
		}
		out[i] = id
	}
	return out, nil
}

func (r *Resolver) productMediaCreate(ctx context.Context, productID string, media []*model.ImageInput) (*model.ProductMediaPayload, error) {
	pid, err := decodeID(productID, typeProduct, "productId")
	if err != nil {
		return mediaFailure([]*domain.Error{err.(*domain.Error)}), nil
	}
	if len(media) == 0 || len(media) > domain.MaxImages {
		return mediaFailure([]*domain.Error{domain.FieldError([]string{"media"}, "give 1 to %d images", domain.MaxImages)}), nil
	}
	imgs := fromImageInputs(media)
	var errs []*domain.Error
	for i, img := range imgs {
		errs = append(errs, img.Validate("media", strconv.Itoa(i))...)
	}
	if len(errs) > 0 {
		return mediaFailure(errs), nil
	}
	return mediaPayload(r.CatalogAdmin.AddImages(ctx, pid, imgs))
}

func (r *Resolver) productMediaChange(ctx context.Context, productID string, mediaIDs []string, reorder bool) (*model.ProductMediaPayload, error) {
	pid, err := decodeID(productID, typeProduct, "productId")
	if err != nil {
		return mediaFailure([]*domain.Error{err.(*domain.Error)}), nil
	}
	if len(mediaIDs) == 0 || len(mediaIDs) > domain.MaxImages {
		return mediaFailure([]*domain.Error{domain.FieldError([]string{"mediaIds"}, "give 1 to %d images", domain.MaxImages)}), nil
	}
	ids, derr := decodeIDs(mediaIDs, typeImage, "mediaIds")
	if derr != nil {
		return mediaFailure([]*domain.Error{derr}), nil
	}
	var p domain.Product
	if reorder {
		p, err = r.CatalogAdmin.ReorderImages(ctx, pid, ids)
	} else {
		p, err = r.CatalogAdmin.DeleteImages(ctx, pid, ids)
	}
	return mediaPayload(p, nil, err)
}
