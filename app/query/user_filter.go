package query

import (
	"fmt"
	"time"
)

// Filter is a typed condition on the users read model: the attributes, the
// operators and the boolean structure a port may ask for. Ports translate
// their own syntax (a SCIM filter, say) into it; the store turns it into a
// parameterised query. Values never become query text.
type Filter interface{ isFilter() }

// Attribute is a user attribute a Filter can test.
type Attribute string

// The filterable attributes.
const (
	AttrID    Attribute = "id"
	AttrEmail Attribute = "email"
	// AttrUsername is the username: the one set, else the primary address.
	AttrUsername Attribute = "username"
	// AttrEmailType is the type of the primary address ("" when none).
	AttrEmailType   Attribute = "email_type"
	AttrExternalID  Attribute = "external_id"
	AttrGivenName   Attribute = "given_name"
	AttrFamilyName  Attribute = "family_name"
	AttrDisplayName Attribute = "display_name"
	AttrDepartment  Attribute = "department"
	AttrTitle       Attribute = "title"
	AttrManagerID   Attribute = "manager_id"
	AttrLocale      Attribute = "locale"
	AttrTimeZone    Attribute = "time_zone"
	AttrStatus      Attribute = "status"
	AttrCreated     Attribute = "created"
	AttrUpdated     Attribute = "updated"
)

// Op is a comparison operator.
type Op string

// The operators: equality, ordering, and substring tests (strings only).
const (
	OpEq         Op = "eq"
	OpNe         Op = "ne"
	OpContains   Op = "co"
	OpStartsWith Op = "sw"
	OpEndsWith   Op = "ew"
	OpGt         Op = "gt"
	OpGe         Op = "ge"
	OpLt         Op = "lt"
	OpLe         Op = "le"
)

// Compare tests one attribute against a value: a string for the text
// attributes (status included), a time.Time for AttrCreated and AttrUpdated.
// An unset optional attribute compares as "".
type Compare struct {
	Attr  Attribute
	Op    Op
	Value any
	// IgnoreCase compares strings case-insensitively.
	IgnoreCase bool
}

// Present is true when the attribute has a non-empty value.
type Present struct{ Attr Attribute }

// And is true when both sides are.
type And struct{ Left, Right Filter }

// Or is true when either side is.
type Or struct{ Left, Right Filter }

// Not negates Inner.
type Not struct{ Inner Filter }

// Const is a filter whose outcome a port already knows (a SCIM filter on an
// attribute every user has the same value of, such as emails.type).
type Const bool

func (Compare) isFilter() {}
func (Present) isFilter() {}
func (And) isFilter()     {}
func (Or) isFilter()      {}
func (Not) isFilter()     {}
func (Const) isFilter()   {}

// timeAttr reports whether a holds a time rather than text.
func timeAttr(a Attribute) bool { return a == AttrCreated || a == AttrUpdated }

// maxFilterDepth bounds the nesting of a filter, so a hostile one cannot
// make a huge query.
const maxFilterDepth = 32

// validateFilter checks every node: known attributes and operators, value
// types that fit, a bounded depth. Nil is no filter.
func validateFilter(f Filter, depth int) error {
	if depth > maxFilterDepth {
		return fmt.Errorf("%w: filter nested deeper than %d", ErrInvalidQuery, maxFilterDepth)
	}
	switch f := f.(type) {
	case nil, Const:
		return nil
	case And:
		return firstErr(validateFilter(f.Left, depth+1), validateFilter(f.Right, depth+1), nonNil(f.Left), nonNil(f.Right))
	case Or:
		return firstErr(validateFilter(f.Left, depth+1), validateFilter(f.Right, depth+1), nonNil(f.Left), nonNil(f.Right))
	case Not:
		return firstErr(validateFilter(f.Inner, depth+1), nonNil(f.Inner))
	case Present:
		return knownAttr(f.Attr)
	case Compare:
		if err := knownAttr(f.Attr); err != nil {
			return err
		}
		return validateCompare(f)
	}
	return fmt.Errorf("%w: unknown filter node %T", ErrInvalidQuery, f)
}

func validateCompare(c Compare) error {
	switch c.Op {
	case OpEq, OpNe, OpGt, OpGe, OpLt, OpLe:
	case OpContains, OpStartsWith, OpEndsWith:
		if timeAttr(c.Attr) {
			return fmt.Errorf("%w: %s cannot be applied to %s", ErrInvalidQuery, c.Op, c.Attr)
		}
	default:
		return fmt.Errorf("%w: unknown operator %q", ErrInvalidQuery, c.Op)
	}
	switch c.Value.(type) {
	case time.Time:
		if !timeAttr(c.Attr) {
			return fmt.Errorf("%w: %s takes text, not a time", ErrInvalidQuery, c.Attr)
		}
	case string:
		if timeAttr(c.Attr) {
			return fmt.Errorf("%w: %s takes a time", ErrInvalidQuery, c.Attr)
		}
	default:
		return fmt.Errorf("%w: %s cannot be compared with %T", ErrInvalidQuery, c.Attr, c.Value)
	}
	return nil
}

func knownAttr(a Attribute) error {
	switch a {
	case AttrID, AttrEmail, AttrUsername, AttrEmailType, AttrExternalID, AttrGivenName, AttrFamilyName, AttrDisplayName, AttrDepartment,
		AttrTitle, AttrManagerID, AttrLocale, AttrTimeZone, AttrStatus, AttrCreated, AttrUpdated:
		return nil
	}
	return fmt.Errorf("%w: unknown attribute %q", ErrInvalidQuery, a)
}

func nonNil(f Filter) error {
	if f == nil {
		return fmt.Errorf("%w: empty operand", ErrInvalidQuery)
	}
	return nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
