package scenarios

import (
	"encoding/json"
	"errors"
	"math"
	"testing"
)

func TestResolveExactInts(t *testing.T) {
	s, err := Parse("r", `params = {
    "any": param(0),
    "small": param(4, min = 1, max = 16),
    "edge": param(0, min = 0, max = 9007199254740992),
    "ratio": param(0.5),
}
def main(**kw):
    pass
`)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		given   map[string]any
		want    any // the value of the one given param
		wantErr string
	}{
		{"2^53 + 1 exact", map[string]any{"any": json.Number("9007199254740993")}, int64(9007199254740993), ""},
		{"max int64", map[string]any{"any": json.Number("9223372036854775807")}, int64(math.MaxInt64), ""},
		{"min int64", map[string]any{"any": json.Number("-9223372036854775808")}, int64(math.MinInt64), ""},
		{"max int64 as text", map[string]any{"any": "9223372036854775807"}, int64(math.MaxInt64), ""},
		{"integral float text", map[string]any{"any": json.Number("1e3")}, int64(1000), ""},
		{"integral with a point", map[string]any{"small": json.Number("4.0")}, int64(4), ""},
		{"beyond int64", map[string]any{"any": json.Number("9223372036854775808")}, nil,
			`param "any" must be an integer from -9223372036854775808 to 9223372036854775807, not 9223372036854775808`},
		{"beyond int64 with bounds", map[string]any{"small": json.Number("1e30")}, nil, `param "small" must be from 1 to 16, not 1e30`},
		{"rounded float", map[string]any{"any": float64(1 << 53)}, nil, `param "any" must be an integer from`},
		{"float text beyond 2^53", map[string]any{"any": "9.007199254740993e+15"}, nil, `param "any" must be an integer from`},
		{"fraction", map[string]any{"any": json.Number("1.5")}, nil, `param "any" must be an integer, not 1.5`},
		{"exact bound", map[string]any{"edge": json.Number("9007199254740992")}, int64(1 << 53), ""},
		{"one above an exact bound", map[string]any{"edge": json.Number("9007199254740993")}, nil,
			`param "edge" must be from 0 to 9007199254740992, not 9007199254740993`},
		{"float", map[string]any{"ratio": json.Number("0.25")}, 0.25, ""},
		{"float overflow", map[string]any{"ratio": json.Number("1e400")}, nil, `param "ratio" must be a number from`},
		{"float not a number", map[string]any{"ratio": "nan"}, nil, `param "ratio" must be a number, not nan`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := map[string]any{}
			for k := range tt.given {
				want[k] = tt.want
			}
			checkResolve(t, s.Params, tt.given, want, tt.wantErr)
		})
	}
}

// TestResolveAgreesAcrossTheWire follows a value as it travels: the page's
// JSON decoded by the server, resolved, encoded into the child's request,
// decoded by the child and resolved again. Both sides must take the same
// values and refuse the same ones.
func TestResolveAgreesAcrossTheWire(t *testing.T) {
	s, err := Parse("r", "params = {\"n\": param(0)}\ndef main(n):\n    pass\n")
	if err != nil {
		t.Fatal(err)
	}
	for _, raw := range []string{"9007199254740993", "9223372036854775807", "-9223372036854775808", `"9223372036854775807"`, "1e3", "-0"} {
		t.Run(raw, func(t *testing.T) {
			var page struct{ Params map[string]any }
			if err := UnmarshalJSON([]byte(`{"params": {"n": `+raw+`}}`), &page); err != nil {
				t.Fatalf("UnmarshalJSON() error = %v", err)
			}
			server, err := Resolve(s.Params, page.Params)
			if err != nil {
				t.Fatalf("server: Resolve(%s) error = %v", raw, err)
			}
			req, err := json.Marshal(map[string]any{"params": server})
			if err != nil {
				t.Fatal(err)
			}
			var child struct{ Params map[string]any }
			if err := UnmarshalJSON(req, &child); err != nil {
				t.Fatalf("UnmarshalJSON(%s) error = %v", req, err)
			}
			got, err := Resolve(s.Params, child.Params)
			if err != nil {
				t.Fatalf("child: Resolve(%s) error = %v, but the server took it", req, err)
			}
			if got["n"] != server["n"] {
				t.Errorf("child: Resolve(%s) = %v, server %v", req, got["n"], server["n"])
			}
		})
	}
}

func TestUnmarshalJSONRefusesWhatUnmarshalRefuses(t *testing.T) {
	var m map[string]any
	for _, in := range []string{`{"a": 1} x`, `{"a": 1}}`, `{"a": 1}{}`, `{"a":`, ``} {
		var syn *json.SyntaxError
		if err := UnmarshalJSON([]byte(in), &m); !errors.As(err, &syn) {
			t.Errorf("UnmarshalJSON(%q) error = %v, want a *json.SyntaxError as json.Unmarshal gives", in, err)
		}
	}
	if err := UnmarshalJSON([]byte(" {\"a\": 1} \n"), &m); err != nil || m["a"] != json.Number("1") {
		t.Errorf("UnmarshalJSON() = %v, %v, want a: json.Number(1)", m, err)
	}
}
