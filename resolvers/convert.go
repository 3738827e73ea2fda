package resolvers

import (
	"context"

	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/graph/model"
)

func toMoney(m domain.Money) *model.Money {
	return &model.Money{Amount: model.Decimal(m.Amount), CurrencyCode: m.Currency}
}

func toProduct(p domain.Product) *model.Product {
	return &model.Product{
		ID:                encodeID(typeProduct, p.ID),
		DBID:              p.ID,
		Slug:              p.Slug,
		Name:              p.Name,
		Description:       p.Description,
		Price:             toMoney(p.Price),
		AvailableQuantity: p.Stock,
		InStock:           p.InStock(),
		CreatedAt:         p.CreatedAt,
		CategoryID:        p.CategoryID,
		BrandID:           p.BrandID,
		Rating:            toRating(p),
	}
}

func toCategory(c domain.Category) *model.Category {
	return &model.Category{
		ID:          encodeID(typeCategory, c.ID),
		DBID:        c.ID,
		Slug:        c.Slug,
		Name:        c.Name,
		Description: c.Description,
		ParentID:    c.ParentID,
	}
}

// toProductConnection converts a page; count computes totalCount when asked for.
func toProductConnection(page domain.ProductPage, count func(ctx context.Context) (int, error)) *model.ProductConnection {
	conn := &model.ProductConnection{
		Edges:    make([]*model.ProductEdge, len(page.Edges)),
		PageInfo: &model.PageInfo{HasNextPage: page.HasNextPage, HasPreviousPage: page.HasPreviousPage},
		Count:    count,
	}
	for i, e := range page.Edges {
		conn.Edges[i] = &model.ProductEdge{Cursor: encodeCursor(e.Cursor), Node: toProduct(e.Product)}
	}
	if n := len(conn.Edges); n > 0 {
		conn.PageInfo.StartCursor = &conn.Edges[0].Cursor
		conn.PageInfo.EndCursor = &conn.Edges[n-1].Cursor
	}
	return conn
}

// productQuery validates and converts the arguments of a product listing.
func productQuery(first *int, after *string, last *int, before *string, filter *model.ProductFilter, sort *model.ProductSort) (domain.ProductQuery, error) {
	var q domain.ProductQuery
	if filter != nil {
		if filter.Query != nil {
			q.Filter.Query = *filter.Query
		}
		if filter.CategoryID != nil {
			id, err := decodeID(*filter.CategoryID, typeCategory, "filter", "categoryId")
			if err != nil {
				return q, err
			}
			q.Filter.CategoryID = id
		}
		if filter.MinPrice != nil {
			v := int64(*filter.MinPrice)
			q.Filter.MinPrice = &v
		}
		if filter.MaxPrice != nil {
			v := int64(*filter.MaxPrice)
			q.Filter.MaxPrice = &v
		}
		q.Filter.InStock = filter.InStock
		q.Filter.Brands = filter.Brands
		q.Filter.Attributes = fromAttributeFilters(filter.Attributes)
	}
	if err := q.Filter.Validate(); err != nil {
		return q, err
	}
	q.Sort = domain.SortID
	if q.Filter.HasQuery() {
		q.Sort = domain.SortRelevance
	}
	if sort != nil {
		q.Sort = domain.ProductSortKey(sort.Key)
		q.Reverse = sort.Reverse != nil && *sort.Reverse
	}
	page, err := domain.PageArgs{First: first, Last: last}.Normalize()
	if err != nil {
		return q, err
	}
	if page.After, err = decodeProductCursor(after, q.Sort, "after"); err != nil {
		return q, err
	}
	if page.Before, err = decodeProductCursor(before, q.Sort, "before"); err != nil {
		return q, err
	}
	q.Page = page
	return q, nil
}
