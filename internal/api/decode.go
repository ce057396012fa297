package api

import (
	"bytes"
	stdjson "encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/havenchat/haven"
)

// decodeParams fills p (a pointer to a params struct) from raw JSON with
// every rule of the edge: valid UTF-8 (lone surrogate escapes included),
// one JSON object, names written exactly as documented (no other case,
// no unknown field, none twice, at any depth), right types, integers
// exact in JavaScript, required fields present. Empty input means no
// parameters.
//
// The JSON is read by encoding/json/v2's implementation
// (github.com/go-json-experiment/json), which matches names
// case-sensitively and rejects duplicate names; encoding/json (v1)
// does neither, so {"Text":"a","text":"b"} would be taken as "b".
func decodeParams(raw []byte, p any) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		raw = []byte("{}")
	}
	lone, nul := escapes(raw)
	if !utf8.Valid(raw) || lone {
		return haven.Errorf(haven.CodeInvalidUTF8, "the request is not valid UTF-8")
	}
	if nul {
		// No text Haven keeps may hold U+0000: PostgreSQL cannot store
		// it, and no person types it.
		return haven.Errorf(haven.CodeParamInvalid, "a string holds U+0000 (\\u0000)")
	}
	if err := json.Unmarshal(raw, p, decodeOptions); err != nil {
		return decodeError(reflect.TypeOf(p).Elem(), err)
	}
	return checkRequired(p)
}

// decodeOptions are the decoder's rules beyond v2's defaults (which
// already refuse invalid UTF-8, duplicate names and names in another
// case): unknown names are refused, and every integer goes through
// safeInt.
var decodeOptions = json.JoinOptions(
	json.RejectUnknownMembers(true),
	json.WithUnmarshalers(json.JoinUnmarshalers(
		json.UnmarshalFromFunc(func(dec *jsontext.Decoder, v *int64) error {
			n, err := safeInt(dec)
			if err == nil {
				*v = n
			}
			return err
		}),
		json.UnmarshalFromFunc(func(dec *jsontext.Decoder, v *int) error {
			n, err := safeInt(dec)
			if err == nil {
				*v = int(n)
			}
			return err
		}),
	)),
)

// errUnsafeInt and notIntegerError are safeInt's refusals, turned into
// coded errors naming the field by decodeError.
var errUnsafeInt = errors.New("outside ±2^53")

type notIntegerError struct{ value string }

func (e *notIntegerError) Error() string { return "not an integer: " + e.value }

// safeInt reads a JSON number that must be an integer strictly within
// ±2^53 (haven.MaxID): a JavaScript client holds nothing larger exactly,
// so a larger id or random_id is a client bug that would otherwise match
// the wrong message. Anything but a number is left to the default
// decoding (null: zero; a string: WRONG_TYPE).
func safeInt(dec *jsontext.Decoder) (int64, error) {
	if dec.PeekKind() != '0' {
		return 0, errors.ErrUnsupported
	}
	val, err := dec.ReadValue()
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(string(val), 10, 64)
	switch {
	case err == nil && n > -haven.MaxID && n < haven.MaxID:
		return n, nil
	case err == nil, errors.Is(err, strconv.ErrRange):
		return 0, errUnsafeInt
	}
	return 0, &notIntegerError{truncate(string(val), 32)} // a fraction or an exponent: 1.5, 1e3
}

// decodeError names what went wrong in decoding into a value of type t,
// naming the field by its path (items[1].random_id).
func decodeError(t reflect.Type, err error) error {
	var syn *jsontext.SyntacticError
	var sem *json.SemanticError
	var notInt *notIntegerError
	switch {
	case errors.As(err, &syn) && syn.Err == jsontext.ErrDuplicateName:
		return haven.Errorf(haven.CodeDuplicateField, "parameter %q is given twice", fieldPath(t, syn.JSONPointer))
	case errors.As(err, &sem):
		name := fieldPath(t, sem.JSONPointer)
		switch {
		case errors.Is(sem.Err, json.ErrUnknownName):
			return haven.Errorf(haven.CodeUnknownField, "unknown parameter %q", name)
		case errors.Is(sem.Err, errUnsafeInt):
			return haven.Errorf(haven.CodeParamInvalid, "parameter %s must be an integer between -(2^53-1) and 2^53-1", name)
		case errors.As(sem.Err, &notInt):
			return haven.Errorf(haven.CodeWrongType, "parameter %s must be an integer, not %s", name, notInt.value)
		case sem.JSONPointer == "":
			return haven.Errorf(haven.CodeWrongType, "the parameters must be a JSON object")
		case sem.GoType != nil && sem.JSONKind != 0:
			return haven.Errorf(haven.CodeWrongType, "parameter %s must be %s, not %s", name, jsonKind(sem.GoType), kindName(sem.JSONKind))
		}
	}
	return haven.Errorf(haven.CodeMalformedJSON, "the request is not well-formed JSON")
}

// kindName names the kind of JSON value a client sent.
func kindName(k jsontext.Kind) string {
	switch k {
	case '"':
		return "a string"
	case '0':
		return "a number"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	case '[':
		return "an array"
	}
	return "an object"
}

// fieldPath turns a JSON pointer into a params struct of type t
// (/items/1/random_id) into the name a client knows: items[1].random_id.
// The type says which tokens are array indexes, so a key made of digits
// is still shown as a key; inside raw JSON (a WebSocket frame's params),
// whose type is not known here, a token of digits is taken as an index.
func fieldPath(t reflect.Type, ptr jsontext.Pointer) string {
	var b strings.Builder
	for tok := range ptr.Tokens() {
		for t != nil && t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t == rawJSON {
			t = nil
		}
		if (t == nil && tok != "" && strings.Trim(tok, "0123456789") == "") ||
			(t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array)) {
			b.WriteString("[" + tok + "]")
			if t != nil {
				t = t.Elem()
			}
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
		t = fieldType(t, tok)
	}
	return b.String()
}

// rawJSON is the type of JSON kept as it is (a frame's params).
var rawJSON = reflect.TypeFor[stdjson.RawMessage]()

// fieldType is the type of the field named name on the wire in struct
// type t, or nil.
func fieldType(t reflect.Type, name string) reflect.Type {
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	for _, f := range wireFields(t) {
		if jsonName(f) == name {
			return f.Type
		}
	}
	return nil
}

// jsonKind names a Go type as a JSON client knows it.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return "an object"
}

// checkRequired reports the first field tagged `required:"true"` that has
// its zero value, in the params struct or in the objects it holds (the
// items of an album, say), named by its path: items[2].random_id.
func checkRequired(p any) error {
	return requiredIn(reflect.ValueOf(p).Elem(), "")
}

func requiredIn(v reflect.Value, path string) error {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		return requiredIn(v.Elem(), path)
	case reflect.Slice, reflect.Array:
		switch v.Type().Elem().Kind() {
		case reflect.Struct, reflect.Pointer, reflect.Slice, reflect.Array:
		default:
			return nil // numbers, strings, raw JSON: nothing tagged inside
		}
		for i := range v.Len() {
			if err := requiredIn(v.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case reflect.Struct:
		for _, f := range wireFields(v.Type()) {
			name := jsonName(f)
			if path != "" {
				name = path + "." + name
			}
			fv := v.FieldByIndex(f.Index)
			if f.Tag.Get("required") == "true" && fv.IsZero() {
				return haven.Errorf(haven.CodeParamMissing, "parameter %s is required", name)
			}
			if err := requiredIn(fv, name); err != nil {
				return err
			}
		}
	}
	return nil
}

// jsonName is the name of a struct field on the wire.
func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "" {
		return f.Name
	}
	return name
}

// hasLoneSurrogate reports whether JSON text escapes half of a UTF-16
// surrogate pair (encoding/json would quietly turn it into U+FFFD).
func hasLoneSurrogate(raw []byte) bool {
	lone, _ := escapes(raw)
	return lone
}

// escapes reports whether JSON text escapes half of a UTF-16 surrogate
// pair, and whether it escapes U+0000 (a raw one is a syntax error).
func escapes(raw []byte) (lone, nul bool) {
	inString := false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if !inString {
			inString = c == '"'
			continue
		}
		switch c {
		case '"':
			inString = false
		case '\\':
			if i+1 < len(raw) && raw[i+1] == 'u' {
				r, ok := hex4(raw, i+2)
				if !ok {
					return lone, nul // a syntax error, reported by the decoder
				}
				switch {
				case r >= 0xD800 && r < 0xDC00:
					if i+11 >= len(raw) || raw[i+6] != '\\' || raw[i+7] != 'u' {
						return true, nul
					}
					lo, ok := hex4(raw, i+8)
					if !ok || lo < 0xDC00 || lo >= 0xE000 {
						return true, nul
					}
					i += 11
				case r >= 0xDC00 && r < 0xE000:
					return true, nul
				default:
					nul = nul || r == 0
					i += 5
				}
			} else {
				i++
			}
		}
	}
	return false, nul
}

func hex4(b []byte, at int) (rune, bool) {
	if at+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[at : at+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	return r, true
}

// wireFields lists the fields of a params struct as they are on the
// wire: those of an embedded struct (the media item that sendMedia
// shares with an album's items) in its place.
func wireFields(t reflect.Type) []reflect.StructField {
	var fields []reflect.StructField
	for _, f := range reflect.VisibleFields(t) {
		if f.IsExported() && !f.Anonymous {
			fields = append(fields, f)
		}
	}
	return fields
}

// paramNames lists the wire names of a params struct's fields, for the
// documentation test.
func paramNames(t reflect.Type) []string {
	var names []string
	for _, f := range wireFields(t) {
		names = append(names, jsonName(f))
	}
	return names
}
