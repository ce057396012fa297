package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/havenchat/haven"
)

// decodeParams fills p (a pointer to a params struct) from raw JSON with
// every rule of the edge: valid UTF-8 (lone surrogate escapes included),
// one JSON object, no unknown fields, right types, required fields
// present. Empty input means no parameters.
func decodeParams(raw []byte, p any) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		raw = []byte("{}")
	}
	if !utf8.Valid(raw) || hasLoneSurrogate(raw) {
		return haven.Errorf(haven.CodeInvalidUTF8, "the request is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(p); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return haven.Errorf(haven.CodeMalformedJSON, "unexpected data after the JSON object")
	}
	return checkRequired(p)
}

// decodeError names what went wrong in a json.Decoder.Decode.
func decodeError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return haven.Errorf(haven.CodeMalformedJSON, "the request is not well-formed JSON")
	case errors.As(err, &typ):
		if typ.Field == "" {
			return haven.Errorf(haven.CodeWrongType, "the parameters must be a JSON object")
		}
		return haven.Errorf(haven.CodeWrongType, "parameter %s must be %s, not %s", typ.Field, jsonKind(typ.Type), typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// encoding/json reports unknown fields only in its message.
		return haven.Errorf(haven.CodeUnknownField, "unknown parameter %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return haven.Errorf(haven.CodeMalformedJSON, "the request could not be read")
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
					return false // a syntax error, reported by the decoder
				}
				switch {
				case r >= 0xD800 && r < 0xDC00:
					if i+11 >= len(raw) || raw[i+6] != '\\' || raw[i+7] != 'u' {
						return true
					}
					lo, ok := hex4(raw, i+8)
					if !ok || lo < 0xDC00 || lo >= 0xE000 {
						return true
					}
					i += 11
				case r >= 0xDC00 && r < 0xE000:
					return true
				default:
					i += 5
				}
			} else {
				i++
			}
		}
	}
	return false
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
