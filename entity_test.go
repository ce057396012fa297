package haven

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
)

func TestValidateEntitiesAccepts(t *testing.T) {
	for _, tc := range []struct {
		name string
		text string
		in   []Entity
		want []Entity // nil: same as in
	}{
		{name: "none", text: "hello", in: nil},
		{name: "bold after an emoji", text: "😀 bold", in: []Entity{{Type: EntityBold, Offset: 3, Length: 4}}},
		{name: "the emoji itself", text: "😀 bold", in: []Entity{{Type: EntityItalic, Offset: 0, Length: 2}}},
		{name: "whole text", text: "a😀b", in: []Entity{{Type: EntitySpoiler, Offset: 0, Length: 4}}},
		{name: "characters of the Basic Multilingual Plane count one unit", text: "é€x", in: []Entity{{Type: EntityCode, Offset: 2, Length: 1}}},
		{
			name: "sorted by offset, then longest first",
			text: "0123456789",
			in: []Entity{
				{Type: EntityItalic, Offset: 5, Length: 2},
				{Type: EntityBold, Offset: 0, Length: 3},
				{Type: EntityUnderline, Offset: 0, Length: 10},
				{Type: EntityStrikethrough, Offset: 5, Length: 5},
			},
			want: []Entity{
				{Type: EntityUnderline, Offset: 0, Length: 10},
				{Type: EntityBold, Offset: 0, Length: 3},
				{Type: EntityStrikethrough, Offset: 5, Length: 5},
				{Type: EntityItalic, Offset: 5, Length: 2},
			},
		},
		{
			name: "same span: fixed order, duplicates dropped",
			text: "abc",
			in: []Entity{
				{Type: EntityItalic, Offset: 0, Length: 3},
				{Type: EntityBold, Offset: 0, Length: 3},
				{Type: EntityItalic, Offset: 0, Length: 3},
			},
			want: []Entity{{Type: EntityBold, Offset: 0, Length: 3}, {Type: EntityItalic, Offset: 0, Length: 3}},
		},
		{
			name: "nested three deep and touching",
			text: "0123456789",
			in: []Entity{
				{Type: EntityBold, Offset: 0, Length: 10},
				{Type: EntityItalic, Offset: 1, Length: 5},
				{Type: EntityCode, Offset: 2, Length: 2},
				{Type: EntityUnderline, Offset: 6, Length: 4}, // starts where italic ends
			},
		},
		{
			name: "links, mentions, pre with languages",
			text: "link mail tg Ann code code code",
			in: []Entity{
				{Type: EntityTextLink, Offset: 0, Length: 4, URL: "https://example.com/a?b=c#d"},
				{Type: EntityTextLink, Offset: 5, Length: 4, URL: "mailto:ann@example.com"},
				{Type: EntityTextLink, Offset: 10, Length: 2, URL: "tg://resolve?domain=haven"},
				{Type: EntityTextMention, Offset: 13, Length: 3, UserID: 42},
				{Type: EntityPre, Offset: 17, Length: 4, Language: "c++"},
				{Type: EntityPre, Offset: 22, Length: 4, Language: "objective-c"},
				{Type: EntityPre, Offset: 27, Length: 4, Language: "C#"},
			},
		},
		{name: "http in capitals", text: "x", in: []Entity{{Type: EntityTextLink, Offset: 0, Length: 1, URL: "HTTP://EXAMPLE.COM"}}},
		{name: "URL of 2048 bytes", text: "x", in: []Entity{{Type: EntityTextLink, Offset: 0, Length: 1, URL: "https://a.io/" + strings.Repeat("a", 2048-13)}}},
		{name: "language of 32", text: "x", in: []Entity{{Type: EntityPre, Offset: 0, Length: 1, Language: strings.Repeat("a", 32)}}},
		{name: "largest user id", text: "x", in: []Entity{{Type: EntityTextMention, Offset: 0, Length: 1, UserID: MaxID - 1}}},
		{name: "auto-detectable types may be sent", text: "@alice #tag", in: []Entity{{Type: EntityMention, Offset: 0, Length: 6}, {Type: EntityHashtag, Offset: 7, Length: 4}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := slices.Clone(tc.in)
			got, err := ValidateEntities(tc.text, tc.in, 0)
			if err != nil {
				t.Fatalf("ValidateEntities: %v", err)
			}
			want := tc.want
			if want == nil {
				want = tc.in
			}
			if !slices.Equal(got, want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
			if !slices.Equal(tc.in, in) {
				t.Errorf("the input was modified: %+v", tc.in)
			}
		})
	}
}

func TestValidateEntitiesRejects(t *testing.T) {
	e := func(typ EntityType, off, n int) Entity { return Entity{Type: typ, Offset: off, Length: n} }
	link := func(u string) []Entity { return []Entity{{Type: EntityTextLink, Offset: 0, Length: 1, URL: u}} }
	pre := func(lang string) []Entity { return []Entity{{Type: EntityPre, Offset: 0, Length: 1, Language: lang}} }
	mention := func(id int64) []Entity { return []Entity{{Type: EntityTextMention, Offset: 0, Length: 1, UserID: id}} }
	many := make([]Entity, 101)
	for i := range many {
		many[i] = e(EntityBold, 0, 1)
	}
	for _, tc := range []struct {
		name string
		text string
		es   []Entity
		max  int
		code string
		msg  string // part of the message
	}{
		{"unknown type", "x", []Entity{e("blink", 0, 1)}, 0, CodeEntitiesInvalid, `entity 0: unknown type "blink"`},
		{"long unknown type is cut", "x", []Entity{e(EntityType(strings.Repeat("b", 100)), 0, 1)}, 0, CodeEntitiesInvalid, `"` + strings.Repeat("b", 32) + `..."`},
		{"missing type", "x", []Entity{e("", 0, 1)}, 0, CodeEntitiesInvalid, "type is missing"},
		{"names the index", "abc", []Entity{e(EntityBold, 0, 1), e(EntityBold, 1, 1), e(EntityBold, -1, 1)}, 0, CodeEntitiesInvalid, "entity 2: offset is negative"},
		{"zero length", "abc", []Entity{e(EntityBold, 0, 0)}, 0, CodeEntitiesInvalid, "length must be at least 1"},
		{"negative length", "abc", []Entity{e(EntityBold, 2, -1)}, 0, CodeEntitiesInvalid, "length must be at least 1"},
		{"past the end", "abc", []Entity{e(EntityBold, 1, 3)}, 0, CodeEntitiesInvalid, "past the end of the text (3 UTF-16"},
		{"offset at the end", "abc", []Entity{e(EntityBold, 3, 1)}, 0, CodeEntitiesInvalid, "past the end"},
		{"empty text", "", []Entity{e(EntityBold, 0, 1)}, 0, CodeEntitiesInvalid, "past the end"},
		{"emoji counts two", "😀", []Entity{e(EntityBold, 0, 3)}, 0, CodeEntitiesInvalid, "past the end"},
		{"overflowing end", "abc", []Entity{e(EntityBold, 1, math.MaxInt)}, 0, CodeEntitiesInvalid, "past the end"},
		{"huge offset", "abc", []Entity{e(EntityBold, math.MaxInt, 1)}, 0, CodeEntitiesInvalid, "past the end"},
		{"offset splits a surrogate pair", "😀 bold", []Entity{e(EntityBold, 1, 3)}, 0, CodeEntitiesInvalid, "offset splits a surrogate pair"},
		{"end splits a surrogate pair", "😀 bold", []Entity{e(EntityBold, 0, 1)}, 0, CodeEntitiesInvalid, "end splits a surrogate pair"},
		{"end splits the second pair", "a😀😀", []Entity{e(EntityBold, 0, 4)}, 0, CodeEntitiesInvalid, "end splits a surrogate pair"},
		{"too many by default", "x", many, 0, CodeEntitiesTooMany, "at most 100 entities"},
		{"too many for max", "x", many[:3], 2, CodeEntitiesTooMany, "at most 2 entities are allowed, got 3"},
		{"partial overlap", "0123456789", []Entity{e(EntityBold, 0, 5), e(EntityItalic, 3, 5)}, 0, CodeEntitiesInvalid, "entity 1: italic partially overlaps entity 0 (bold)"},
		{"partial overlap deep", "0123456789", []Entity{e(EntityBold, 0, 10), e(EntityItalic, 1, 5), e(EntityCode, 2, 2), e(EntityUnderline, 5, 3)}, 0, CodeEntitiesInvalid, "entity 3: underline partially overlaps entity 1"},
		{"partial overlap, same start", "0123456789", []Entity{e(EntityBold, 2, 3), e(EntityItalic, 0, 3), e(EntityCode, 2, 6)}, 0, CodeEntitiesInvalid, "partially overlaps"},

		{"text_link without url", "x", link(""), 0, CodeEntitiesInvalid, "text_link needs a url"},
		{"javascript url", "x", link("javascript:alert(1)"), 0, CodeEntitiesInvalid, "must be an absolute http, https, mailto or tg URL"},
		{"relative url", "x", link("/path"), 0, CodeEntitiesInvalid, "absolute"},
		{"no scheme", "x", link("example.com"), 0, CodeEntitiesInvalid, "absolute"},
		{"ftp", "x", link("ftp://example.com"), 0, CodeEntitiesInvalid, "absolute"},
		{"http without host", "x", link("https:///path"), 0, CodeEntitiesInvalid, "has no host"},
		{"http opaque", "x", link("https:example.com"), 0, CodeEntitiesInvalid, "has no host"},
		{"empty mailto", "x", link("mailto:"), 0, CodeEntitiesInvalid, "has no address"},
		{"empty tg", "x", link("tg:"), 0, CodeEntitiesInvalid, "is empty"},
		{"space in url", "x", link("https://example.com/a b"), 0, CodeEntitiesInvalid, "space or control"},
		{"newline in url", "x", link("https://example.com/\n"), 0, CodeEntitiesInvalid, "space or control"},
		{"NUL in url", "x", link("https://example.com/\x00"), 0, CodeEntitiesInvalid, "space or control"},
		{"bidi override in url", "x", link("https://example.com/\u202e"), 0, CodeEntitiesInvalid, "space or control"},
		{"invalid UTF-8 url", "x", link("https://example.com/\xff"), 0, CodeEntitiesInvalid, "UTF-8"},
		{"bad URL syntax", "x", link("https://example.com/%zz"), 0, CodeEntitiesInvalid, "is not a valid URL"},
		{"url too long", "x", link("https://a.io/" + strings.Repeat("a", 2048-12)), 0, CodeEntitiesInvalid, "longer than 2048 bytes"},
		{"url on bold", "x", []Entity{{Type: EntityBold, Offset: 0, Length: 1, URL: "https://a.io"}}, 0, CodeEntitiesInvalid, "url is allowed only on text_link"},
		{"url on url", "x", []Entity{{Type: EntityURL, Offset: 0, Length: 1, URL: "https://a.io"}}, 0, CodeEntitiesInvalid, "url is allowed only on text_link"},

		{"language with a space", "x", pre("c c"), 0, CodeEntitiesInvalid, "language may contain only"},
		{"language non-ASCII", "x", pre("gö"), 0, CodeEntitiesInvalid, "language may contain only"},
		{"language too long", "x", pre(strings.Repeat("a", 33)), 0, CodeEntitiesInvalid, "longer than 32"},
		{"language on code", "x", []Entity{{Type: EntityCode, Offset: 0, Length: 1, Language: "go"}}, 0, CodeEntitiesInvalid, "language is allowed only on pre"},

		{"text_mention without user", "x", mention(0), 0, CodeEntitiesInvalid, "needs a user_id"},
		{"negative user", "x", mention(-5), 0, CodeEntitiesInvalid, "needs a user_id"},
		{"user id MaxID", "x", mention(MaxID), 0, CodeEntitiesInvalid, "needs a user_id"},
		{"user_id on mention", "x", []Entity{{Type: EntityMention, Offset: 0, Length: 1, UserID: 7}}, 0, CodeEntitiesInvalid, "user_id is allowed only on text_mention"},

		{"mention without @", "hi alice", []Entity{e(EntityMention, 3, 5)}, 0, CodeEntitiesInvalid, "entity 0: a mention must cover @ and a username"},
		{"mention of a short name", "hi @ali", []Entity{e(EntityMention, 3, 4)}, 0, CodeEntitiesInvalid, "a mention must cover"},
		{"mention with the comma", "hi @alice, ok", []Entity{e(EntityMention, 3, 7)}, 0, CodeEntitiesInvalid, "a mention must cover"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ValidateEntities(tc.text, tc.es, tc.max)
			if err == nil {
				t.Fatalf("accepted: %+v", got)
			}
			if got != nil {
				t.Errorf("returned entities with an error: %+v", got)
			}
			if ErrorCode(err) != tc.code {
				t.Errorf("code %s, want %s (%v)", ErrorCode(err), tc.code, err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("message %q does not contain %q", err, tc.msg)
			}
		})
	}
}

// TestEntityNesting checks the one overlap rule on every pair shape.
func TestEntityNesting(t *testing.T) {
	const text = "0123456789"
	for _, tc := range []struct {
		a, b [2]int // offset, length
		ok   bool
	}{
		{[2]int{0, 3}, [2]int{5, 3}, true},  // disjoint
		{[2]int{0, 3}, [2]int{3, 3}, true},  // touching
		{[2]int{0, 10}, [2]int{2, 3}, true}, // inside
		{[2]int{0, 5}, [2]int{0, 3}, true},  // same start
		{[2]int{0, 5}, [2]int{2, 3}, true},  // same end
		{[2]int{2, 3}, [2]int{2, 3}, true},  // same span
		{[2]int{0, 5}, [2]int{4, 3}, false}, // one unit shared
		{[2]int{2, 5}, [2]int{0, 3}, false}, // the other way round
		{[2]int{0, 9}, [2]int{1, 9}, false}, // almost the same
	} {
		for _, swap := range []bool{false, true} {
			a, b := tc.a, tc.b
			if swap {
				a, b = b, a
			}
			es := []Entity{{Type: EntityBold, Offset: a[0], Length: a[1]}, {Type: EntityItalic, Offset: b[0], Length: b[1]}}
			_, err := ValidateEntities(text, es, 0)
			if (err == nil) != tc.ok {
				t.Errorf("%v and %v: err %v, want ok=%v", a, b, err, tc.ok)
			}
		}
	}
}

func TestEntitySlice(t *testing.T) {
	for _, tc := range []struct {
		text         string
		offset, size int
		want         string
	}{
		{"😀 bold", 3, 4, "bold"},
		{"😀 bold", 0, 2, "😀"},
		{"😀 bold", 0, 7, "😀 bold"},
		{"😀 bold", 2, 1, " "},
		{"😀 bold", 1, 2, ""}, // splits the emoji
		{"😀 bold", 0, 1, ""},
		{"😀 bold", 3, 5, ""}, // past the end
		{"😀 bold", 7, 0, ""},
		{"😀 bold", -1, 2, ""},
		{"😀 bold", 1, math.MaxInt, ""},
		{"héllo @ann", 6, 4, "@ann"},
		{"", 0, 0, ""},
		{"\xffab", 1, 2, "ab"}, // an invalid byte counts one unit
	} {
		if got := EntitySlice(tc.text, Entity{Type: EntityBold, Offset: tc.offset, Length: tc.size}); got != tc.want {
			t.Errorf("EntitySlice(%q, %d, %d) = %q, want %q", tc.text, tc.offset, tc.size, got, tc.want)
		}
	}
}

// found is a detected entity as its type and the text it covers.
type found struct {
	typ  EntityType
	text string
}

func TestDetectEntities(t *testing.T) {
	m := func(s string) found { return found{EntityMention, s} }
	h := func(s string) found { return found{EntityHashtag, s} }
	c := func(s string) found { return found{EntityBotCommand, s} }
	u := func(s string) found { return found{EntityURL, s} }
	e := func(s string) found { return found{EntityEmail, s} }
	for _, tc := range []struct {
		text string
		want []found
	}{
		{"", nil},
		{"plain text, nothing here. main.go v1.2 e.g. 3/4 a/b", nil},

		// Mentions.
		{"hi @alice!", []found{m("@alice")}},
		{"@Alice_2024, @bob_smith.", []found{m("@Alice_2024"), m("@bob_smith")}},
		{"(@alice)", []found{m("@alice")}},
		{"@abcd @a2345678901234567890123456789012 @a23456789012345678901234567890123", []found{m("@a2345678901234567890123456789012")}},
		{"@1alice @_alice x@alice @alicé @alice@example", nil},
		{"@алиса", nil},

		// Hashtags, in any script.
		{"#tag #привет #2024 #c3po #with_under #日本語 #_", []found{h("#tag"), h("#привет"), h("#c3po"), h("#with_under"), h("#日本語")}},
		{"#नमस्ते दुनिया", []found{h("#नमस्ते")}}, // combining marks stay in the tag
		{"a#tag &#39; #tag.", []found{h("#tag")}},
		{"#tag1#tag2", []found{h("#tag1")}},

		// Bot commands.
		{"/start", []found{c("/start")}},
		{"/start@haven_bot hello", []found{c("/start@haven_bot")}},
		{"hi /help. /Settings\n/stop", []found{c("/help"), c("/Settings"), c("/stop")}},
		{"/usr/bin a/b x/start /start@x /старт /" + strings.Repeat("a", 33), nil},
		{"/" + strings.Repeat("a", 32), []found{c("/" + strings.Repeat("a", 32))}},

		// URLs.
		{"see https://example.com/a?b=c.", []found{u("https://example.com/a?b=c")}},
		{"HTTP://EXAMPLE.COM/X", []found{u("HTTP://EXAMPLE.COM/X")}},
		{"(https://en.wikipedia.org/wiki/Go_(language))", []found{u("https://en.wikipedia.org/wiki/Go_(language)")}},
		{"[http://a.io/x] {http://b.io}", []found{u("http://a.io/x"), u("http://b.io")}},
		{`<https://example.com> "https://example.org", 'https://example.net'`, []found{u("https://example.com"), u("https://example.org"), u("https://example.net")}},
		{"http://localhost:8080/path!?", []found{u("http://localhost:8080/path")}},
		{"https://пример.рф/путь, ok", []found{u("https://пример.рф/путь")}},
		{"https://[::1]:8080/", []found{u("https://[::1]:8080/")}},
		{"https://example.com/@alice #tag", []found{u("https://example.com/@alice"), h("#tag")}},
		{"https://a.io/x\u200bhttps://b.io", []found{u("https://a.io/x"), u("https://b.io")}},
		{"www.example.com/x, WWW.Example.org:8080/", []found{u("www.example.com/x"), u("WWW.Example.org:8080/")}},
		{"(www.example.com)", []found{u("www.example.com")}},
		{"https:// https:///x http:/a.io xhttps://a.io ftp://a.io www.example www.example.1 www.-a.com", nil},

		// Email addresses.
		{"mail bob.smith+tag@example.co.uk.", []found{e("bob.smith+tag@example.co.uk")}},
		{"...bob@example.com", []found{e("bob@example.com")}},
		{"bob.@example.com", []found{m("@example")}}, // not an address: the local part ends with '.'
		{"a@b bob@example bob@example.c bo..b@example.com bob@-example.com bob@example.com@x bob@example.comé", nil},

		// Mixed.
		{"😀 Hi @alice_bot, see https://x.io/#a and #tag; /start or mail a@b.io",
			[]found{m("@alice_bot"), u("https://x.io/#a"), h("#tag"), c("/start"), e("a@b.io")}},
	} {
		got := DetectEntities(tc.text)
		var gotF []found
		for _, g := range got {
			gotF = append(gotF, found{g.Type, EntitySlice(tc.text, g)})
		}
		if !slices.Equal(gotF, tc.want) {
			t.Errorf("DetectEntities(%q)\n got  %v\n want %v", tc.text, gotF, tc.want)
		}
		if _, err := ValidateEntities(tc.text, got, len(got)); err != nil {
			t.Errorf("DetectEntities(%q) does not validate: %v", tc.text, err)
		}
	}
}

// TestDetectEntitiesOffsets checks UTF-16 offsets after characters outside
// the Basic Multilingual Plane.
func TestDetectEntitiesOffsets(t *testing.T) {
	for _, tc := range []struct {
		text string
		want []Entity
	}{
		{"😀@alice", []Entity{{Type: EntityMention, Offset: 2, Length: 6}}},
		{"🎉#праздник 🎉 #tag", []Entity{{Type: EntityHashtag, Offset: 2, Length: 9}, {Type: EntityHashtag, Offset: 15, Length: 4}}},
		{"😀😀 https://a.io/😀 x", []Entity{{Type: EntityURL, Offset: 5, Length: 15}}},
		{"😀 /start", []Entity{{Type: EntityBotCommand, Offset: 3, Length: 6}}},
	} {
		if got := DetectEntities(tc.text); !slices.Equal(got, tc.want) {
			t.Errorf("DetectEntities(%q) = %+v, want %+v", tc.text, got, tc.want)
		}
	}
}

// TestDetectEntitiesLinear runs inputs that a careless scanner would take
// quadratic time on; 200,000 runes squared would take minutes.
func TestDetectEntitiesLinear(t *testing.T) {
	const n = 200_000
	for _, s := range []string{
		strings.Repeat("http:///", n/8),
		strings.Repeat("www.", n/4) + "1",
		strings.Repeat("www.a-", n/6),
		strings.Repeat("a", n) + "@",
		strings.Repeat("a@", n/2),
		strings.Repeat("a.", n/2) + "@b",
		"@" + strings.Repeat("a", n),
		"#" + strings.Repeat("1", n),
		" /" + strings.Repeat("a", n),
		"https://a.io/" + strings.Repeat(")", n),
		strings.Repeat("😀", n),
	} {
		start := time.Now()
		DetectEntities(s)
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("DetectEntities(%.20q...) took %v", s, d)
		}
	}
}

func TestMergeEntities(t *testing.T) {
	const text = "@alice see https://a.io #tag"
	detected := DetectEntities(text)
	if len(detected) != 3 {
		t.Fatalf("detected %+v", detected)
	}
	mention, url, tag := detected[0], detected[1], detected[2]
	e := func(typ EntityType, off, n int) Entity { return Entity{Type: typ, Offset: off, Length: n} }
	for _, tc := range []struct {
		name  string
		given []Entity
		want  []Entity
	}{
		{"nothing given", nil, detected},
		{"bold around everything", []Entity{e(EntityBold, 0, 28)}, []Entity{e(EntityBold, 0, 28), mention, url, tag}},
		{"bold inside the url", []Entity{e(EntityBold, 11, 5)}, []Entity{mention, url, e(EntityBold, 11, 5), tag}},
		{"bold exactly on the mention", []Entity{e(EntityBold, 0, 6)}, []Entity{e(EntityBold, 0, 6), mention, url, tag}},
		{"bold partly over the mention", []Entity{e(EntityBold, 3, 5)}, []Entity{e(EntityBold, 3, 5), url, tag}},
		{"code over the url", []Entity{e(EntityCode, 7, 16)}, []Entity{mention, e(EntityCode, 7, 16), tag}},
		{"pre over everything", []Entity{e(EntityPre, 0, 28)}, []Entity{e(EntityPre, 0, 28)}},
		{"code inside the url", []Entity{e(EntityCode, 11, 5)}, []Entity{mention, e(EntityCode, 11, 5), tag}},
		{"text_link around the url", []Entity{{Type: EntityTextLink, Offset: 7, Length: 16, URL: "https://b.io"}}, []Entity{mention, {Type: EntityTextLink, Offset: 7, Length: 16, URL: "https://b.io"}, tag}},
		{"the same mention given", []Entity{mention}, detected},
		{"a given url elsewhere", []Entity{e(EntityURL, 7, 3)}, []Entity{mention, e(EntityURL, 7, 3), url, tag}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			given := slices.Clone(tc.given)
			det := slices.Clone(detected)
			got := MergeEntities(tc.given, det)
			if !slices.Equal(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
			if !slices.Equal(tc.given, given) || !slices.Equal(det, detected) {
				t.Error("an input was modified")
			}
			if _, err := ValidateEntities(text, got, len(got)); err != nil {
				t.Errorf("the merge does not validate: %v", err)
			}
		})
	}
	if got := MergeEntities(nil, nil); got != nil {
		t.Errorf("MergeEntities(nil, nil) = %+v", got)
	}
}

// TestEntityJSON pins the wire form, which is Telegram's.
func TestEntityJSON(t *testing.T) {
	for _, tc := range []struct {
		e    Entity
		want string
	}{
		{Entity{Type: EntityBold, Offset: 3, Length: 4}, `{"type":"bold","offset":3,"length":4}`},
		{Entity{Type: EntityTextLink, Offset: 0, Length: 1, URL: "https://a.io"}, `{"type":"text_link","offset":0,"length":1,"url":"https://a.io"}`},
		{Entity{Type: EntityPre, Offset: 0, Length: 1, Language: "go"}, `{"type":"pre","offset":0,"length":1,"language":"go"}`},
		{Entity{Type: EntityTextMention, Offset: 0, Length: 1, UserID: 42}, `{"type":"text_mention","offset":0,"length":1,"user_id":42}`},
	} {
		b, err := json.Marshal(tc.e)
		if err != nil || string(b) != tc.want {
			t.Errorf("json.Marshal(%+v) = %s, %v; want %s", tc.e, b, err, tc.want)
		}
	}
}

// fuzzTypes are the types a fuzzed entity is drawn from, one unknown.
var fuzzTypes = []EntityType{
	EntityBold, EntityItalic, EntityUnderline, EntityStrikethrough, EntitySpoiler, EntityCode, EntityPre,
	EntityTextLink, EntityTextMention, EntityMention, EntityHashtag, EntityBotCommand, EntityURL, EntityEmail, "blink",
}

// fuzzEntities turns each 4 bytes of data into an entity: type, offset,
// length, and which of the optional fields to set and how.
func fuzzEntities(data []byte) []Entity {
	urls := []string{"", "https://example.com", "javascript:x", "tg://user?id=1", "https:///x"}
	langs := []string{"", "go", "c c", strings.Repeat("a", 33)}
	ids := []int64{0, 1, -1, MaxID, MaxID - 1}
	var es []Entity
	for ; len(data) >= 4; data = data[4:] {
		f := data[3]
		es = append(es, Entity{
			Type:     fuzzTypes[int(data[0])%len(fuzzTypes)],
			Offset:   int(int8(data[1])),
			Length:   int(int8(data[2])),
			URL:      urls[int(f&7)%len(urls)],
			Language: langs[int(f>>3&3)],
			UserID:   ids[int(f>>5)%len(ids)],
		})
	}
	return es
}

func FuzzEntities(f *testing.F) {
	for _, s := range []struct {
		text string
		data []byte
	}{
		{"😀 bold", []byte{0, 3, 4, 0, 1, 1, 2, 0}},
		{"@alice #tag https://example.com/a_(b)). /start@haven_bot", []byte{7, 0, 6, 1, 8, 7, 4, 32}},
		{"mail bob@example.com or www.example.org #привет 🎉#праздник", []byte{6, 0, 10, 8, 2, 3, 5, 0}},
		{"\xff\xed\xa0\x80 /x @abcde", []byte{1, 0, 2, 0, 2, 1, 2, 0, 3, 2, 9, 0}},
		{"#नमस्ते 😀😀😀", []byte{4, 2, 6, 0, 4, 8, 2, 0, 4, 9, 2, 0}},
	} {
		f.Add(s.text, s.data)
	}
	f.Fuzz(func(t *testing.T, text string, data []byte) {
		// The code-point boundaries, counted independently of the code under test.
		bound := map[int]bool{0: true}
		n := 0
		for _, r := range text {
			n += len(utf16.Encode([]rune{r}))
			bound[n] = true
		}
		in := fuzzEntities(data)
		orig := slices.Clone(in)
		got, err := ValidateEntities(text, in, 0)
		if !slices.Equal(in, orig) {
			t.Fatal("ValidateEntities modified its input")
		}
		if err != nil {
			code := ErrorCode(err)
			if code != CodeEntitiesInvalid && code != CodeEntitiesTooMany {
				t.Fatalf("error %v has code %s", err, code)
			}
			if (len(in) > MaxEntities) != (code == CodeEntitiesTooMany) {
				t.Fatalf("%d entities: %v", len(in), err)
			}
		} else {
			checkEntities(t, text, n, bound, got)
			for _, e := range got {
				if !slices.Contains(in, e) {
					t.Fatalf("accepted %+v, which was not given", e)
				}
				if s := EntitySlice(text, e); e.Type == EntityMention && !ValidUsername(strings.TrimPrefix(s, "@")) {
					t.Fatalf("accepted the mention %q", s)
				}
			}
			again, err := ValidateEntities(text, got, 0)
			if err != nil || !slices.Equal(again, got) {
				t.Fatalf("validating the result again: %+v, %v", again, err)
			}
		}

		det := DetectEntities(text)
		checkEntities(t, text, n, bound, det)
		for _, d := range det {
			s := EntitySlice(text, d)
			ok := true
			switch d.Type {
			case EntityMention:
				ok = s[0] == '@' && ValidUsername(s[1:])
			case EntityHashtag:
				ok = s[0] == '#'
			case EntityBotCommand:
				ok = s[0] == '/'
			case EntityEmail:
				ok = strings.Count(s, "@") == 1
			case EntityURL:
				l := strings.ToLower(s)
				ok = strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "www.")
			default:
				ok = false
			}
			if !ok {
				t.Fatalf("detected %s %q", d.Type, s)
			}
		}
		if v, err := ValidateEntities(text, det, len(det)); err != nil || !slices.Equal(v, det) {
			t.Fatalf("detected entities %+v do not validate as they are: %v", det, err)
		}

		merged := MergeEntities(got, det)
		checkEntities(t, text, n, bound, merged)
		for _, g := range got {
			if !slices.Contains(merged, g) {
				t.Fatalf("the merge lost the given %+v", g)
			}
		}
	})
}

// checkEntities fails t unless es lie within a text of n code units on the
// given boundaries, are sorted, and nest without partial overlaps.
func checkEntities(t *testing.T, text string, n int, bound map[int]bool, es []Entity) {
	t.Helper()
	for i, e := range es {
		if !knownType(e.Type) || e.Offset < 0 || e.Length < 1 || e.Offset+e.Length > n {
			t.Fatalf("entity %+v does not lie within %q (%d units)", e, text, n)
		}
		if !bound[e.Offset] || !bound[e.Offset+e.Length] {
			t.Fatalf("entity %+v splits a character of %q", e, text)
		}
		if s := EntitySlice(text, e); UTF16Len(s) != e.Length {
			t.Fatalf("EntitySlice(%q, %+v) = %q", text, e, s)
		}
		if i > 0 && compareEntities(es[i-1], e) >= 0 {
			t.Fatalf("not sorted: %+v before %+v", es[i-1], e)
		}
		for _, o := range es[:i] {
			disjoint := o.end() <= e.Offset || e.end() <= o.Offset
			nested := o.Offset <= e.Offset && e.end() <= o.end() || e.Offset <= o.Offset && o.end() <= e.end()
			if !disjoint && !nested {
				t.Fatalf("%+v and %+v overlap partially", o, e)
			}
		}
	}
}
