// Package domain holds shopgraph's types and rules: the catalog, money, errors and the
// interfaces the stores implement. It imports only the standard library.
package domain

import (
	"errors"
	"fmt"
)

// Code classifies an Error. The GraphQL layer turns it into extensions.code.
type Code string

// The codes a client may see. They are part of the API contract.
const (
	CodeBadUserInput       Code = "BAD_USER_INPUT"
	CodeNotFound           Code = "NOT_FOUND"
	CodeConflict           Code = "CONFLICT"
	CodeUnauthenticated    Code = "UNAUTHENTICATED"
	CodeForbidden          Code = "FORBIDDEN"
	CodeRateLimited        Code = "RATE_LIMITED"
	CodeServiceUnavailable Code = "SERVICE_UNAVAILABLE"
	CodeInternal           Code = "INTERNAL"
)

// Error is a failure whose message is safe to show to a client. Field, when set, names the
// input field at fault, as a path.
type Error struct {
	Code    Code
	Message string
	Field   []string
}

// Error returns the safe message.
func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with the code and a formatted message. The message is shown to
// clients: it must not contain secrets or internals.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError returns a BAD_USER_INPUT *Error blaming the input field at path.
func FieldError(path []string, format string, args ...any) *Error {
	return &Error{Code: CodeBadUserInput, Message: fmt.Sprintf(format, args...), Field: path}
}

// ErrorCode returns the code of the first *Error in err's chain, or CodeInternal when
// there is none.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// IsNotFound reports whether err carries CodeNotFound.
func IsNotFound(err error) bool { return err != nil && ErrorCode(err) == CodeNotFound }
