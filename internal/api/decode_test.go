package api

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/havenchat/haven"
)

type fuzzParams struct {
	Name  string  `json:"name" required:"true"`
	Count int     `json:"count"`
	IDs   []int64 `json:"ids"`
	Bio   *string `json:"bio"`
}

func codeOf(err error) string {
	var he *haven.Error
	if errors.As(err, &he) {
		return he.Code
	}
	return ""
}

func TestDecodeParams(t *testing.T) {
	for in, want := range map[string]string{
		`{"name":"a"}`:               "",
		` {"name":"a","ids":[1,2]} `: "",
		`{"name":"a","bio":null}`:    "",
		`{"name":"😀 \ud83d\ude00"}`:  "",
		``:                           haven.CodeParamMissing, // no params: the required one is missing
		`{}`:                         haven.CodeParamMissing,
		`{"name":""}`:                haven.CodeParamMissing,
		`{"name":"a"`:                haven.CodeMalformedJSON,
		`{"name":"a"}{}`:             haven.CodeMalformedJSON,
		`{"name":"a"} x`:             haven.CodeMalformedJSON,
		`[]`:                         haven.CodeWrongType,
		`"str"`:                      haven.CodeWrongType,
		`{"name":1}`:                 haven.CodeWrongType,
		`{"name":"a","count":1.5}`:   haven.CodeWrongType,
		`{"name":"a","count":99999999999999999999}`: haven.CodeParamInvalid, // an integer, out of range
		`{"name":"a","count":1e3}`:                  haven.CodeWrongType,
		`{"name":"a","count":1.0}`:                  haven.CodeWrongType,
		`{"name":"a","ids":"1"}`:                    haven.CodeWrongType,
		`{"name":"a","nick":"b"}`:                   haven.CodeUnknownField,
		"{\"name\":\"\xff\"}":                       haven.CodeInvalidUTF8,
		`{"name":"\ud800"}`:                         haven.CodeInvalidUTF8,
		`{"name":"\udc00x"}`:                        haven.CodeInvalidUTF8,
		`{"name":"\ud800\u0041"}`:                   haven.CodeInvalidUTF8,
		`{"name":"\\ud800"}`:                        "",                     // an escaped backslash, not an escape
		`{"name":"a\u0000b"}`:                       haven.CodeParamInvalid, // U+0000: no store keeps it
		`{"name":"a\\u0000b"}`:                      "",                     // an escaped backslash
		// Names are matched exactly, once each.
		`{"Name":"a"}`:                      haven.CodeUnknownField,
		`{"NAME":"a"}`:                      haven.CodeUnknownField,
		`{"name":"a","Count":1}`:            haven.CodeUnknownField,
		`{"name":"a","name":"b"}`:           haven.CodeDuplicateField,
		`{"name":"a","ids":[],"ids":[]}`:    haven.CodeDuplicateField,
		`{"name":"a","bio":null,"bio":"x"}`: haven.CodeDuplicateField,
		// Integers are exact in JavaScript: strictly within ±2^53.
		`{"name":"a","ids":[9007199254740991,-9007199254740991]}`: "",
		`{"name":"a","ids":[1,9007199254740992]}`:                 haven.CodeParamInvalid,
		`{"name":"a","ids":[-9007199254740992]}`:                  haven.CodeParamInvalid,
		`{"name":"a","count":9007199254740992}`:                   haven.CodeParamInvalid,
		`{"name":"a","count":-9223372036854775808}`:               haven.CodeParamInvalid,
		`{"name":"a","count":null}`:                               "",
		`{"name":"a","count":"1"}`:                                haven.CodeWrongType,
	} {
		var p fuzzParams
		if got := codeOf(decodeParams([]byte(in), &p)); got != want {
			t.Errorf("decodeParams(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzDecodeParams feeds arbitrary bytes to the request decoder: it must
// never panic, must answer every failure with a coded error, and what it
// accepts must be valid UTF-8 JSON whose required field is present.
func FuzzDecodeParams(f *testing.F) {
	for _, s := range []string{`{"name":"a"}`, `{"name":"a","ids":[1],"bio":"x"}`, `{"name":"\ud83d\ude00"}`, `[`, `{"name":"\ud800"}`, "\xff", `{"count":1e400}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var p fuzzParams
		err := decodeParams(data, &p)
		if err != nil {
			if codeOf(err) == "" {
				t.Fatalf("uncoded error %v for %q", err, data)
			}
			return
		}
		if !utf8.Valid(data) {
			t.Fatalf("accepted invalid UTF-8 %q", data)
		}
		if p.Name == "" {
			t.Fatalf("accepted %q without the required name", data)
		}
		if strings.ContainsRune(p.Name, utf8.RuneError) && !strings.Contains(string(data), "\ufffd") && !strings.Contains(strings.ToLower(string(data)), `\ufffd`) {
			t.Fatalf("a lone surrogate slipped through in %q", data)
		}
		if !json.Valid(data) && len(strings.TrimSpace(string(data))) > 0 {
			t.Fatalf("accepted invalid JSON %q", data)
		}
	})
}

func TestRequiredInsideItems(t *testing.T) {
	for raw, want := range map[string]string{
		`{"items":[{"kind":"photo","file_id":1,"random_id":5}]}`:                              "",
		`{"items":[{"kind":"photo","file_id":1,"random_id":5},{"kind":"photo","file_id":2}]}`: "parameter items[1].random_id is required",
		`{"items":[{"file_id":1,"random_id":5}]}`:                                             "parameter items[0].kind is required",
		`{}`: "parameter items is required",
		`{"items":[{"kind":"photo","file_id":1,"random_id":5}],"reply_to_id":3,"silent":true}`:        "",
		`{"items":[{"kind":"photo","file_id":1,"random_id":5},{"kind":"video","random_id":6}],"x":1}`: "unknown parameter \"x\"",
	} {
		var p sendAlbumParams
		err := decodeParams([]byte(raw), &p)
		got := ""
		if err != nil {
			var he *haven.Error
			if !errors.As(err, &he) {
				t.Fatalf("%s: %v is not a haven error", raw, err)
			}
			got = he.Message
		}
		if got != want {
			t.Errorf("%s: %q, want %q", raw, got, want)
		}
	}
	// sendMedia shares the item's fields: they keep their own names.
	var m sendMediaParams
	err := decodeParams([]byte(`{"user_id":2,"kind":"photo","file_id":1,"reply_to_id":3}`), &m)
	if he := (*haven.Error)(nil); !errors.As(err, &he) || he.Message != "parameter random_id is required" {
		t.Errorf("sendMedia without random_id: %v", err)
	}
	if err := decodeParams([]byte(`{"user_id":2,"kind":"photo","file_id":1,"random_id":9,"reply_to_id":3,"silent":true}`), &m); err != nil ||
		m.FileID != 1 || m.RandomID != 9 || m.ReplyToID != 3 || !m.Silent {
		t.Errorf("sendMedia decoded as %+v, %v", m, err)
	}
	// Nothing tagged deeper than the items: a params struct with none
	// passes whatever its lists hold.
	var p struct {
		IDs [][]int64 `json:"ids"`
	}
	if err := decodeParams([]byte(`{"ids":[[1,2],[]]}`), &p); err != nil {
		t.Fatal(err)
	}
}

// TestDecodeNamesTheField checks that every refusal names the field by
// its path, at every depth: the items of an album, the contacts of an
// import, the entities of a message.
func TestDecodeNamesTheField(t *testing.T) {
	for _, tc := range []struct {
		p         any
		raw, code string
		msg       string
	}{
		{&sendAlbumParams{}, `{"items":[{"kind":"photo","file_id":1,"random_id":5},{"Kind":"photo","file_id":2,"random_id":6}]}`,
			haven.CodeUnknownField, `unknown parameter "items[1].Kind"`},
		{&sendAlbumParams{}, `{"items":[{"kind":"photo","file_id":1,"random_id":5,"random_id":6}]}`,
			haven.CodeDuplicateField, `parameter "items[0].random_id" is given twice`},
		{&sendAlbumParams{}, `{"items":[{"kind":"photo","file_id":1,"random_id":9007199254740993}]}`,
			haven.CodeParamInvalid, `parameter items[0].random_id must be an integer between -(2^53-1) and 2^53-1`},
		{&sendAlbumParams{}, `{"items":[{"kind":"photo","file_id":"1","random_id":5}]}`,
			haven.CodeWrongType, `parameter items[0].file_id must be an integer, not a string`},
		{&sendAlbumParams{}, `{"items":[{"kind":"photo","file_id":1.5,"random_id":5}]}`,
			haven.CodeWrongType, `parameter items[0].file_id must be an integer, not 1.5`},
		{&importContactsParams{}, `{"contacts":[{"phone":"+441","First_Name":"Ann"}]}`,
			haven.CodeUnknownField, `unknown parameter "contacts[0].First_Name"`},
		{&importContactsParams{}, `{"contacts":[{"phone":"+441","first_name":"Ann","first_name":"Bob"}]}`,
			haven.CodeDuplicateField, `parameter "contacts[0].first_name" is given twice`},
		{&sendParams{}, `{"chat_id":1,"text":"hi","random_id":1,"entities":[{"type":"bold","offset":0,"length":2,"Length":1}]}`,
			haven.CodeUnknownField, `unknown parameter "entities[0].Length"`},
		{&sendParams{}, `{"chat_id":1,"text":"hi","random_id":1,"entities":[{"type":"text_mention","offset":0,"length":2,"user_id":9007199254740992}]}`,
			haven.CodeParamInvalid, `parameter entities[0].user_id must be an integer between -(2^53-1) and 2^53-1`},
		{&sendParams{}, `{"Chat_ID":1,"TEXT":"hi","random_id":1}`,
			haven.CodeUnknownField, `unknown parameter "Chat_ID"`},
		{&updateChatParams{}, `{"chat_id":1,"slow_mode_seconds":1e2}`,
			haven.CodeWrongType, `parameter slow_mode_seconds must be an integer, not 1e2`},
		{&updateChatParams{}, `{"chat_id":1,"title":5}`,
			haven.CodeWrongType, `parameter title must be a string, not a number`},
		{&userIDsParams{}, `[1]`, haven.CodeWrongType, `the parameters must be a JSON object`},
	} {
		err := decodeParams([]byte(tc.raw), tc.p)
		var he *haven.Error
		if !errors.As(err, &he) || he.Code != tc.code || he.Message != tc.msg {
			t.Errorf("%s: %v, want %s: %s", tc.raw, err, tc.code, tc.msg)
		}
	}
}
