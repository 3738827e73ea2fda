package resolvers

import (
	"errors"

	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/graph/model"
)

func toUser(u domain.User) *model.User {
	return &model.User{
		ID:        encodeID(typeUser, u.ID),
		DBID:      u.ID,
		Email:     u.Email,
		Name:      u.Name,
		Role:      model.Role(u.Role),
		CreatedAt: u.CreatedAt,
	}
}

func toUserErrors(errs []domain.UserError) []*model.UserError {
	out := make([]*model.UserError, len(errs))
	for i, e := range errs {
		out[i] = &model.UserError{Field: e.Field, Message: e.Message, Code: e.Code}
	}
	return out
}

// domainUserErrors converts validation errors to user errors.
func domainUserErrors(errs []*domain.Error) []*model.UserError {
	out := make([]*model.UserError, len(errs))
	for i, e := range errs {
		out[i] = &model.UserError{Field: e.Field, Message: e.Message, Code: string(e.Code)}
	}
	return out
}

// asUserErrors turns err into user errors when it is a business failure (bad input, not
// found, conflict); ok is false for anything else, which the caller returns as an error.
func asUserErrors(err error) ([]*model.UserError, bool) {
	var de *domain.Error
	if !errors.As(err, &de) {
		return nil, false
	}
	switch de.Code {
	case domain.CodeBadUserInput, domain.CodeNotFound, domain.CodeConflict:
		return domainUserErrors([]*domain.Error{de}), true
	}
	return nil, false
}

func authPayload(s domain.Session) *model.AuthPayload {
	return &model.AuthPayload{
		Token:        &s.AccessToken,
		ExpiresAt:    &s.ExpiresAt,
		RefreshToken: &s.RefreshToken,
		User:         toUser(s.User),
		UserErrors:   []*model.UserError{},
	}
}

// productPayload answers a catalog mutation: the product, or the user errors of a
// business failure; other errors are returned as errors.
func productPayload(p domain.Product, err error) (*model.ProductPayload, error) {
	if err != nil {
		if ue, ok := asUserErrors(err); ok {
			return &model.ProductPayload{UserErrors: ue}, nil
		}
		return nil, err
	}
	return &model.ProductPayload{Product: toProduct(p), UserErrors: []*model.UserError{}}, nil
}
