package scenarios

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"go.starlark.net/starlark"
)

// Param is one declared parameter of a scenario: `param(4, min = 1, max =
// 16, doc = "worker threads")`. Its type is the type of its default.
type Param struct {
	Name    string
	Default any // int64, float64, bool or string
	Min     *float64
	Max     *float64
	Choices []any
	Doc     string
}

// Type names the param's type as the page's form needs it.
func (p Param) Type() string {
	switch p.Default.(type) {
	case int64:
		return "int"
	case float64:
		return "float"
	case bool:
		return "bool"
	}
	return "string"
}

// Bounds describes the allowed values in words, for error messages and
// form hints.
func (p Param) Bounds() string {
	switch {
	case len(p.Choices) > 0:
		s := make([]string, len(p.Choices))
		for i, c := range p.Choices {
			s[i] = fmt.Sprint(c)
		}
		return "one of " + strings.Join(s, ", ")
	case p.Min != nil && p.Max != nil:
		return fmt.Sprintf("from %s to %s", num(*p.Min), num(*p.Max))
	case p.Min != nil:
		return "at least " + num(*p.Min)
	case p.Max != nil:
		return "at most " + num(*p.Max)
	}
	return "any " + p.Type()
}

// num writes a bound as a reader expects it: an integer in full (a bound
// can be up to 2^53), other numbers in the shortest form.
func num(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) <= maxExact {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// ParamError says which param is wrong and what it allows.
type ParamError struct {
	Name string
	Msg  string
}

func (e *ParamError) Error() string { return fmt.Sprintf("param %q %s", e.Name, e.Msg) }

// Resolve checks given values (from JSON, a URL query or a flag, so
// strings are accepted for every type) against the declared params and
// returns every param's value, defaults filled in. Unknown names are
// errors so that a typo in a shared link is noticed.
func Resolve(decl []Param, given map[string]any) (map[string]any, error) {
	out := make(map[string]any, len(decl))
	for _, p := range decl {
		out[p.Name] = p.Default
	}
	for name := range given {
		if _, ok := out[name]; !ok {
			return nil, &ParamError{Name: name, Msg: "is not a parameter of this scenario"}
		}
	}
	for _, p := range decl {
		raw, ok := given[p.Name]
		if !ok || raw == nil {
			out[p.Name] = p.Default
			continue
		}
		v, err := p.convert(raw)
		if err != nil {
			return nil, err
		}
		if err := p.check(v); err != nil {
			return nil, err
		}
		out[p.Name] = v
	}
	return out, nil
}

// convert turns a given value into the param's type. Numbers arrive as
// json.Number from the page and in the child's request (see
// UnmarshalJSON), as
// strings from a URL or a flag, and as Go numbers from Go callers; an int
// is taken only if it is exactly an int64, never rounded.
func (p Param) convert(raw any) (any, error) {
	bad := func() error {
		return &ParamError{Name: p.Name, Msg: fmt.Sprintf("must be %s, not %v", article(p.Type()), raw)}
	}
	switch p.Default.(type) {
	case int64:
		switch v := raw.(type) {
		case int64:
			return v, nil
		case int:
			return int64(v), nil
		case float64:
			return p.intFromFloat(v, raw)
		case json.Number:
			return p.intFromText(string(v), raw)
		case string:
			return p.intFromText(strings.TrimSpace(v), raw)
		}
	case float64:
		switch v := raw.(type) {
		case float64:
			return v, nil
		case int64:
			return float64(v), nil
		case int:
			return float64(v), nil
		case json.Number, string:
			f, err := strconv.ParseFloat(strings.TrimSpace(fmt.Sprint(v)), 64)
			if errors.Is(err, strconv.ErrRange) && !math.IsNaN(f) {
				return nil, p.outside(raw)
			}
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				return nil, bad()
			}
			return f, nil
		}
	case bool:
		switch v := raw.(type) {
		case bool:
			return v, nil
		case string:
			b, err := strconv.ParseBool(strings.TrimSpace(v))
			if err != nil {
				return nil, bad()
			}
			return b, nil
		}
	case string:
		if v, ok := raw.(string); ok {
			return v, nil
		}
	}
	return nil, bad()
}

// intFromText reads an int written in decimal, or as a number whose value
// is exactly an integer no larger than a float64 holds exactly ("4.0",
// "1e3").
func (p Param) intFromText(s string, raw any) (any, error) {
	i, err := strconv.ParseInt(s, 10, 64)
	if err == nil {
		return i, nil
	}
	f, ferr := strconv.ParseFloat(s, 64)
	switch {
	case errors.Is(err, strconv.ErrRange) || errors.Is(ferr, strconv.ErrRange):
		return nil, p.outside(raw)
	case ferr != nil || math.IsNaN(f) || math.IsInf(f, 0):
		return nil, &ParamError{Name: p.Name, Msg: fmt.Sprintf("must be an integer, not %v", raw)}
	}
	return p.intFromFloat(f, raw)
}

// intFromFloat takes a float that is an integer. From 2^53 on, a float64
// may already be rounded (2^53 + 1 decodes as 2^53), so the value it came
// from is unknown: refused.
func (p Param) intFromFloat(f float64, raw any) (any, error) {
	switch {
	case f != math.Trunc(f) || math.IsInf(f, 0):
		return nil, &ParamError{Name: p.Name, Msg: fmt.Sprintf("must be an integer, not %v", raw)}
	case math.Abs(f) >= maxExact:
		return nil, p.outside(raw)
	}
	return int64(f), nil
}

// outside refuses a number too large to be the param's type, naming the
// values it takes.
func (p Param) outside(raw any) error {
	bounds := p.Bounds()
	if p.Min == nil && p.Max == nil && len(p.Choices) == 0 {
		switch p.Type() {
		case "int":
			bounds = fmt.Sprintf("an integer from %d to %d", int64(math.MinInt64), int64(math.MaxInt64))
		case "float":
			bounds = fmt.Sprintf("a number from %g to %g", -math.MaxFloat64, math.MaxFloat64)
		}
	}
	return &ParamError{Name: p.Name, Msg: fmt.Sprintf("must be %s, not %v", bounds, raw)}
}

func article(t string) string {
	switch t {
	case "int":
		return "an integer"
	case "float":
		return "a number"
	case "bool":
		return "true or false"
	}
	return "a string"
}

// check checks a value of the param's type against its choices and
// bounds. An int is compared with a bound exactly, not as a float64.
func (p Param) check(v any) error {
	if len(p.Choices) > 0 {
		if !slices.Contains(p.Choices, v) {
			return &ParamError{Name: p.Name, Msg: fmt.Sprintf("must be %s, not %v", p.Bounds(), v)}
		}
		return nil
	}
	var x *big.Float
	switch n := v.(type) {
	case int64:
		x = new(big.Float).SetInt64(n)
	case float64:
		if math.IsNaN(n) {
			return &ParamError{Name: p.Name, Msg: "must be a number, not nan"}
		}
		x = big.NewFloat(n)
	default:
		return nil
	}
	if (p.Min != nil && x.Cmp(big.NewFloat(*p.Min)) < 0) || (p.Max != nil && x.Cmp(big.NewFloat(*p.Max)) > 0) {
		return &ParamError{Name: p.Name, Msg: fmt.Sprintf("must be %s, not %v", p.Bounds(), v)}
	}
	return nil
}

// UnmarshalJSON is json.Unmarshal except that numbers decoded into an
// interface stay json.Number: a request's param values then reach Resolve
// exact, where float64 would round an int above 2^53. Its errors are
// json.Unmarshal's: a *json.SyntaxError for text that is not JSON
// (trailing data included).
func UnmarshalJSON(data []byte, v any) error {
	if !json.Valid(data) {
		return json.Unmarshal(data, v)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec.Decode(v)
}

// paramValue is what `param(...)` returns inside a script.
type paramValue struct{ p Param }

func (v *paramValue) String() string        { return fmt.Sprintf("param(%v)", v.p.Default) }
func (v *paramValue) Type() string          { return "param" }
func (v *paramValue) Freeze()               {}
func (v *paramValue) Truth() starlark.Bool  { return true }
func (v *paramValue) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable: param") }

// ParamBuiltin is the `param` builtin that scripts use to declare their
// parameters. Only the engine calls it, in the sandboxed child, when the
// script runs; the server reads the same declarations from the syntax tree
// (see Parse), and both build the Param with set and finish.
var ParamBuiltin = starlark.NewBuiltin("param", func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var def, min, max, choices, doc starlark.Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "default", &def, "min?", &min, "max?", &max, "choices?", &choices, "doc?", &doc); err != nil {
		return nil, err
	}
	var p Param
	for i, v := range []starlark.Value{def, min, max, choices, doc} {
		if v == nil {
			continue
		}
		if err := p.set(paramSlots[i], goValue(v)); err != nil {
			return nil, err
		}
	}
	if err := p.finish(); err != nil {
		return nil, err
	}
	return &paramValue{p: p}, nil
})

// goValue converts a Starlark value to the Go value the metadata reader
// makes of the same literal.
func goValue(v starlark.Value) any {
	switch x := v.(type) {
	case starlark.NoneType:
		return nil
	case starlark.Int:
		if i, ok := x.Int64(); ok {
			return i
		}
		return x.BigInt()
	case starlark.Float:
		return float64(x)
	case starlark.Bool:
		return bool(x)
	case starlark.String:
		return string(x)
	case *starlark.List:
		l := make([]any, x.Len())
		for i := range l {
			l[i] = goValue(x.Index(i))
		}
		return l
	}
	return typeOnly(v.Type())
}

// typeOnly stands for a value of which only the type matters: a list
// where a number was wanted. Errors name the type as Starlark would.
type typeOnly string

// maxExact is the largest magnitude up to which every integer is a
// float64: a bound beyond it could not be compared exactly.
const maxExact = 1 << 53

// set sets one field of a declaration (a slot of paramSlots) from the Go
// value of its argument, checking its type.
func (p *Param) set(slot string, v any) error {
	switch slot {
	case "default":
		d, err := scalarParam(v)
		if err != nil {
			return fmt.Errorf("param: default: %w", err)
		}
		p.Default = d
	case "min", "max":
		var b *float64
		switch x := v.(type) {
		case nil:
		case int64:
			if x > maxExact || x < -maxExact {
				return fmt.Errorf("param: %s %d is too large to compare exactly: keep bounds within ±%d", slot, x, int64(maxExact))
			}
			f := float64(x)
			b = &f
		case *big.Int:
			return fmt.Errorf("param: %s %v is too large to compare exactly: keep bounds within ±%d", slot, x, int64(maxExact))
		case float64:
			if math.IsNaN(x) {
				return fmt.Errorf("param: %s must be a number, not nan", slot)
			}
			b = &x
		default:
			return fmt.Errorf("param: %s must be a number, not %s", slot, typeName(v))
		}
		if slot == "min" {
			p.Min = b
		} else {
			p.Max = b
		}
	case "choices":
		if v == nil {
			return nil
		}
		l, ok := v.([]any)
		if !ok {
			return fmt.Errorf("param: choices must be a list, not %s", typeName(v))
		}
		p.Choices = nil // an empty list is no choices, as it always was
		for _, c := range l {
			c, err := scalarParam(c)
			if err != nil {
				return fmt.Errorf("param: choices: %w", err)
			}
			p.Choices = append(p.Choices, c)
		}
	case "doc":
		if v == nil {
			return nil
		}
		doc, ok := v.(string)
		if !ok {
			return fmt.Errorf("param: doc must be a string, not %s", typeName(v))
		}
		p.Doc = doc
	}
	return nil
}

// finish checks a declaration once all its fields are set.
func (p *Param) finish() error {
	if p.Default == nil {
		return errors.New("param: missing argument for default")
	}
	if err := p.check(p.Default); err != nil {
		return fmt.Errorf("param: the default %v is out of its own bounds (%s)", p.Default, p.Bounds())
	}
	return nil
}

// scalarParam checks that a value can be a param's value.
func scalarParam(v any) (any, error) {
	switch x := v.(type) {
	case int64, float64, bool, string:
		return x, nil
	case *big.Int:
		return nil, fmt.Errorf("integer %v is too large", x)
	}
	return nil, fmt.Errorf("want an int, float, bool or string, not %s", typeName(v))
}

// typeName names the type of a literal's Go value as Starlark does.
func typeName(v any) string {
	switch x := v.(type) {
	case nil:
		return "NoneType"
	case string:
		return "string"
	case int64, *big.Int:
		return "int"
	case float64:
		return "float"
	case bool:
		return "bool"
	case []any:
		return "list"
	case typeOnly:
		return string(x)
	}
	return fmt.Sprintf("%T", v)
}

// repr writes a literal's Go value as Starlark would.
func repr(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case string:
		return strconv.Quote(x)
	case bool:
		if x {
			return "True"
		}
		return "False"
	case float64:
		return num(x)
	}
	return fmt.Sprint(v)
}

// FromStarlark converts a scalar Starlark value to Go.
func FromStarlark(v starlark.Value) (any, error) {
	switch x := v.(type) {
	case starlark.Int:
		i, ok := x.Int64()
		if !ok {
			return nil, fmt.Errorf("integer %v is too large", x)
		}
		return i, nil
	case starlark.Float:
		return float64(x), nil
	case starlark.Bool:
		return bool(x), nil
	case starlark.String:
		return string(x), nil
	}
	return nil, fmt.Errorf("want an int, float, bool or string, not %s", v.Type())
}

// ToStarlark converts a resolved param value to Starlark.
func ToStarlark(v any) starlark.Value {
	switch x := v.(type) {
	case int64:
		return starlark.MakeInt64(x)
	case int:
		return starlark.MakeInt(x)
	case float64:
		return starlark.Float(x)
	case bool:
		return starlark.Bool(x)
	case string:
		return starlark.String(x)
	}
	return starlark.None
}
