package engine

import (
	"reflect"
	"unsafe"

	"go.starlark.net/starlark"
)

// freeze makes v and every value reachable from it immutable, as
// v.Freeze() would, but it also ends on cycles that pass only through
// functions and tuples. A nested function that calls itself holds itself
// in a cell, and Starlark's Function.Freeze, which has no flag to stop
// at, recurses through it until the stack runs out; a list holding such
// a function never gets past its first element. So freeze walks the
// graph itself, with a visited set and an explicit stack (a value nested
// a million deep needs no deep Go stack), and sets each container's
// frozen flag without Starlark recursing into its elements.
func freeze(v starlark.Value) {
	switch v.(type) {
	case nil:
		return
	case *starlark.Builtin: // a bound method holds its receiver: walk it
	default:
		if !needsFreeze(v) {
			v.Freeze() // a scalar, the common case: no walk
			return
		}
	}
	seen := map[starlark.Value]bool{}
	stack := []starlark.Value{v}
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		switch x := v.(type) {
		case nil:
		case starlark.Tuple: // a slice: not comparable, but it cannot hold itself
			stack = append(stack, x...)
		case *starlark.Function, *starlark.List, *starlark.Dict, *starlark.Set, *starlark.Builtin:
			if seen[v] {
				continue
			}
			seen[v] = true
			stack = freezeOne(x, stack)
		default:
			v.Freeze() // strings, numbers and the engine's own objects: nothing to recurse into
		}
	}
}

// freezeOne freezes one container (a function has no flag of its own) and
// pushes what it holds. A container found frozen already holds only
// frozen values, as Starlark and freeze both set the flag first and
// freeze the elements before returning.
func freezeOne(v starlark.Value, stack []starlark.Value) []starlark.Value {
	switch x := v.(type) {
	case *starlark.Function:
		for i := range x.NumFreeVars() {
			_, fv := x.FreeVar(i)
			stack = append(stack, fv)
		}
		for i := range x.NumParams() {
			stack = append(stack, x.ParamDefault(i))
		}
	case *starlark.Builtin: // a bound method such as l.append holds its list
		stack = append(stack, x.Receiver())
	case *starlark.List:
		if !markFrozen(x, listFrozen) {
			return stack
		}
		for i := range x.Len() {
			stack = append(stack, x.Index(i))
		}
	case *starlark.Dict:
		if !markFrozen(x, hashFrozen) {
			return stack
		}
		for _, kv := range x.Items() {
			stack = append(stack, kv[0], kv[1])
		}
	case *starlark.Set:
		if !markFrozen(x, hashFrozen) {
			return stack
		}
		for e := range starlark.Elements(x) {
			stack = append(stack, e)
		}
	}
	return stack
}

// The paths of the frozen flags inside Starlark's containers. Starlark
// offers no way to freeze a container but not its elements, which is
// what a cycle-safe walk needs, so freeze sets the flag itself.
var (
	listFrozen = []string{"frozen"}
	hashFrozen = []string{"ht", "frozen"}
)

// markFrozen sets the frozen flag of container c and reports whether its
// elements still need freezing: false if it was frozen already. Should a
// newer Starlark move the flag, it falls back to c.Freeze() (and
// TestFreezeFlags fails, so the upgrade is noticed).
func markFrozen(c starlark.Value, path []string) bool {
	flag := frozenFlag(c, path)
	if flag == nil {
		c.Freeze()
		return false
	}
	if *flag {
		return false
	}
	*flag = true
	return true
}

// frozenFlag finds the unexported bool at path in the struct p points to,
// or returns nil.
func frozenFlag(p any, path []string) *bool {
	f := reflect.ValueOf(p).Elem()
	for _, name := range path {
		if f.Kind() != reflect.Struct {
			return nil
		}
		if f = f.FieldByName(name); !f.IsValid() {
			return nil
		}
	}
	if f.Kind() != reflect.Bool {
		return nil
	}
	return (*bool)(unsafe.Pointer(f.UnsafeAddr()))
}
